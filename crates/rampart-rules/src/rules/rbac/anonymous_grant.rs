//! RBAC015 anonymous-grant.

use crate::inventory::Binding;
use crate::model::identity::RoleKey;
use crate::model::identity::Subject;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{for_each_binding, subject_draft};

pub const RULE: Rule = Rule {
    id: "RBAC015",
    name: "anonymous-grant",
    title: "Permissions granted to anonymous or to every authenticated user",
    category: Category::Rbac,
    severity: Severity::Critical,
    rationale: "`system:anonymous` and `system:unauthenticated` are whoever reaches the API server \
        without credentials; `system:authenticated` is every user and every ServiceAccount token \
        of the cluster. A grant to them is a grant to an attacker on the network, or to any \
        compromised pod. The platform's own discovery bindings (`system:public-info-viewer`, \
        `system:discovery`, `system:basic-user`) only expose version and API discovery and are \
        not findings.",
    remediation: "Bind the role to the groups or ServiceAccounts that need it instead. Where \
        anonymous requests are not needed at all, start kube-apiserver with `--anonymous-auth=false` \
        or restrict anonymous access to health endpoints with the authentication configuration.",
    references: &[
        cis(
            "1.2.1",
            "Ensure that the --anonymous-auth argument is set to false",
        ),
        nsa("Authentication", "Disable anonymous access"),
        mitre("T1078.001", "Valid Accounts: Default Accounts"),
    ],
    cluster_wide: false,
    check,
};

/// Bootstrap ClusterRoles that only describe the API and the caller; granting them to
/// everyone is how Kubernetes serves discovery.
const DISCOVERY_ROLES: &[&str] = &[
    "system:public-info-viewer",
    "system:discovery",
    "system:basic-user",
];

fn is_discovery(ctx: &Context<'_>, b: &Binding<'_>) -> bool {
    matches!(b.role_key(), Some(RoleKey::ClusterRole(n))
        if DISCOVERY_ROLES.contains(&n.as_str())
            && crate::rules::rbac::grants::is_builtin_cluster_role(ctx, &n))
}

fn report(ctx: &Context<'_>, emit: &mut Emitter, b: &Binding<'_>) {
    if is_discovery(ctx, b) {
        return;
    }
    for s in b.subjects() {
        let severity = match &s {
            Subject::User(n) if n == "system:anonymous" => Severity::Critical,
            Subject::Group(n) if n == "system:unauthenticated" => Severity::Critical,
            Subject::Group(n) if n == "system:authenticated" => Severity::High,
            _ => continue,
        };
        let who = if severity == Severity::Critical {
            "anyone who can reach the API server"
        } else {
            "every authenticated user and ServiceAccount"
        };
        let message = format!(
            "{} grants {} {} to {s}, i.e. to {who}",
            b.to_ref(),
            b.role_ref.kind,
            b.role_ref.name
        );
        emit.push(subject_draft(b, &s, message).severity(severity));
    }
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for_each_binding(ctx, |b| report(ctx, emit, b));
}
