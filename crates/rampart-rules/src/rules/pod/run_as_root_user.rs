//! POD016 run-as-root-user.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD016",
    name: "run-as-root-user",
    title: "Pod or container sets runAsUser: 0",
    category: Category::Workload,
    severity: Severity::Medium,
    rationale: "`runAsUser: 0` asks for root explicitly, whatever the image says. Pod Security \
        restricted forbids it at pod and container level (except, since policy 1.35, in pods \
        with their own user namespace, `hostUsers: false`, where UID 0 maps to an \
        unprivileged user on the node).",
    remediation: "Set `runAsUser` to a non-zero UID the image supports (and `runAsNonRoot: \
        true`), or remove it and use an image that runs as a non-root user.",
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
            controls: &[Control::RunAsUser],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
