//! Effective permissions: what every identity may do, decided as the API server's RBAC
//! authorizer decides it, and kept up to date one object at a time.
//!
//! ```text
//! ClusterRole definitions --aggregation--> rules per role  (RoleKey -> [PolicyRule])
//!                                               ^
//! bindings (BindingId -> scope, role, subject keys) -----+
//!        |
//!        +--> reach: subject key -> bindings naming it, cluster-wide and per namespace
//!
//! UserInfo { name, groups } + request --allowed--> the binding, role and rule that allow it
//! ```
//!
//! The authorizer knows identities only by user name and groups. A ServiceAccount subject
//! is the user `system:serviceaccount:<ns>:<name>`, so it and a `User` subject of that name
//! are one key here; a ServiceAccount authenticates with the groups `system:serviceaccounts`,
//! `system:serviceaccounts:<ns>` and `system:authenticated`. The `system:masters` group is
//! allowed everything by the privileged-group authorizer that runs before RBAC.
//!
//! Incremental updates: a binding change touches only the entries of the subjects it names
//! (before and after); a Role change only its own rules; a ClusterRole change its own rules
//! and those of the aggregated ClusterRoles that select it, transitively. Bindings refer to
//! roles by key, so no subject needs recomputing when a role's rules change. The state is
//! plain ordered data, so a test can compare an incrementally updated state with a fresh
//! build ([`Permissions::from_objects`]) for equality.
//!
//! Bootstrap ClusterRoles (the embedded policy) are present unless the input defines a role
//! of the same name; removing such an input role brings the bootstrap one back, as the API
//! server does on its next start. Bootstrap bindings are not added: offline input describes
//! its own bindings, and a live cluster lists the real ones.

use crate::analysis::rbac::matching::{ResourceRequest, rule_allows, rule_allows_non_resource};
use crate::inventory::Inventory;
use crate::model::bootstrap;
use crate::model::identity::RoleKey;
use crate::model::identity::{ObjectRef, RBAC_V1, Subject};
use crate::model::selector;
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The group the privileged-group authorizer allows everything.
pub const PRIVILEGED_GROUP: &str = "system:masters";
pub const AUTHENTICATED: &str = "system:authenticated";
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";
const SA_USER_PREFIX: &str = "system:serviceaccount:";

/// An identity as the authorizer matches it: bindings name users and groups.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectKey {
    User(String),
    Group(String),
}

impl SubjectKey {
    /// A ServiceAccount's user name, split back, or `None` for other users and groups.
    pub fn service_account(&self) -> Option<(&str, &str)> {
        match self {
            SubjectKey::User(u) => u.strip_prefix(SA_USER_PREFIX)?.split_once(':'),
            SubjectKey::Group(_) => None,
        }
    }

    /// The subject as findings and the CLI name it.
    pub fn to_subject(&self) -> Subject {
        if let Some((namespace, name)) = self.service_account() {
            return Subject::ServiceAccount {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            };
        }
        match self {
            SubjectKey::User(u) => Subject::User(u.clone()),
            SubjectKey::Group(g) => Subject::Group(g.clone()),
        }
    }

    pub fn from_subject(s: &Subject) -> SubjectKey {
        match s {
            Subject::Group(g) => SubjectKey::Group(g.clone()),
            other => SubjectKey::User(other.user_name()),
        }
    }
}

impl fmt::Display for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_subject().fmt(f)
    }
}

/// Who is asking: a user name and the groups the authenticator gave it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserInfo {
    pub name: String,
    pub groups: Vec<String>,
}

impl UserInfo {
    /// A user with exactly these groups (a SubjectAccessReview adds none).
    pub fn new(name: impl Into<String>, groups: &[&str]) -> Self {
        UserInfo {
            name: name.into(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        }
    }

    /// A ServiceAccount with the groups its token authenticates with.
    pub fn service_account(namespace: &str, name: &str) -> Self {
        UserInfo {
            name: format!("{SA_USER_PREFIX}{namespace}:{name}"),
            groups: vec![
                ALL_SERVICE_ACCOUNTS.to_owned(),
                format!("{ALL_SERVICE_ACCOUNTS}:{namespace}"),
                AUTHENTICATED.to_owned(),
            ],
        }
    }

    /// How a binding's subject acts: a user is at least `system:authenticated`, a
    /// ServiceAccount has its groups, and a group stands for a member with no other grant.
    pub fn for_subject(s: &Subject) -> Self {
        match s {
            Subject::User(u) => UserInfo::new(u.clone(), &[AUTHENTICATED]),
            Subject::Group(g) => UserInfo::new(String::new(), &[g.as_str()]),
            Subject::ServiceAccount { namespace, name } => {
                UserInfo::service_account(namespace, name)
            }
        }
    }

    /// The keys bindings may name this identity by.
    pub fn keys(&self) -> impl Iterator<Item = SubjectKey> + '_ {
        let user = (!self.name.is_empty()).then(|| SubjectKey::User(self.name.clone()));
        user.into_iter()
            .chain(self.groups.iter().map(|g| SubjectKey::Group(g.clone())))
    }

    fn is_privileged(&self) -> bool {
        self.groups.iter().any(|g| g == PRIVILEGED_GROUP)
    }
}

/// A RoleBinding (with its namespace) or a ClusterRoleBinding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BindingId {
    Cluster(String),
    Namespaced { namespace: String, name: String },
}

impl BindingId {
    pub fn namespace(&self) -> Option<&str> {
        match self {
            BindingId::Cluster(_) => None,
            BindingId::Namespaced { namespace, .. } => Some(namespace),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            BindingId::Cluster(n) | BindingId::Namespaced { name: n, .. } => n,
        }
    }

    pub fn to_ref(&self) -> ObjectRef {
        match self {
            BindingId::Cluster(n) => ObjectRef::new(RBAC_V1, "ClusterRoleBinding", None, n),
            BindingId::Namespaced { namespace, name } => {
                ObjectRef::new(RBAC_V1, "RoleBinding", Some(namespace), name)
            }
        }
    }
}

/// Why a request is allowed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The identity is in `system:masters`.
    PrivilegedGroup,
    /// A rule of a role that a binding gives to one of the identity's keys.
    Rule {
        binding: BindingId,
        role: RoleKey,
        rule_index: usize,
        subject: SubjectKey,
    },
}

/// One rule an identity holds, with where it applies and where it comes from.
#[derive(Debug, Clone, Copy)]
pub struct HeldRule<'a> {
    /// The namespace a RoleBinding limits it to; `None` cluster-wide.
    pub namespace: Option<&'a str>,
    pub binding: &'a BindingId,
    pub role: &'a RoleKey,
    pub subject: &'a SubjectKey,
    pub rule_index: usize,
    pub rule: &'a PolicyRule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct BindingEntry {
    role: Option<RoleKey>,
    subjects: BTreeSet<SubjectKey>,
}

/// The bindings that name one subject key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Reach {
    cluster: BTreeSet<String>,
    namespaced: BTreeMap<String, BTreeSet<String>>,
}

impl Reach {
    fn is_empty(&self) -> bool {
        self.cluster.is_empty() && self.namespaced.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
struct ClusterRoleDef {
    labels: BTreeMap<String, String>,
    /// `Some` for an aggregated role, whose own rules the controller replaces.
    selectors: Option<Vec<LabelSelector>>,
    rules: Vec<PolicyRule>,
}

impl ClusterRoleDef {
    fn of(role: &ClusterRole) -> Self {
        ClusterRoleDef {
            labels: role.metadata.labels.clone().unwrap_or_default(),
            selectors: role
                .aggregation_rule
                .as_ref()
                .map(|a| a.cluster_role_selectors.clone().unwrap_or_default()),
            rules: role.rules.clone().unwrap_or_default(),
        }
    }

    fn selects(&self, labels: &BTreeMap<String, String>) -> bool {
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
    rules: BTreeMap<RoleKey, Vec<PolicyRule>>,
    bindings: BTreeMap<BindingId, BindingEntry>,
    reach: BTreeMap<SubjectKey, Reach>,
    by_role: BTreeMap<RoleKey, BTreeSet<BindingId>>,
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
            reach: BTreeMap::new(),
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
                    let name = r.metadata.name.clone().unwrap_or_default();
                    p.cluster_roles.insert(name, ClusterRoleDef::of(r));
                }
                RbacObject::Role(r) => {
                    p.rules
                        .insert(role_key(r), r.rules.clone().unwrap_or_default());
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
        let key = RoleKey::ClusterRole(name.to_owned());
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
                .map(|d| &d.rules)
                .into_iter()
                .flatten()
            {
                if !rules.contains(r) {
                    rules.push(r.clone());
                }
            }
        }
        self.rules.insert(key, rules);
    }

    // ---- incremental updates -----------------------------------------------------------

    /// Adds or replaces one RBAC object, updating only what depends on it.
    pub fn upsert(&mut self, o: RbacObject<'_>) {
        match o {
            RbacObject::Role(r) => {
                self.rules
                    .insert(role_key(r), r.rules.clone().unwrap_or_default());
            }
            RbacObject::ClusterRole(r) => {
                let name = r.metadata.name.clone().unwrap_or_default();
                self.set_cluster_role(&name, Some(ClusterRoleDef::of(r)));
            }
            RbacObject::RoleBinding(b) => {
                let ns = b.metadata.namespace.clone().unwrap_or_default();
                let id = BindingId::Namespaced {
                    namespace: ns.clone(),
                    name: b.metadata.name.clone().unwrap_or_default(),
                };
                let entry = binding_entry(&b.role_ref, b.subjects.as_deref(), Some(&ns));
                self.set_binding(id, Some(entry));
            }
            RbacObject::ClusterRoleBinding(b) => {
                let id = BindingId::Cluster(b.metadata.name.clone().unwrap_or_default());
                let entry = binding_entry(&b.role_ref, b.subjects.as_deref(), None);
                self.set_binding(id, Some(entry));
            }
        }
    }

    /// Removes one RBAC object by reference; other kinds are ignored. Returns whether the
    /// object was known.
    pub fn remove(&mut self, r: &ObjectRef) -> bool {
        let ns = r.namespace.clone().unwrap_or_default();
        match r.kind.as_str() {
            "Role" => self
                .rules
                .remove(&RoleKey::Role {
                    namespace: ns,
                    name: r.name.clone(),
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
                    namespace: ns,
                    name: r.name.clone(),
                },
                None,
            ),
            "ClusterRoleBinding" => self.set_binding(BindingId::Cluster(r.name.clone()), None),
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
            if let Some(rk) = &old.role
                && let Some(set) = self.by_role.get_mut(rk)
            {
                set.remove(&id);
                if set.is_empty() {
                    self.by_role.remove(rk);
                }
            }
            for s in &old.subjects {
                if let Some(reach) = self.reach.get_mut(s) {
                    reach_remove(reach, &id);
                    if reach.is_empty() {
                        self.reach.remove(s);
                    }
                }
            }
        }
        if let Some(new) = self.bindings.get(&id) {
            if let Some(rk) = &new.role {
                self.by_role
                    .entry(rk.clone())
                    .or_default()
                    .insert(id.clone());
            }
            for s in &new.subjects {
                let reach = self.reach.entry(s.clone()).or_default();
                match &id {
                    BindingId::Cluster(n) => {
                        reach.cluster.insert(n.clone());
                    }
                    BindingId::Namespaced { namespace, name } => {
                        reach
                            .namespaced
                            .entry(namespace.clone())
                            .or_default()
                            .insert(name.clone());
                    }
                }
            }
        }
        known
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
        // Every aggregated role that reaches an affected one through its members.
        loop {
            let more: Vec<String> = self
                .members
                .iter()
                .filter(|(a, m)| !affected.contains(*a) && m.iter().any(|x| affected.contains(x)))
                .map(|(a, _)| a.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            affected.extend(more);
        }
        for a in affected {
            self.refresh_cluster_role(&a);
        }
    }

    // ---- questions ---------------------------------------------------------------------

    /// Whether `user` may make the resource request, and which rule allows it: the first one
    /// in the authorizer's order (ClusterRoleBindings, then RoleBindings of the namespace).
    pub fn authorize(&self, user: &UserInfo, req: &ResourceRequest<'_>) -> Option<Reason> {
        if user.is_privileged() {
            return Some(Reason::PrivilegedGroup);
        }
        self.held_in(user, req.namespace)
            .find(|h| rule_allows(h.rule, req))
            .map(HeldRule::reason)
    }

    pub fn allowed(&self, user: &UserInfo, req: &ResourceRequest<'_>) -> bool {
        self.authorize(user, req).is_some()
    }

    /// Whether `user` may use `verb` on a non-resource URL such as `/metrics`. Only
    /// ClusterRoleBindings grant these.
    pub fn authorize_non_resource(
        &self,
        user: &UserInfo,
        verb: &str,
        path: &str,
    ) -> Option<Reason> {
        if user.is_privileged() {
            return Some(Reason::PrivilegedGroup);
        }
        self.held_in(user, "")
            .find(|h| rule_allows_non_resource(h.rule, verb, path))
            .map(HeldRule::reason)
    }

    pub fn allowed_non_resource(&self, user: &UserInfo, verb: &str, path: &str) -> bool {
        self.authorize_non_resource(user, verb, path).is_some()
    }

    /// The rules that apply to `user` for a request in `namespace` (`""` for cluster-scoped
    /// requests), in the authorizer's order.
    pub fn held_in<'a>(
        &'a self,
        user: &'a UserInfo,
        namespace: &'a str,
    ) -> impl Iterator<Item = HeldRule<'a>> + 'a {
        let keys: Vec<SubjectKey> = user.keys().collect();
        let mut found: Vec<(BindingId, SubjectKey)> = Vec::new();
        for k in keys {
            let Some(reach) = self.reach.get(&k) else {
                continue;
            };
            for n in &reach.cluster {
                found.push((BindingId::Cluster(n.clone()), k.clone()));
            }
            if namespace.is_empty() {
                continue;
            }
            for n in reach.namespaced.get(namespace).into_iter().flatten() {
                found.push((
                    BindingId::Namespaced {
                        namespace: namespace.to_owned(),
                        name: n.clone(),
                    },
                    k.clone(),
                ));
            }
        }
        // ClusterRoleBindings sort first, as the authorizer visits them first.
        found.sort();
        found.dedup_by(|a, b| a.0 == b.0);
        found
            .into_iter()
            .filter_map(move |(id, k)| {
                let (bid, entry) = self.bindings.get_key_value(&id)?;
                let subject = entry.subjects.get(&k)?;
                Some((bid, entry, subject))
            })
            .flat_map(move |(bid, entry, subject)| self.binding_rules(bid, entry, subject))
    }

    /// Every rule `user` holds anywhere, cluster-wide grants first.
    pub fn held<'a>(&'a self, user: &'a UserInfo) -> impl Iterator<Item = HeldRule<'a>> + 'a {
        let mut found: Vec<(&BindingId, &BindingEntry, &SubjectKey)> = Vec::new();
        for k in user.keys() {
            let Some((key, reach)) = self.reach.get_key_value(&k) else {
                continue;
            };
            for n in &reach.cluster {
                let id = BindingId::Cluster(n.clone());
                if let Some((bid, e)) = self.bindings.get_key_value(&id) {
                    found.push((bid, e, key));
                }
            }
            for (ns, names) in &reach.namespaced {
                for n in names {
                    let id = BindingId::Namespaced {
                        namespace: ns.clone(),
                        name: n.clone(),
                    };
                    if let Some((bid, e)) = self.bindings.get_key_value(&id) {
                        found.push((bid, e, key));
                    }
                }
            }
        }
        found.sort_by(|a, b| a.0.cmp(b.0));
        found.dedup_by(|a, b| a.0 == b.0);
        found
            .into_iter()
            .flat_map(move |(bid, entry, subject)| self.binding_rules(bid, entry, subject))
    }

    /// The roles `user` holds and where: (namespace of a RoleBinding or `None`, role).
    pub fn roles_held(&self, user: &UserInfo) -> BTreeSet<(Option<String>, RoleKey)> {
        let mut out = BTreeSet::new();
        for k in user.keys() {
            let Some(reach) = self.reach.get(&k) else {
                continue;
            };
            for n in &reach.cluster {
                if let Some(role) = self.role_of(&BindingId::Cluster(n.clone())) {
                    out.insert((None, role.clone()));
                }
            }
            for (ns, names) in &reach.namespaced {
                for n in names {
                    let id = BindingId::Namespaced {
                        namespace: ns.clone(),
                        name: n.clone(),
                    };
                    if let Some(role) = self.role_of(&id) {
                        out.insert((Some(ns.clone()), role.clone()));
                    }
                }
            }
        }
        out
    }

    /// The bindings that reach `user`, with their roles and the key they name it by:
    /// ClusterRoleBindings first, as the authorizer visits them.
    pub fn bindings_for(&self, user: &UserInfo) -> Vec<(&BindingId, &RoleKey, &SubjectKey)> {
        let mut out = Vec::new();
        for k in user.keys() {
            let Some((key, reach)) = self.reach.get_key_value(&k) else {
                continue;
            };
            let cluster = reach.cluster.iter().map(|n| BindingId::Cluster(n.clone()));
            let namespaced = reach.namespaced.iter().flat_map(|(ns, names)| {
                names.iter().map(|n| BindingId::Namespaced {
                    namespace: ns.clone(),
                    name: n.clone(),
                })
            });
            for id in cluster.chain(namespaced) {
                if let Some((bid, e)) = self.bindings.get_key_value(&id)
                    && let Some(role) = &e.role
                {
                    out.push((bid, role, key));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(b.0));
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }

    /// Namespaces where `user` holds something through a RoleBinding.
    pub fn namespaces_held(&self, user: &UserInfo) -> BTreeSet<String> {
        user.keys()
            .filter_map(|k| self.reach.get(&k))
            .flat_map(|r| r.namespaced.keys().cloned())
            .collect()
    }

    fn role_of(&self, id: &BindingId) -> Option<&RoleKey> {
        self.bindings.get(id).and_then(|e| e.role.as_ref())
    }

    fn binding_rules<'a>(
        &'a self,
        binding: &'a BindingId,
        entry: &'a BindingEntry,
        subject: &'a SubjectKey,
    ) -> impl Iterator<Item = HeldRule<'a>> + 'a {
        let role = entry.role.as_ref();
        let rules = role.and_then(|r| self.rules.get(r).map(|rules| (r, rules)));
        rules.into_iter().flat_map(move |(role, rules)| {
            rules
                .iter()
                .enumerate()
                .map(move |(rule_index, rule)| HeldRule {
                    namespace: binding.namespace(),
                    binding,
                    role,
                    subject,
                    rule_index,
                    rule,
                })
        })
    }

    /// Every binding that allows a resource request, with the subjects it names: who can.
    /// `system:masters` is always allowed and is not listed.
    pub fn who_can(
        &self,
        req: &ResourceRequest<'_>,
    ) -> Vec<(BindingId, RoleKey, usize, Vec<SubjectKey>)> {
        self.bindings_in(req.namespace)
            .filter_map(|(id, e)| {
                let role = e.role.as_ref()?;
                let i = self
                    .rules
                    .get(role)?
                    .iter()
                    .position(|r| rule_allows(r, req))?;
                Some((
                    id.clone(),
                    role.clone(),
                    i,
                    e.subjects.iter().cloned().collect(),
                ))
            })
            .collect()
    }

    /// Like [`Permissions::who_can`], for a non-resource URL.
    pub fn who_can_non_resource(
        &self,
        verb: &str,
        path: &str,
    ) -> Vec<(BindingId, RoleKey, usize, Vec<SubjectKey>)> {
        self.bindings_in("")
            .filter_map(|(id, e)| {
                let role = e.role.as_ref()?;
                let i = self
                    .rules
                    .get(role)?
                    .iter()
                    .position(|r| rule_allows_non_resource(r, verb, path))?;
                Some((
                    id.clone(),
                    role.clone(),
                    i,
                    e.subjects.iter().cloned().collect(),
                ))
            })
            .collect()
    }

    /// ClusterRoleBindings, then the RoleBindings of `namespace` (none for `""`).
    fn bindings_in<'a>(
        &'a self,
        namespace: &'a str,
    ) -> impl Iterator<Item = (&'a BindingId, &'a BindingEntry)> + 'a {
        let cluster = self
            .bindings
            .iter()
            .take_while(|(id, _)| matches!(id, BindingId::Cluster(_)));
        let start = BindingId::Namespaced {
            namespace: namespace.to_owned(),
            name: String::new(),
        };
        let namespaced = self
            .bindings
            .range(start..)
            .take_while(move |(id, _)| !namespace.is_empty() && id.namespace() == Some(namespace));
        cluster.chain(namespaced)
    }

    /// Effective rules of a role (aggregation resolved); `None` if it does not exist.
    pub fn role_rules(&self, role: &RoleKey) -> Option<&[PolicyRule]> {
        self.rules.get(role).map(Vec::as_slice)
    }

    /// The role a binding refers to and the subjects it names.
    pub fn binding(
        &self,
        id: &BindingId,
    ) -> Option<(Option<&RoleKey>, impl Iterator<Item = &SubjectKey>)> {
        self.bindings
            .get(id)
            .map(|e| (e.role.as_ref(), e.subjects.iter()))
    }

    /// Bindings that refer to a role.
    pub fn bindings_to(&self, role: &RoleKey) -> impl Iterator<Item = &BindingId> {
        self.by_role.get(role).into_iter().flatten()
    }

    /// Every subject key some binding names.
    pub fn subjects(&self) -> impl Iterator<Item = &SubjectKey> {
        self.reach.keys()
    }

    /// Whether some binding names this key.
    pub fn is_bound(&self, key: &SubjectKey) -> bool {
        self.reach.contains_key(key)
    }

    /// How many bindings are known (for benchmarks and logs).
    pub fn binding_count(&self) -> usize {
        self.bindings.len()
    }
}

impl HeldRule<'_> {
    fn reason(self) -> Reason {
        Reason::Rule {
            binding: self.binding.clone(),
            role: self.role.clone(),
            rule_index: self.rule_index,
            subject: self.subject.clone(),
        }
    }
}

fn reach_remove(reach: &mut Reach, id: &BindingId) {
    match id {
        BindingId::Cluster(n) => {
            reach.cluster.remove(n);
        }
        BindingId::Namespaced { namespace, name } => {
            if let Some(set) = reach.namespaced.get_mut(namespace) {
                set.remove(name);
                if set.is_empty() {
                    reach.namespaced.remove(namespace);
                }
            }
        }
    }
}

fn role_key(r: &Role) -> RoleKey {
    RoleKey::Role {
        namespace: r.metadata.namespace.clone().unwrap_or_default(),
        name: r.metadata.name.clone().unwrap_or_default(),
    }
}

/// The subject keys a binding reaches, as the authorizer's `appliesTo` reads them: a
/// ServiceAccount without a namespace takes the RoleBinding's, and in a ClusterRoleBinding
/// reaches no one; unknown kinds reach no one.
fn binding_entry(
    role_ref: &RoleRef,
    subjects: Option<&[k8s_openapi::api::rbac::v1::Subject]>,
    namespace: Option<&str>,
) -> BindingEntry {
    let subjects = subjects
        .into_iter()
        .flatten()
        .filter_map(|s| match s.kind.as_str() {
            "User" => Some(SubjectKey::User(s.name.clone())),
            "Group" => Some(SubjectKey::Group(s.name.clone())),
            "ServiceAccount" => {
                let ns = s
                    .namespace
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .or(namespace)
                    .filter(|n| !n.is_empty())?;
                Some(SubjectKey::User(format!("{SA_USER_PREFIX}{ns}:{}", s.name)))
            }
            _ => None,
        })
        .collect();
    BindingEntry {
        role: RoleKey::from_ref(role_ref, namespace),
        subjects,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::manifest;

    fn perms(yaml: &str) -> Permissions {
        let parsed = manifest::parse("test.yaml", yaml);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let inv = Inventory::from_objects(parsed.objects.into_iter().map(|(o, _)| o));
        Permissions::from_inventory(&inv)
    }

    fn get<'a>(resource: &'a str, namespace: &'a str, name: &'a str) -> ResourceRequest<'a> {
        ResourceRequest {
            verb: "get",
            group: "",
            resource,
            subresource: "",
            namespace,
            name,
        }
    }

    const BASE: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: ServiceAccount, name: app}
- {kind: Group, name: "system:serviceaccounts:ops"}
"#;

    #[test]
    fn rolebinding_limits_a_clusterrole_to_its_namespace() {
        let p = perms(BASE);
        let sa = UserInfo::service_account("team", "app");
        assert!(p.allowed(&sa, &get("secrets", "team", "x")));
        assert!(!p.allowed(&sa, &get("secrets", "other", "x")));
        assert!(!p.allowed(&sa, &get("secrets", "", "x")));
        // The group of another namespace's ServiceAccounts is bound in `team` too.
        let ops = UserInfo::service_account("ops", "bot");
        assert!(p.allowed(&ops, &get("secrets", "team", "x")));
        let user_named_like_sa = UserInfo::new("system:serviceaccount:team:app", &[]);
        assert!(p.allowed(&user_named_like_sa, &get("secrets", "team", "x")));
    }

    #[test]
    fn privileged_group_is_allowed_everything() {
        let p = perms(BASE);
        let root = UserInfo::new("root", &[PRIVILEGED_GROUP]);
        assert_eq!(
            p.authorize(&root, &get("nodes", "", "")),
            Some(Reason::PrivilegedGroup)
        );
    }

    #[test]
    fn aggregation_follows_label_changes_incrementally() {
        let mut p = perms(BASE);
        let agg: ClusterRole = serde_yaml_ng::from_str(
            r#"
metadata: {name: agg}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {x: "1"}}]
"#,
        )
        .expect("role parses");
        let mut part: ClusterRole = serde_yaml_ng::from_str(
            r#"
metadata: {name: part, labels: {x: "1"}}
rules: [{apiGroups: [""], resources: [pods], verbs: [list]}]
"#,
        )
        .expect("role parses");
        p.upsert(RbacObject::ClusterRole(&agg));
        p.upsert(RbacObject::ClusterRole(&part));
        let key = RoleKey::ClusterRole("agg".into());
        assert_eq!(p.role_rules(&key).map(<[_]>::len), Some(1));
        part.metadata.labels = None;
        p.upsert(RbacObject::ClusterRole(&part));
        assert_eq!(p.role_rules(&key).map(<[_]>::len), Some(0));
    }

    #[test]
    fn who_can_names_binding_role_and_subjects() {
        let p = perms(BASE);
        let found = p.who_can(&get("secrets", "team", "x"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0.to_ref().name, "read");
        assert!(
            found[0]
                .3
                .contains(&SubjectKey::User("system:serviceaccount:team:app".into()))
        );
        assert!(p.who_can(&get("secrets", "elsewhere", "x")).is_empty());
    }
}
