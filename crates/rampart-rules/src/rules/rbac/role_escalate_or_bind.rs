//! RBAC007 role-escalate-or-bind.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_match, report_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC007",
    name: "role-escalate-or-bind",
    title: "Role can escalate or bind roles",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "RBAC stops a subject from granting permissions it does not hold, unless it has `escalate` (edit a role to add any permission) or `bind` (bind any role, even one more powerful than itself). Either verb on roles or clusterroles turns the holder into a potential cluster-admin.",
    remediation: "Remove `escalate` and `bind` from roles of people and workloads. Tools that manage RBAC should be few, audited and named explicitly; restrict `bind` with `resourceNames` to the roles they are meant to hand out.",
    references: &[
        cis(
            "5.1.8",
            "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
        ),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre(
            "T1098.006",
            "Account Manipulation: Additional Container Cluster Roles",
        ),
    ],
    cluster_wide: false,
    check,
};

const PERMS: &[Permission<'static>] = &[
    Permission {
        verbs: &["escalate", "bind"],
        group: "rbac.authorization.k8s.io",
        resource: "clusterroles",
        subresource: None,
    },
    Permission {
        verbs: &["escalate", "bind"],
        group: "rbac.authorization.k8s.io",
        resource: "roles",
        subresource: None,
    },
];

pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    first_match(rules, PERMS, RULE.severity)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_grants(ctx, emit, &matcher);
}
