//! POD001 windows-hostprocess-container.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD001",
    name: "windows-hostprocess-container",
    title: "Pod runs Windows HostProcess containers",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "A Windows HostProcess container runs directly on the node as a host process, \
        with the node's network, filesystem and the privileges of its user account: it is the \
        Windows counterpart of a privileged container. The Pod Security baseline level forbids \
        `securityContext.windowsOptions.hostProcess: true` at pod and container level.",
    remediation: "Remove `windowsOptions.hostProcess` from the pod and its containers. Node \
        agents that really need host access belong in a dedicated namespace enforcing \
        `privileged`, owned by the platform team, not in application namespaces.",
    references: &[
        cis(
            "5.2.11",
            "Minimize the admission of Windows HostProcess containers",
        ),
        nsa(
            "Pod security",
            "Use containers built to run as non-root, without host access",
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
            controls: &[Control::WindowsHostProcess],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
