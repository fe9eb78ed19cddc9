//! RBAC006 workload-create.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_match, report_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC006",
    name: "workload-create",
    title: "Role can create or change workloads",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "Whoever can create a pod, or a controller that creates pods, can run any image with any ServiceAccount of the namespace, mount its Secrets and, where Pod Security allows it, run privileged containers on the node. Creating workloads is therefore as powerful as the most privileged ServiceAccount and Secret in the namespace. Changing an existing workload (update, patch) is the same power applied to a running application.",
    remediation: "Give workload-creation rights only to deployment automation, scoped to the namespaces it deploys to, and enforce Pod Security `restricted` in those namespaces so that a created pod cannot escape to the node. People should deploy through that automation rather than hold the permission directly.",
    references: &[
        cis("5.1.4", "Minimize access to create pods"),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1610", "Deploy Container"),
    ],
    cluster_wide: false,
    check,
};

const CREATE: &[&str] = &["create"];
const CHANGE: &[&str] = &["update", "patch"];
const KINDS: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "statefulsets"),
    ("apps", "daemonsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

fn perms(verbs: &'static [&'static str]) -> Vec<Permission<'static>> {
    KINDS
        .iter()
        .map(|(group, resource)| Permission {
            verbs,
            group,
            resource,
            subresource: None,
        })
        .collect()
}

/// `create` on any workload kind is high; only `update`/`patch` is medium.
pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    first_match(rules, &perms(CREATE), Severity::High)
        .or_else(|| first_match(rules, &perms(CHANGE), Severity::Medium))
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_grants(ctx, emit, &matcher);
}
