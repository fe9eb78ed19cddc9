//! RBAC013 nodes-proxy.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_match, report_cluster_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC013",
    name: "nodes-proxy",
    title: "Role can reach the kubelet API through nodes/proxy",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "`nodes/proxy` forwards requests to the kubelet API of any node. The kubelet API runs commands in any container on the node and reads its logs, bypassing admission and the API server's record of which pod was entered; even `get` reaches the kubelet's exec endpoints over websockets.",
    remediation: "Remove `nodes/proxy` from every role except the monitoring components that need kubelet metrics, and give those `nodes/metrics` or `nodes/stats` instead where possible.",
    references: &[
        cis(
            "5.1.10",
            "Minimize access to the proxy sub-resource of nodes",
        ),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1609", "Container Administration Command"),
    ],
    cluster_wide: false,
    check,
};

const PERMS: &[Permission<'static>] = &[Permission {
    verbs: &["get", "create"],
    group: "",
    resource: "nodes",
    subresource: Some("proxy"),
}];

pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    first_match(rules, PERMS, RULE.severity)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_cluster_grants(ctx, emit, &matcher);
}
