//! NS002 workloads-in-default-namespace.

use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "NS002",
    name: "workloads-in-default-namespace",
    title: "Workload runs in the default namespace",
    category: Category::Namespace,
    severity: Severity::Low,
    rationale: "The `default` namespace is where everything lands that was not given a place: \
        workloads there share ServiceAccounts, Secrets, policies and quotas with whatever else \
        was dropped there, and it is rarely covered by the isolation and Pod Security labels that \
        purpose-made namespaces get.",
    remediation: "Create a namespace per application or team with its own RBAC, NetworkPolicies, \
        quotas and Pod Security labels, and move the workload there.",
    references: &[
        cis("5.7.4", "The default namespace should not be used"),
        nsa("Namespaces", "Use namespaces to isolate resources"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    if !ctx.namespace_in_scope("default") {
        return;
    }
    for w in ctx.inventory.workloads_in("default") {
        emit.push(Draft::new(
            w.object.clone(),
            format!("{} runs in the default namespace", w.object),
        ));
    }
}
