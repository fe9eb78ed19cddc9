//! NS004 namespace-without-limit-range.

use crate::rules::namespace::report_missing_resource_policy;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "NS004",
    name: "namespace-without-limit-range",
    title: "Namespace with workloads has no LimitRange",
    category: Category::Namespace,
    severity: Severity::Low,
    rationale: "A LimitRange gives containers default requests and limits and caps what one container may ask for. Without it, a container that sets no limits may use a whole node's memory and CPU, and a quota on limits rejects such pods instead of defaulting them.",
    remediation: "Add a LimitRange with default requests and limits for containers and a per-container maximum that fits the namespace's applications.",
    references: &[
        cis(
            "5.7.1",
            "Create administrative boundaries between resources using namespaces",
        ),
        nsa(
            "Resource policies",
            "Use LimitRanges to constrain containers",
        ),
        mitre("T1496", "Resource Hijacking"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_missing_resource_policy(ctx, emit, "LimitRange", |inv, ns| {
        inv.limit_ranges_in(ns).next().is_some()
    });
}
