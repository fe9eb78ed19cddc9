//! CP011 kubelet-certificate-not-verified.

use super::{on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

const FLAG: &str = "kubelet-certificate-authority";

pub const RULE: Rule = Rule {
    id: "CP011",
    name: "kubelet-certificate-not-verified",
    title: "kube-apiserver does not verify kubelets' serving certificates",
    category: Category::ControlPlane,
    severity: Severity::Medium,
    rationale: "For `exec`, `attach`, `logs` and `port-forward` the API server connects to the \
        kubelet. Without `--kubelet-certificate-authority` it does not check who answers, so \
        anyone who can intercept or redirect that connection sees the commands and output of \
        every exec session and the logs, which often carry credentials.",
    remediation: "Have kubelets serve certificates signed by a CA (`serverTLSBootstrap` with \
        approved CSRs, or certificates you issue) and pass that CA with \
        `--kubelet-certificate-authority`.",
    references: &[
        cis(
            "1.2.5",
            "Ensure that the --kubelet-certificate-authority argument is set as appropriate",
        ),
        nsa(
            "Network separation and hardening",
            "Encrypt and authenticate traffic to the control plane",
        ),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for api in pods(ctx, Component::ApiServer) {
        if api.flag(FLAG).is_some_and(|v| !v.is_empty()) {
            continue;
        }
        emit.push(on_flag(
            api,
            FLAG,
            format!(
                "starts kube-apiserver without --{FLAG}: connections to kubelets are not verified"
            ),
        ));
    }
}
