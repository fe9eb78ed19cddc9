//! Incremental updates: a batch of watch events applied to a live inventory, the derived
//! indexes brought up to date for what the batch touched, and the part of the cluster whose
//! findings may have changed.
//!
//! ```text
//! changes --before--> namespaces the old objects reached ─┐
//!         --apply---> maps, binding index, stale indexes  ├─> Scope to re-evaluate
//!         --after---> namespaces the new objects reach   ─┘
//! ```
//! An object reaches more than its own namespace when a rule elsewhere reads it: a binding
//! judges the ServiceAccounts it names, a ClusterRole judges every binding to it (and to the
//! roles that aggregate it), a ServiceAccount is judged by the bindings that name it. The
//! cluster-scoped part is always in the returned scope: it is a few milliseconds even on
//! large clusters, and escalation-style rules read every namespace.

use super::index::BindingKey;
use super::{Inventory, Key, in_ns};
use crate::model::bootstrap;
use crate::model::identity::RoleKey;
use crate::model::identity::{ObjectRef, Subject};
use crate::model::kinds;
use crate::model::object::Object;
use crate::model::object::reference_of;
use crate::model::scope::Scope;
use crate::model::selector;
use std::collections::BTreeSet;

/// One watch event, as the inventory needs it.
#[derive(Debug, Clone)]
pub enum Change {
    /// Created or modified: the object as it is now.
    Upsert(Box<Object>),
    /// Deleted.
    Delete(ObjectRef),
}

impl Change {
    fn reference(&self) -> Option<ObjectRef> {
        match self {
            Change::Upsert(o) => reference_of(o),
            Change::Delete(r) => Some(r.clone()),
        }
    }
}

/// Groups whose members live in every namespace: a binding to one reaches them all.
const EVERYONE: [&str; 3] = [
    "system:serviceaccounts",
    "system:authenticated",
    "system:unauthenticated",
];

#[derive(Debug, Default)]
struct Reach {
    all: bool,
    /// Whether the cluster-scoped part (ClusterRoles, ClusterRoleBindings, encryption,
    /// escalation paths) must be judged again.
    cluster: bool,
    namespaces: BTreeSet<String>,
}

impl Reach {
    fn add(&mut self, ns: &str) {
        if !ns.is_empty() && !self.namespaces.contains(ns) {
            self.namespaces.insert(ns.to_owned());
        }
    }

    fn into_scope(self) -> Scope {
        if self.all {
            Scope::All
        } else {
            Scope::Only {
                namespaces: self.namespaces,
                cluster: self.cluster,
            }
        }
    }
}

/// Whether a change to the object can change cluster-scoped findings by itself (the
/// escalation graph's dependence on workloads is checked separately).
fn changes_cluster_findings(r: &ObjectRef) -> bool {
    // kube-apiserver pods in kube-system are encryption evidence.
    kinds::info(&r.kind).is_none_or(|k| k.cluster_findings)
        || r.namespace.as_deref() == Some("kube-system")
}

/// Derived indexes a batch made stale.
#[derive(Debug, Default)]
struct Stale {
    cluster_roles: bool,
    api_servers: bool,
    workloads: BTreeSet<String>,
    namespaces: BTreeSet<String>,
}

impl Stale {
    fn note(&mut self, r: &ObjectRef) {
        let ns = r.namespace.as_deref().unwrap_or("");
        match r.kind.as_str() {
            "ClusterRole" => self.cluster_roles = true,
            "Namespace" => {
                self.namespaces.insert(r.name.clone());
            }
            _ => {}
        }
        if kinds::is_workload(&r.kind) {
            self.workloads.insert(ns.to_owned());
            if r.kind == "Pod" && ns == "kube-system" {
                self.api_servers = true;
            }
        }
        if !ns.is_empty() {
            self.namespaces.insert(ns.to_owned());
        }
    }
}

impl Inventory {
    /// Applies a batch of changes and returns the scope to re-evaluate: every namespace whose
    /// findings may differ, and the cluster-scoped part. Evaluating that scope and merging it
    /// into the previous evaluation gives what a full evaluation would.
    pub fn apply(&mut self, changes: Vec<Change>) -> Scope {
        let mut reach = Reach::default();
        let with_refs: Vec<(Option<ObjectRef>, Change)> =
            changes.into_iter().map(|c| (c.reference(), c)).collect();
        // An object without a reference (an EncryptionConfiguration) is cluster evidence.
        reach.cluster = with_refs.iter().any(|(r, _)| r.is_none());
        let refs: Vec<ObjectRef> = with_refs.iter().filter_map(|(r, _)| r.clone()).collect();
        for r in &refs {
            self.reach_of(r, &mut reach);
        }
        let mut stale = Stale::default();
        for (r, change) in with_refs {
            if let Some(r) = &r {
                self.unindex_binding(r);
            }
            match change {
                Change::Upsert(o) => self.insert(*o, None),
                Change::Delete(r) => {
                    self.remove(&r);
                }
            }
            if let Some(r) = &r {
                self.index_binding_of(r);
                stale.note(r);
            }
        }
        let known_before: Vec<bool> = stale
            .namespaces
            .iter()
            .map(|ns| self.index.namespaces.contains(ns))
            .collect();
        self.refresh(&stale);
        // A namespace that appears or disappears changes how bindings naming its
        // ServiceAccounts are judged.
        for (ns, before) in stale.namespaces.iter().zip(known_before) {
            if before != self.index.namespaces.contains(ns) {
                self.reach_of_subjects_in(ns, &mut reach);
                reach.cluster = true;
            }
        }
        for r in &refs {
            self.reach_of(r, &mut reach);
        }
        // The cluster-scoped part reads RBAC, Namespaces, ServiceAccounts, Secrets and the
        // API server's evidence; the escalation graph also reads workloads, which
        // `analysis::derived` adds when the batch dropped the graph. Skipping the part
        // matters on large clusters, where escalation paths are thousands of findings.
        reach.cluster |= refs.iter().any(changes_cluster_findings);
        reach.into_scope()
    }

    /// Whether the derived indexes equal a full rebuild's: what incremental updates must
    /// keep true. Costs a full reindex; for tests and debugging.
    pub fn index_is_consistent(&self) -> bool {
        let mut rebuilt = self.clone();
        rebuilt.reindex();
        rebuilt.index == self.index
    }

    fn binding_key(r: &ObjectRef) -> Option<BindingKey> {
        match r.kind.as_str() {
            "RoleBinding" => Some(BindingKey::Namespaced((
                r.namespace.clone().unwrap_or_default(),
                r.name.clone(),
            ))),
            "ClusterRoleBinding" => Some(BindingKey::Cluster(r.name.clone())),
            _ => None,
        }
    }

    fn unindex_binding(&mut self, r: &ObjectRef) {
        let Some(bk) = Self::binding_key(r) else {
            return;
        };
        let Some(b) = self.binding(&bk) else { return };
        let subjects: Vec<Subject> = b.subjects().collect();
        let role = b.role_key();
        for s in subjects {
            if let Some(keys) = self.index.bindings_by_subject.get_mut(&s) {
                keys.retain(|k| *k != bk);
                if keys.is_empty() {
                    self.index.bindings_by_subject.remove(&s);
                }
            }
        }
        if let Some(rk) = role
            && let Some(keys) = self.index.bindings_by_role.get_mut(&rk)
        {
            keys.retain(|k| *k != bk);
            if keys.is_empty() {
                self.index.bindings_by_role.remove(&rk);
            }
        }
    }

    fn index_binding_of(&mut self, r: &ObjectRef) {
        let Some(bk) = Self::binding_key(r) else {
            return;
        };
        let Some(b) = self.binding(&bk) else { return };
        let subjects: Vec<Subject> = b.subjects().collect();
        let role = b.role_key();
        // Sorted insertion keeps each list in the order a full reindex would build.
        let put = |keys: &mut Vec<BindingKey>| {
            if let Err(i) = keys.binary_search(&bk) {
                keys.insert(i, bk.clone());
            }
        };
        for s in subjects {
            put(self.index.bindings_by_subject.entry(s).or_default());
        }
        if let Some(rk) = role {
            put(self.index.bindings_by_role.entry(rk).or_default());
        }
    }

    fn refresh(&mut self, stale: &Stale) {
        if stale.cluster_roles {
            self.index.cluster_role_rules = self.resolve_cluster_roles();
        }
        if stale.api_servers {
            self.index.api_servers = self.find_api_servers();
        }
        for ns in &stale.workloads {
            let w = self.workloads_of(ns);
            if w.is_empty() {
                self.index.workloads.remove(ns);
            } else {
                self.index.workloads.insert(ns.clone(), w);
            }
        }
        for ns in &stale.namespaces {
            if self.namespaces.contains_key(ns) || self.has_objects_in(ns) {
                self.index.namespaces.insert(ns.clone());
            } else {
                self.index.namespaces.remove(ns);
            }
        }
    }

    fn has_objects_in(&self, ns: &str) -> bool {
        fn any<T>(map: &std::collections::BTreeMap<Key, T>, ns: &str) -> bool {
            in_ns(map, ns).next().is_some()
        }
        any(&self.service_accounts, ns)
            || any(&self.roles, ns)
            || any(&self.role_bindings, ns)
            || any(&self.network_policies, ns)
            || any(&self.pods, ns)
            || any(&self.deployments, ns)
            || any(&self.stateful_sets, ns)
            || any(&self.daemon_sets, ns)
            || any(&self.replica_sets, ns)
            || any(&self.jobs, ns)
            || any(&self.cron_jobs, ns)
            || any(&self.resource_quotas, ns)
            || any(&self.limit_ranges, ns)
            || any(&self.secrets, ns)
    }

    /// Adds the namespaces whose findings read the object `r` names, as the inventory holds
    /// it now (nothing more than its own namespace when it does not exist).
    fn reach_of(&self, r: &ObjectRef, reach: &mut Reach) {
        if let Some(ns) = &r.namespace {
            reach.add(ns);
        }
        match r.kind.as_str() {
            // Cluster-wide evidence of encryption judges the API server pods too.
            "ApiServerMetrics" | "EncryptionConfiguration" => reach.add("kube-system"),
            "Namespace" => {
                reach.add(&r.name);
                self.reach_of_subjects_in(&r.name, reach);
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                if let Some(bk) = Self::binding_key(r) {
                    self.reach_of_binding(&bk, reach);
                }
            }
            // Bindings judge the ServiceAccounts they name, and whether the namespace's
            // ServiceAccounts are known at all.
            "ServiceAccount" => {
                if let Some(ns) = &r.namespace {
                    self.reach_of_subjects_in(ns, reach);
                }
            }
            // Bindings to a Role judge the ServiceAccounts they name, wherever those live.
            "Role" => {
                let key = RoleKey::Role {
                    namespace: r.namespace.clone().unwrap_or_default(),
                    name: r.name.clone(),
                };
                self.reach_of_bindings_to(&key, reach);
            }
            "ClusterRole" => {
                for role in self.aggregators_of(&r.name) {
                    self.reach_of_bindings_to(&RoleKey::ClusterRole(role), reach);
                }
            }
            _ => {}
        }
    }

    /// Every binding to a role is judged with the role's rules.
    fn reach_of_bindings_to(&self, role: &RoleKey, reach: &mut Reach) {
        for bk in self.index.bindings_by_role.get(role).into_iter().flatten() {
            self.reach_of_binding(bk, reach);
        }
    }

    /// Namespaces of the RoleBindings that name a ServiceAccount of namespace `ns`.
    fn reach_of_subjects_in(&self, ns: &str, reach: &mut Reach) {
        let prefix = format!("system:serviceaccount:{ns}:");
        let group = format!("system:serviceaccounts:{ns}");
        for (s, keys) in &self.index.bindings_by_subject {
            let names_ns = match s {
                Subject::ServiceAccount { namespace, .. } => namespace == ns,
                Subject::User(u) => u.starts_with(&prefix),
                Subject::Group(g) => *g == group,
            };
            if names_ns {
                for bk in keys {
                    if let BindingKey::Namespaced((binding_ns, _)) = bk {
                        reach.add(binding_ns);
                    }
                }
            }
        }
    }

    /// A binding is judged in its namespace and where the ServiceAccounts it names live.
    fn reach_of_binding(&self, bk: &BindingKey, reach: &mut Reach) {
        if let BindingKey::Namespaced((ns, _)) = bk {
            reach.add(ns);
        }
        let Some(b) = self.binding(bk) else { return };
        for s in b.subjects() {
            match s {
                Subject::ServiceAccount { namespace, .. } => reach.add(&namespace),
                Subject::Group(g) => {
                    if EVERYONE.contains(&g.as_str()) {
                        reach.all = true;
                    } else if let Some(ns) = g.strip_prefix("system:serviceaccounts:") {
                        reach.add(ns);
                    }
                }
                Subject::User(u) => {
                    if let Some((ns, _)) = u
                        .strip_prefix("system:serviceaccount:")
                        .and_then(|rest| rest.split_once(':'))
                    {
                        reach.add(ns);
                    }
                }
            }
        }
    }

    /// `name` and every ClusterRole that aggregates it, directly or through other
    /// aggregated roles: a change to `name` changes their rules too.
    fn aggregators_of(&self, name: &str) -> BTreeSet<String> {
        let boot = &bootstrap::policy().cluster_roles;
        let role = |n: &str| self.cluster_roles.get(n).or_else(|| boot.get(n));
        let mut found = BTreeSet::from([name.to_owned()]);
        let mut queue = vec![name.to_owned()];
        while let Some(current) = queue.pop() {
            let labels = role(&current).and_then(|r| r.metadata.labels.as_ref());
            if labels.is_none_or(|l| l.is_empty()) {
                continue;
            }
            let candidates = boot
                .iter()
                .filter(|(n, _)| !self.cluster_roles.contains_key(*n))
                .chain(self.cluster_roles.iter());
            for (n, r) in candidates {
                let selectors = r
                    .aggregation_rule
                    .as_ref()
                    .and_then(|a| a.cluster_role_selectors.as_deref())
                    .unwrap_or(&[]);
                if !found.contains(n) && selectors.iter().any(|s| selector::matches(s, labels)) {
                    found.insert(n.clone());
                    queue.push(n.clone());
                }
            }
        }
        found
    }
}
