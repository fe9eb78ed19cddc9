//! The inventory's derived indexes: which namespaces exist, bindings by subject and by
//! role, every ClusterRole's rules with aggregation resolved, each namespace's top-level
//! workloads and the API servers' flags. [`Inventory::reindex`] builds them from the maps;
//! `changes` keeps them up to date one change at a time.

use super::views::Binding;
use super::{Inventory, Key, Namespaced, in_ns, name};
use crate::model::apiserver_flags::{ApiServerFacts, parse_flags};
use crate::model::bootstrap;
use crate::model::identity::{ObjectRef, RoleKey, Subject};
use crate::model::pod::PodTemplate;
use crate::model::selector;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Ordered as a full reindex visits bindings: RoleBindings by (namespace, name), then
/// ClusterRoleBindings by name; incremental updates insert at the same place.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum BindingKey {
    Namespaced(Key),
    Cluster(String),
}

#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Index {
    pub(super) namespaces: BTreeSet<String>,
    pub(super) bindings_by_subject: HashMap<Subject, Vec<BindingKey>>,
    pub(super) bindings_by_role: HashMap<RoleKey, Vec<BindingKey>>,
    /// Effective rules of every ClusterRole known (input and bootstrap), aggregation resolved.
    pub(super) cluster_role_rules: HashMap<String, Vec<PolicyRule>>,
    /// Top-level workloads per namespace: (kind, name).
    pub(super) workloads: BTreeMap<String, Vec<(WorkloadKind, String)>>,
    pub(super) api_servers: Vec<ApiServerFacts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum WorkloadKind {
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
}

impl Inventory {
    /// Rebuilds the derived indexes. Linear in the number of objects.
    pub fn reindex(&mut self) {
        let mut index = Index::default();
        self.index_namespaces(&mut index);
        for (k, b) in &self.role_bindings {
            let bk = BindingKey::Namespaced(k.clone());
            self.index_binding(&mut index, bk, self.binding_view_rb(b));
        }
        for (n, b) in &self.cluster_role_bindings {
            let bk = BindingKey::Cluster(n.clone());
            self.index_binding(&mut index, bk, self.binding_view_crb(b));
        }
        index.cluster_role_rules = self.resolve_cluster_roles();
        index.workloads = self.top_level_workloads();
        index.api_servers = self.find_api_servers();
        self.index = index;
    }

    pub(super) fn index_namespaces(&self, index: &mut Index) {
        index.namespaces.extend(self.namespaces.keys().cloned());
        // Clone only namespaces not seen yet.
        macro_rules! add {
            ($($map:ident),*) => {$({
                for ns in namespaces_of(&self.$map) {
                    if !ns.is_empty() && !index.namespaces.contains(ns) {
                        index.namespaces.insert(ns.to_owned());
                    }
                }
            })*};
        }
        add!(
            service_accounts,
            roles,
            role_bindings,
            network_policies,
            pods,
            deployments,
            stateful_sets,
            daemon_sets,
            replica_sets,
            jobs,
            cron_jobs,
            resource_quotas,
            limit_ranges,
            secrets
        );
    }

    pub(super) fn index_binding(&self, index: &mut Index, bk: BindingKey, b: Binding<'_>) {
        for s in b.subjects() {
            let keys = index.bindings_by_subject.entry(s).or_default();
            // A subject listed twice in one binding is still one binding of it.
            if keys.last() != Some(&bk) {
                keys.push(bk.clone());
            }
        }
        if let Some(rk) = b.role_key() {
            index.bindings_by_role.entry(rk).or_default().push(bk);
        }
    }

    /// ClusterRole rules as kube-controller-manager's aggregation controller would fill them:
    /// a role with an `aggregationRule` gets the rules of every other ClusterRole that one of
    /// its selectors matches, including roles that are aggregated themselves (built-in `view`
    /// is labelled into `edit`, and `edit` into `admin`). Input roles shadow bootstrap roles
    /// of the same name.
    pub(super) fn resolve_cluster_roles(&self) -> HashMap<String, Vec<PolicyRule>> {
        let boot = &bootstrap::policy().cluster_roles;
        let all: BTreeMap<&str, &ClusterRole> = boot
            .iter()
            .chain(self.cluster_roles.iter())
            .map(|(n, r)| (n.as_str(), r))
            .collect();
        let mut out = HashMap::with_capacity(all.len());
        for name in all.keys() {
            let mut visiting = Vec::new();
            resolve_role(name, &all, &mut out, &mut visiting);
        }
        out
    }

    pub(super) fn top_level_workloads(&self) -> BTreeMap<String, Vec<(WorkloadKind, String)>> {
        let mut namespaces: BTreeSet<&str> = BTreeSet::new();
        macro_rules! add {
            ($($map:ident),*) => {$( namespaces.extend(namespaces_of(&self.$map)); )*};
        }
        add!(
            pods,
            deployments,
            stateful_sets,
            daemon_sets,
            replica_sets,
            jobs,
            cron_jobs
        );
        namespaces
            .into_iter()
            .map(|ns| (ns.to_owned(), self.workloads_of(ns)))
            .filter(|(_, w)| !w.is_empty())
            .collect()
    }

    /// Top-level workloads of one namespace, sorted: an owner present in the inventory
    /// stands for the objects it controls.
    pub(super) fn workloads_of(&self, ns: &str) -> Vec<(WorkloadKind, String)> {
        // The key is built only for a controller reference of a kind that can own the object.
        let controlled =
            |meta: &ObjectMeta, kinds: &[&str], present: &dyn Fn(&str, &Key) -> bool| -> bool {
                meta.owner_references.iter().flatten().any(|o| {
                    o.controller == Some(true)
                        && kinds.contains(&o.kind.as_str())
                        && present(
                            &o.kind,
                            &(meta.namespace.clone().unwrap_or_default(), o.name.clone()),
                        )
                })
            };
        let mut out = Vec::new();
        let pod_owners = ["ReplicaSet", "StatefulSet", "DaemonSet", "Job"];
        for p in in_ns(&self.pods, ns) {
            if !controlled(&p.metadata, &pod_owners, &|k, key| {
                self.has_controller(k, key)
            }) {
                out.push((WorkloadKind::Pod, name(&p.metadata)));
            }
        }
        for d in in_ns(&self.deployments, ns) {
            out.push((WorkloadKind::Deployment, name(&d.metadata)));
        }
        for s in in_ns(&self.stateful_sets, ns) {
            out.push((WorkloadKind::StatefulSet, name(&s.metadata)));
        }
        for d in in_ns(&self.daemon_sets, ns) {
            out.push((WorkloadKind::DaemonSet, name(&d.metadata)));
        }
        for r in in_ns(&self.replica_sets, ns) {
            if !controlled(&r.metadata, &["Deployment"], &|_, k| {
                self.deployments.contains_key(k)
            }) {
                out.push((WorkloadKind::ReplicaSet, name(&r.metadata)));
            }
        }
        for j in in_ns(&self.jobs, ns) {
            if !controlled(&j.metadata, &["CronJob"], &|_, k| {
                self.cron_jobs.contains_key(k)
            }) {
                out.push((WorkloadKind::Job, name(&j.metadata)));
            }
        }
        for c in in_ns(&self.cron_jobs, ns) {
            out.push((WorkloadKind::CronJob, name(&c.metadata)));
        }
        out.sort();
        out
    }

    /// Whether a pod's controller (ReplicaSet, StatefulSet, DaemonSet, Job) is in the
    /// inventory, so that the controller is the workload and the pod is not.
    pub fn is_controlled_pod(&self, meta: &ObjectMeta) -> bool {
        meta.owner_references.iter().flatten().any(|o| {
            o.controller == Some(true)
                && self.has_controller(
                    &o.kind,
                    &(meta.namespace.clone().unwrap_or_default(), o.name.clone()),
                )
        })
    }

    pub(super) fn has_controller(&self, kind: &str, k: &Key) -> bool {
        match kind {
            "ReplicaSet" => self.replica_sets.contains_key(k),
            "StatefulSet" => self.stateful_sets.contains_key(k),
            "DaemonSet" => self.daemon_sets.contains_key(k),
            "Job" => self.jobs.contains_key(k),
            _ => false,
        }
    }

    pub(super) fn find_api_servers(&self) -> Vec<ApiServerFacts> {
        in_ns(&self.pods, "kube-system")
            .filter(|p| {
                p.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("component"))
                    .is_some_and(|c| c == "kube-apiserver")
            })
            .filter_map(|p| {
                let command = p.apiserver.as_deref()?;
                Some(ApiServerFacts {
                    pod: ObjectRef::new("v1", "Pod", Some("kube-system"), &name(&p.metadata)),
                    flags: parse_flags(command.words()),
                })
            })
            .collect()
    }

    pub(super) fn binding_view_rb<'a>(&self, b: &'a RoleBinding) -> Binding<'a> {
        Binding {
            metadata: &b.metadata,
            namespace: Some(b.metadata.namespace.as_deref().unwrap_or("")),
            name: b.metadata.name.as_deref().unwrap_or(""),
            role_ref: &b.role_ref,
            subjects: b.subjects.as_deref().unwrap_or(&[]),
        }
    }

    pub(super) fn binding_view_crb<'a>(&self, b: &'a ClusterRoleBinding) -> Binding<'a> {
        Binding {
            metadata: &b.metadata,
            namespace: None,
            name: b.metadata.name.as_deref().unwrap_or(""),
            role_ref: &b.role_ref,
            subjects: b.subjects.as_deref().unwrap_or(&[]),
        }
    }

    pub(super) fn binding(&self, k: &BindingKey) -> Option<Binding<'_>> {
        match k {
            BindingKey::Cluster(n) => self
                .cluster_role_bindings
                .get(n)
                .map(|b| self.binding_view_crb(b)),
            BindingKey::Namespaced(k) => self.role_bindings.get(k).map(|b| self.binding_view_rb(b)),
        }
    }
}

/// The distinct namespaces of a namespaced map. Keys are sorted by namespace, so each is
/// compared with the last one instead of hashed.
fn namespaces_of<T>(map: &Namespaced<T>) -> impl Iterator<Item = &str> {
    let mut last: Option<&str> = None;
    map.keys().filter_map(move |(ns, _)| {
        let new = last != Some(ns.as_str());
        last = Some(ns);
        new.then_some(ns.as_str())
    })
}

/// Resolves one ClusterRole's rules into `out`, aggregating recursively. `visiting` breaks
/// selector cycles, which the controller would also never settle.
fn resolve_role(
    name: &str,
    all: &BTreeMap<&str, &ClusterRole>,
    out: &mut HashMap<String, Vec<PolicyRule>>,
    visiting: &mut Vec<String>,
) {
    if out.contains_key(name) || visiting.iter().any(|v| v == name) {
        return;
    }
    let Some(role) = all.get(name) else { return };
    let selectors: &[LabelSelector] = role
        .aggregation_rule
        .as_ref()
        .and_then(|a| a.cluster_role_selectors.as_deref())
        .unwrap_or(&[]);
    if role.aggregation_rule.is_none() {
        out.insert(name.to_owned(), role.rules.clone().unwrap_or_default());
        return;
    }
    visiting.push(name.to_owned());
    let mut rules: Vec<PolicyRule> = Vec::new();
    // The controller walks matching roles in name order and skips rules it already has.
    for (other_name, other) in all {
        if *other_name == name {
            continue;
        }
        let labels = other.metadata.labels.as_ref();
        if !selectors.iter().any(|s| selector::matches(s, labels)) {
            continue;
        }
        resolve_role(other_name, all, out, visiting);
        for r in out.get(*other_name).into_iter().flatten() {
            if !rules.contains(r) {
                rules.push(r.clone());
            }
        }
    }
    visiting.pop();
    out.insert(name.to_owned(), rules);
}

pub(super) fn template_labels(t: &PodTemplate) -> Option<&BTreeMap<String, String>> {
    t.metadata.as_ref().and_then(|m| m.labels.as_ref())
}
