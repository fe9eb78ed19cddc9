//! RBAC004 wildcard-api-group.

use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_wildcard, report_custom_roles};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC004",
    name: "wildcard-api-group",
    title: "Role uses a wildcard API group",
    category: Category::Rbac,
    severity: Severity::Low,
    rationale: "`*` in apiGroups extends a rule to every API group, present and future: a rule meant for one group's `deployments` also covers any group that later serves a resource of that name.",
    remediation: "List the verbs, resources and API groups the subject needs. `kubectl auth can-i --list --as=<subject>` and the API server's audit log show what is used.",
    references: &[
        cis("5.1.3", "Minimize wildcard use in Roles and ClusterRoles"),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1078", "Valid Accounts"),
    ],
    cluster_wide: false,
    check,
};

/// The first PolicyRule with `*` among its API groups.
pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    first_wildcard(rules, |r| r.api_groups.as_deref().unwrap_or(&[]))
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_custom_roles(ctx, emit, &matcher);
}
