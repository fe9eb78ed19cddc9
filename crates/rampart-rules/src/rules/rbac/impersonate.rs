//! RBAC008 impersonate.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_match, report_cluster_grants, report_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC008",
    name: "impersonate",
    title: "Role can impersonate users, groups or ServiceAccounts",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "Impersonation lets a subject send requests as another user, group or ServiceAccount, with all of that identity's permissions. Users, groups and UIDs are impersonated in the core group (extra user information as `userextras/<key>` in authentication.k8s.io), and only a ClusterRoleBinding can grant that; ServiceAccounts can be impersonated per namespace. Impersonating `system:masters` or any ServiceAccount bound to cluster-admin is full control of the cluster. Unrestricted impersonation of users and groups is critical; impersonation limited by `resourceNames` is as dangerous as the named identities.",
    remediation: "Grant `impersonate` only to the proxies and tools that need it (for example an authenticating gateway), restrict it with `resourceNames` to the identities they act for, and audit its use.",
    references: &[
        cis(
            "5.1.8",
            "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
        ),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1078", "Valid Accounts"),
    ],
    cluster_wide: false,
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

/// Identities without a namespace: only a ClusterRoleBinding can grant impersonating them.
const CLUSTER_IDENTITIES: &[Permission<'static>] = &[
    imp("", "users"),
    imp("", "groups"),
    imp("authentication.k8s.io", "uids"),
];

const SERVICE_ACCOUNTS: &[Permission<'static>] = &[imp("", "serviceaccounts")];

fn unrestricted(rules: &[PolicyRule], resource: &'static str) -> bool {
    rules.iter().any(|r| {
        crate::analysis::rbac::matching::grants(r, &imp("", resource))
            .is_some_and(|g| !g.is_narrowed())
    })
}

/// Extra user information is impersonated as `userextras/<key>` in authentication.k8s.io;
/// the key is free-form, so any `userextras/...` entry (or `*`) counts.
fn user_extras(rules: &[PolicyRule]) -> Option<Matched> {
    let (i, resource) = rules.iter().enumerate().find_map(|(i, r)| {
        let impersonates = crate::analysis::rbac::matching::verb_matches(r, "impersonate")
            && crate::analysis::rbac::matching::group_matches(r, "authentication.k8s.io");
        let resource = r
            .resources
            .iter()
            .flatten()
            .find(|x| *x == "*" || x.starts_with("userextras/"))?;
        impersonates.then_some((i, resource))
    })?;
    // Name the entry as the role writes it: `userextras/scopes` is one key, `*` every one.
    Some(Matched {
        what: format!("impersonate on {resource} (authentication.k8s.io)"),
        rule_index: i,
        severity: Some(Severity::Medium),
    })
}

/// Unrestricted impersonation of users AND groups is critical (any identity, including
/// `system:masters`); other identities are high, narrowed by `resourceNames` medium.
fn cluster_matcher(rules: &[PolicyRule]) -> Option<Matched> {
    let Some(m) = first_match(rules, CLUSTER_IDENTITIES, RULE.severity) else {
        return user_extras(rules);
    };
    if unrestricted(rules, "users") && unrestricted(rules, "groups") {
        return Some(Matched {
            what: "impersonate on every user and group".to_owned(),
            severity: Some(Severity::Critical),
            ..m
        });
    }
    Some(m)
}

fn service_account_matcher(rules: &[PolicyRule]) -> Option<Matched> {
    first_match(rules, SERVICE_ACCOUNTS, RULE.severity)
}

/// Any impersonation, for rules that ask whether a role can impersonate at all.
pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    cluster_matcher(rules).or_else(|| service_account_matcher(rules))
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_cluster_grants(ctx, emit, &cluster_matcher);
    report_grants(ctx, emit, &service_account_matcher);
}
