//! CP017 etcd-client-auth-missing.

use super::{on_flag, plain_urls, pods, shown};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

const LISTEN: &str = "listen-client-urls";
const AUTH: &str = "client-cert-auth";

pub const RULE: Rule = Rule {
    id: "CP017",
    name: "etcd-client-auth-missing",
    title: "etcd serves clients without TLS client authentication",
    category: Category::ControlPlane,
    severity: Severity::High,
    rationale: "etcd is the cluster's database: every Secret, token and RBAC object, readable \
        and writable by any client it accepts, beyond any Kubernetes authorization. Unless it \
        serves clients over TLS with `--client-cert-auth=true` (off by default), anyone who \
        reaches its client port — a pod on the host network, a neighbour on the control \
        plane's network — owns the cluster.",
    remediation: "Serve clients on `https://` URLs with `--cert-file`, `--key-file`, \
        `--trusted-ca-file` and `--client-cert-auth=true`, and give kube-apiserver a client \
        certificate from that CA.",
    references: &[
        cis(
            "2.1",
            "Ensure that the --cert-file and --key-file arguments are set as appropriate",
        ),
        cis(
            "2.2",
            "Ensure that the --client-cert-auth argument is set to true",
        ),
        nsa(
            "Control plane hardening",
            "Secure etcd with TLS and restrict access to it",
        ),
        mitre("T1552.007", "Unsecured Credentials: Container API"),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for etcd in pods(ctx, Component::Etcd) {
        let plain = plain_urls(etcd, LISTEN, "http://localhost:2379");
        let (flag, message) = if !plain.is_empty() {
            (
                LISTEN,
                format!(
                    "starts etcd serving clients over plain HTTP ({}): anyone who reaches the port reads and writes the cluster's data",
                    plain.join(",")
                ),
            )
        } else if etcd.bool_flag(AUTH, false) == Some(false) {
            (
                AUTH,
                format!(
                    "starts etcd with {}: clients without a certificate are served",
                    shown(etcd, AUTH, "false")
                ),
            )
        } else {
            continue;
        };
        emit.push(on_flag(etcd, flag, message));
    }
}
