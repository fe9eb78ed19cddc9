//! POD011 unconfined-seccomp-profile.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD011",
    name: "unconfined-seccomp-profile",
    title: "Pod or container explicitly runs without seccomp",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "Seccomp filters the system calls a container may make; the runtime's default \
        profile blocks dozens that containers never need and kernel exploits often use \
        (keyctl, unshare, bpf, ...). `seccompProfile.type: Unconfined` switches the filter \
        off. Pod Security baseline allows only RuntimeDefault and Localhost where a profile is \
        set.",
    remediation: "Set `seccompProfile.type: RuntimeDefault` at pod level and remove container \
        overrides to `Unconfined`; write a Localhost profile for a workload that needs a \
        blocked call.",
    references: &[
        cis(
            "5.7.2",
            "Ensure that the seccomp profile is set to docker/default in your pod definitions",
        ),
        nsa("Pod security", "Use seccomp to restrict system calls"),
        mitre("T1068", "Exploitation for Privilege Escalation"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report(
        ctx,
        emit,
        &PssRule {
            controls: &[Control::SeccompBaseline],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
