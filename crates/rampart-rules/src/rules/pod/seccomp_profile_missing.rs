//! POD017 seccomp-profile-missing.

use super::pss::{PssRule, at_violation, by_level, fails, report};
use crate::analysis::pod_security::{Control, Violation};
use crate::inventory::Workload;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD017",
    name: "seccomp-profile-missing",
    title: "Containers run without a seccomp profile",
    category: Category::Workload,
    severity: Severity::Medium,
    rationale: "Unless the pod or the container sets a seccomp profile, the kubelet runs the \
        container unconfined (the kubelet's `seccompDefault` option changes that per node, \
        but nothing in the pod guarantees it). Pod Security restricted requires \
        RuntimeDefault or Localhost for every Linux container, through the pod's \
        `securityContext` or each container's. An explicit `Unconfined` is POD011's.",
    remediation: "Set `securityContext.seccompProfile.type: RuntimeDefault` at pod level; it \
        covers every container that does not set its own.",
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

fn explicitly_unconfined<'a>(ctx: &Context<'a>, w: &Workload<'a>, _: &Violation) -> bool {
    fails(ctx, w, Control::SeccompBaseline)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report(
        ctx,
        emit,
        &PssRule {
            controls: &[Control::SeccompRestricted],
            skip: explicitly_unconfined,
            severity: by_level,
            path: at_violation,
        },
    );
}
