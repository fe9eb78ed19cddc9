//! POD015 run-as-non-root-not-required.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD015",
    name: "run-as-non-root-not-required",
    title: "Containers may run as root",
    category: Category::Workload,
    severity: Severity::Medium,
    rationale: "Without `runAsNonRoot: true` the kubelet starts a container as whatever user \
        its image names, which is root for most images. Root in a container is root on the \
        node's kernel, one kernel or runtime bug away from the node. Pod Security restricted \
        requires `runAsNonRoot: true` for every container, set on the pod (inherited) or on \
        each container, and forbids `false` anywhere; since policy 1.35 pods in their own user \
        namespace (`hostUsers: false`) are exempt.",
    remediation: "Set `securityContext.runAsNonRoot: true` at pod level (with a non-zero \
        `runAsUser`, or an image that names a numeric non-root user), and remove \
        container-level `runAsNonRoot: false`.",
    references: &[
        cis("5.2.7", "Minimize the admission of root containers"),
        nsa(
            "Pod security",
            "Use containers built to run as non-root users",
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
            controls: &[Control::RunAsNonRoot],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
