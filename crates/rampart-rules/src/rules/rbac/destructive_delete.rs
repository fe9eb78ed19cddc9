//! RBAC019 destructive-delete.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, every_match, report_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC019",
    name: "destructive-delete",
    title: "Role can delete Secrets, workloads or Namespaces",
    category: Category::Rbac,
    severity: Severity::Medium,
    rationale: "Deleting a Namespace removes everything in it at once; deleting workloads stops \
        a service, and deleting Secrets breaks every workload that mounts them (or, for a \
        TLS or token Secret, lets an attacker re-create it with values of their own). \
        `deletecollection` does it to every object of the kind in one request. A stolen \
        token with these verbs is enough to take a service, or the cluster's tenants, down.",
    remediation: "Keep `delete` and `deletecollection` on `namespaces`, `secrets` and the \
        workload kinds with the people and the deployment tooling that manage them. Give \
        others the built-in `view` role, or a role with only the verbs they use; narrow with \
        `resourceNames` where a tool deletes a known object.",
    references: &[
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1485", "Data Destruction"),
        mitre("T1499", "Endpoint Denial of Service"),
    ],
    cluster_wide: false,
    check,
};

const VERBS: &[&str] = &["delete", "deletecollection"];

const fn perm(group: &'static str, resource: &'static str) -> Permission<'static> {
    Permission {
        verbs: VERBS,
        group,
        resource,
        subresource: None,
    }
}

const PERMS: &[Permission<'static>] = &[
    perm("", "namespaces"),
    perm("", "secrets"),
    perm("", "pods"),
    perm("", "replicationcontrollers"),
    perm("apps", "deployments"),
    perm("apps", "statefulsets"),
    perm("apps", "daemonsets"),
    perm("apps", "replicasets"),
    perm("batch", "jobs"),
    perm("batch", "cronjobs"),
];

pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    every_match(rules, PERMS, RULE.severity)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_grants(ctx, emit, &matcher);
}
