//! POD020 privileged-serviceaccount-token-mounted.
//!
//! "Privileged" is judged from the bindings that name the ServiceAccount or the groups
//! every ServiceAccount is in. Issue 6's effective-RBAC module (every path a subject has to
//! a permission, aggregation and escalation included) will refine this; until then the
//! permissions below are the ones that turn a token into more than its own access.

use super::pss::object_path;
use super::token::token_mount;
use crate::analysis::rbac::matching::{Permission, grants_any, is_full_wildcard};
use crate::model::identity::RoleKey;
use crate::model::identity::{ObjectRef, Subject};
use crate::rules::prelude::*;
use crate::rules::rbac::grants::describe;
use k8s_openapi::api::rbac::v1::PolicyRule;
use std::collections::HashMap;

pub const RULE: Rule = Rule {
    id: "POD020",
    name: "privileged-serviceaccount-token-mounted",
    title: "Workload mounts the token of a highly privileged ServiceAccount",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "A pod's ServiceAccount token is a file in every container. Whoever gets code \
        execution in any of them (a vulnerable dependency, an exposed debug endpoint) can call \
        the API as that ServiceAccount. When it may do anything (`*`), escalate or bind roles, \
        impersonate, create pods or workloads, exec into pods, mint tokens for other \
        ServiceAccounts, proxy to nodes or rewrite admission webhooks, one compromised \
        container becomes the cluster.",
    remediation: "Give the workload a ServiceAccount with only the permissions it uses. If it \
        does not call the API, set `automountServiceAccountToken: false` on the pod or the \
        ServiceAccount. Controllers that need broad rights belong in their own namespace, \
        with no other workloads sharing the ServiceAccount.",
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

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Permissions that reach beyond the holder's own access.
const POWERS: &[Permission<'static>] = &[
    Permission {
        verbs: &["escalate", "bind"],
        group: RBAC_GROUP,
        resource: "clusterroles",
        subresource: None,
    },
    Permission {
        verbs: &["escalate", "bind"],
        group: RBAC_GROUP,
        resource: "roles",
        subresource: None,
    },
    Permission {
        verbs: &["impersonate"],
        group: "",
        resource: "users",
        subresource: None,
    },
    Permission {
        verbs: &["impersonate"],
        group: "",
        resource: "groups",
        subresource: None,
    },
    Permission {
        verbs: &["impersonate"],
        group: "",
        resource: "serviceaccounts",
        subresource: None,
    },
    Permission {
        verbs: &["create"],
        group: "",
        resource: "pods",
        subresource: None,
    },
    Permission {
        verbs: &["create"],
        group: "apps",
        resource: "deployments",
        subresource: None,
    },
    Permission {
        verbs: &["create"],
        group: "apps",
        resource: "daemonsets",
        subresource: None,
    },
    Permission {
        verbs: &["create"],
        group: "apps",
        resource: "statefulsets",
        subresource: None,
    },
    Permission {
        verbs: &["create"],
        group: "batch",
        resource: "jobs",
        subresource: None,
    },
    Permission {
        verbs: &["create"],
        group: "batch",
        resource: "cronjobs",
        subresource: None,
    },
    Permission {
        verbs: &["create"],
        group: "",
        resource: "pods",
        subresource: Some("exec"),
    },
    Permission {
        verbs: &["create"],
        group: "",
        resource: "serviceaccounts",
        subresource: Some("token"),
    },
    Permission {
        verbs: &["get", "create"],
        group: "",
        resource: "nodes",
        subresource: Some("proxy"),
    },
    Permission {
        verbs: &["create", "update", "patch"],
        group: "admissionregistration.k8s.io",
        resource: "mutatingwebhookconfigurations",
        subresource: None,
    },
];

/// The first dangerous permission among `rules`, described.
fn dangerous(rules: &[PolicyRule]) -> Option<String> {
    if rules.iter().any(is_full_wildcard) {
        return Some("every permission (*)".to_owned());
    }
    POWERS.iter().find_map(|p| {
        let g = grants_any(rules, p)?;
        let mut what = describe(&g.verbs, p);
        if g.is_narrowed() {
            what.push_str(&format!(" (only {})", g.names.join(", ")));
        }
        Some(what)
    })
}

/// Evidence that a ServiceAccount is privileged: what, through which binding and role.
#[derive(Clone)]
pub(super) struct Power {
    what: String,
    binding: ObjectRef,
    role: ObjectRef,
}

/// What each role grants that is dangerous, worked out once per evaluation: many
/// ServiceAccounts are bound to the same few built-in roles.
pub(super) type RoleCache = HashMap<RoleKey, Option<String>>;

pub(super) fn power_of(
    ctx: &Context<'_>,
    roles: &mut RoleCache,
    ns: &str,
    sa: &str,
) -> Option<Power> {
    // Bindings to the groups every ServiceAccount (or every authenticated identity) is in
    // grant the same power as a binding to the ServiceAccount itself.
    let subjects = [
        Subject::ServiceAccount {
            namespace: ns.to_owned(),
            name: sa.to_owned(),
        },
        Subject::Group(format!("system:serviceaccounts:{ns}")),
        Subject::Group("system:serviceaccounts".to_owned()),
        Subject::Group("system:authenticated".to_owned()),
    ];
    subjects.iter().find_map(|s| {
        ctx.bindings_of(s).find_map(|b| {
            let key = b.role_key()?;
            let what = roles
                .entry(key.clone())
                .or_insert_with(|| ctx.role_rules(&key).and_then(dangerous))
                .clone()?;
            Some(Power {
                what,
                binding: b.to_ref(),
                role: key.to_ref(),
            })
        })
    })
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    let inv = ctx.inventory;
    let mut roles = RoleCache::new();
    for ns in ctx.namespaces() {
        let mut accounts: HashMap<&str, Option<Power>> = HashMap::new();
        for w in ctx.workloads_in(ns).iter() {
            let sa = w.service_account_name();
            let power = accounts
                .entry(sa)
                .or_insert_with(|| power_of(ctx, &mut roles, ns, sa))
                .clone();
            let Some(power) = power else {
                continue;
            };
            let Some(path) = token_mount(inv, w) else {
                continue;
            };
            emit.push(
                Draft::new(
                    w.object.clone(),
                    format!(
                        "{} mounts the token of ServiceAccount {ns}/{sa}, which {} grants {} \
                         through {}; code running in any of its containers holds that power",
                        w.object, power.binding, power.what, power.role
                    ),
                )
                .path(object_path(w, &path))
                .related("serviceaccount", ObjectRef::service_account(ns, sa))
                .related("binding", power.binding)
                .related("role", power.role),
            );
        }
    }
}
