//! CP006 node-restriction-not-enabled.

use super::{admission, on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP006",
    name: "node-restriction-not-enabled",
    title: "kube-apiserver runs without the NodeRestriction admission plugin",
    category: Category::ControlPlane,
    severity: Severity::Medium,
    rationale: "The Node authorizer lets a kubelet write its own Node and its pods' status; \
        NodeRestriction is what stops it from changing other Nodes, labelling itself into \
        workloads' node selectors (`node-restriction.kubernetes.io/`) or creating mirror pods \
        that reference Secrets. Without it, one compromised node can attract sensitive \
        workloads or tamper with its neighbours. It is not on by default.",
    remediation: "Add `NodeRestriction` to `--enable-admission-plugins` and keep \
        `--authorization-mode` with `Node`.",
    references: &[
        cis(
            "1.2.14",
            "Ensure that the admission control plugin NodeRestriction is set",
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
        let (on, flag) = admission(api, "NodeRestriction", false);
        if !on {
            emit.push(on_flag(
                api,
                flag,
                format!("starts kube-apiserver without NodeRestriction in --{flag}: kubelets can modify other Nodes and their own labels"),
            ));
        }
    }
}
