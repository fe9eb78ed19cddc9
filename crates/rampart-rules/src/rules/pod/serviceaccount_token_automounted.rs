//! POD028 serviceaccount-token-automounted.

use super::privileged_serviceaccount_token_mounted::{RoleCache, power_of};
use super::pss::object_path;
use super::token::token_mount;
use crate::model::identity::{ObjectRef, Subject};
use crate::rules::prelude::*;
use std::collections::HashMap;

pub const RULE: Rule = Rule {
    id: "POD028",
    name: "serviceaccount-token-automounted",
    title: "Workload mounts the token of a ServiceAccount that holds RBAC grants",
    category: Category::Workload,
    severity: Severity::Low,
    rationale: "Unless `automountServiceAccountToken` is false on the pod or its \
        ServiceAccount, every container gets an API token, and whoever runs code in any of \
        them can use the ServiceAccount's grants. Many workloads never call the API, and \
        many that do need it in one container only. SA001 judges the `default` \
        ServiceAccount object; this rule judges each workload whose ServiceAccount is bound \
        to a role, where a token it may not need carries real rights. A ServiceAccount \
        whose grants reach beyond its own access is POD020's (high) finding instead.",
    remediation: "If the workload does not call the API, set \
        `automountServiceAccountToken: false` in its pod spec (or on the ServiceAccount, \
        which covers every pod that uses it). If one container needs the token, switch \
        automounting off and mount a projected `serviceAccountToken` volume into that \
        container only, with a short `expirationSeconds`.",
    references: &[
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

/// The first binding that names the ServiceAccount itself and grants it something, with
/// its role (a binding to a role that does not exist grants nothing).
fn first_grant(ctx: &Context<'_>, ns: &str, sa: &str) -> Option<(ObjectRef, ObjectRef)> {
    let subject = Subject::ServiceAccount {
        namespace: ns.to_owned(),
        name: sa.to_owned(),
    };
    ctx.bindings_of(&subject).find_map(|b| {
        let key = b.role_key()?;
        let rules = ctx.role_rules(&key)?;
        (!rules.is_empty()).then(|| (b.to_ref(), key.to_ref()))
    })
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    let mut roles = RoleCache::new();
    for ns in ctx.namespaces() {
        let mut accounts: HashMap<&str, Option<(ObjectRef, ObjectRef)>> = HashMap::new();
        for w in ctx.workloads_in(ns).iter() {
            // Only the automounted token: a projected token volume is a deliberate choice.
            let Some(path) =
                token_mount(ctx.inventory, w).filter(|p| !p.starts_with("spec.volumes"))
            else {
                continue;
            };
            let sa = w.service_account_name();
            let grant = accounts
                .entry(sa)
                .or_insert_with(|| {
                    // POD020 reports the ServiceAccounts whose grants reach further.
                    if power_of(ctx, &mut roles, ns, sa).is_some() {
                        None
                    } else {
                        first_grant(ctx, ns, sa)
                    }
                })
                .clone();
            let Some((binding, role)) = grant else {
                continue;
            };
            emit.push(
                Draft::new(
                    w.object.clone(),
                    format!(
                        "{} mounts the token of ServiceAccount {ns}/{sa} in every container, and \
                         {binding} grants it {role}; set automountServiceAccountToken: false \
                         unless the workload calls the API",
                        w.object
                    ),
                )
                .path(object_path(w, &path))
                .related("serviceaccount", ObjectRef::service_account(ns, sa))
                .related("binding", binding)
                .related("role", role),
            );
        }
    }
}
