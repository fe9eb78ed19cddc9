//! RBAC008 impersonate.

use crate::context::Context;
use crate::emit::Emitter;
use crate::rbac::Permission;
use crate::rule::{Category, Rule, Severity, cis, mitre, nsa};
use crate::rules::rbac::grants::{Matched, first_match, report_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC008",
    name: "impersonate",
    title: "Role can impersonate users, groups or ServiceAccounts",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "Impersonation lets a subject send requests as another user, group or ServiceAccount, with all of that identity's permissions. Impersonating `system:masters` or any ServiceAccount bound to cluster-admin is full control of the cluster. Unrestricted impersonation of users and groups is critical; impersonation limited by `resourceNames` is as dangerous as the named identities.",
    remediation: "Grant `impersonate` only to the proxies and tools that need it (for example an authenticating gateway), restrict it with `resourceNames` to the identities they act for, and audit its use.",
    references: &[
        cis(
            "5.1.8",
            "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
        ),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1078", "Valid Accounts"),
    ],
    check,
};

const fn imp(group: &'static str, resource: &'static str) -> Permission<'static> {
    Permission {
        verbs: &["impersonate"],
        group,
        resource,
        subresource: None,
    }
}

const IDENTITIES: &[Permission<'static>] = &[
    imp("", "users"),
    imp("", "groups"),
    imp("", "serviceaccounts"),
    imp("authentication.k8s.io", "users"),
    imp("authentication.k8s.io", "groups"),
    imp("authentication.k8s.io", "uids"),
    imp("authentication.k8s.io", "userextras"),
];

fn unrestricted(rules: &[PolicyRule], resource: &'static str) -> bool {
    rules
        .iter()
        .any(|r| crate::rbac::grants(r, &imp("", resource)).is_some_and(|g| !g.is_narrowed()))
}

/// Unrestricted impersonation of users AND groups is critical (any identity, including
/// `system:masters`); any other impersonation is high, narrowed by `resourceNames` medium.
pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    let m = first_match(rules, IDENTITIES, RULE.severity)?;
    if unrestricted(rules, "users") && unrestricted(rules, "groups") {
        return Some(Matched {
            what: "impersonate on every user and group".to_owned(),
            severity: Some(Severity::Critical),
            ..m
        });
    }
    Some(m)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter<'_>) {
    report_grants(ctx, emit, &matcher);
}
