//! CP018 etcd-auto-tls.

use super::{on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP018",
    name: "etcd-auto-tls",
    title: "etcd uses self-signed certificates it generates itself",
    category: Category::ControlPlane,
    severity: Severity::Medium,
    rationale: "With `--auto-tls` or `--peer-auto-tls` etcd makes itself a self-signed \
        certificate that no client or peer can verify: the connection is encrypted, but anyone \
        in the middle can impersonate etcd or a peer and read or change the cluster's data in \
        transit.",
    remediation: "Remove `--auto-tls` and `--peer-auto-tls`; issue etcd's serving and peer \
        certificates from a dedicated CA and pass them with `--cert-file`/`--key-file` and \
        `--peer-cert-file`/`--peer-key-file`.",
    references: &[
        cis(
            "2.3",
            "Ensure that the --auto-tls argument is not set to true",
        ),
        cis(
            "2.6",
            "Ensure that the --peer-auto-tls argument is not set to true",
        ),
        nsa(
            "Control plane hardening",
            "Secure etcd with TLS and restrict access to it",
        ),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for etcd in pods(ctx, Component::Etcd) {
        for (flag, who) in [("auto-tls", "clients"), ("peer-auto-tls", "peers")] {
            if etcd.bool_flag(flag, false) != Some(true) {
                continue;
            }
            emit.push(
                on_flag(
                    etcd,
                    flag,
                    format!(
                        "starts etcd with --{flag}: {who} cannot verify its self-signed certificate"
                    ),
                )
                .discriminator(flag),
            );
        }
    }
}
