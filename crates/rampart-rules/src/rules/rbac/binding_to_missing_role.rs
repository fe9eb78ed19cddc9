//! RBAC017 binding-to-missing-role.

use crate::inventory::Binding;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::describe_subjects;
use crate::rules::rbac::grants::for_each_binding;

pub const RULE: Rule = Rule {
    id: "RBAC017",
    name: "binding-to-missing-role",
    title: "Binding refers to a role that does not exist",
    category: Category::Rbac,
    severity: Severity::Medium,
    rationale: "A binding to a role that does not exist grants nothing today, but it is a loaded \
        grant: whoever later creates a role of that name, by mistake or on purpose, hands its \
        permissions to the binding's subjects without touching the binding. Dangling bindings \
        are usually left over from uninstalled software.",
    remediation: "Delete the binding, or create the role it was meant to refer to with the \
        permissions intended.",
    references: &[
        nsa("RBAC", "Periodically review RBAC settings"),
        mitre("T1098", "Account Manipulation"),
    ],
    cluster_wide: false,
    check,
};

fn report(ctx: &Context<'_>, emit: &mut Emitter, b: &Binding<'_>) {
    let Some(key) = b.role_key() else { return };
    if ctx.role_rules(&key).is_some() {
        return;
    }
    let subjects: Vec<_> = b.subjects().collect();
    let mut d = Draft::new(
        b.to_ref(),
        format!(
            "{} refers to {}, which does not exist; it would grant it to {}",
            b.to_ref(),
            key.to_ref(),
            describe_subjects(&subjects)
        ),
    )
    .path("roleRef")
    .related("role", key.to_ref());
    for s in &subjects {
        d = d.related("subject", s.to_ref());
    }
    emit.push(d);
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for_each_binding(ctx, |b| report(ctx, emit, b));
}
