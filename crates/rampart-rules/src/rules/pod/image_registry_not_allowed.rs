//! POD027 image-registry-not-allowed.

use crate::model::image;
use crate::rules::pod::per_container::{Offence, report_per_container};
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD027",
    name: "image-registry-not-allowed",
    title: "Container image comes from a registry outside the allowed list",
    category: Category::Workload,
    severity: Severity::Medium,
    rationale: "Whoever controls a registry controls what runs when a pod pulls from it. \
        Organisations keep images in registries they scan, sign and mirror; an image pulled \
        from anywhere else skipped those checks, may change under the same tag, and may be \
        a typo-squatted name published by an attacker. The rule runs only when the settings \
        list the allowed registries (`allowedRegistries`); without a list it reports nothing.",
    remediation: "Mirror the image into an allowed registry and reference it there, or add \
        the registry (or a path in it, such as `ghcr.io/acme`) to `allowedRegistries` after \
        review. Enforce the same list at admission (a ValidatingAdmissionPolicy or policy \
        engine), so that the cluster refuses what this rule reports.",
    references: &[
        cis(
            "5.5.1",
            "Configure Image Provenance using ImagePolicyWebhook admission controller",
        ),
        nsa("Pod security", "Use trusted, immutable container images"),
        mitre("T1204.003", "User Execution: Malicious Image"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    let allowed = &ctx.settings.allowed_registries;
    if allowed.is_empty() {
        return;
    }
    report_per_container(
        ctx,
        emit,
        |_, c| match c.image.as_deref() {
            Some(img) if !image::is_allowed(img, allowed) => vec![Offence {
                detail: format!("{} runs {img}", c.name()),
                field: "image".to_owned(),
            }],
            _ => Vec::new(),
        },
        |w, offences| {
            format!(
                "{} pulls images from outside the allowed registries ({}): {}",
                w.object,
                allowed.join(", "),
                offences.join(", ")
            )
        },
    );
}
