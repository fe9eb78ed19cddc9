//! NetworkPolicy coverage: isolation by default, and no policy that opens everything.

use crate::context::Context;
use crate::rule::Rule;

mod allow_all_networkpolicy;
mod missing_default_deny_egress;
mod missing_default_deny_ingress;
mod namespace_without_networkpolicy;
mod pod_not_selected_by_networkpolicy;
pub mod semantics;

pub const RULES: &[Rule] = &[
    namespace_without_networkpolicy::RULE,
    missing_default_deny_ingress::RULE,
    missing_default_deny_egress::RULE,
    allow_all_networkpolicy::RULE,
    pod_not_selected_by_networkpolicy::RULE,
];

/// Namespaces in scope that run workloads and are not the platform's own.
fn namespaces_to_judge<'a>(ctx: &'a Context<'a>) -> impl Iterator<Item = &'a str> + 'a {
    ctx.namespaces().filter(move |ns| {
        !ctx.settings.is_system_namespace(ns) && ctx.inventory.workloads_in(ns).next().is_some()
    })
}
