//! CP019 etcd-peer-auth-missing.

use super::{loopback_only, on_flag, plain_urls, pods, shown};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

const LISTEN: &str = "listen-peer-urls";
const DEFAULT_LISTEN: &str = "http://localhost:2380";
const AUTH: &str = "peer-client-cert-auth";

pub const RULE: Rule = Rule {
    id: "CP019",
    name: "etcd-peer-auth-missing",
    title: "etcd accepts cluster peers without TLS client authentication",
    category: Category::ControlPlane,
    severity: Severity::High,
    rationale: "etcd members replicate every write to each other. A peer port reachable from \
        the network without TLS and `--peer-client-cert-auth=true` (off by default) lets \
        anyone join or impersonate a member and read or rewrite the cluster's data. A member \
        whose peer port listens on loopback only has no peers to protect from, and is not \
        reported.",
    remediation: "Serve peers on `https://` URLs with `--peer-cert-file`, `--peer-key-file`, \
        `--peer-trusted-ca-file` and `--peer-client-cert-auth=true`.",
    references: &[
        cis(
            "2.4",
            "Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate",
        ),
        cis(
            "2.5",
            "Ensure that the --peer-client-cert-auth argument is set to true",
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
        if loopback_only(etcd, LISTEN, DEFAULT_LISTEN) {
            continue;
        }
        let plain = plain_urls(etcd, LISTEN, DEFAULT_LISTEN);
        let (flag, message) = if !plain.is_empty() {
            (
                LISTEN,
                format!(
                    "starts etcd serving peers over plain HTTP ({}): anyone who reaches the port can join the cluster",
                    plain.join(",")
                ),
            )
        } else if etcd.bool_flag(AUTH, false) == Some(false) {
            (
                AUTH,
                format!(
                    "starts etcd with {}: peers without a certificate are accepted",
                    shown(etcd, AUTH, "false")
                ),
            )
        } else {
            continue;
        };
        emit.push(on_flag(etcd, flag, message));
    }
}
