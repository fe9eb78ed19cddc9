//! NETPOL003 missing-default-deny-egress.

use crate::analysis::networkpolicy::Direction;
use crate::rules::networkpolicy::report_missing_default_deny;
use crate::rules::prelude::*;

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
            "Network policies",
            "Use a default policy that denies all traffic",
        ),
        mitre("T1046", "Network Service Discovery"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_missing_default_deny(ctx, emit, Direction::Egress);
}
