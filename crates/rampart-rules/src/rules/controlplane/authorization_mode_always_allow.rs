//! CP003 authorization-mode-always-allow.

use super::{on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

const FLAG: &str = "authorization-mode";

pub const RULE: Rule = Rule {
    id: "CP003",
    name: "authorization-mode-always-allow",
    title: "kube-apiserver authorizes every request",
    category: Category::ControlPlane,
    severity: Severity::Critical,
    rationale: "The `AlwaysAllow` authorizer lets any authenticated request do anything, and it \
        is kube-apiserver's default when neither `--authorization-mode` nor \
        `--authorization-config` is given. Authorizers are consulted in order and the first \
        decision wins, so `AlwaysAllow` anywhere in the list allows whatever the authorizers \
        before it did not deny — RBAC cannot deny. With anonymous authentication on, that \
        includes requests without credentials.",
    remediation: "Start kube-apiserver with `--authorization-mode=Node,RBAC` (or an \
        AuthorizationConfiguration with the Node and RBAC authorizers and no AlwaysAllow).",
    references: &[
        cis(
            "1.2.6",
            "Ensure that the --authorization-mode argument is not set to AlwaysAllow",
        ),
        nsa(
            "Authentication and authorization",
            "Enable RBAC authorization on the API server",
        ),
        mitre("T1078", "Valid Accounts"),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for api in pods(ctx, Component::ApiServer) {
        let modes = api.list_flag(FLAG);
        let message = if modes.contains(&"AlwaysAllow") {
            format!(
                "starts kube-apiserver with --{FLAG}={}: AlwaysAllow allows every request the authorizers before it do not deny",
                modes.join(",")
            )
        } else if modes.is_empty() && api.flag("authorization-config").is_none() {
            format!(
                "starts kube-apiserver with no --{FLAG} and no --authorization-config: the default, AlwaysAllow, allows every request"
            )
        } else {
            continue;
        };
        emit.push(on_flag(api, FLAG, message));
    }
}
