//! NetworkPolicy coverage: isolation by default, and no policy that opens everything.

use crate::analysis::networkpolicy::{Direction, affects, selects_all_pods, spec_of};
use crate::model::identity::ObjectRef;
use crate::rules::prelude::*;

mod allow_all_networkpolicy;
mod missing_default_deny_egress;
mod missing_default_deny_ingress;
mod namespace_without_networkpolicy;
mod networkpolicy_selects_no_pod;
mod pod_not_selected_by_networkpolicy;

pub const RULES: &[Rule] = &[
    namespace_without_networkpolicy::RULE,
    missing_default_deny_ingress::RULE,
    missing_default_deny_egress::RULE,
    allow_all_networkpolicy::RULE,
    pod_not_selected_by_networkpolicy::RULE,
    networkpolicy_selects_no_pod::RULE,
];

/// Namespaces in scope that run workloads and are not the platform's own.
fn namespaces_to_judge<'c, 'a>(ctx: &'c Context<'a>) -> impl Iterator<Item = &'a str> + 'c {
    ctx.namespaces()
        .filter(move |ns| !ctx.settings.is_system_namespace(ns) && !ctx.workloads_in(ns).is_empty())
}

/// Reports namespaces where no policy selects every pod for `dir`. A namespace without any
/// policy is NETPOL001's finding and is skipped.
fn report_missing_default_deny(ctx: &Context<'_>, emit: &mut Emitter, dir: Direction) {
    for ns in namespaces_to_judge(ctx) {
        let mut policies = ctx.inventory.network_policies_in(ns).peekable();
        if policies.peek().is_none() {
            continue;
        }
        let isolated = policies.any(|np| {
            let spec = spec_of(np);
            selects_all_pods(spec) && affects(spec, dir)
        });
        if !isolated {
            let d = dir.as_str();
            emit.push(Draft::new(
                ObjectRef::namespace(ns),
                format!("No NetworkPolicy in namespace {ns} selects all pods for {d}; pods that no {d} policy selects have unrestricted {d}"),
            ));
        }
    }
}
