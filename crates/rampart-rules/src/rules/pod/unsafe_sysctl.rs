//! POD012 unsafe-sysctl.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD012",
    name: "unsafe-sysctl",
    title: "Pod sets sysctls outside the safe set",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "Only a few sysctls are namespaced to the pod and harmless to other tenants \
        (`kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`, the TCP keepalive and \
        buffer settings, ...). Others change the node's kernel for every pod on it or can \
        starve it of resources. Pod Security baseline allows only the safe set of the policy \
        version (1.37 added `net.ipv4.tcp_slow_start_after_idle` and \
        `net.ipv4.tcp_notsent_lowat`).",
    remediation: "Remove the sysctls outside the safe set from \
        `securityContext.sysctls`. Node-wide tuning belongs in the node's configuration, not \
        in a pod.",
    references: &[
        cis("5.7.3", "Apply SecurityContext to your Pods and Containers"),
        nsa(
            "Pod security",
            "Restrict access to the host's kernel interfaces",
        ),
        mitre("T1611", "Escape to Host"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report(
        ctx,
        emit,
        &PssRule {
            controls: &[Control::Sysctls],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
