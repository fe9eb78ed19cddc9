//! The inventory: a snapshot of cluster objects, indexed once so that no rule is quadratic.
//!
//! Objects are stored by kind, keyed by (namespace, name), so a namespace's objects are a
//! range. Derived indexes (namespaces, top-level workloads, the API servers' flags) are
//! rebuilt by [`Inventory::reindex`], which `insert`/`remove` callers run once after a
//! batch of changes. The inventory holds no analysis: RBAC is indexed by
//! `analysis::rbac::permissions`, which `analysis::derived` keeps in step with changes.

use crate::model::apiserver_flags::ApiServerFacts;
use crate::model::apiserver_metrics::ApiServerMetrics;
use crate::model::bootstrap;
use crate::model::encryption_config::EncryptionConfiguration;
use crate::model::identity::{ObjectRef, Source};
use crate::model::manifest::{self, ManifestError};
use crate::model::object::{Object, SecretMeta};
use crate::model::object::{encryption_config_ref, reference_of};
use crate::model::pod::{Pod, PodController};
use k8s_openapi::api::core::v1::{LimitRange, Namespace, ResourceQuota, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::{BTreeMap, HashMap};

mod changes;
mod index;
mod views;
mod workloads;

pub use changes::Change;
pub use views::{Binding, Workload};

use index::Index;

type Key = (String, String);
type Namespaced<T> = BTreeMap<Key, T>;

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
    deployments: Namespaced<PodController>,
    stateful_sets: Namespaced<PodController>,
    daemon_sets: Namespaced<PodController>,
    replica_sets: Namespaced<PodController>,
    jobs: Namespaced<PodController>,
    cron_jobs: Namespaced<PodController>,
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

    /// Builds an indexed inventory from one manifest's objects, or the errors that kept some
    /// of its documents out: for tests and examples, where every document must read.
    pub fn from_manifest(file: &str, text: &str) -> Result<Self, Vec<ManifestError>> {
        let parsed = manifest::parse(file, text);
        if !parsed.errors.is_empty() {
            return Err(parsed.errors);
        }
        Ok(Inventory::from_objects(
            parsed.objects.into_iter().map(|(o, _)| o),
        ))
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

    // ---- read access -------------------------------------------------------------------

    pub fn pod(&self, ns: &str, name: &str) -> Option<&Pod> {
        self.pods.get(&(ns.to_owned(), name.to_owned()))
    }

    pub fn deployment(&self, ns: &str, name: &str) -> Option<&PodController> {
        self.deployments.get(&(ns.to_owned(), name.to_owned()))
    }

    /// Every namespace the inventory knows of, from Namespace objects or from objects in it.
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

    /// Whether a ClusterRole is known only from the embedded bootstrap policy.
    pub fn is_bootstrap_only(&self, name: &str) -> bool {
        !self.cluster_roles.contains_key(name)
            && bootstrap::policy().cluster_roles.contains_key(name)
    }

    pub fn role_bindings_in(&self, ns: &str) -> impl Iterator<Item = Binding<'_>> {
        in_ns(&self.role_bindings, ns).map(|b| self.binding_view_rb(b))
    }

    pub fn cluster_role_bindings(&self) -> impl Iterator<Item = Binding<'_>> {
        self.cluster_role_bindings
            .values()
            .map(|b| self.binding_view_crb(b))
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
