//! CP007 pod-security-admission-disabled.

use super::{admission, on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP007",
    name: "pod-security-admission-disabled",
    title: "kube-apiserver runs without the PodSecurity admission plugin",
    category: Category::ControlPlane,
    severity: Severity::Medium,
    rationale: "PodSecurity is the built-in enforcement of the Pod Security Standards: the \
        `pod-security.kubernetes.io/enforce` labels on namespaces do nothing without it. It is \
        on by default, so a cluster without it turned it off on purpose, and every namespace \
        that looks protected by its labels is not — unless another policy engine enforces \
        the same, which this rule cannot see.",
    remediation: "Remove `PodSecurity` from `--disable-admission-plugins` (or add it back to \
        `--admission-control`), then label namespaces with the level they must enforce.",
    references: &[
        nsa("Pod security", "Use a pod security admission controller"),
        mitre("T1610", "Deploy Container"),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for api in pods(ctx, Component::ApiServer) {
        let (on, flag) = admission(api, "PodSecurity", true);
        if !on {
            emit.push(on_flag(
                api,
                flag,
                format!("starts kube-apiserver without PodSecurity (--{flag}): namespaces' pod-security.kubernetes.io/enforce labels are not enforced"),
            ));
        }
    }
}
