//! RBAC003 wildcard-resource.

use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_wildcard, report_custom_roles};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC003",
    name: "wildcard-resource",
    title: "Role uses a wildcard resource",
    category: Category::Rbac,
    severity: Severity::Medium,
    rationale: "`*` in resources grants access to every resource of the listed API groups, including Secrets, subresources such as `pods/exec` and `serviceaccounts/token`, and every custom resource installed later.",
    remediation: "List the verbs, resources and API groups the subject needs. `kubectl auth can-i --list --as=<subject>` and the API server's audit log show what is used.",
    references: &[
        cis("5.1.3", "Minimize wildcard use in Roles and ClusterRoles"),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1078", "Valid Accounts"),
    ],
    cluster_wide: false,
    check,
};

/// The first PolicyRule with `*` among its resources.
pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    first_wildcard(rules, |r| r.resources.as_deref().unwrap_or(&[]))
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_custom_roles(ctx, emit, &matcher);
}
