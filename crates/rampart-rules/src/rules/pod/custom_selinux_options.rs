//! POD009 custom-selinux-options.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD009",
    name: "custom-selinux-options",
    title: "Pod sets an SELinux type, user or role outside the container policy",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "On SELinux nodes, containers run as `container_t` and the policy keeps them \
        away from the node's files and processes. A type such as `spc_t` (super-privileged \
        container) or `unconfined_t`, or a custom SELinux user or role, lifts that \
        confinement. Pod Security baseline allows only the container types (`container_t`, \
        `container_init_t`, `container_kvm_t`, `container_engine_t`) and no user or role.",
    remediation: "Remove `seLinuxOptions.type`, `user` and `role`, or set the type to one of \
        the container types. Setting `level` (the MCS categories) stays allowed.",
    references: &[
        cis("5.7.3", "Apply SecurityContext to your Pods and Containers"),
        nsa(
            "Pod security",
            "Use AppArmor or SELinux to confine containers",
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
            controls: &[Control::SeLinuxOptions],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
