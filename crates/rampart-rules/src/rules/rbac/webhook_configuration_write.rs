//! RBAC011 webhook-configuration-write.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_match, report_cluster_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC011",
    name: "webhook-configuration-write",
    title: "Role can change admission webhooks",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "A mutating admission webhook sees, and may rewrite, every object sent to the API server that it registers for: it can inject containers into pods, read Secrets as they are written, or switch a validating policy off. Whoever can create or change webhook configurations controls what the cluster admits.",
    remediation: "Keep write access to `mutatingwebhookconfigurations` and `validatingwebhookconfigurations` with the cluster administrators and the few operators that install their own webhooks, restricted with `resourceNames` to their own configurations.",
    references: &[
        cis("5.1.12", "Minimize access to webhook configuration objects"),
        nsa("RBAC", "Use RBAC to grant least privilege"),
    ],
    cluster_wide: false,
    check,
};

const VERBS: &[&str] = &["create", "update", "patch", "delete"];
const PERMS: &[Permission<'static>] = &[
    Permission {
        verbs: VERBS,
        group: "admissionregistration.k8s.io",
        resource: "mutatingwebhookconfigurations",
        subresource: None,
    },
    Permission {
        verbs: VERBS,
        group: "admissionregistration.k8s.io",
        resource: "validatingwebhookconfigurations",
        subresource: None,
    },
];

pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    first_match(rules, PERMS, RULE.severity)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_cluster_grants(ctx, emit, &matcher);
}
