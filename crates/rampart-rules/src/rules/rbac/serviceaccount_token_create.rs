//! RBAC009 serviceaccount-token-create.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_match, report_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC009",
    name: "serviceaccount-token-create",
    title: "Role can mint ServiceAccount tokens",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "`create` on `serviceaccounts/token` issues a token for any ServiceAccount in scope through the TokenRequest API. The holder can then act as the most privileged ServiceAccount in the namespace (or cluster), without running a pod and without leaving a Secret behind.",
    remediation: "Remove `create` on `serviceaccounts/token` from roles that do not issue tokens; where a component needs it, restrict it with `resourceNames` to the ServiceAccounts it serves.",
    references: &[
        cis(
            "5.1.13",
            "Minimize access to the service account token creation",
        ),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1528", "Steal Application Access Token"),
    ],
    cluster_wide: false,
    check,
};

const PERMS: &[Permission<'static>] = &[Permission {
    verbs: &["create"],
    group: "",
    resource: "serviceaccounts",
    subresource: Some("token"),
}];

pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    first_match(rules, PERMS, RULE.severity)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_grants(ctx, emit, &matcher);
}
