//! SA002 default-serviceaccount-bound.

use crate::model::identity::Subject;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{for_each_binding, subject_draft};

pub const RULE: Rule = Rule {
    id: "SA002",
    name: "default-serviceaccount-bound",
    title: "Permissions granted to a default ServiceAccount",
    category: Category::ServiceAccount,
    severity: Severity::Medium,
    rationale: "A binding to a namespace's `default` ServiceAccount gives its permissions to every \
        pod in that namespace that does not name a ServiceAccount, including pods that never \
        needed them and pods created later by anyone who may create pods there.",
    remediation: "Create a dedicated ServiceAccount for the workload that needs the permissions, \
        bind the role to it, set `serviceAccountName` in that workload, and remove the `default` \
        ServiceAccount from the binding.",
    references: &[
        cis(
            "5.1.5",
            "Ensure that default service accounts are not actively used",
        ),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1078.001", "Valid Accounts: Default Accounts"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for_each_binding(ctx, |b| {
        for s in b.subjects() {
            let Subject::ServiceAccount { namespace, name } = &s else {
                continue;
            };
            if name != "default" {
                continue;
            }
            let message = format!(
                "{} grants {} {} to {s}: every pod in {namespace} without its own ServiceAccount holds it",
                b.to_ref(),
                b.role_ref.kind,
                b.role_ref.name
            );
            emit.push(subject_draft(b, &s, message));
        }
    });
}
