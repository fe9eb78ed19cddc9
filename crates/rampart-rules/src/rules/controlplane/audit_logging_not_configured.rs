//! CP009 audit-logging-not-configured.

use super::{on_flag, pods};
use crate::analysis::control_plane::Evidence;
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP009",
    name: "audit-logging-not-configured",
    title: "kube-apiserver records no audit log",
    category: Category::ControlPlane,
    severity: Severity::High,
    rationale: "The audit log is the only record of who did what through the API: which \
        identity read a Secret, created a privileged pod or changed a binding. kube-apiserver \
        records nothing unless it has both an audit policy (`--audit-policy-file`) and a \
        backend to send events to (`--audit-log-path` or `--audit-webhook-config-file`); \
        without them an intrusion leaves no trace to investigate. Decided from the API \
        server's own `/metrics` when Rampart may read them (no audit event produced and no \
        policy loaded), else from the kube-apiserver pod's flags.",
    remediation: "Give kube-apiserver an audit policy that records at least Metadata for \
        Secrets, ConfigMaps, RBAC objects and pods/exec, and a backend: `--audit-log-path` \
        with rotation (`--audit-log-maxage`, `--audit-log-maxbackup`, `--audit-log-maxsize`) \
        or `--audit-webhook-config-file`, shipped off the node.",
    references: &[
        cis("1.2.16", "Ensure that the --audit-log-path argument is set"),
        cis("3.2.1", "Ensure that a minimal audit policy is created"),
        nsa(
            "Audit logging and threat detection",
            "Enable Kubernetes audit logging",
        ),
        mitre("T1562.001", "Impair Defenses: Disable or Modify Tools"),
    ],
    cluster_wide: true,
    check,
};

const POLICY: &str = "audit-policy-file";
const LOG: &str = "audit-log-path";
const WEBHOOK: &str = "audit-webhook-config-file";

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    if !ctx.cluster_in_scope() {
        return;
    }
    // The API server's own counters show whether it records events, which outranks how
    // its pod looks.
    let verdict = &ctx.control_plane().audit;
    if verdict.evidence == Evidence::ApiServerMetrics {
        if let Some(source) = verdict.source.clone().filter(|_| verdict.state == "off") {
            emit.push(Draft::new(source, verdict.detail.clone()).system(false));
        }
        return;
    }
    for api in pods(ctx, Component::ApiServer) {
        let set = |f: &str| api.flag(f).is_some_and(|v| !v.is_empty());
        let (flag, message) = if !set(POLICY) {
            (
                POLICY,
                format!("starts kube-apiserver without --{POLICY}: no audit event is recorded"),
            )
        } else if !set(LOG) && !set(WEBHOOK) {
            (
                LOG,
                format!(
                    "starts kube-apiserver without --{LOG} or --{WEBHOOK}: audit events go nowhere"
                ),
            )
        } else {
            continue;
        };
        emit.push(on_flag(api, flag, message));
    }
}
