//! POD013 restricted-volume-type.

use super::pss::{PssRule, at_violation, by_level, report};
use crate::analysis::pod_security::{Control, Violation, restricted_volume_type};
use crate::inventory::Workload;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD013",
    name: "restricted-volume-type",
    title: "Pod uses a volume type outside the restricted set",
    category: Category::Workload,
    severity: Severity::Medium,
    rationale: "Restricted allows only volume types whose access is mediated by Kubernetes: \
        configMap, secret, projected, downwardAPI, emptyDir, ephemeral, image, csi and \
        persistentVolumeClaim. The in-tree network and block volume types (nfs, iscsi, rbd, \
        cephfs, gitRepo, flexVolume, ...) let a pod author name storage directly, bypassing \
        PersistentVolume access control, and gitRepo runs git on the node. hostPath is reported \
        by POD005.",
    remediation: "Use a PersistentVolumeClaim bound to a PersistentVolume (or a CSI driver) \
        instead of naming the storage in the pod; replace gitRepo with an init container that \
        clones into an emptyDir.",
    references: &[
        nsa("Pod security", "Restrict the volume types pods may use"),
        mitre("T1611", "Escape to Host"),
    ],
    cluster_wide: false,
    check,
};

/// hostPath volumes are POD005's; report only when another type is in use.
fn only_host_paths(_: &Context<'_>, w: &Workload<'_>, _: &Violation) -> bool {
    !w.spec
        .volumes
        .iter()
        .filter_map(restricted_volume_type)
        .any(|t| t != "hostPath")
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report(
        ctx,
        emit,
        &PssRule {
            controls: &[Control::RestrictedVolumes],
            skip: only_host_paths,
            severity: by_level,
            path: at_violation,
        },
    );
}
