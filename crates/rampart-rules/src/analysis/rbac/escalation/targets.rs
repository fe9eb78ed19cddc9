//! What there is to become: the bound ServiceAccounts of each namespace, their legacy token
//! Secrets and a workload that runs as each, and the users and groups bindings name.

use crate::analysis::rbac::permissions::{Permissions, SubjectKey};
use crate::inventory::Inventory;
use crate::model::identity::ObjectRef;
use crate::model::meta::annotation::SERVICE_ACCOUNT_NAME as SA_ANNOTATION;
use std::collections::{BTreeMap, BTreeSet};

const TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// What a namespace offers an identity that gets in.
#[derive(Debug, Default)]
pub(super) struct Targets {
    /// Bound ServiceAccounts per namespace.
    pub(super) service_accounts: BTreeMap<String, BTreeSet<String>>,
    /// Legacy token Secrets: (namespace, secret, ServiceAccount).
    pub(super) token_secrets: Vec<(String, String, String)>,
    /// A workload per bound ServiceAccount that runs one: (namespace, sa) -> workload.
    pub(super) workloads: BTreeMap<(String, String), ObjectRef>,
    pub(super) users: Vec<String>,
    pub(super) groups: Vec<String>,
}

pub(super) fn targets(inv: &Inventory, perms: &Permissions) -> Targets {
    let mut t = Targets::default();
    for sa in inv.service_accounts() {
        let ns = sa.metadata.namespace.as_deref().unwrap_or("");
        let name = &*sa.metadata.name;
        if is_bound(perms, ns, name) {
            t.service_accounts
                .entry(ns.to_owned())
                .or_default()
                .insert(name.to_owned());
        }
    }
    for k in perms.subjects() {
        if let Some((ns, name)) = k.service_account() {
            t.service_accounts
                .entry(ns.to_owned())
                .or_default()
                .insert(name.to_owned());
        }
        match k {
            SubjectKey::User(u) => t.users.push(u.to_string()),
            SubjectKey::Group(g) => t.groups.push(g.to_string()),
        }
    }
    for ns in inv.namespace_names() {
        for s in inv.secrets_in(ns) {
            let is_token = s.type_.as_deref().is_none_or(|ty| ty == TOKEN_TYPE);
            let sa = s.metadata.annotations.get(SA_ANNOTATION);
            if let (true, Some(sa)) = (is_token, sa)
                && is_bound(perms, ns, sa)
            {
                let name = s.metadata.name.to_string();
                t.token_secrets.push((ns.to_owned(), name, sa.to_owned()));
            }
        }
        for (sa, workload) in workload_targets(inv, perms, ns) {
            t.workloads.insert((ns.to_owned(), sa), workload);
        }
    }
    t
}

/// What the graph reads of namespace `ns`'s workloads: for each bound ServiceAccount that
/// one runs as, the first such workload. A change to a workload that leaves this as it is
/// leaves the graph as it is.
pub fn workload_targets(
    inv: &Inventory,
    perms: &Permissions,
    ns: &str,
) -> BTreeMap<String, ObjectRef> {
    let mut out = BTreeMap::new();
    for w in inv.workloads_in(ns) {
        let sa = w.service_account_name();
        if !out.contains_key(sa) && is_bound(perms, ns, sa) {
            out.insert(sa.to_owned(), w.object);
        }
    }
    out
}

fn is_bound(perms: &Permissions, ns: &str, sa: &str) -> bool {
    perms.is_bound(&SubjectKey::of_service_account(ns, sa))
}
