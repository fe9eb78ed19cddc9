//! RBAC022 system-masters-binding.

use crate::inventory::Binding;
use crate::model::identity::{RoleKey, Subject};
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{bootstrap_labelled, for_each_binding, subject_draft};

pub const RULE: Rule = Rule {
    id: "RBAC022",
    name: "system-masters-binding",
    title: "Binding names the system:masters group",
    category: Category::Rbac,
    severity: Severity::Medium,
    rationale: "Members of `system:masters` pass every authorization check without RBAC being \
        asked, and membership comes from a client certificate, which cannot be revoked \
        before it expires. A binding to the group grants it nothing it does not already \
        have; it shows that someone issues, or expects, certificates with that group, \
        which is the one identity in the cluster that cannot be taken away. The API \
        server's own `cluster-admin` binding is the only one that needs to name it.",
    remediation: "Remove `system:masters` from the binding. Give administrators a group of \
        your identity provider (or kubeadm's `kubeadm:cluster-admins`) bound to \
        `cluster-admin`, so that access can be withdrawn; keep `system:masters` \
        certificates for break-glass use, short-lived and stored offline.",
    references: &[
        cis(
            "5.1.1",
            "Ensure that the cluster-admin role is only used where required",
        ),
        nsa("Authentication", "Use strong, revocable credentials"),
        mitre("T1078", "Valid Accounts"),
    ],
    cluster_wide: false,
    check,
};

const MASTERS: &str = "system:masters";

/// The bootstrap policy's `cluster-admin` ClusterRoleBinding, which the API server writes.
fn is_platform_binding(b: &Binding<'_>) -> bool {
    b.namespace.is_none()
        && b.name == "cluster-admin"
        && bootstrap_labelled(b.metadata)
        && b.role_key() == Some(RoleKey::ClusterRole("cluster-admin".to_owned().into()))
}

fn report(emit: &mut Emitter, b: &Binding<'_>) {
    if is_platform_binding(b) {
        return;
    }
    let masters = Subject::Group(MASTERS.to_owned());
    if !b.subjects().any(|s| s == masters) {
        return;
    }
    let message = format!(
        "{} binds {} {} to Group {MASTERS}, whose members bypass RBAC with certificates that cannot be revoked",
        b.to_ref(),
        b.role_ref.kind,
        b.role_ref.name
    );
    emit.push(subject_draft(b, &masters, message));
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for_each_binding(ctx, |b| report(emit, b));
}
