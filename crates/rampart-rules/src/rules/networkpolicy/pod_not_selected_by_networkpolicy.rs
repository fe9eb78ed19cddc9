//! NETPOL005 pod-not-selected-by-networkpolicy.

use crate::analysis::networkpolicy::{selects, spec_of};
use crate::rules::networkpolicy::namespaces_to_judge;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "NETPOL005",
    name: "pod-not-selected-by-networkpolicy",
    title: "Workload is selected by no NetworkPolicy",
    category: Category::NetworkPolicy,
    severity: Severity::Low,
    rationale: "In a namespace that uses NetworkPolicies, a workload whose pod labels match no \
        policy's `podSelector` is not isolated at all: its pods accept and open any connection, \
        usually because labels changed or the workload was added after the policies were written.",
    remediation: "Add a policy selecting the workload's pods, or a namespace-wide default-deny \
        policy (`podSelector: {}`) so that new workloads start isolated.",
    references: &[
        cis(
            "5.3.2",
            "Ensure that all Namespaces have NetworkPolicies defined",
        ),
        nsa(
            "Network policies",
            "Use network policies to isolate resources",
        ),
        mitre("T1046", "Network Service Discovery"),
    ],
    cluster_wide: false,
    check,
};

/// Where a workload's pod labels live: next to the pod spec, e.g. `spec.template.metadata.labels`.
fn labels_path(spec_path: &str) -> String {
    let prefix = spec_path.strip_suffix("spec").unwrap_or("");
    format!("{prefix}metadata.labels")
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in namespaces_to_judge(ctx) {
        let policies: Vec<_> = ctx.inventory.network_policies_in(ns).map(spec_of).collect();
        // A namespace without any policy is NETPOL001's finding.
        if policies.is_empty() {
            continue;
        }
        for w in ctx.workloads_in(ns).iter() {
            if policies.iter().any(|s| selects(s, w.pod_labels)) {
                continue;
            }
            emit.push(Draft::new(
                w.object.clone(),
                format!("No NetworkPolicy in namespace {ns} selects the pods of {}; their traffic is unrestricted", w.object),
            ).path(labels_path(w.spec_path)));
        }
    }
}
