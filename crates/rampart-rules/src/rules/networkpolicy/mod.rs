//! NetworkPolicy coverage: isolation by default, and no policy that opens everything.

use crate::analysis::networkpolicy::{Direction, affects, selects, selects_all_pods, spec_of};
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

/// Reports namespaces where no policy selects every pod for `dir`, naming the workloads
/// left open and what they are open to. A namespace without any policy is NETPOL001's
/// finding and is skipped.
fn report_missing_default_deny(ctx: &Context<'_>, emit: &mut Emitter, dir: Direction) {
    for ns in namespaces_to_judge(ctx) {
        let specs: Vec<_> = ctx.inventory.network_policies_in(ns).map(spec_of).collect();
        if specs.is_empty() {
            continue;
        }
        let isolated = specs
            .iter()
            .any(|spec| selects_all_pods(spec) && affects(spec, dir));
        if isolated {
            continue;
        }
        let workloads = ctx.workloads_in(ns);
        let open: Vec<String> = workloads
            .iter()
            .filter(|w| {
                !specs
                    .iter()
                    .any(|spec| affects(spec, dir) && selects(spec, w.pod_labels))
            })
            .map(|w| w.object.to_string())
            .collect();
        let d = dir.as_str();
        let mut message = format!(
            "No NetworkPolicy in namespace {ns} selects all pods for {d}; pods that no {d} policy selects have unrestricted {d}"
        );
        if !open.is_empty() {
            let named: Vec<&str> = open.iter().take(MAX_NAMED).map(String::as_str).collect();
            let more = open.len().saturating_sub(MAX_NAMED);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let reach = match dir {
                Direction::Egress => {
                    "can connect to every pod of the cluster, the cloud metadata endpoint (169.254.169.254) and the internet"
                }
                Direction::Ingress => {
                    "accept connections from every pod of the cluster, and from outside wherever a Service exposes them"
                }
            };
            message.push_str(&format!(
                ": {} of {} workload(s) ({}{more}) {reach}",
                open.len(),
                workloads.len(),
                named.join(", ")
            ));
        }
        emit.push(Draft::new(ObjectRef::namespace(ns), message));
    }
}

/// Most workloads a message names before it says "and N more".
const MAX_NAMED: usize = 3;
