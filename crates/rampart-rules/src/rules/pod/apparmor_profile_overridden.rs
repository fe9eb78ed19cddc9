//! POD008 apparmor-profile-overridden.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD008",
    name: "apparmor-profile-overridden",
    title: "Pod switches off AppArmor confinement",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "On nodes with AppArmor the runtime's default profile blocks writes to /proc and \
        /sys, mounts and other escape routes. Setting the profile to `Unconfined` (or any type \
        other than RuntimeDefault or Localhost), through `securityContext.appArmorProfile` or \
        the older `container.apparmor.security.beta.kubernetes.io/*` annotations, removes that \
        layer. Pod Security baseline allows only the default or a node-local profile.",
    remediation: "Remove the override, or set `appArmorProfile.type: RuntimeDefault` (or \
        `Localhost` with a profile written for the workload). Move annotations to the \
        `appArmorProfile` field, which replaced them in Kubernetes 1.30.",
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
            controls: &[Control::AppArmorProfile],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
