//! The control plane: CP001-CP019 judge the flags of its static pods in kube-system
//! (kubeadm-style clusters; also manifests of them scanned offline) — a managed control
//! plane has no such pods, and then they say nothing rather than guess; CP020-CP022 judge
//! the versions of the API server and the kubelets; CP001 and CP023 what an anonymous probe
//! of the API server got (`analysis::control_plane` weighs the evidence).
//!
//! ```text
//! Pod kube-system/<component>-<node>  ->  ComponentFacts { flags }  ->  one finding per pod,
//!                                                                       at the flag's argument
//! ```
//! A flag left out is judged by the binary's default, and the message says so: the
//! defaults of kube-apiserver, kube-controller-manager and kube-scheduler are not all
//! secure (`--profiling`, `--anonymous-auth`, `--bind-address`).

use crate::analysis::control_plane::{Evidence, Judged, Verdict, VersionVerdict};
use crate::model::control_plane::{Component, ComponentFacts};
use crate::model::taxonomy::Reference;
use crate::rules::prelude::*;

mod always_admit_admission_plugin;
mod anonymous_auth_enabled;
mod anonymous_requests_reach_api;
mod audit_log_retention_short;
mod audit_logging_not_configured;
mod authorization_mode_always_allow;
mod authorization_mode_without_node_and_rbac;
mod control_plane_listens_on_all_interfaces;
mod controller_manager_shared_credentials;
mod etcd_auto_tls;
mod etcd_client_auth_missing;
mod etcd_connection_insecure;
mod etcd_peer_auth_missing;
mod kubelet_certificate_not_verified;
mod kubelet_version_skew;
mod kubernetes_patch_behind;
mod kubernetes_version_end_of_life;
mod node_restriction_not_enabled;
mod pod_security_admission_disabled;
mod profiling_enabled;
mod service_account_lookup_disabled;
mod static_token_file;
mod weak_tls_configuration;

pub const RULES: &[Rule] = &[
    anonymous_auth_enabled::RULE,
    static_token_file::RULE,
    authorization_mode_always_allow::RULE,
    authorization_mode_without_node_and_rbac::RULE,
    always_admit_admission_plugin::RULE,
    node_restriction_not_enabled::RULE,
    pod_security_admission_disabled::RULE,
    profiling_enabled::RULE,
    audit_logging_not_configured::RULE,
    audit_log_retention_short::RULE,
    kubelet_certificate_not_verified::RULE,
    service_account_lookup_disabled::RULE,
    etcd_connection_insecure::RULE,
    weak_tls_configuration::RULE,
    controller_manager_shared_credentials::RULE,
    control_plane_listens_on_all_interfaces::RULE,
    etcd_client_auth_missing::RULE,
    etcd_auto_tls::RULE,
    etcd_peer_auth_missing::RULE,
    kubernetes_version_end_of_life::RULE,
    kubernetes_patch_behind::RULE,
    kubelet_version_skew::RULE,
    anonymous_requests_reach_api::RULE,
];

/// The static pods of `component`, when the cluster is in scope (the control plane is the
/// cluster's, wherever its pods are).
fn pods<'a>(
    ctx: &Context<'a>,
    component: Component,
) -> impl Iterator<Item = &'a ComponentFacts> + use<'a> {
    let in_scope = ctx.cluster_in_scope();
    ctx.inventory
        .components(component)
        .filter(move |_| in_scope)
}

/// The anonymous-access rules' references.
const ANONYMOUS_CIS: Reference = cis(
    "1.2.1",
    "Ensure that the --anonymous-auth argument is set to false",
);
const ANONYMOUS_NSA: Reference = nsa(
    "Authentication and authorization",
    "Disable anonymous requests to the API server",
);
const ANONYMOUS_MITRE: Reference = mitre("T1078.001", "Valid Accounts: Default Accounts");

/// The anonymous-access verdict when the probe decided it and the cluster is in scope.
fn probed_anonymous<'a>(ctx: &'a Context<'_>) -> Option<&'a Verdict> {
    // Judged only when the cluster is in scope: the verdicts walk every Node.
    if !ctx.cluster_in_scope() {
        return None;
    }
    let verdict = &ctx.control_plane().anonymous;
    (verdict.evidence == Evidence::Probe).then_some(verdict)
}

/// The version rules' reference: keeping up with releases.
const PATCHING: Reference = nsa(
    "Upgrading and application security practices",
    "Apply security patches and upgrades promptly",
);

/// Every judged version — the API server's, then each kubelet's — with the verdict that
/// judged them, when the cluster is in scope.
fn versions<'a>(ctx: &'a Context<'_>) -> Vec<(&'a VersionVerdict, &'a Judged)> {
    if !ctx.cluster_in_scope() {
        return Vec::new();
    }
    let v = &ctx.control_plane().version;
    v.apiserver
        .iter()
        .chain(&v.kubelets)
        .map(|j| (v, j))
        .collect()
}

/// A finding on one flag of a component's pod, pointing at the argument that sets it.
fn on_flag(facts: &ComponentFacts, flag: &str, message: String) -> Draft {
    // A kube-system pod would be capped as the platform's own; this one is the platform's
    // configuration, and the finding is the user's to fix.
    Draft::new(facts.pod.clone(), format!("{} {message}", facts.pod))
        .path(facts.flag_path(flag))
        .system(false)
}

/// How a flag's value reads in a message: its value, or that it is left to the default.
fn shown(facts: &ComponentFacts, flag: &str, default: &str) -> String {
    match facts.flag(flag) {
        Some("") => format!("--{flag}"),
        Some(v) => format!("--{flag}={v}"),
        None => format!("no --{flag} (default {default})"),
    }
}

/// Whether kube-apiserver runs an admission plugin, and the flag that decides it:
/// `--enable-admission-plugins` adds to the defaults, `--disable-admission-plugins` removes
/// from them, and the deprecated `--admission-control` replaces the whole list.
fn admission(api: &ComponentFacts, plugin: &str, on_by_default: bool) -> (bool, &'static str) {
    const LEGACY: &str = "admission-control";
    const ENABLE: &str = "enable-admission-plugins";
    const DISABLE: &str = "disable-admission-plugins";
    if api.flag(LEGACY).is_some() {
        return (api.list_flag(LEGACY).contains(&plugin), LEGACY);
    }
    if api.list_flag(DISABLE).contains(&plugin) {
        return (false, DISABLE);
    }
    (
        on_by_default || api.list_flag(ENABLE).contains(&plugin),
        ENABLE,
    )
}

/// Whether every URL of an etcd `--listen-*-urls` flag (or its default) is on the node's
/// loopback: then nothing beyond the node can connect.
fn loopback_only(facts: &ComponentFacts, flag: &str, default: &str) -> bool {
    let urls = match facts.flag(flag) {
        Some(_) => facts.list_flag(flag),
        None => vec![default],
    };
    urls.iter().all(|u| {
        let host = u.split_once("://").map_or(*u, |(_, rest)| rest);
        host.starts_with("127.") || host.starts_with("localhost") || host.starts_with("[::1]")
    })
}

/// The URLs of an etcd `--listen-*-urls` flag (or its default) that are plain HTTP.
fn plain_urls<'a>(facts: &'a ComponentFacts, flag: &str, default: &'a str) -> Vec<&'a str> {
    let urls = match facts.flag(flag) {
        Some(_) => facts.list_flag(flag),
        None => vec![default],
    };
    urls.into_iter()
        .filter(|u| u.starts_with("http://"))
        .collect()
}
