//! RBAC020 event-delete.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, every_match, report_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC020",
    name: "event-delete",
    title: "Role can delete or rewrite Events",
    category: Category::Rbac,
    severity: Severity::Low,
    rationale: "Events are how the cluster tells its operators what happened: a pod that was \
        killed, an image that was pulled, a volume that failed to mount. Whoever can delete \
        or rewrite them can remove the traces of what they did before anyone reads them. No \
        workload needs to delete Events; the API server expires them on its own.",
    remediation: "Remove `delete`, `deletecollection`, `update` and `patch` on `events` (core \
        and `events.k8s.io`) from roles. Controllers need only `create` (and `patch` to \
        aggregate repeats, which the built-in controller roles hold). Ship Events and the \
        audit log to storage outside the cluster so that deleting them here erases nothing.",
    references: &[
        nsa("Logging", "Audit and event logs kept outside the cluster"),
        mitre("T1070", "Indicator Removal"),
    ],
    cluster_wide: false,
    check,
};

const VERBS: &[&str] = &["delete", "deletecollection", "update", "patch"];

const PERMS: &[Permission<'static>] = &[
    Permission {
        verbs: VERBS,
        group: "",
        resource: "events",
        subresource: None,
    },
    Permission {
        verbs: VERBS,
        group: "events.k8s.io",
        resource: "events",
        subresource: None,
    },
];

pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    every_match(rules, PERMS, RULE.severity)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_grants(ctx, emit, &matcher);
}
