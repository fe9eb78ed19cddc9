//! Rampart's own Secret grant, accepted out of the box.
//!
//! Rampart lists and watches Secrets to see which legacy ServiceAccount tokens exist, and
//! only ever asks for their metadata. RBAC cannot grant "metadata only", so its ClusterRole
//! holds `list, watch` on Secrets and RBAC005 reports it, high, in every cluster that
//! installs Rampart. That finding is accepted here, by content rather than by name, so a
//! look-alike cannot hide behind it:
//!
//! - the finding is RBAC005's, on a ClusterRole;
//! - every rule of that ClusterRole that touches core Secrets grants `list` and `watch`
//!   and nothing else (no `get`, no write, no wildcard);
//! - the ClusterRole is bound, and to no subject but the ServiceAccount Rampart runs as
//!   ([`Settings::own_service_account`]).
//!
//! Any more (another subject, `get`, another verb) and the finding is open as for any
//! role. The finding stays visible: reports list it as excepted by [`ID`].

use crate::analysis::rbac::matching::{Permission, grants};
use crate::engine::emit::Draft;
use crate::engine::rule::Rule;
use crate::engine::settings::Settings;
use crate::inventory::Inventory;
use crate::model::identity::ObjectRef;

/// How reports name this acceptance. Kubernetes names cannot hold `:`, so no exception
/// written in the cluster or a file can take this id.
pub const ID: &str = "rampart:own-secret-metadata";

/// Who accepted it, where reports name an exception's owner.
pub const OWNER: &str = "rampart";

/// Why, where reports and `rampart scan` give an exception's reason.
pub const REASON: &str = "Rampart lists and watches Secrets as metadata only, to find legacy \
    ServiceAccount tokens; RBAC cannot grant metadata alone (docs/exceptions.md, \
    \"Rampart's own Secret grant\")";

/// The rule whose finding is accepted (RBAC005, `secret-read`).
const RULE_ID: &str = "RBAC005";

/// Every verb the API server knows for Secrets: a rule granting any of them other than
/// `list` and `watch` is more than Rampart needs.
const ANY_SECRET_VERB: Permission<'static> = Permission {
    verbs: &[
        "get",
        "list",
        "watch",
        "create",
        "update",
        "patch",
        "delete",
        "deletecollection",
    ],
    group: "",
    resource: "secrets",
    subresource: None,
};

const NEEDED: &[&str] = &["list", "watch"];

/// Whether the finding `rule` drafted is Rampart's own Secret grant as the module says.
pub(crate) fn covers(
    settings: &Settings,
    inventory: &Inventory,
    rule: &Rule,
    draft: &Draft,
) -> bool {
    let Some((ns, name)) = &settings.own_service_account else {
        return false;
    };
    if rule.id != RULE_ID || draft.resource.kind != "ClusterRole" {
        return false;
    }
    let Some(role) = inventory.cluster_role(&draft.resource.name) else {
        return false;
    };
    let rules = &role.rules[..];
    let only_list_watch = rules
        .iter()
        .filter_map(|r| grants(r, &ANY_SECRET_VERB))
        .all(|g| g.verbs.iter().all(|v| NEEDED.contains(&v.as_str())));
    let own = ObjectRef::service_account(ns, name);
    let mut subjects = draft
        .related
        .iter()
        .filter(|r| r.relation == "subject")
        .peekable();
    let bound = subjects.peek().is_some();
    only_list_watch && bound && subjects.all(|s| s.object == own)
}

#[cfg(test)]
mod tests;
