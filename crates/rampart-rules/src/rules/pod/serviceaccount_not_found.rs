//! POD025 serviceaccount-not-found.

use super::pss::object_path;
use crate::model::identity::ObjectRef;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD025",
    name: "serviceaccount-not-found",
    title: "Workload runs as a ServiceAccount that does not exist",
    category: Category::Workload,
    severity: Severity::Low,
    rationale: "The API server refuses pods whose ServiceAccount does not exist, so the \
        workload cannot start; and whoever creates a ServiceAccount of that name later \
        decides, through its RoleBindings, what the workload's pods may do. A typo in \
        `serviceAccountName` also silently drops the permissions the workload was meant to \
        have. Judged only where the input shows the namespace's ServiceAccounts.",
    remediation: "Create the ServiceAccount with the workload, or correct \
        `serviceAccountName` to an existing one.",
    references: &[
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1078.004", "Valid Accounts: Cloud Accounts"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in ctx.namespaces() {
        // `default` is created with the namespace, whatever the input holds.
        if !ctx.knows_service_accounts(ns) {
            continue;
        }
        for w in ctx.workloads_in(ns).iter() {
            let sa = w.service_account_name();
            if sa == "default" || ctx.inventory.service_account(ns, sa).is_some() {
                continue;
            }
            emit.push(
                Draft::new(
                    w.object.clone(),
                    format!(
                        "{} runs as ServiceAccount {ns}/{sa}, which does not exist",
                        w.object
                    ),
                )
                .path(object_path(w, "spec.serviceAccountName"))
                .related("subject", ObjectRef::service_account(ns, sa)),
            );
        }
    }
}
