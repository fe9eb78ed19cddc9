//! Namespace isolation: Pod Security admission, the default namespace, resource policies.

use crate::inventory::Inventory;
use crate::model::identity::ObjectRef;
use crate::rules::prelude::*;

mod namespace_without_limit_range;
mod namespace_without_resource_quota;
mod pod_security_not_enforced;
mod user_workload_in_system_namespace;
mod workloads_in_default_namespace;

pub const RULES: &[Rule] = &[
    pod_security_not_enforced::RULE,
    workloads_in_default_namespace::RULE,
    namespace_without_resource_quota::RULE,
    namespace_without_limit_range::RULE,
    user_workload_in_system_namespace::RULE,
];

/// Reports non-system namespaces that run workloads but hold no object of `kind`, as
/// `has` tells.
fn report_missing_resource_policy(
    ctx: &Context<'_>,
    emit: &mut Emitter,
    kind: &str,
    has: fn(&Inventory, &str) -> bool,
) {
    let inv = ctx.inventory;
    for ns in ctx.namespaces() {
        if ctx.settings.is_system_namespace(ns) || has(inv, ns) {
            continue;
        }
        let workloads = ctx.workloads_in(ns).len();
        if workloads == 0 {
            continue;
        }
        emit.push(Draft::new(
            ObjectRef::namespace(ns),
            format!("Namespace {ns} runs {workloads} workload(s) and has no {kind}"),
        ));
    }
}
