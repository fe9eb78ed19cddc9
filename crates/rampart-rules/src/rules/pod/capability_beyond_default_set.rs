//! POD004 capability-beyond-default-set.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD004",
    name: "capability-beyond-default-set",
    title: "Container adds Linux capabilities beyond the runtime's default set",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "Container runtimes grant a small default set of capabilities (CHOWN, \
        NET_BIND_SERVICE, SETUID and a few more). Adding others widens what root in the \
        container may do to the node's kernel: SYS_ADMIN allows mounts and namespace \
        operations that break out of containers, SYS_PTRACE reads other processes' memory, \
        NET_ADMIN and NET_RAW rewrite or spoof the node's traffic. Pod Security baseline allows \
        `capabilities.add` only from the default set.",
    remediation: "Remove the capabilities outside the default set from \
        `securityContext.capabilities.add`; better, drop ALL and add back only \
        NET_BIND_SERVICE where a low port is needed, which also satisfies restricted.",
    references: &[
        cis(
            "5.2.9",
            "Minimize the admission of containers with added capabilities",
        ),
        nsa("Pod security", "Drop unneeded Linux capabilities"),
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
            controls: &[Control::CapabilitiesBaseline],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
