//! RBAC018 binding-to-missing-serviceaccount.

use crate::inventory::Binding;
use crate::model::identity::Subject;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{for_each_binding, subject_draft};

pub const RULE: Rule = Rule {
    id: "RBAC018",
    name: "binding-to-missing-serviceaccount",
    title: "Binding grants to a ServiceAccount that does not exist",
    category: Category::Rbac,
    severity: Severity::Medium,
    rationale: "RBAC binds names, not objects. A binding to a ServiceAccount that does not exist \
        waits for it: anyone allowed to create ServiceAccounts in that namespace can create one of \
        that name and inherit the grant. Such bindings are usually left over from removed \
        workloads. Rampart judges only namespaces whose ServiceAccounts it sees, so a partial \
        set of manifests does not raise false alarms.",
    remediation: "Remove the subject from the binding (or delete the binding), or create the \
        ServiceAccount it was meant for.",
    references: &[
        nsa("RBAC", "Periodically review RBAC settings"),
        mitre("T1098", "Account Manipulation"),
    ],
    cluster_wide: false,
    check,
};

fn report(ctx: &Context<'_>, emit: &mut Emitter, b: &Binding<'_>) {
    for s in b.subjects() {
        let Subject::ServiceAccount { namespace, name } = &s else {
            continue;
        };
        if !ctx.knows_service_accounts(namespace)
            || ctx.inventory.service_account(namespace, name).is_some()
        {
            continue;
        }
        let message = format!(
            "{} grants {} {} to {s}, which does not exist",
            b.to_ref(),
            b.role_ref.kind,
            b.role_ref.name
        );
        emit.push(subject_draft(b, &s, message));
    }
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for_each_binding(ctx, |b| report(ctx, emit, b));
}
