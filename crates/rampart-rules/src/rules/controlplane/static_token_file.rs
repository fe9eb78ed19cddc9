//! CP002 static-token-file.

use super::{on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

const FLAG: &str = "token-auth-file";

pub const RULE: Rule = Rule {
    id: "CP002",
    name: "static-token-file",
    title: "kube-apiserver accepts static bearer tokens from a file",
    category: Category::ControlPlane,
    severity: Severity::High,
    rationale: "Tokens in a `--token-auth-file` never expire, sit in plaintext on the control \
        plane's disk, and can only be revoked by editing the file and restarting every API \
        server. A leaked one is a permanent identity, often with broad rights.",
    remediation: "Remove `--token-auth-file` and authenticate people through OIDC or client \
        certificates and workloads through ServiceAccount tokens, which expire and can be \
        revoked.",
    references: &[
        cis(
            "1.2.2",
            "Ensure that the --token-auth-file parameter is not set",
        ),
        nsa(
            "Authentication and authorization",
            "Use strong authentication methods for the API server",
        ),
        mitre("T1078", "Valid Accounts"),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for api in pods(ctx, Component::ApiServer) {
        let Some(file) = api.flag(FLAG).filter(|f| !f.is_empty()) else {
            continue;
        };
        emit.push(on_flag(
            api,
            FLAG,
            format!("starts kube-apiserver with --{FLAG}={file}: static tokens never expire"),
        ));
    }
}
