//! POD003 privileged-container.

use super::pss::{PssRule, at_violation, never, report};
use crate::analysis::pod_security::Control;
use crate::analysis::pod_security::Violation;
use crate::inventory::Workload;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD003",
    name: "privileged-container",
    title: "Container runs privileged",
    category: Category::Workload,
    severity: Severity::Critical,
    rationale: "A privileged container has every capability, sees all of the node's devices and \
        runs without the seccomp, AppArmor and SELinux confinement of ordinary containers. \
        Mounting the node's disk or loading a kernel module from it takes one command, so \
        anyone who gets code execution in it owns the node and every pod on it. Pod Security \
        baseline forbids `securityContext.privileged: true` in containers, init containers and \
        ephemeral containers.",
    remediation: "Remove `privileged: true`. If the workload needs one specific kernel \
        feature, grant the single capability it needs (and accept the baseline finding for it) \
        rather than all of them; node agents that need full access belong in a dedicated \
        `privileged` namespace.",
    references: &[
        cis("5.2.2", "Minimize the admission of privileged containers"),
        nsa("Pod security", "Avoid privileged containers"),
        mitre("T1611", "Escape to Host"),
    ],
    cluster_wide: false,
    check,
};

fn severity(_: &Workload<'_>, _: &Violation) -> Option<Severity> {
    Some(Severity::Critical)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report(
        ctx,
        emit,
        &PssRule {
            controls: &[Control::Privileged],
            skip: never,
            severity,
            path: at_violation,
        },
    );
}
