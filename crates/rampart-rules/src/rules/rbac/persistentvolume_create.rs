//! RBAC012 persistentvolume-create.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_match, report_cluster_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC012",
    name: "persistentvolume-create",
    title: "Role can create PersistentVolumes",
    category: Category::Rbac,
    severity: Severity::Medium,
    rationale: "A PersistentVolume is cluster-scoped and may be a `hostPath` volume: whoever can create one and a claim bound to it can mount any directory of a node into a pod, reading other pods' data or the kubelet's credentials, even where Pod Security forbids hostPath volumes in pods.",
    remediation: "Let users request storage through PersistentVolumeClaims and StorageClasses; keep `create` on `persistentvolumes` with cluster administrators and storage provisioners.",
    references: &[
        cis("5.1.9", "Minimize access to create persistent volumes"),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1611", "Escape to Host"),
    ],
    cluster_wide: false,
    check,
};

const PERMS: &[Permission<'static>] = &[Permission {
    verbs: &["create"],
    group: "",
    resource: "persistentvolumes",
    subresource: None,
}];

pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    first_match(rules, PERMS, RULE.severity)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_cluster_grants(ctx, emit, &matcher);
}
