//! NETPOL006 networkpolicy-selects-no-pod.

use crate::analysis::networkpolicy::{selects, selects_all_pods, spec_of};
use crate::model::identity::ObjectRef;
use crate::model::selector;
use crate::rules::networkpolicy::namespaces_to_judge;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "NETPOL006",
    name: "networkpolicy-selects-no-pod",
    title: "NetworkPolicy selects no pod in its namespace",
    category: Category::NetworkPolicy,
    severity: Severity::Low,
    rationale: "A NetworkPolicy acts only on the pods its `podSelector` selects. One that \
        selects none of its namespace's workloads protects nothing, while its name and rules \
        suggest that something is protected: usually a label that was misspelt, renamed in \
        the workload, or a policy written for a workload that moved to another namespace.",
    remediation: "Compare the policy's `podSelector` with the pod template labels of the \
        workload it was written for (`kubectl get pods -l SELECTOR -n NAMESPACE` lists what \
        it selects), fix whichever side is wrong, or delete the policy if its workload is \
        gone.",
    references: &[
        nsa(
            "Network policies",
            "Use network policies to isolate resources",
        ),
        mitre("T1046", "Network Service Discovery"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    // Only namespaces with workloads: a policy may well be written before what it protects.
    for ns in namespaces_to_judge(ctx) {
        let workloads = ctx.workloads_in(ns);
        for np in ctx.inventory.network_policies_in(ns) {
            let spec = spec_of(np);
            if selects_all_pods(spec) || workloads.iter().any(|w| selects(spec, w.pod_labels)) {
                continue;
            }
            let wanted = spec
                .pod_selector
                .as_ref()
                .map(selector::describe)
                .unwrap_or_default();
            let name = &*np.metadata.name;
            emit.push(
                Draft::new(
                    ObjectRef::new("networking.k8s.io/v1", "NetworkPolicy", Some(ns), name),
                    format!(
                        "NetworkPolicy {ns}/{name} selects no pod of the {} workload(s) in namespace {ns} (podSelector {wanted}); it isolates nothing",
                        workloads.len()
                    ),
                )
                .path("spec.podSelector"),
            );
        }
    }
}
