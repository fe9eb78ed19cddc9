//! NETPOL003 missing-default-deny-egress.

use crate::context::Context;
use crate::emit::{Draft, Emitter};
use crate::object::ObjectRef;
use crate::rule::{Category, Rule, Severity, cis, mitre, nsa};
use crate::rules::networkpolicy::namespaces_to_judge;
use crate::rules::networkpolicy::semantics::{Direction, affects, selects_all_pods};

pub const RULE: Rule = Rule {
    id: "NETPOL003",
    name: "missing-default-deny-egress",
    title: "Namespace has no default-deny egress policy",
    category: Category::NetworkPolicy,
    severity: Severity::Low,
    rationale: "A pod is isolated for egress only once some NetworkPolicy with `Egress` in its \
        `policyTypes` selects it. Without a policy that selects every pod of the namespace, \
        pods added later, or pods whose labels match no policy, connect to any pod and any address, which lets a compromised pod reach internal services and send data out.",
    remediation: "Add a policy with `podSelector: {}` and `policyTypes: [Egress]` (no rules \
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
                .is_some_and(|s| selects_all_pods(s) && affects(s, Direction::Egress))
        });
        if !isolated {
            emit.push(Draft::new(
                ObjectRef::namespace(ns),
                format!("No NetworkPolicy in namespace {ns} selects all pods for egress; pods not selected by a policy have unrestricted egress"),
            ));
        }
    }
}
