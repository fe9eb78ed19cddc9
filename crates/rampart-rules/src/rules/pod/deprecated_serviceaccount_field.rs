//! POD026 deprecated-serviceaccount-field.

use super::pss::object_path;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD026",
    name: "deprecated-serviceaccount-field",
    title: "Pod spec uses the deprecated serviceAccount field",
    category: Category::Workload,
    severity: Severity::Info,
    rationale: "`serviceAccount` is a deprecated alias of `serviceAccountName`: the API \
        server copies it only when `serviceAccountName` is empty, so a manifest that sets \
        both to different names runs as the one a reader may not expect, and tools that \
        read only the current field see the wrong identity. The API server itself writes \
        the current name into the deprecated field of every pod it stores; that copy is not \
        a finding.",
    remediation: "Replace `serviceAccount` with `serviceAccountName`.",
    references: &[nsa("RBAC", "Use RBAC to grant least privilege")],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in ctx.namespaces() {
        for w in ctx.workloads_in(ns).iter() {
            let Some(deprecated) = w.spec.deprecated_service_account.as_deref() else {
                continue;
            };
            let current = w.service_account_name();
            let message = if deprecated == current {
                format!(
                    "{} names its ServiceAccount ({current}) in the deprecated serviceAccount field",
                    w.object
                )
            } else {
                format!(
                    "{} sets the deprecated serviceAccount: {deprecated} next to serviceAccountName: {current}; its pods run as {current}",
                    w.object
                )
            };
            emit.push(
                Draft::new(w.object.clone(), message).path(object_path(w, "spec.serviceAccount")),
            );
        }
    }
}
