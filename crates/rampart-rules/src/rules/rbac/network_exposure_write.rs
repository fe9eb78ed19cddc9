//! RBAC024 network-exposure-write.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, every_match, report_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC024",
    name: "network-exposure-write",
    title: "Role can change Services, Ingresses or NetworkPolicies",
    category: Category::Rbac,
    severity: Severity::Low,
    rationale: "Services and Ingresses decide what is reachable from outside a namespace and \
        from outside the cluster: a `LoadBalancer` or `NodePort` Service, or an Ingress \
        rule, puts a pod on the network in one request. NetworkPolicies decide what may \
        talk to what; deleting or widening one removes the isolation the namespace relied \
        on. Whoever holds these verbs can open a path in or out that no firewall review saw.",
    remediation: "Leave writing Services, Ingresses and NetworkPolicies to the deployment \
        pipeline and the people who own the namespace's exposure; give workloads and \
        read-only users roles without these verbs. Enforce what may be exposed (Service \
        types, Ingress hosts) at admission.",
    references: &[
        nsa(
            "Network policies",
            "Use network policies to isolate resources",
        ),
        mitre("T1133", "External Remote Services"),
        mitre(
            "T1562.007",
            "Impair Defenses: Disable or Modify Cloud Firewall",
        ),
    ],
    cluster_wide: false,
    check,
};

const VERBS: &[&str] = &["create", "update", "patch", "delete"];

const PERMS: &[Permission<'static>] = &[
    Permission {
        verbs: VERBS,
        group: "",
        resource: "services",
        subresource: None,
    },
    Permission {
        verbs: VERBS,
        group: "networking.k8s.io",
        resource: "ingresses",
        subresource: None,
    },
    Permission {
        verbs: VERBS,
        group: "networking.k8s.io",
        resource: "networkpolicies",
        subresource: None,
    },
];

pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    every_match(rules, PERMS, RULE.severity)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_grants(ctx, emit, &matcher);
}
