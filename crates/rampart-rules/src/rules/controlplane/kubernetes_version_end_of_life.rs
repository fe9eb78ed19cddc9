//! CP020 kubernetes-version-end-of-life.

use super::{PATCHING, versions};
use crate::model::kubernetes_version::{Releases, Support};
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP020",
    name: "kubernetes-version-end-of-life",
    title: "The API server or a kubelet runs a Kubernetes release past its end of life",
    category: Category::ControlPlane,
    severity: Severity::High,
    rationale: "Each Kubernetes minor release gets about 14 months of patches. After its end \
        of life, vulnerabilities found in it are fixed only in newer releases, and their \
        announcements tell attackers exactly what the old release still lets them do. The \
        version comes from the API server's /version (or --kubernetes-version), else the \
        kube-apiserver pod's image tag, and from each Node's kubelet; the end-of-life dates \
        come from a table built into Rampart, whose date the finding names.",
    remediation: "Upgrade the control plane, then the nodes, to a supported minor release, one \
        minor at a time. Keep Rampart current so that its release table is, too.",
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
        if j.support != Support::EndOfLife {
            continue;
        }
        let Some(r) = table.of(&j.version) else {
            continue;
        };
        let newest = table
            .newest()
            .map(|n| format!("; the newest release Rampart knows is 1.{}", n.minor))
            .unwrap_or_default();
        emit.push(
            Draft::new(
                j.object.clone(),
                format!(
                    "{} runs Kubernetes {}: release {} reached end of life on {}{} (release table of {})",
                    v.whose(j),
                    j.version,
                    j.version.minor_name(),
                    r.end_of_life,
                    newest,
                    table.generated
                ),
            )
            .system(false),
        );
    }
}
