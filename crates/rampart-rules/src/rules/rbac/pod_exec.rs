//! RBAC014 pod-exec.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_match, report_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC014",
    name: "pod-exec",
    title: "Role can exec into, attach to or port-forward pods",
    category: Category::Rbac,
    severity: Severity::Medium,
    rationale: "`pods/exec` and `pods/attach` run commands inside running containers, with the container's ServiceAccount token, mounted Secrets and network position; `pods/portforward` reaches services the pod can reach; `pods/ephemeralcontainers` adds a debugging container to a running pod. exec, attach and port-forward are authorised as `create` on the subresource. Clients that open them over WebSockets send a GET: API servers before 1.35, or with the `AuthorizePodWebsocketUpgradeCreatePermission` feature gate off, authorise that as `get` alone, so a `get`-only grant is still reported, at low.",
    remediation: "Keep interactive access to pods for break-glass roles, scoped to the namespaces they operate, and prefer logs, metrics and debugging in non-production copies. Audit exec and attach.",
    references: &[
        cis("5.1.4", "Minimize access to create pods"),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1609", "Container Administration Command"),
    ],
    cluster_wide: false,
    check,
};

const fn sub(verbs: &'static [&'static str], subresource: &'static str) -> Permission<'static> {
    Permission {
        verbs,
        group: "",
        resource: "pods",
        subresource: Some(subresource),
    }
}

const CREATE: &[Permission<'static>] = &[
    sub(&["create"], "exec"),
    sub(&["create"], "attach"),
    sub(&["create"], "portforward"),
    sub(&["update", "patch"], "ephemeralcontainers"),
];

/// WebSocket upgrades authorised as `get` on servers without the create check.
const GET_ONLY: &[Permission<'static>] = &[
    sub(&["get"], "exec"),
    sub(&["get"], "attach"),
    sub(&["get"], "portforward"),
];

pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    first_match(rules, CREATE, RULE.severity)
        .or_else(|| first_match(rules, GET_ONLY, Severity::Low))
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_grants(ctx, emit, &matcher);
}
