//! SA001 default-serviceaccount-automounts-token.

use crate::model::identity::ObjectRef;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "SA001",
    name: "default-serviceaccount-automounts-token",
    title: "Default ServiceAccount mounts its token into pods",
    category: Category::ServiceAccount,
    severity: Severity::Low,
    rationale: "Every pod that names no ServiceAccount runs as its namespace's `default` \
        ServiceAccount, and unless automounting is switched off it gets an API token mounted at \
        `/var/run/secrets/kubernetes.io/serviceaccount`. Most applications never call the API; \
        for them the token only helps an attacker who gets code execution in the container. \
        Switching it off on the ServiceAccount covers pods created later, which a per-pod \
        setting does not.",
    remediation: "Set `automountServiceAccountToken: false` on each namespace's `default` \
        ServiceAccount, and give workloads that call the API a ServiceAccount of their own with \
        the permissions they need.",
    references: &[
        cis(
            "5.1.5",
            "Ensure that default service accounts are not actively used",
        ),
        cis(
            "5.1.6",
            "Ensure that Service Account Tokens are only mounted where necessary",
        ),
        nsa("Pod security", "Protecting Pod service account tokens"),
        mitre("T1528", "Steal Application Access Token"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in ctx.namespaces() {
        let Some(sa) = ctx.inventory.service_account(ns, "default") else {
            continue;
        };
        if sa.automount_service_account_token == Some(false) {
            continue;
        }
        let how = if sa.automount_service_account_token == Some(true) {
            "sets automountServiceAccountToken: true"
        } else {
            "does not set automountServiceAccountToken: false"
        };
        emit.push(
            Draft::new(
                ObjectRef::service_account(ns, "default"),
                format!("ServiceAccount {ns}/default {how}; every pod without its own ServiceAccount gets an API token"),
            )
            .path("automountServiceAccountToken"),
        );
    }
}
