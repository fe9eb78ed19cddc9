//! POD002 host-namespace-shared.

use super::pss::{PssRule, at_violation, never, report};
use crate::analysis::pod_security::{Control, Violation};
use crate::inventory::Workload;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD002",
    name: "host-namespace-shared",
    title: "Pod shares the node's network, PID or IPC namespace",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "`hostNetwork` puts the pod on the node's network stack: it can bind node ports, \
        sniff traffic and reach services that listen only on localhost, such as the kubelet's \
        read-only port or cloud metadata endpoints. `hostPID` lets it see, signal and (with \
        ptrace or root) enter every process on the node, including other pods' containers, so \
        it is rated critical. `hostIPC` exposes the node's shared memory. Pod Security baseline \
        forbids all three.",
    remediation: "Remove `hostNetwork`, `hostPID` and `hostIPC` from the pod spec. Expose \
        services through a Service instead of the host network, and run node-level agents in a \
        dedicated namespace that enforces `privileged`.",
    references: &[
        cis(
            "5.2.3",
            "Minimize the admission of containers wishing to share the host process ID namespace",
        ),
        cis(
            "5.2.4",
            "Minimize the admission of containers wishing to share the host IPC namespace",
        ),
        cis(
            "5.2.5",
            "Minimize the admission of containers wishing to share the host network namespace",
        ),
        nsa("Pod security", "Restrict access to host namespaces"),
        mitre("T1611", "Escape to Host"),
    ],
    cluster_wide: false,
    check,
};

/// Sharing the node's PID namespace is a direct path into every process on it.
fn severity(w: &Workload<'_>, _: &Violation) -> Option<Severity> {
    (w.spec.host_pid == Some(true)).then_some(Severity::Critical)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report(
        ctx,
        emit,
        &PssRule {
            controls: &[Control::HostNamespaces],
            skip: never,
            severity,
            path: at_violation,
        },
    );
}
