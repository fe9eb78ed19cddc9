//! RBAC015 anonymous-grant.

use crate::inventory::Binding;
use crate::model::identity::RoleKey;
use crate::model::identity::Subject;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{for_each_binding, subject_draft};

pub const RULE: Rule = Rule {
    id: "RBAC015",
    name: "anonymous-grant",
    title: "Permissions granted to anonymous, to every authenticated user or to every ServiceAccount",
    category: Category::Rbac,
    severity: Severity::Critical,
    rationale: "`system:anonymous` and `system:unauthenticated` are whoever reaches the API server \
        without credentials; `system:authenticated` is every user and every ServiceAccount token \
        of the cluster; `system:serviceaccounts` is every ServiceAccount of the cluster, and \
        `system:serviceaccounts:<namespace>` every ServiceAccount of one namespace. A grant to \
        them is a grant to an attacker on the network, or to any compromised pod (every pod \
        that mounts a token authenticates with these groups). The platform's own discovery \
        bindings (`system:public-info-viewer`, `system:discovery`, `system:basic-user`, \
        `system:service-account-issuer-discovery`, `system:cluster-trust-bundle-discovery`) \
        only expose version, API discovery, the token issuer's public keys and public CA \
        bundles, and are not findings.",
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

/// Bootstrap ClusterRoles that only describe the API, the caller and public keys; granting
/// them to everyone (or every ServiceAccount) is how Kubernetes serves discovery.
const DISCOVERY_ROLES: &[&str] = &[
    "system:public-info-viewer",
    "system:discovery",
    "system:basic-user",
    "system:service-account-issuer-discovery",
    "system:cluster-trust-bundle-discovery",
];

const SA_GROUP: &str = "system:serviceaccounts";

/// How severe a grant to `s` is, and who it reaches; `None` for a subject that is one
/// identity or a group of the user's own.
fn reach(s: &Subject) -> Option<(Severity, String)> {
    let everyone = "anyone who can reach the API server";
    match s {
        Subject::User(n) if n == "system:anonymous" => Some((Severity::Critical, everyone.into())),
        Subject::Group(n) if n == "system:unauthenticated" => {
            Some((Severity::Critical, everyone.into()))
        }
        Subject::Group(n) if n == "system:authenticated" => Some((
            Severity::High,
            "every authenticated user and ServiceAccount".into(),
        )),
        Subject::Group(n) if n == SA_GROUP => Some((
            Severity::High,
            "every ServiceAccount of the cluster, so to any pod that mounts a token".into(),
        )),
        // One namespace's ServiceAccounts: any pod of that namespace, which is narrower
        // than the whole cluster but still not one workload.
        Subject::Group(n) => n
            .strip_prefix(SA_GROUP)
            .and_then(|rest| rest.strip_prefix(':'))
            .filter(|ns| !ns.is_empty())
            .map(|ns| {
                (
                    Severity::Medium,
                    format!("every ServiceAccount of namespace {ns}, so to any pod there that mounts a token"),
                )
            }),
        _ => None,
    }
}

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
        let Some((severity, who)) = reach(&s) else {
            continue;
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
