//! NETPOL002 missing-default-deny-ingress.

use crate::analysis::networkpolicy::Direction;
use crate::rules::networkpolicy::report_missing_default_deny;
use crate::rules::prelude::*;

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
            "Network policies",
            "Use a default policy that denies all traffic",
        ),
        mitre("T1046", "Network Service Discovery"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_missing_default_deny(ctx, emit, Direction::Ingress);
}
