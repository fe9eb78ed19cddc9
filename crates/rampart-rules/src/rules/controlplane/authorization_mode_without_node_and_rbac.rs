//! CP004 authorization-mode-without-node-and-rbac.

use super::{on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

const FLAG: &str = "authorization-mode";

pub const RULE: Rule = Rule {
    id: "CP004",
    name: "authorization-mode-without-node-and-rbac",
    title: "kube-apiserver authorizes without the Node or the RBAC authorizer",
    category: Category::ControlPlane,
    severity: Severity::Medium,
    rationale: "The Node authorizer limits each kubelet to the objects of pods bound to its own \
        node; without it, kubelets need broad rights and one compromised node reads every \
        Secret of the cluster. Without RBAC, Roles and bindings have no effect and access is \
        decided elsewhere (ABAC files, webhooks) where this tool and most auditors cannot see \
        it.",
    remediation: "Include both `Node` and `RBAC` in `--authorization-mode` (Node first), or both \
        authorizers in the AuthorizationConfiguration.",
    references: &[
        cis(
            "1.2.7",
            "Ensure that the --authorization-mode argument includes Node",
        ),
        cis(
            "1.2.8",
            "Ensure that the --authorization-mode argument includes RBAC",
        ),
        nsa(
            "Authentication and authorization",
            "Enable RBAC authorization on the API server",
        ),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for api in pods(ctx, Component::ApiServer) {
        let modes = api.list_flag(FLAG);
        // No list (the AlwaysAllow default, or a configuration file) and AlwaysAllow are
        // CP003's, or not the flags' to judge.
        if modes.is_empty() || modes.contains(&"AlwaysAllow") {
            continue;
        }
        let missing: Vec<&str> = ["Node", "RBAC"]
            .into_iter()
            .filter(|m| !modes.contains(m))
            .collect();
        if missing.is_empty() {
            continue;
        }
        emit.push(on_flag(
            api,
            FLAG,
            format!(
                "starts kube-apiserver with --{FLAG}={}, without {}",
                modes.join(","),
                missing.join(" and ")
            ),
        ));
    }
}
