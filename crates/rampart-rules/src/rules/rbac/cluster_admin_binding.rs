//! RBAC001 cluster-admin-binding.

use crate::analysis::rbac::matching::is_full_wildcard;
use crate::inventory::Binding;
use crate::model::identity::RoleKey;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::describe_subjects;
use crate::rules::rbac::grants::for_each_binding;

pub const RULE: Rule = Rule {
    id: "RBAC001",
    name: "cluster-admin-binding",
    title: "Full administrative access granted to a subject",
    category: Category::Rbac,
    severity: Severity::Critical,
    rationale: "A binding to cluster-admin, or to any role that allows every verb on every resource \
        in every API group, gives its subjects unrestricted control: they can read every Secret, \
        run privileged pods on any node and grant themselves anything else. Only `system:masters` \
        and the control plane's own identities need it. A RoleBinding to such a role is limited to \
        one namespace but still gives full control of it, including its Secrets and ServiceAccounts.",
    remediation: "Bind a role that lists only the verbs and resources the subject needs. For \
        people, prefer the built-in `admin`, `edit` or `view` roles in a namespace; for automation, \
        write a dedicated Role. Keep break-glass cluster-admin access outside everyday credentials.",
    references: &[
        cis(
            "5.1.1",
            "Ensure that the cluster-admin role is only used where required",
        ),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1078.001", "Valid Accounts: Default Accounts"),
    ],
    cluster_wide: false,
    check,
};

fn grants_everything(ctx: &Context<'_>, b: &Binding<'_>) -> Option<String> {
    let key = b.role_key()?;
    let rules = ctx.role_rules(&key)?;
    let name = match key {
        RoleKey::ClusterRole(n) => n,
        RoleKey::Role { name, .. } => name,
    };
    rules
        .iter()
        .any(is_full_wildcard)
        .then_some(name.to_string())
}

fn report(ctx: &Context<'_>, emit: &mut Emitter, b: &Binding<'_>) {
    let Some(role_name) = grants_everything(ctx, b) else {
        return;
    };
    let subjects: Vec<_> = b
        .subjects()
        .filter(|s| !ctx.settings.is_system_subject(s))
        .collect();
    if subjects.is_empty() {
        return;
    }
    let role = b.role_key().map(|k| k.to_ref());
    let scope = match b.namespace {
        Some(ns) => format!("full control of namespace {ns}"),
        None => "full control of the cluster".to_owned(),
    };
    let mut d = Draft::new(
        b.to_ref(),
        format!(
            "{} grants {role_name} ({scope}) to {}",
            b.to_ref(),
            describe_subjects(&subjects)
        ),
    )
    .path("roleRef");
    if b.namespace.is_some() {
        d = d.severity(Severity::High);
    }
    if let Some(r) = role {
        d = d.related("role", r);
    }
    for s in &subjects {
        d = d.related("subject", s.to_ref());
    }
    emit.push(d);
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for_each_binding(ctx, |b| report(ctx, emit, b));
}
