//! POD010 unmasked-proc-mount.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD010",
    name: "unmasked-proc-mount",
    title: "Container mounts /proc unmasked",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "The runtime masks and makes read-only parts of /proc (kcore, sysrq-trigger, \
        timer lists and more) that leak kernel state or let root in the container act on the \
        node. `procMount: Unmasked` exposes them. Pod Security baseline forbids it, except \
        since policy 1.35 for pods in their own user namespace (`hostUsers: false`), where \
        container root is not node root; restricted forbids it for those too (reported as \
        medium).",
    remediation: "Remove `securityContext.procMount` or set it to `Default`. Nested container \
        builds that need an unmasked /proc should run in a user namespace \
        (`hostUsers: false`) in a namespace enforcing baseline.",
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
            controls: &[Control::ProcMount, Control::ProcMountRestricted],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
