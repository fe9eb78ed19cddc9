//! POD018 capabilities-not-dropped.

use super::pss::{PssRule, at_violation, by_level, fails, report};
use crate::analysis::pod_security::{Control, Violation};
use crate::inventory::Workload;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD018",
    name: "capabilities-not-dropped",
    title: "Container keeps the runtime's default capabilities",
    category: Category::Workload,
    severity: Severity::Medium,
    rationale: "The runtime's default capabilities (DAC_OVERRIDE, CHOWN, SETUID, NET_RAW on \
        some runtimes, ...) let root in the container bypass file permissions, change \
        ownership and switch users, which most applications never need. Pod Security \
        restricted requires every Linux container to drop ALL and allows adding back only \
        NET_BIND_SERVICE. Capabilities beyond the default set are POD004's.",
    remediation: "Set `securityContext.capabilities.drop: [ALL]` on every container and add \
        back only `NET_BIND_SERVICE`, if the container binds a port below 1024.",
    references: &[
        cis(
            "5.2.10",
            "Minimize the admission of containers with capabilities assigned",
        ),
        nsa("Pod security", "Drop unneeded Linux capabilities"),
        mitre("T1611", "Escape to Host"),
    ],
    cluster_wide: false,
    check,
};

fn adds_beyond_default<'a>(ctx: &Context<'a>, w: &Workload<'a>, _: &Violation) -> bool {
    fails(ctx, w, Control::CapabilitiesBaseline)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report(
        ctx,
        emit,
        &PssRule {
            controls: &[Control::CapabilitiesRestricted],
            skip: adds_beyond_default,
            severity: by_level,
            path: at_violation,
        },
    );
}
