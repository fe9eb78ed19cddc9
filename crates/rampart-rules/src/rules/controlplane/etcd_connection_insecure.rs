//! CP013 etcd-connection-insecure.

use super::{on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP013",
    name: "etcd-connection-insecure",
    title: "kube-apiserver talks to etcd without mutual TLS",
    category: Category::ControlPlane,
    severity: Severity::High,
    rationale: "etcd holds every object of the cluster, Secrets included. The API server must \
        reach it over TLS, verify etcd's certificate (`--etcd-cafile`) and prove itself with a \
        client certificate (`--etcd-certfile`, `--etcd-keyfile`), so that etcd can refuse \
        everyone else. Over plain HTTP, or without a client certificate, etcd has to accept \
        unauthenticated clients, and anyone who reaches its port reads and writes the whole \
        cluster.",
    remediation: "Serve etcd over https with `--client-cert-auth=true`, and give kube-apiserver \
        `https://` URLs in `--etcd-servers` with `--etcd-cafile`, `--etcd-certfile` and \
        `--etcd-keyfile`.",
    references: &[
        cis(
            "1.2.23",
            "Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate",
        ),
        cis(
            "1.2.26",
            "Ensure that the --etcd-cafile argument is set as appropriate",
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

const SERVERS: &str = "etcd-servers";

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for api in pods(ctx, Component::ApiServer) {
        let plain: Vec<&str> = api
            .list_flag(SERVERS)
            .into_iter()
            .filter(|u| u.starts_with("http://"))
            .collect();
        if !plain.is_empty() {
            emit.push(on_flag(
                api,
                SERVERS,
                format!("starts kube-apiserver with --{SERVERS} over plain HTTP ({}): etcd traffic is neither encrypted nor authenticated", plain.join(",")),
            ));
            continue;
        }
        let missing: Vec<&str> = ["etcd-cafile", "etcd-certfile", "etcd-keyfile"]
            .into_iter()
            .filter(|f| api.flag(f).is_none_or(str::is_empty))
            .collect();
        let Some(first) = missing.first() else {
            continue;
        };
        emit.push(on_flag(
            api,
            first,
            format!(
                "starts kube-apiserver without --{}: its connection to etcd is not mutually authenticated",
                missing.join(", --")
            ),
        ));
    }
}
