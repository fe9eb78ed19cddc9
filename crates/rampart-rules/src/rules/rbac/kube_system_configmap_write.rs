//! RBAC023 kube-system-configmap-write.

use crate::analysis::rbac::matching::{Permission, is_full_wildcard};
use crate::inventory::Binding;
use crate::model::identity::Subject;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{describe_subjects, every_match, for_each_binding};

pub const RULE: Rule = Rule {
    id: "RBAC023",
    name: "kube-system-configmap-write",
    title: "Subject can change ConfigMaps in kube-system",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "ConfigMaps in kube-system configure the cluster itself: `aws-auth` maps IAM \
        roles to Kubernetes groups on EKS (an entry for `system:masters` makes any AWS \
        identity cluster-admin), `coredns` decides where every name in the cluster resolves, \
        `kube-proxy` sets how Services are routed, and `extension-apiserver-authentication` \
        tells aggregated API servers whom to trust. Whoever can write them can take the \
        cluster over or redirect its traffic, whatever RBAC says elsewhere.",
    remediation: "Keep write access to ConfigMaps in kube-system with the cluster \
        administrators and the platform's own controllers. Grant other subjects ConfigMap \
        writes through RoleBindings in their own namespaces, not through a \
        ClusterRoleBinding (which reaches kube-system too); where a tool manages one \
        ConfigMap there, narrow the rule with `resourceNames`.",
    references: &[
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre(
            "T1098.006",
            "Account Manipulation: Additional Container Cluster Roles",
        ),
        mitre("T1565.001", "Data Manipulation: Stored Data Manipulation"),
    ],
    cluster_wide: false,
    check,
};

const SYSTEM_NAMESPACE: &str = "kube-system";

const PERMS: &[Permission<'static>] = &[Permission {
    verbs: &["create", "update", "patch", "delete"],
    group: "",
    resource: "configmaps",
    subresource: None,
}];

fn report(ctx: &Context<'_>, emit: &mut Emitter, b: &Binding<'_>) {
    // A ClusterRoleBinding reaches every namespace; a RoleBinding only its own.
    if b.namespace.is_some_and(|ns| ns != SYSTEM_NAMESPACE) {
        return;
    }
    let users: Vec<Subject> = b
        .subjects()
        .filter(|s| !ctx.settings.is_system_subject(s))
        .collect();
    if users.is_empty() {
        return;
    }
    let Some(key) = b.role_key() else { return };
    // A role that allows everything is RBAC001's finding.
    let Some(rules) = ctx
        .role_rules(&key)
        .filter(|r| !r.iter().any(is_full_wildcard))
    else {
        return;
    };
    let Some(m) = every_match(rules, PERMS, RULE.severity) else {
        return;
    };
    let how = if b.namespace.is_some() {
        "in namespace kube-system"
    } else {
        "in every namespace, kube-system included,"
    };
    let mut d = Draft::new(
        b.to_ref(),
        format!(
            "{} lets {} {} {how} through {} {}",
            b.to_ref(),
            describe_subjects(&users),
            m.what,
            b.role_ref.kind,
            b.role_ref.name
        ),
    )
    .path("roleRef")
    .related("role", key.to_ref())
    // The subjects are the user's, though a RoleBinding in kube-system is the platform's
    // place: the cap for the platform's own findings does not apply.
    .system(false);
    if let Some(s) = m.severity {
        d = d.severity(s);
    }
    for s in &users {
        d = d.related("subject", s.to_ref());
    }
    emit.push(d);
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for_each_binding(ctx, |b| report(ctx, emit, b));
}
