//! Where an RBAC object or identity is read: the namespaces whose findings may change when
//! it does. A binding is judged in its namespace and where the ServiceAccounts it names
//! live; a role through every binding to it (a ClusterRole also through the roles that
//! aggregate it); a ServiceAccount, or a namespace that comes or goes, by the RoleBindings
//! that name its ServiceAccounts.

use super::index::Permissions;
use crate::model::identity::{BindingId, ObjectRef, RoleKey, SA_USER_PREFIX, SubjectKey};
use crate::model::scope::Reach;
use crate::model::shared::Shared;
use std::collections::BTreeSet;

/// Groups whose members live in every namespace: a binding to one reaches them all.
const EVERYONE: [&str; 3] = [
    "system:serviceaccounts",
    "system:authenticated",
    "system:unauthenticated",
];

const SA_GROUP_PREFIX: &str = "system:serviceaccounts:";

impl Permissions {
    /// Adds the namespaces whose findings read the object `r` names, as the index holds it
    /// now: call it before and after the object changes.
    pub fn reach_of(&self, r: &ObjectRef, reach: &mut Reach) {
        match r.kind.as_str() {
            "Namespace" => self.reach_of_service_accounts_in(&r.name, reach),
            "ServiceAccount" => {
                if let Some(ns) = &r.namespace {
                    self.reach_of_service_accounts_in(ns, reach);
                }
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                if let Some(id) = BindingId::of(r) {
                    self.reach_of_binding(&id, reach);
                }
            }
            "Role" => {
                let role = RoleKey::Role {
                    namespace: r.namespace.clone().unwrap_or_default(),
                    name: Shared::new(&r.name),
                };
                self.reach_of_bindings_to(&role, reach);
            }
            "ClusterRole" => {
                let mut roles = BTreeSet::from([r.name.clone()]);
                self.add_aggregators(&mut roles);
                for name in roles {
                    self.reach_of_bindings_to(&RoleKey::ClusterRole(name.into()), reach);
                }
            }
            _ => {}
        }
    }

    /// Namespaces of the RoleBindings that name a ServiceAccount of namespace `ns`, by
    /// itself or as its namespace's group.
    pub fn reach_of_service_accounts_in(&self, ns: &str, reach: &mut Reach) {
        let prefix = format!("{SA_USER_PREFIX}{ns}:");
        let users = self
            .by_subject
            .range(SubjectKey::User(Shared::new(&prefix))..)
            .take_while(|(k, _)| matches!(k, SubjectKey::User(u) if u.starts_with(&prefix)));
        let group = self
            .by_subject
            .get_key_value(&SubjectKey::Group(format!("{SA_GROUP_PREFIX}{ns}").into()));
        for (_, bindings) in users.chain(group) {
            for binding_ns in bindings.namespaces() {
                reach.add(binding_ns);
            }
        }
    }

    fn reach_of_bindings_to(&self, role: &RoleKey, reach: &mut Reach) {
        for id in self.by_role.get(role).into_iter().flatten() {
            self.reach_of_binding(id, reach);
        }
    }

    fn reach_of_binding(&self, id: &BindingId, reach: &mut Reach) {
        if let Some(ns) = id.namespace() {
            reach.add(ns);
        }
        let Some(entry) = self.bindings.get(id) else {
            return;
        };
        for s in &entry.subjects {
            match s {
                SubjectKey::User(_) => {
                    if let Some((ns, _)) = s.service_account() {
                        reach.add(ns);
                    }
                }
                SubjectKey::Group(g) if EVERYONE.contains(&g.as_str()) => reach.all = true,
                SubjectKey::Group(g) => {
                    if let Some(ns) = g.strip_prefix(SA_GROUP_PREFIX) {
                        reach.add(ns);
                    }
                }
            }
        }
    }
}
