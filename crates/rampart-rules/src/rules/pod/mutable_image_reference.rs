//! POD021 mutable-image-reference.

use super::pss::object_path;
use crate::analysis::pod_security::containers;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD021",
    name: "mutable-image-reference",
    title: "Container image is untagged or tagged latest, without a digest",
    category: Category::Workload,
    severity: Severity::Low,
    rationale: "An image named without a tag means `:latest`, and `latest` moves with every \
        push: two replicas of one Deployment can run different code, a rollback does not roll \
        back, and whoever can push to the repository changes what runs in the cluster the \
        next time a pod starts. A digest (`@sha256:...`) names exactly one image; a version \
        tag at least names a release.",
    remediation: "Reference images by digest (`registry/app@sha256:...`), or at least by a \
        version tag that the registry keeps immutable; never deploy `latest`.",
    references: &[
        cis(
            "5.5.1",
            "Configure Image Provenance using ImagePolicyWebhook admission controller",
        ),
        nsa("Pod security", "Use trusted, immutable container images"),
        mitre("T1525", "Implant Internal Image"),
    ],
    cluster_wide: false,
    check,
};

/// The tag of an image reference without a digest: `None` for no tag. A `:` before the
/// last `/` belongs to the registry's port, not a tag.
fn tag(image: &str) -> Option<&str> {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map(|(_, t)| t)
}

/// Why an image reference is mutable, if it is.
pub fn mutable(image: &str) -> Option<&'static str> {
    if image.contains('@') {
        return None;
    }
    match tag(image) {
        None | Some("") => Some("no tag (latest)"),
        Some("latest") => Some("tag latest"),
        Some(_) => None,
    }
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in ctx.namespaces() {
        for w in ctx.workloads_in(ns).iter() {
            let mut bad = Vec::new();
            let mut first_path = None;
            for c in containers(w.spec) {
                let Some(image) = c.image.as_deref() else {
                    continue;
                };
                if let Some(why) = mutable(image) {
                    bad.push(format!("{} runs {image} ({why})", c.name()));
                    first_path.get_or_insert_with(|| format!("{}.image", c.path()));
                }
            }
            let Some(path) = first_path else { continue };
            emit.push(
                Draft::new(
                    w.object.clone(),
                    format!("{}: {}; pin the image by digest", w.object, bad.join(", ")),
                )
                .path(object_path(w, &path)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_mutable_references_from_pinned_ones() {
        assert_eq!(mutable("nginx"), Some("no tag (latest)"));
        assert_eq!(mutable("registry:5000/team/app"), Some("no tag (latest)"));
        assert_eq!(mutable("nginx:latest"), Some("tag latest"));
        assert_eq!(mutable("registry:5000/team/app:1.4"), None);
        assert_eq!(mutable("nginx@sha256:abc"), None);
        assert_eq!(mutable("nginx:latest@sha256:abc"), None);
    }
}
