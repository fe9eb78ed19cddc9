//! The inventory: a snapshot of cluster objects, indexed once so that no rule is quadratic.
//!
//! Objects are stored by kind, keyed by (namespace, name), so a namespace's objects are a
//! range. Derived indexes (bindings by subject and by role, resolved ClusterRole rules,
//! top-level workloads) are rebuilt by [`Inventory::reindex`], which `insert`/`remove`
//! callers run once after a batch of changes.

use crate::model::apiserver_flags::{ApiServerFacts, parse_flags};
use crate::model::apiserver_metrics::ApiServerMetrics;
use crate::model::bootstrap;
use crate::model::encryption_config::EncryptionConfiguration;
use crate::model::identity::{ObjectRef, RBAC_V1, RoleKey, Source, Subject};
use crate::model::object::{Object, SecretMeta};
use crate::model::object::{encryption_config_ref, reference_of};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    LimitRange, Namespace, Pod, PodSpec, PodTemplateSpec, ResourceQuota, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::selector;

mod changes;
pub use changes::Change;

type Key = (String, String);
type Namespaced<T> = BTreeMap<Key, T>;

/// Ordered as a full reindex visits bindings: RoleBindings by (namespace, name), then
/// ClusterRoleBindings by name; incremental updates insert at the same place.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum BindingKey {
    Namespaced(Key),
    Cluster(String),
}

/// A RoleBinding or ClusterRoleBinding, seen the same way.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub metadata: &'a ObjectMeta,
    /// `None` for a ClusterRoleBinding.
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    pub role_ref: &'a RoleRef,
    pub subjects: &'a [k8s_openapi::api::rbac::v1::Subject],
}

impl<'a> Binding<'a> {
    pub fn to_ref(self) -> ObjectRef {
        let kind = if self.namespace.is_some() {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        };
        ObjectRef::new(RBAC_V1, kind, self.namespace, self.name)
    }

    pub fn role_key(&self) -> Option<RoleKey> {
        RoleKey::from_ref(self.role_ref, self.namespace)
    }

    /// Subjects the authorizer would recognise (unknown kinds are left out).
    pub fn subjects(&self) -> impl Iterator<Item = Subject> + '_ {
        self.subjects
            .iter()
            .filter_map(|s| Subject::from_rbac(s, self.namespace))
    }
}

/// A pod or the top-level controller that owns its template.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    pub object: ObjectRef,
    pub metadata: &'a ObjectMeta,
    /// Labels its pods carry (the pod's own, or the template's).
    pub pod_labels: Option<&'a BTreeMap<String, String>>,
    /// Metadata of its pods (the pod's own, or the template's): Pod Security reads the
    /// AppArmor annotations there.
    pub pod_metadata: Option<&'a ObjectMeta>,
    pub spec: &'a PodSpec,
    /// JSON path of the pod spec within the object, e.g. `spec.template.spec`.
    pub spec_path: &'static str,
}

impl<'a> Workload<'a> {
    pub fn namespace(&self) -> &str {
        self.object.namespace.as_deref().unwrap_or("")
    }

    /// The ServiceAccount its pods run as (`default` when unset).
    pub fn service_account_name(&self) -> &'a str {
        self.spec
            .service_account_name
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Index {
    namespaces: BTreeSet<String>,
    bindings_by_subject: HashMap<Subject, Vec<BindingKey>>,
    bindings_by_role: HashMap<RoleKey, Vec<BindingKey>>,
    /// Effective rules of every ClusterRole known (input and bootstrap), aggregation resolved.
    cluster_role_rules: HashMap<String, Vec<PolicyRule>>,
    /// Top-level workloads per namespace: (kind, name).
    workloads: BTreeMap<String, Vec<(WorkloadKind, String)>>,
    api_servers: Vec<ApiServerFacts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum WorkloadKind {
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    Job,
    CronJob,
}

/// Counts of what a scan read, by kind.
pub type KindCounts = BTreeMap<String, usize>;

#[derive(Debug, Default, Clone)]
pub struct Inventory {
    namespaces: BTreeMap<String, Namespace>,
    service_accounts: Namespaced<ServiceAccount>,
    roles: Namespaced<Role>,
    cluster_roles: BTreeMap<String, ClusterRole>,
    role_bindings: Namespaced<RoleBinding>,
    cluster_role_bindings: BTreeMap<String, ClusterRoleBinding>,
    network_policies: Namespaced<NetworkPolicy>,
    pods: Namespaced<Pod>,
    deployments: Namespaced<Deployment>,
    stateful_sets: Namespaced<StatefulSet>,
    daemon_sets: Namespaced<DaemonSet>,
    replica_sets: Namespaced<ReplicaSet>,
    jobs: Namespaced<Job>,
    cron_jobs: Namespaced<CronJob>,
    resource_quotas: Namespaced<ResourceQuota>,
    limit_ranges: Namespaced<LimitRange>,
    secrets: Namespaced<SecretMeta>,
    /// One per API server in an HA control plane; keyed by the name findings give them.
    encryption_configs: BTreeMap<String, EncryptionConfiguration>,
    /// Scrapes of kube-apiserver `/metrics`, one per API server, by name.
    apiserver_metrics: BTreeMap<String, ApiServerMetrics>,
    sources: HashMap<ObjectRef, Source>,
    index: Index,
}

fn key(meta: &ObjectMeta) -> Key {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

fn name(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

/// The objects of namespace `ns` in a namespaced map.
fn in_ns<'a, T>(map: &'a Namespaced<T>, ns: &str) -> impl Iterator<Item = &'a T> + 'a {
    let start = (ns.to_owned(), String::new());
    let ns = ns.to_owned();
    map.range(start..)
        .take_while(move |((n, _), _)| *n == ns)
        .map(|(_, v)| v)
}

/// What a workload's object holds about its pods.
struct Parts<'a> {
    pod_labels: Option<&'a BTreeMap<String, String>>,
    pod_metadata: Option<&'a ObjectMeta>,
    spec: &'a PodSpec,
    spec_path: &'static str,
}

/// The objects of one kind in namespace `ns` whose names are in `names` (sorted by name,
/// as the map is), as workloads. `parts` is `None` for an object without a pod spec.
fn merge<'a, T>(
    map: &'a Namespaced<T>,
    ns: &'a str,
    names: &'a [(WorkloadKind, String)],
    (api_version, kind): (&'static str, &'static str),
    parts: impl Fn(&'a T) -> Option<(&'a ObjectMeta, Parts<'a>)> + 'a,
) -> impl Iterator<Item = Workload<'a>> + 'a {
    let mut wanted = names.iter().map(|(_, n)| n.as_str()).peekable();
    let start = (ns.to_owned(), String::new());
    map.range(start..)
        .take_while(move |((n, _), _)| n == ns)
        .filter_map(move |((_, name), object)| {
            while wanted.next_if(|w| *w < name.as_str()).is_some() {}
            wanted.next_if(|w| *w == name.as_str())?;
            let (metadata, p) = parts(object)?;
            Some(Workload {
                object: ObjectRef::new(api_version, kind, Some(ns), name),
                metadata,
                pod_labels: p.pod_labels,
                pod_metadata: p.pod_metadata,
                spec: p.spec,
                spec_path: p.spec_path,
            })
        })
}

impl Inventory {
    pub fn new() -> Self {
        Inventory::default()
    }

    /// Builds an indexed inventory from objects.
    pub fn from_objects(objects: impl IntoIterator<Item = Object>) -> Self {
        let mut inv = Inventory::new();
        for o in objects {
            inv.insert(o, None);
        }
        inv.reindex();
        inv
    }

    /// Adds or replaces an object. Run [`Inventory::reindex`] after a batch.
    pub fn insert(&mut self, object: Object, source: Option<Source>) {
        // Only objects read from a file have a source to remember.
        if let Some(s) = &source
            && let Some(r) = reference_of(&object)
        {
            self.sources.insert(r, s.clone());
        }
        match object {
            Object::Namespace(o) => {
                self.namespaces.insert(name(&o.metadata), o);
            }
            Object::ServiceAccount(o) => {
                self.service_accounts.insert(key(&o.metadata), o);
            }
            Object::Role(o) => {
                self.roles.insert(key(&o.metadata), o);
            }
            Object::ClusterRole(o) => {
                self.cluster_roles.insert(name(&o.metadata), o);
            }
            Object::RoleBinding(o) => {
                self.role_bindings.insert(key(&o.metadata), o);
            }
            Object::ClusterRoleBinding(o) => {
                self.cluster_role_bindings.insert(name(&o.metadata), o);
            }
            Object::NetworkPolicy(o) => {
                self.network_policies.insert(key(&o.metadata), o);
            }
            Object::Pod(o) => {
                self.pods.insert(key(&o.metadata), o);
            }
            Object::Deployment(o) => {
                self.deployments.insert(key(&o.metadata), o);
            }
            Object::StatefulSet(o) => {
                self.stateful_sets.insert(key(&o.metadata), o);
            }
            Object::DaemonSet(o) => {
                self.daemon_sets.insert(key(&o.metadata), o);
            }
            Object::ReplicaSet(o) => {
                self.replica_sets.insert(key(&o.metadata), o);
            }
            Object::Job(o) => {
                self.jobs.insert(key(&o.metadata), o);
            }
            Object::CronJob(o) => {
                self.cron_jobs.insert(key(&o.metadata), o);
            }
            Object::ResourceQuota(o) => {
                self.resource_quotas.insert(key(&o.metadata), o);
            }
            Object::LimitRange(o) => {
                self.limit_ranges.insert(key(&o.metadata), o);
            }
            Object::Secret(o) => {
                self.secrets.insert(key(&o.metadata), o);
            }
            Object::EncryptionConfiguration(c) => {
                // The file has no metadata; where it was read from names it.
                let name = source.as_ref().map_or_else(
                    || "encryption-config".to_owned(),
                    |s| format!("{}:{}", s.file, s.line),
                );
                if let Some(s) = source {
                    self.sources.insert(encryption_config_ref(&name), s);
                }
                self.encryption_configs.insert(name, c);
            }
            Object::ApiServerMetrics(m) => {
                self.apiserver_metrics.insert(m.name.clone(), m);
            }
        }
    }

    /// Removes an object by reference. Run [`Inventory::reindex`] after a batch.
    pub fn remove(&mut self, r: &ObjectRef) -> bool {
        self.sources.remove(r);
        let k = (r.namespace.clone().unwrap_or_default(), r.name.clone());
        match r.kind.as_str() {
            "Namespace" => self.namespaces.remove(&r.name).is_some(),
            "ServiceAccount" => self.service_accounts.remove(&k).is_some(),
            "Role" => self.roles.remove(&k).is_some(),
            "ClusterRole" => self.cluster_roles.remove(&r.name).is_some(),
            "RoleBinding" => self.role_bindings.remove(&k).is_some(),
            "ClusterRoleBinding" => self.cluster_role_bindings.remove(&r.name).is_some(),
            "NetworkPolicy" => self.network_policies.remove(&k).is_some(),
            "Pod" => self.pods.remove(&k).is_some(),
            "Deployment" => self.deployments.remove(&k).is_some(),
            "StatefulSet" => self.stateful_sets.remove(&k).is_some(),
            "DaemonSet" => self.daemon_sets.remove(&k).is_some(),
            "ReplicaSet" => self.replica_sets.remove(&k).is_some(),
            "Job" => self.jobs.remove(&k).is_some(),
            "CronJob" => self.cron_jobs.remove(&k).is_some(),
            "ResourceQuota" => self.resource_quotas.remove(&k).is_some(),
            "LimitRange" => self.limit_ranges.remove(&k).is_some(),
            "Secret" => self.secrets.remove(&k).is_some(),
            "EncryptionConfiguration" => self.encryption_configs.remove(&r.name).is_some(),
            "ApiServerMetrics" => self.apiserver_metrics.remove(&r.name).is_some(),
            _ => false,
        }
    }

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

    fn index_namespaces(&self, index: &mut Index) {
        index.namespaces.extend(self.namespaces.keys().cloned());
        // Keys are sorted by namespace: look at each namespace once and clone only new ones.
        macro_rules! add {
            ($($map:ident),*) => {$({
                let mut last: Option<&str> = None;
                for (ns, _) in self.$map.keys() {
                    if last != Some(ns.as_str()) {
                        last = Some(ns);
                        if !ns.is_empty() && !index.namespaces.contains(ns) {
                            index.namespaces.insert(ns.clone());
                        }
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

    fn index_binding(&self, index: &mut Index, bk: BindingKey, b: Binding<'_>) {
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
    fn resolve_cluster_roles(&self) -> HashMap<String, Vec<PolicyRule>> {
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

    fn top_level_workloads(&self) -> BTreeMap<String, Vec<(WorkloadKind, String)>> {
        let mut namespaces: BTreeSet<&str> = BTreeSet::new();
        // Keys are sorted by namespace: compare with the last one instead of hashing each.
        macro_rules! add {
            ($($map:ident),*) => {$({
                let mut last: Option<&str> = None;
                for (ns, _) in self.$map.keys() {
                    if last != Some(ns.as_str()) {
                        last = Some(ns);
                        namespaces.insert(ns);
                    }
                }
            })*};
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
    fn workloads_of(&self, ns: &str) -> Vec<(WorkloadKind, String)> {
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
    /// Whether a pod's controller is in the inventory: it is then judged as that controller.
    pub fn is_controlled_pod(&self, meta: &ObjectMeta) -> bool {
        meta.owner_references.iter().flatten().any(|o| {
            o.controller == Some(true)
                && self.has_controller(
                    &o.kind,
                    &(meta.namespace.clone().unwrap_or_default(), o.name.clone()),
                )
        })
    }

    fn has_controller(&self, kind: &str, k: &Key) -> bool {
        match kind {
            "ReplicaSet" => self.replica_sets.contains_key(k),
            "StatefulSet" => self.stateful_sets.contains_key(k),
            "DaemonSet" => self.daemon_sets.contains_key(k),
            "Job" => self.jobs.contains_key(k),
            _ => false,
        }
    }

    fn find_api_servers(&self) -> Vec<ApiServerFacts> {
        in_ns(&self.pods, "kube-system")
            .filter(|p| {
                p.metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("component"))
                    .is_some_and(|c| c == "kube-apiserver")
            })
            .filter_map(|p| {
                let spec = p.spec.as_ref()?;
                let c = spec
                    .containers
                    .iter()
                    .find(|c| c.name == "kube-apiserver")
                    .or_else(|| spec.containers.first())?;
                let args = c.command.iter().flatten().chain(c.args.iter().flatten());
                Some(ApiServerFacts {
                    pod: ObjectRef::new("v1", "Pod", Some("kube-system"), &name(&p.metadata)),
                    flags: parse_flags(args),
                })
            })
            .collect()
    }

    fn binding_view_rb<'a>(&self, b: &'a RoleBinding) -> Binding<'a> {
        Binding {
            metadata: &b.metadata,
            namespace: Some(b.metadata.namespace.as_deref().unwrap_or("")),
            name: b.metadata.name.as_deref().unwrap_or(""),
            role_ref: &b.role_ref,
            subjects: b.subjects.as_deref().unwrap_or(&[]),
        }
    }

    fn binding_view_crb<'a>(&self, b: &'a ClusterRoleBinding) -> Binding<'a> {
        Binding {
            metadata: &b.metadata,
            namespace: None,
            name: b.metadata.name.as_deref().unwrap_or(""),
            role_ref: &b.role_ref,
            subjects: b.subjects.as_deref().unwrap_or(&[]),
        }
    }

    fn binding(&self, k: &BindingKey) -> Option<Binding<'_>> {
        match k {
            BindingKey::Cluster(n) => self
                .cluster_role_bindings
                .get(n)
                .map(|b| self.binding_view_crb(b)),
            BindingKey::Namespaced(k) => self.role_bindings.get(k).map(|b| self.binding_view_rb(b)),
        }
    }

    // ---- read access -------------------------------------------------------------------

    /// Every namespace the inventory knows of, from Namespace objects or from objects in it.
    pub fn pod(&self, ns: &str, name: &str) -> Option<&Pod> {
        self.pods.get(&(ns.to_owned(), name.to_owned()))
    }

    pub fn deployment(&self, ns: &str, name: &str) -> Option<&Deployment> {
        self.deployments.get(&(ns.to_owned(), name.to_owned()))
    }

    pub fn namespace_names(&self) -> impl Iterator<Item = &str> {
        self.index.namespaces.iter().map(String::as_str)
    }

    /// Whether a namespace is known, as a Namespace object or through objects in it.
    pub fn has_namespace(&self, name: &str) -> bool {
        self.index.namespaces.contains(name)
    }

    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces.get(name)
    }

    pub fn namespaces(&self) -> impl Iterator<Item = &Namespace> {
        self.namespaces.values()
    }

    pub fn service_accounts_in(&self, ns: &str) -> impl Iterator<Item = &ServiceAccount> {
        in_ns(&self.service_accounts, ns)
    }

    pub fn service_account(&self, ns: &str, name: &str) -> Option<&ServiceAccount> {
        self.service_accounts.get(&(ns.to_owned(), name.to_owned()))
    }

    pub fn roles_in(&self, ns: &str) -> impl Iterator<Item = &Role> {
        in_ns(&self.roles, ns)
    }

    /// Every Role, in every namespace.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// Every RoleBinding object, in every namespace.
    pub fn role_binding_objects(&self) -> impl Iterator<Item = &RoleBinding> {
        self.role_bindings.values()
    }

    /// Every ClusterRoleBinding object.
    pub fn cluster_role_binding_objects(&self) -> impl Iterator<Item = &ClusterRoleBinding> {
        self.cluster_role_bindings.values()
    }

    /// Every ServiceAccount, in every namespace.
    pub fn service_accounts(&self) -> impl Iterator<Item = &ServiceAccount> {
        self.service_accounts.values()
    }

    pub fn role(&self, ns: &str, name: &str) -> Option<&Role> {
        self.roles.get(&(ns.to_owned(), name.to_owned()))
    }

    /// ClusterRoles of the input (not the embedded bootstrap ones).
    pub fn cluster_roles(&self) -> impl Iterator<Item = &ClusterRole> {
        self.cluster_roles.values()
    }

    pub fn cluster_role(&self, name: &str) -> Option<&ClusterRole> {
        self.cluster_roles.get(name)
    }

    /// Whether a ClusterRole is known, from the input or the bootstrap policy.
    pub fn cluster_role_exists(&self, name: &str) -> bool {
        self.index.cluster_role_rules.contains_key(name)
    }

    /// Whether a ClusterRole is known only from the embedded bootstrap policy.
    pub fn is_bootstrap_only(&self, name: &str) -> bool {
        !self.cluster_roles.contains_key(name)
            && bootstrap::policy().cluster_roles.contains_key(name)
    }

    /// Effective rules of a ClusterRole, aggregation resolved; `None` if it does not exist.
    pub fn cluster_role_rules(&self, name: &str) -> Option<&[PolicyRule]> {
        self.index.cluster_role_rules.get(name).map(Vec::as_slice)
    }

    /// Effective rules of the role a binding points at; `None` if the role does not exist.
    pub fn role_rules(&self, key: &RoleKey) -> Option<&[PolicyRule]> {
        match key {
            RoleKey::ClusterRole(n) => self.cluster_role_rules(n),
            RoleKey::Role { namespace, name } => self
                .role(namespace, name)
                .map(|r| r.rules.as_deref().unwrap_or(&[])),
        }
    }

    pub fn role_bindings_in(&self, ns: &str) -> impl Iterator<Item = Binding<'_>> {
        in_ns(&self.role_bindings, ns).map(|b| self.binding_view_rb(b))
    }

    pub fn cluster_role_bindings(&self) -> impl Iterator<Item = Binding<'_>> {
        self.cluster_role_bindings
            .values()
            .map(|b| self.binding_view_crb(b))
    }

    /// Bindings that reference a role.
    pub fn bindings_to(&self, role: &RoleKey) -> impl Iterator<Item = Binding<'_>> {
        self.index
            .bindings_by_role
            .get(role)
            .into_iter()
            .flatten()
            .filter_map(|k| self.binding(k))
    }

    /// Bindings that name a subject directly (not through its groups).
    pub fn bindings_of(&self, subject: &Subject) -> impl Iterator<Item = Binding<'_>> {
        self.index
            .bindings_by_subject
            .get(subject)
            .into_iter()
            .flatten()
            .filter_map(|k| self.binding(k))
    }

    /// Every subject named by some binding.
    pub fn bound_subjects(&self) -> impl Iterator<Item = &Subject> {
        self.index.bindings_by_subject.keys()
    }

    pub fn network_policies_in(&self, ns: &str) -> impl Iterator<Item = &NetworkPolicy> {
        in_ns(&self.network_policies, ns)
    }

    pub fn resource_quotas_in(&self, ns: &str) -> impl Iterator<Item = &ResourceQuota> {
        in_ns(&self.resource_quotas, ns)
    }

    pub fn limit_ranges_in(&self, ns: &str) -> impl Iterator<Item = &LimitRange> {
        in_ns(&self.limit_ranges, ns)
    }

    pub fn secrets_in(&self, ns: &str) -> impl Iterator<Item = &SecretMeta> {
        in_ns(&self.secrets, ns)
    }

    /// EncryptionConfigurations given, by name (usually one; one per API server in HA).
    pub fn encryption_configs(&self) -> impl Iterator<Item = (&str, &EncryptionConfiguration)> {
        self.encryption_configs.iter().map(|(n, c)| (n.as_str(), c))
    }

    /// Scrapes of kube-apiserver `/metrics`, by API server name.
    pub fn apiserver_metrics(&self) -> impl Iterator<Item = &ApiServerMetrics> {
        self.apiserver_metrics.values()
    }

    /// kube-apiserver static pods found in kube-system.
    pub fn api_servers(&self) -> &[ApiServerFacts] {
        &self.index.api_servers
    }

    /// Pods and top-level controllers in a namespace; a pod whose controller is in the
    /// inventory is represented by that controller, so one Deployment is one workload.
    ///
    /// Walks each kind's objects of the namespace alongside the index's sorted names, so
    /// that no object is looked up by key: rules call this once per namespace each.
    pub fn workloads_in<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = Workload<'a>> + 'a {
        let list: &[(WorkloadKind, String)] =
            self.index.workloads.get(ns).map_or(&[], Vec::as_slice);
        let of = move |kind: WorkloadKind| {
            let from = list.partition_point(|(k, _)| *k < kind);
            let to = list.partition_point(|(k, _)| *k <= kind);
            &list[from..to]
        };
        let apps = "apps/v1";
        let batch = "batch/v1";
        let template = |t: &'a PodTemplateSpec, path| {
            Some(Parts {
                pod_labels: template_labels(t),
                pod_metadata: t.metadata.as_ref(),
                spec: t.spec.as_ref()?,
                spec_path: path,
            })
        };
        let tpl = "spec.template.spec";
        merge(&self.pods, ns, of(WorkloadKind::Pod), ("v1", "Pod"), |p| {
            Some((
                &p.metadata,
                Parts {
                    pod_labels: p.metadata.labels.as_ref(),
                    pod_metadata: Some(&p.metadata),
                    spec: p.spec.as_ref()?,
                    spec_path: "spec",
                },
            ))
        })
        .chain(merge(
            &self.deployments,
            ns,
            of(WorkloadKind::Deployment),
            (apps, "Deployment"),
            move |d| Some((&d.metadata, template(&d.spec.template, tpl)?)),
        ))
        .chain(merge(
            &self.stateful_sets,
            ns,
            of(WorkloadKind::StatefulSet),
            (apps, "StatefulSet"),
            move |d| Some((&d.metadata, template(&d.spec.template, tpl)?)),
        ))
        .chain(merge(
            &self.daemon_sets,
            ns,
            of(WorkloadKind::DaemonSet),
            (apps, "DaemonSet"),
            move |d| Some((&d.metadata, template(&d.spec.template, tpl)?)),
        ))
        .chain(merge(
            &self.replica_sets,
            ns,
            of(WorkloadKind::ReplicaSet),
            (apps, "ReplicaSet"),
            move |d| Some((&d.metadata, template(d.spec.template.as_ref()?, tpl)?)),
        ))
        .chain(merge(
            &self.jobs,
            ns,
            of(WorkloadKind::Job),
            (batch, "Job"),
            move |d| Some((&d.metadata, template(&d.spec.as_ref()?.template, tpl)?)),
        ))
        .chain(merge(
            &self.cron_jobs,
            ns,
            of(WorkloadKind::CronJob),
            (batch, "CronJob"),
            move |d| {
                let t = &d.spec.job_template.spec.as_ref()?.template;
                Some((
                    &d.metadata,
                    template(t, "spec.jobTemplate.spec.template.spec")?,
                ))
            },
        ))
    }

    /// Namespaces that have at least one workload.
    pub fn namespaces_with_workloads(&self) -> impl Iterator<Item = &str> {
        self.index.workloads.keys().map(String::as_str)
    }

    /// Metadata of every object of a kind (`ObjectRef::kind` spelling), so a caller can
    /// tell which it already holds after relisting that kind.
    pub fn metadata_of_kind(&self, kind: &str) -> Vec<&ObjectMeta> {
        macro_rules! metas {
            ($map:expr) => {
                $map.values().map(|o| &o.metadata).collect()
            };
        }
        match kind {
            "Namespace" => metas!(self.namespaces),
            "ServiceAccount" => metas!(self.service_accounts),
            "Role" => metas!(self.roles),
            "ClusterRole" => metas!(self.cluster_roles),
            "RoleBinding" => metas!(self.role_bindings),
            "ClusterRoleBinding" => metas!(self.cluster_role_bindings),
            "NetworkPolicy" => metas!(self.network_policies),
            "Pod" => metas!(self.pods),
            "Deployment" => metas!(self.deployments),
            "StatefulSet" => metas!(self.stateful_sets),
            "DaemonSet" => metas!(self.daemon_sets),
            "ReplicaSet" => metas!(self.replica_sets),
            "Job" => metas!(self.jobs),
            "CronJob" => metas!(self.cron_jobs),
            "ResourceQuota" => metas!(self.resource_quotas),
            "LimitRange" => metas!(self.limit_ranges),
            "Secret" => metas!(self.secrets),
            _ => Vec::new(),
        }
    }

    /// Where an object came from, when it was read from a file.
    pub fn source(&self, r: &ObjectRef) -> Option<&Source> {
        self.sources.get(r)
    }

    /// How many objects of each kind the inventory holds.
    pub fn counts(&self) -> KindCounts {
        let mut c = KindCounts::new();
        let mut put = |k: &str, n: usize| {
            if n > 0 {
                c.insert(k.to_owned(), n);
            }
        };
        put("Namespace", self.namespaces.len());
        put("ServiceAccount", self.service_accounts.len());
        put("Role", self.roles.len());
        put("ClusterRole", self.cluster_roles.len());
        put("RoleBinding", self.role_bindings.len());
        put("ClusterRoleBinding", self.cluster_role_bindings.len());
        put("NetworkPolicy", self.network_policies.len());
        put("Pod", self.pods.len());
        put("Deployment", self.deployments.len());
        put("StatefulSet", self.stateful_sets.len());
        put("DaemonSet", self.daemon_sets.len());
        put("ReplicaSet", self.replica_sets.len());
        put("Job", self.jobs.len());
        put("CronJob", self.cron_jobs.len());
        put("ResourceQuota", self.resource_quotas.len());
        put("LimitRange", self.limit_ranges.len());
        put("Secret", self.secrets.len());
        put("EncryptionConfiguration", self.encryption_configs.len());
        put("ApiServerMetrics", self.apiserver_metrics.len());
        c
    }
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

fn template_labels(t: &PodTemplateSpec) -> Option<&BTreeMap<String, String>> {
    t.metadata.as_ref().and_then(|m| m.labels.as_ref())
}
