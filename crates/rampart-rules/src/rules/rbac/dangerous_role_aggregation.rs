//! RBAC016 dangerous-role-aggregation.

use crate::model::identity::ObjectRef;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, is_builtin_cluster_role};
use crate::rules::rbac::{
    binding_write, csr_approve, destructive_delete, event_delete, impersonate,
    network_exposure_write, nodes_proxy, persistentvolume_create, pod_exec, role_escalate_or_bind,
    secret_read, serviceaccount_token_create, webhook_configuration_write, wildcard_resource,
    wildcard_verb, workload_create,
};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC016",
    name: "dangerous-role-aggregation",
    title: "ClusterRole adds dangerous permissions to the built-in roles",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "A ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-admin`, `-edit` or \
        `-view` has its rules copied into the built-in `admin`, `edit` or `view` role by the \
        controller manager, and so into every binding of those roles across the cluster. A \
        wildcard, an escalation verb or Secret access added this way silently widens what every \
        namespace admin, editor or viewer can do; for `view`, anything beyond reading \
        non-sensitive objects breaks the promise of a read-only role.",
    remediation: "Remove the aggregation label, or reduce the ClusterRole to the permissions every \
        holder of the built-in role should have (for `view`: get, list and watch on non-sensitive \
        resources), and bind anything more powerful explicitly to the subjects that need it.",
    references: &[
        cis("5.1.3", "Minimize wildcard use in Roles and ClusterRoles"),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre(
            "T1098.006",
            "Account Manipulation: Additional Container Cluster Roles",
        ),
    ],
    cluster_wide: false,
    check,
};

type Matcher = fn(&[PolicyRule]) -> Option<Matched>;

/// Dangerous in any built-in role: they reach beyond a namespace or beyond RBAC.
const ALWAYS: &[Matcher] = &[
    wildcard_verb::matcher,
    wildcard_resource::matcher,
    role_escalate_or_bind::matcher,
    impersonate::matcher,
    webhook_configuration_write::matcher,
    nodes_proxy::matcher,
    csr_approve::matcher,
    persistentvolume_create::matcher,
];

/// Dangerous in `view`, which is meant to be read-only and blind to Secrets; `edit` and
/// `admin` already hold most of these (binding writes only `admin`), and deleting Events is
/// minor next to what they hold.
const FOR_VIEW: &[Matcher] = &[
    secret_read::matcher,
    workload_create::matcher,
    pod_exec::matcher,
    serviceaccount_token_create::matcher,
    destructive_delete::matcher,
    event_delete::matcher,
    binding_write::matcher,
    network_exposure_write::matcher,
];

const TARGETS: &[&str] = &["admin", "edit", "view"];

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    if !ctx.cluster_in_scope() {
        return;
    }
    for role in ctx.inventory.cluster_roles() {
        let name = &*role.metadata.name;
        if is_builtin_cluster_role(ctx, name) {
            continue;
        }
        let labels = &role.metadata.labels;
        let rules = &role.rules[..];
        for target in TARGETS {
            let label = format!("rbac.authorization.k8s.io/aggregate-to-{target}");
            if labels.get(&label) != Some("true") {
                continue;
            }
            let extra: &[Matcher] = if *target == "view" { FOR_VIEW } else { &[] };
            let found = ALWAYS.iter().chain(extra).find_map(|m| m(rules));
            let Some(m) = found else { continue };
            emit.push(
                Draft::new(
                    ObjectRef::cluster_role(name),
                    format!(
                        "ClusterRole {name} is aggregated into built-in ClusterRole {target} and adds {} to every subject bound to {target}",
                        m.what
                    ),
                )
                .path(format!("metadata.labels[{label}]"))
                .discriminator(*target)
                .related("role", ObjectRef::cluster_role(target)),
            );
        }
    }
}
