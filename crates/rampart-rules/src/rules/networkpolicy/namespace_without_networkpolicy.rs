//! NETPOL001 namespace-without-networkpolicy.

use crate::model::identity::ObjectRef;
use crate::rules::networkpolicy::namespaces_to_judge;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "NETPOL001",
    name: "namespace-without-networkpolicy",
    title: "Namespace with workloads has no NetworkPolicy",
    category: Category::NetworkPolicy,
    severity: Severity::Medium,
    rationale: "Kubernetes networking is open by default: without a NetworkPolicy every pod accepts \
        connections from every other pod in the cluster and may connect anywhere. One compromised \
        pod can then scan and reach every database, cache and internal API, the usual path of \
        lateral movement.",
    remediation: "Add a default-deny policy for ingress and egress (`podSelector: {}` with \
        `policyTypes: [Ingress, Egress]` and no rules) and then policies that allow the traffic \
        each application needs, including DNS egress to kube-system.",
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

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in namespaces_to_judge(ctx) {
        if ctx.inventory.network_policies_in(ns).next().is_some() {
            continue;
        }
        let workloads = ctx.workloads_in(ns).len();
        emit.push(Draft::new(
            ObjectRef::namespace(ns),
            format!("Namespace {ns} runs {workloads} workload(s) and has no NetworkPolicy: all traffic to and from them is allowed"),
        ));
    }
}
