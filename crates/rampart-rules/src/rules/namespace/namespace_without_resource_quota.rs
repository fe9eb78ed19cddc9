//! NS003 namespace-without-resource-quota.

use crate::rules::namespace::report_missing_resource_policy;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "NS003",
    name: "namespace-without-resource-quota",
    title: "Namespace with workloads has no ResourceQuota",
    category: Category::Namespace,
    severity: Severity::Low,
    rationale: "Without a ResourceQuota, one namespace's workloads, or an attacker who may create pods there, can take the cluster's CPU, memory, storage and object counts and starve every other namespace, for example by running a crypto miner or creating objects until etcd fills.",
    remediation: "Add a ResourceQuota that caps requests, limits and object counts at what the namespace's applications need, with room to grow.",
    references: &[
        cis(
            "5.7.1",
            "Create administrative boundaries between resources using namespaces",
        ),
        nsa(
            "Resource policies",
            "Use ResourceQuotas to limit a namespace's resources",
        ),
        mitre("T1496", "Resource Hijacking"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_missing_resource_policy(ctx, emit, "ResourceQuota", |inv, ns| {
        inv.resource_quotas_in(ns).next().is_some()
    });
}
