//! CP021 kubernetes-patch-behind.

use super::{PATCHING, versions};
use crate::model::kubernetes_version::{Releases, Support};
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP021",
    name: "kubernetes-patch-behind",
    title: "The API server or a kubelet misses patch releases of its Kubernetes minor",
    category: Category::ControlPlane,
    severity: Severity::Medium,
    rationale: "Patch releases of a supported minor carry the fixes for security \
        vulnerabilities and serious bugs, and upgrading within a minor is meant to be safe. \
        A component behind the newest patch Rampart knows of runs with fixed vulnerabilities \
        still open. Rampart's table is as recent as its build; the finding names the table's \
        date, and a newer patch may exist.",
    remediation: "Upgrade to the newest patch release of the same minor (the control plane \
        first, then the kubelets).",
    references: &[
        PATCHING,
        mitre("T1190", "Exploit Public-Facing Application"),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    let table = Releases::embedded();
    for (v, j) in versions(ctx) {
        let Support::PatchBehind { newest_patch } = j.support else {
            continue;
        };
        let date = table
            .of(&j.version)
            .map(|r| format!(" of {}", r.newest_patch_date))
            .unwrap_or_default();
        emit.push(
            Draft::new(
                j.object.clone(),
                format!(
                    "{} runs Kubernetes {}: the newest patch of {} Rampart knows is {}.{newest_patch}{date} (release table of {})",
                    v.whose(j),
                    j.version,
                    j.version.minor_name(),
                    j.version.minor_name(),
                    table.generated
                ),
            )
            .system(false),
        );
    }
}
