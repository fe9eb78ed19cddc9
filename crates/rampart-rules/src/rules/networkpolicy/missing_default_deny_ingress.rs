//! NETPOL002 missing-default-deny-ingress.

use crate::context::Context;
use crate::emit::{Draft, Emitter};
use crate::object::ObjectRef;
use crate::rule::{Category, Rule, Severity, cis, mitre, nsa};
use crate::rules::networkpolicy::namespaces_to_judge;
use crate::rules::networkpolicy::semantics::{Direction, affects, selects_all_pods};

pub const RULE: Rule = Rule {
    id: "NETPOL002",
    name: "missing-default-deny-ingress",
    title: "Namespace has no default-deny ingress policy",
    category: Category::NetworkPolicy,
    severity: Severity::Medium,
    rationale: "A pod is isolated for ingress only once some NetworkPolicy with `Ingress` in its \
        `policyTypes` selects it. Without a policy that selects every pod of the namespace, \
        pods added later, or pods whose labels match no policy, accept connections from any pod in the cluster.",
    remediation: "Add a policy with `podSelector: {}` and `policyTypes: [Ingress]` (no rules \
        denies all; rules allow only what is listed), then allow the traffic each application \
        needs with narrower policies.",
    references: &[
        cis(
            "5.3.2",
            "Ensure that all Namespaces have NetworkPolicies defined",
        ),
        nsa(
            "Network separation",
            "Use a default policy that denies all traffic",
        ),
        mitre("T1046", "Network Service Discovery"),
    ],
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter<'_>) {
    for ns in namespaces_to_judge(ctx) {
        let mut policies = ctx.inventory.network_policies_in(ns).peekable();
        // A namespace without any policy is NETPOL001's finding.
        if policies.peek().is_none() {
            continue;
        }
        let isolated = policies.any(|np| {
            np.spec
                .as_ref()
                .is_some_and(|s| selects_all_pods(s) && affects(s, Direction::Ingress))
        });
        if !isolated {
            emit.push(Draft::new(
                ObjectRef::namespace(ns),
                format!("No NetworkPolicy in namespace {ns} selects all pods for ingress; pods not selected by a policy have unrestricted ingress"),
            ));
        }
    }
}
