//! RBAC021 binding-write.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, every_match, report_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC021",
    name: "binding-write",
    title: "Role can create or change role bindings",
    category: Category::Rbac,
    severity: Severity::Medium,
    rationale: "A subject that can create, update or patch RoleBindings or \
        ClusterRoleBindings can hand every permission it holds to any identity it names: an \
        account outside the team, a ServiceAccount it controls, a user that exists in no \
        directory. `update` and `patch` are as strong as `create`: they rewrite the subjects \
        or the role of a binding that already exists. Such grants outlive the removal of the \
        original access, which makes them a classic way to keep a foothold. With `bind` \
        (RBAC007) the subject can hand out roles it does not hold as well.",
    remediation: "Leave writing bindings to the people and the GitOps or access-management \
        tooling that own RBAC; review the bindings those tools write. Where a controller \
        needs to manage one binding, narrow the rule with `resourceNames`.",
    references: &[
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre(
            "T1098.006",
            "Account Manipulation: Additional Container Cluster Roles",
        ),
    ],
    cluster_wide: false,
    check,
};

const VERBS: &[&str] = &["create", "update", "patch"];
const GROUP: &str = "rbac.authorization.k8s.io";

const PERMS: &[Permission<'static>] = &[
    Permission {
        verbs: VERBS,
        group: GROUP,
        resource: "rolebindings",
        subresource: None,
    },
    Permission {
        verbs: VERBS,
        group: GROUP,
        resource: "clusterrolebindings",
        subresource: None,
    },
];

pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    every_match(rules, PERMS, RULE.severity)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_grants(ctx, emit, &matcher);
}
