//! POD023 root-group.

use super::pss::object_path;
use crate::analysis::pod_security::containers;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD023",
    name: "root-group",
    title: "Pod runs with the root group",
    category: Category::Workload,
    severity: Severity::Medium,
    rationale: "A process in group 0 can read and write every file the image and mounted \
        volumes leave to the root group, which many images do by default; with `fsGroup: 0` \
        the kubelet also gives group 0 ownership of the pod's volumes. Running as a non-root \
        user does not help when the group is still root. The Pod Security Standards do not \
        check groups.",
    remediation: "Set `runAsGroup`, `fsGroup` and every `supplementalGroups` entry to a \
        non-zero group (for example the image's application group) in the pod's and the \
        containers' `securityContext`.",
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
    for ns in ctx.namespaces() {
        for w in ctx.workloads_in(ns).iter() {
            let mut found: Vec<(String, String)> = Vec::new();
            if let Some(s) = w.spec.security_context.as_deref() {
                if s.run_as_group == Some(0) {
                    found.push((
                        "runAsGroup: 0".into(),
                        "spec.securityContext.runAsGroup".into(),
                    ));
                }
                if s.fs_group == Some(0) {
                    found.push(("fsGroup: 0".into(), "spec.securityContext.fsGroup".into()));
                }
                if let Some(i) = s.supplemental_groups.iter().flatten().position(|g| *g == 0) {
                    found.push((
                        "supplementalGroups includes 0".into(),
                        format!("spec.securityContext.supplementalGroups[{i}]"),
                    ));
                }
            }
            for c in containers(w.spec) {
                if c.security_context().and_then(|s| s.run_as_group) == Some(0) {
                    found.push((
                        format!("container {:?} runAsGroup: 0", c.name()),
                        format!("{}.securityContext.runAsGroup", c.path()),
                    ));
                }
            }
            let Some((_, path)) = found.first() else {
                continue;
            };
            let what: Vec<&str> = found.iter().map(|(d, _)| d.as_str()).collect();
            emit.push(
                Draft::new(
                    w.object.clone(),
                    format!(
                        "{} runs with the root group ({})",
                        w.object,
                        what.join("; ")
                    ),
                )
                .path(object_path(w, path)),
            );
        }
    }
}
