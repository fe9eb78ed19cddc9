//! CP015 controller-manager-shared-credentials.

use super::{on_flag, pods, shown};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

const FLAG: &str = "use-service-account-credentials";

pub const RULE: Rule = Rule {
    id: "CP015",
    name: "controller-manager-shared-credentials",
    title: "kube-controller-manager runs every controller under one identity",
    category: Category::ControlPlane,
    severity: Severity::Medium,
    rationale: "Without `--use-service-account-credentials` (off by default) every controller \
        acts with the controller manager's own, very broad credentials. With it, each \
        controller uses its own ServiceAccount in kube-system and the bootstrap \
        `system:controller:*` roles grant each only what it needs, so a flaw in one controller \
        does not hand out the rights of all, and the audit log tells them apart.",
    remediation: "Start kube-controller-manager with `--use-service-account-credentials=true` \
        (kubeadm does).",
    references: &[
        cis(
            "1.3.3",
            "Ensure that the --use-service-account-credentials argument is set to true",
        ),
        nsa("RBAC", "Use RBAC to grant least privilege"),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for cm in pods(ctx, Component::ControllerManager) {
        if cm.bool_flag(FLAG, false) != Some(false) {
            continue;
        }
        emit.push(on_flag(
            cm,
            FLAG,
            format!(
                "starts kube-controller-manager with {}: every controller acts with its credentials",
                shown(cm, FLAG, "false")
            ),
        ));
    }
}
