//! RBAC002 wildcard-verb.

use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_wildcard, report_custom_roles};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC002",
    name: "wildcard-verb",
    title: "Role uses a wildcard verb",
    category: Category::Rbac,
    severity: Severity::Medium,
    rationale: "`*` in verbs grants every verb on the listed resources, including `escalate`, `bind`, `impersonate`, `deletecollection` and verbs that future Kubernetes versions or extension APIs add. What the role allows can no longer be read from the role.",
    remediation: "List the verbs, resources and API groups the subject needs. `kubectl auth can-i --list --as=<subject>` and the API server's audit log show what is used.",
    references: &[
        cis("5.1.3", "Minimize wildcard use in Roles and ClusterRoles"),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1078", "Valid Accounts"),
    ],
    cluster_wide: false,
    check,
};

/// The first PolicyRule with `*` among its verbs.
pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    first_wildcard(rules, |r| r.verbs.as_slice())
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_custom_roles(ctx, emit, &matcher);
}
