//! The RBAC index and how it stays up to date: bindings by id, the bindings that name each
//! subject key and each role, ClusterRole definitions with their aggregation, and the
//! effective rules of every role; [`Permissions::upsert`] and [`Permissions::remove`] touch
//! only what depends on the object.

use crate::inventory::Inventory;
use crate::model::bootstrap;
use crate::model::identity::{BindingId, ObjectRef, RoleKey, SubjectKey};
use crate::model::meta::{Metadata, Pairs};
use crate::model::rbac::{
    self as rbac, ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Rules,
    Subject,
};
use crate::model::selector;
use crate::model::shared::Shared;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BindingEntry {
    pub(super) role: Option<RoleKey>,
    /// Sorted, each key once: a binding names a few subjects, and a slice of them costs
    /// a fraction of a tree's node.
    pub(super) subjects: Box<[SubjectKey]>,
}

impl BindingEntry {
    /// The key as this binding names it, if it does.
    pub(super) fn subject(&self, key: &SubjectKey) -> Option<&SubjectKey> {
        let i = self.subjects.binary_search(key).ok()?;
        self.subjects.get(i)
    }
}

/// Inserts `item` into a sorted vector unless it is there; whether it was added.
fn insert_sorted<T: Ord>(v: &mut Vec<T>, item: T) -> bool {
    match v.binary_search(&item) {
        Ok(_) => false,
        Err(i) => {
            v.insert(i, item);
            true
        }
    }
}

/// Removes `item` from a sorted vector; whether it was there.
fn remove_sorted<T: Ord>(v: &mut Vec<T>, item: &T) -> bool {
    match v.binary_search(item) {
        Ok(i) => {
            v.remove(i);
            true
        }
        Err(_) => false,
    }
}

/// The bindings that name one subject key, sorted: ClusterRoleBindings, then RoleBindings
/// by namespace and name (the order of [`BindingId`]). Most subjects are named by one or
/// two bindings, so a sorted vector holds them in one small allocation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct BindingsOfSubject(Vec<BindingId>);

impl BindingsOfSubject {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// ClusterRoleBindings first, then RoleBindings by namespace and name.
    pub(super) fn ids(&self) -> impl Iterator<Item = &BindingId> {
        self.0.iter()
    }

    pub(super) fn cluster(&self) -> impl Iterator<Item = &BindingId> {
        self.0
            .iter()
            .take_while(|id| matches!(id, BindingId::Cluster(_)))
    }

    /// The RoleBindings of one namespace.
    pub(super) fn in_namespace<'s>(
        &'s self,
        ns: &str,
    ) -> impl Iterator<Item = &'s BindingId> + use<'s> {
        let start = self.0.partition_point(|id| match id {
            BindingId::Cluster(_) => true,
            BindingId::Namespaced { namespace, .. } => namespace.as_str() < ns,
        });
        let ns = ns.to_owned();
        self.0[start..]
            .iter()
            .take_while(move |id| id.namespace() == Some(ns.as_str()))
    }

    /// The namespaces of its RoleBindings, each once.
    pub(super) fn namespaces(&self) -> impl Iterator<Item = &str> {
        let mut last: Option<&str> = None;
        self.0.iter().filter_map(move |id| {
            let ns = id.namespace()?;
            let new = last != Some(ns);
            last = Some(ns);
            new.then_some(ns)
        })
    }

    fn insert(&mut self, id: &BindingId) {
        if let Err(i) = self.0.binary_search(id) {
            self.0.insert(i, id.clone());
        }
    }

    fn remove(&mut self, id: &BindingId) {
        remove_sorted(&mut self.0, id);
    }
}

#[derive(Debug, Clone, PartialEq)]
struct ClusterRoleDef {
    labels: Pairs,
    /// `Some` for an aggregated role, whose own rules the controller replaces.
    selectors: Option<Vec<LabelSelector>>,
    rules: Rules,
}

impl ClusterRoleDef {
    fn of(role: &ClusterRole) -> Self {
        ClusterRoleDef {
            labels: role.metadata.labels.clone(),
            selectors: role
                .aggregation_rule
                .as_ref()
                .map(|a| a.cluster_role_selectors.clone().unwrap_or_default()),
            rules: role.rules.clone(),
        }
    }

    fn selects(&self, labels: &Pairs) -> bool {
        self.selectors
            .iter()
            .flatten()
            .any(|s| selector::matches(s, Some(labels)))
    }
}

/// An RBAC object to add or replace.
#[derive(Debug, Clone, Copy)]
pub enum RbacObject<'a> {
    Role(&'a Role),
    ClusterRole(&'a ClusterRole),
    RoleBinding(&'a RoleBinding),
    ClusterRoleBinding(&'a ClusterRoleBinding),
}

/// The effective permissions of every identity. See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Permissions {
    cluster_roles: BTreeMap<String, ClusterRoleDef>,
    /// Aggregated ClusterRole -> the other ClusterRoles its selectors match.
    members: BTreeMap<String, BTreeSet<String>>,
    /// Effective rules of every Role and ClusterRole.
    /// Shared with the objects (a plain role's) or the other roles whose are equal.
    pub(super) rules: BTreeMap<RoleKey, Rules>,
    pub(super) bindings: BTreeMap<BindingId, BindingEntry>,
    pub(super) by_subject: BTreeMap<SubjectKey, BindingsOfSubject>,
    pub(super) by_role: BTreeMap<RoleKey, Vec<BindingId>>,
}

impl Default for Permissions {
    fn default() -> Self {
        Permissions::new()
    }
}

impl Permissions {
    /// No bindings, and the embedded bootstrap ClusterRoles.
    pub fn new() -> Self {
        let mut p = Permissions {
            cluster_roles: BTreeMap::new(),
            members: BTreeMap::new(),
            rules: BTreeMap::new(),
            bindings: BTreeMap::new(),
            by_subject: BTreeMap::new(),
            by_role: BTreeMap::new(),
        };
        for (name, role) in &bootstrap::policy().cluster_roles {
            p.cluster_roles
                .insert(name.clone(), ClusterRoleDef::of(role));
        }
        p.rebuild_cluster_roles();
        p
    }

    /// A full build from RBAC objects: what incremental updates must always equal.
    pub fn from_objects<'a>(objects: impl IntoIterator<Item = RbacObject<'a>>) -> Self {
        let mut p = Permissions::new();
        let mut bindings = Vec::new();
        for o in objects {
            match o {
                RbacObject::ClusterRole(r) => {
                    let name = r.metadata.name.to_string();
                    p.cluster_roles.insert(name, ClusterRoleDef::of(r));
                }
                RbacObject::Role(r) => {
                    p.rules.insert(role_key(r), r.rules.clone());
                }
                b => bindings.push(b),
            }
        }
        p.rebuild_cluster_roles();
        for b in bindings {
            p.upsert(b);
        }
        p
    }

    pub fn from_inventory(inv: &Inventory) -> Self {
        let objects = inv
            .roles()
            .map(RbacObject::Role)
            .chain(inv.cluster_roles().map(RbacObject::ClusterRole))
            .chain(inv.role_binding_objects().map(RbacObject::RoleBinding))
            .chain(
                inv.cluster_role_binding_objects()
                    .map(RbacObject::ClusterRoleBinding),
            );
        Permissions::from_objects(objects)
    }

    fn rebuild_cluster_roles(&mut self) {
        self.members.clear();
        let aggregators: Vec<String> = self
            .cluster_roles
            .iter()
            .filter(|(_, d)| d.selectors.is_some())
            .map(|(n, _)| n.clone())
            .collect();
        for a in &aggregators {
            let m = self.matching(a);
            self.members.insert(a.clone(), m);
        }
        self.rules.retain(|k, _| matches!(k, RoleKey::Role { .. }));
        let names: Vec<String> = self.cluster_roles.keys().cloned().collect();
        for n in names {
            self.refresh_cluster_role(&n);
        }
    }

    /// The ClusterRoles other than `aggregator` that its selectors match.
    fn matching(&self, aggregator: &str) -> BTreeSet<String> {
        let Some(def) = self.cluster_roles.get(aggregator) else {
            return BTreeSet::new();
        };
        self.cluster_roles
            .iter()
            .filter(|(n, d)| n.as_str() != aggregator && def.selects(&d.labels))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Recomputes one ClusterRole's effective rules from the definitions and memberships:
    /// an aggregated role holds the rules of every plain role reachable through its
    /// selectors, in name order, each rule once (the controller also skips duplicates).
    fn refresh_cluster_role(&mut self, name: &str) {
        let key = RoleKey::ClusterRole(Shared::new(name));
        let Some(def) = self.cluster_roles.get(name) else {
            self.rules.remove(&key);
            return;
        };
        if def.selectors.is_none() {
            let rules = def.rules.clone();
            self.rules.insert(key, rules);
            return;
        }
        let mut seen = BTreeSet::from([name.to_owned()]);
        let mut stack = vec![name.to_owned()];
        let mut leaves = BTreeSet::new();
        while let Some(n) = stack.pop() {
            for m in self.members.get(&n).into_iter().flatten() {
                if !seen.insert(m.clone()) {
                    continue;
                }
                match self.cluster_roles.get(m) {
                    Some(d) if d.selectors.is_some() => stack.push(m.clone()),
                    Some(_) => {
                        leaves.insert(m.clone());
                    }
                    None => {}
                }
            }
        }
        let mut rules: Vec<PolicyRule> = Vec::new();
        for leaf in &leaves {
            for r in self
                .cluster_roles
                .get(leaf)
                .map(|d| &d.rules[..])
                .unwrap_or(&[])
            {
                if !rules.contains(r) {
                    rules.push(r.clone());
                }
            }
        }
        self.rules.insert(key, rbac::shared_rules(Some(rules)));
    }

    /// Adds or replaces one RBAC object, updating only what depends on it.
    pub fn upsert(&mut self, o: RbacObject<'_>) {
        match o {
            RbacObject::Role(r) => {
                self.rules.insert(role_key(r), r.rules.clone());
            }
            RbacObject::ClusterRole(r) => {
                let name = r.metadata.name.to_string();
                self.set_cluster_role(&name, Some(ClusterRoleDef::of(r)));
            }
            RbacObject::RoleBinding(b) => {
                let ns = b.metadata.namespace().unwrap_or_default();
                let id = BindingId::Namespaced {
                    namespace: Shared::new(ns),
                    name: Shared::new(&b.metadata.name),
                };
                let entry = binding_entry(&b.role_ref, &b.subjects, Some(ns));
                self.set_binding(id, Some(entry));
            }
            RbacObject::ClusterRoleBinding(b) => {
                let id = BindingId::Cluster(Shared::new(&b.metadata.name));
                let entry = binding_entry(&b.role_ref, &b.subjects, None);
                self.set_binding(id, Some(entry));
            }
        }
    }

    /// Removes one RBAC object by reference; other kinds are ignored. Returns whether the
    /// object was known.
    pub fn remove(&mut self, r: &ObjectRef) -> bool {
        let ns: String = r.namespace.as_deref().unwrap_or_default().to_owned();
        match r.kind.as_str() {
            "Role" => self
                .rules
                .remove(&RoleKey::Role {
                    namespace: ns.into(),
                    name: Shared::new(&r.name),
                })
                .is_some(),
            "ClusterRole" => {
                let known = self.cluster_roles.contains_key(&r.name);
                // Deleting a bootstrap role only lasts until the API server restarts.
                let fallback = bootstrap::policy()
                    .cluster_roles
                    .get(&r.name)
                    .map(ClusterRoleDef::of);
                self.set_cluster_role(&r.name, fallback);
                known
            }
            "RoleBinding" => self.set_binding(
                BindingId::Namespaced {
                    namespace: ns.into(),
                    name: Shared::new(&r.name),
                },
                None,
            ),
            "ClusterRoleBinding" => {
                self.set_binding(BindingId::Cluster(Shared::new(&r.name)), None)
            }
            _ => false,
        }
    }

    fn set_binding(&mut self, id: BindingId, entry: Option<BindingEntry>) -> bool {
        let old = match entry {
            Some(e) => self.bindings.insert(id.clone(), e),
            None => self.bindings.remove(&id),
        };
        let known = old.is_some();
        if let Some(old) = old {
            self.unindex_binding(&id, &old);
        }
        self.index_binding(&id);
        known
    }

    /// Drops a binding's former entry from the role and subject indexes.
    fn unindex_binding(&mut self, id: &BindingId, old: &BindingEntry) {
        if let Some(rk) = &old.role
            && let Some(set) = self.by_role.get_mut(rk)
        {
            remove_sorted(set, id);
            if set.is_empty() {
                self.by_role.remove(rk);
            }
        }
        for s in &old.subjects {
            if let Some(of_subject) = self.by_subject.get_mut(s) {
                of_subject.remove(id);
                if of_subject.is_empty() {
                    self.by_subject.remove(s);
                }
            }
        }
    }

    /// Adds a binding's current entry, if any, to the role and subject indexes.
    fn index_binding(&mut self, id: &BindingId) {
        let Some(new) = self.bindings.get(id) else {
            return;
        };
        if let Some(rk) = &new.role {
            insert_sorted(self.by_role.entry(rk.clone()).or_default(), id.clone());
        }
        for s in &new.subjects {
            self.by_subject.entry(s.clone()).or_default().insert(id);
        }
    }

    fn set_cluster_role(&mut self, name: &str, def: Option<ClusterRoleDef>) {
        if self.cluster_roles.get(name) == def.as_ref() {
            return;
        }
        // Aggregated roles whose membership of `name` may change: those that list it now
        // and those whose selectors match its new labels.
        let mut affected: BTreeSet<String> = BTreeSet::from([name.to_owned()]);
        match def {
            Some(d) => {
                self.cluster_roles.insert(name.to_owned(), d);
            }
            None => {
                self.cluster_roles.remove(name);
            }
        }
        let labels = self.cluster_roles.get(name).map(|d| d.labels.clone());
        let aggregators: Vec<String> = self.members.keys().cloned().collect();
        for a in aggregators {
            if a == name {
                continue;
            }
            let selected = match (&labels, self.cluster_roles.get(&a)) {
                (Some(l), Some(d)) => d.selects(l),
                _ => false,
            };
            if let Some(m) = self.members.get_mut(&a) {
                let changed = if selected {
                    m.insert(name.to_owned())
                } else {
                    m.remove(name)
                };
                if changed || m.contains(name) {
                    affected.insert(a);
                }
            }
        }
        let is_aggregator = self
            .cluster_roles
            .get(name)
            .is_some_and(|d| d.selectors.is_some());
        if is_aggregator {
            let m = self.matching(name);
            self.members.insert(name.to_owned(), m);
        } else {
            self.members.remove(name);
        }
        self.add_aggregators(&mut affected);
        for a in affected {
            self.refresh_cluster_role(&a);
        }
    }
}

impl Permissions {
    /// Adds to `roles` every aggregated ClusterRole that reaches one of them through its
    /// members, directly or through other aggregated roles: their rules follow.
    pub(super) fn add_aggregators(&self, roles: &mut BTreeSet<String>) {
        loop {
            let more: Vec<String> = self
                .members
                .iter()
                .filter(|(a, m)| !roles.contains(*a) && m.iter().any(|x| roles.contains(x)))
                .map(|(a, _)| a.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            roles.extend(more);
        }
    }
}

fn role_key(r: &Role) -> RoleKey {
    RoleKey::Role {
        namespace: Shared::new(r.metadata.namespace().unwrap_or_default()),
        name: Shared::new(&r.metadata.name),
    }
}

/// The subject keys a binding reaches, as the authorizer's `appliesTo` reads them: a
/// ServiceAccount without a namespace takes the RoleBinding's, and in a ClusterRoleBinding
/// reaches no one; unknown kinds reach no one.
fn binding_entry(
    role_ref: &RoleRef,
    subjects: &[Subject],
    namespace: Option<&str>,
) -> BindingEntry {
    let mut subjects: Vec<SubjectKey> = subjects
        .iter()
        .filter_map(|s| match s.kind.as_str() {
            "User" => Some(SubjectKey::User(Shared::new(&s.name))),
            "Group" => Some(SubjectKey::Group(Shared::new(&s.name))),
            "ServiceAccount" => {
                let ns = s
                    .namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .or(namespace)
                    .filter(|n| !n.is_empty())?;
                Some(SubjectKey::of_service_account(ns, &s.name))
            }
            _ => None,
        })
        .collect();
    subjects.sort();
    subjects.dedup();
    BindingEntry {
        role: RoleKey::from_ref(role_ref, namespace),
        subjects: subjects.into_boxed_slice(),
    }
}
