//! CP005 always-admit-admission-plugin.

use super::{admission, on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP005",
    name: "always-admit-admission-plugin",
    title: "kube-apiserver runs the AlwaysAdmit admission plugin",
    category: Category::ControlPlane,
    severity: Severity::High,
    rationale: "AlwaysAdmit admits every request. It is deprecated because it does nothing but \
        signal that admission control was meant to be off, and a cluster set up that way \
        usually lacks the plugins that enforce policy (Pod Security, NodeRestriction, quotas).",
    remediation: "Remove `AlwaysAdmit` from `--enable-admission-plugins` (or \
        `--admission-control`) and keep the default plugins plus NodeRestriction.",
    references: &[
        cis(
            "1.2.10",
            "Ensure that the admission control plugin AlwaysAdmit is not set",
        ),
        nsa(
            "Authentication and authorization",
            "Use admission controllers to enforce policy",
        ),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for api in pods(ctx, Component::ApiServer) {
        let (on, flag) = admission(api, "AlwaysAdmit", false);
        if on {
            emit.push(on_flag(
                api,
                flag,
                format!(
                    "starts kube-apiserver with AlwaysAdmit in --{flag}: every request is admitted"
                ),
            ));
        }
    }
}
