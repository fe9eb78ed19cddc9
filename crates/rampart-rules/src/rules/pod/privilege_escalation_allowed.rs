//! POD014 privilege-escalation-allowed.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD014",
    name: "privilege-escalation-allowed",
    title: "Container does not forbid privilege escalation",
    category: Category::Workload,
    severity: Severity::Medium,
    rationale: "Unless `allowPrivilegeEscalation` is false, a process in the container may gain \
        more privileges than its parent through set-user-ID binaries or file capabilities \
        (the kernel's `no_new_privs` flag stays unset). An attacker who lands as an \
        unprivileged user can then become root in the container. Pod Security restricted \
        requires `allowPrivilegeEscalation: false` on every Linux container.",
    remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container, \
        init container and ephemeral container.",
    references: &[
        cis(
            "5.2.6",
            "Minimize the admission of containers with allowPrivilegeEscalation",
        ),
        nsa("Pod security", "Prevent privilege escalation"),
        mitre(
            "T1548.001",
            "Abuse Elevation Control Mechanism: Setuid and Setgid",
        ),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report(
        ctx,
        emit,
        &PssRule {
            controls: &[Control::AllowPrivilegeEscalation],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
