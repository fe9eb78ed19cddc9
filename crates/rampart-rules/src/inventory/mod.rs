//! The inventory: a snapshot of cluster objects, indexed once so that no rule is quadratic.
//!
//! Objects are stored by kind, keyed by (namespace, name), so a namespace's objects are a
//! range. Derived indexes (namespaces, top-level workloads, the API servers' flags) are
//! rebuilt by [`Inventory::reindex`], which `insert`/`remove` callers run once after a
//! batch of changes. The inventory holds no analysis: RBAC is indexed by
//! `analysis::rbac::permissions`, which `analysis::derived` keeps in step with changes.

use crate::model::apiserver_metrics::ApiServerMetrics;
use crate::model::apiserver_probe::ApiServerProbe;
use crate::model::bootstrap;
use crate::model::configmap::ConfigMapMeta;
use crate::model::control_plane::{Component, ComponentFacts};
use crate::model::encryption_config::EncryptionConfiguration;
use crate::model::identity::{ObjectRef, Source};
use crate::model::isolation::{
    LimitRange, Namespace, NetworkPolicy, ResourceQuota, ServiceAccount,
};
use crate::model::manifest::{self, ManifestError};
use crate::model::meta::Metadata;
use crate::model::node::Node;
use crate::model::object::{Object, SecretMeta};
use crate::model::object::{encryption_config_ref, reference_of};
use crate::model::pod::Pod;
use crate::model::rbac::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use std::collections::{BTreeMap, HashMap};

mod changes;
mod index;
mod namespaced;
mod store;
mod views;
mod workloads;

pub use changes::Change;
pub use views::{Binding, Workload};

use index::Index;
use namespaced::Namespaced;
use store::Store;

/// Counts of what a scan read, by kind.
pub type KindCounts = BTreeMap<String, usize>;

#[derive(Debug, Default, Clone)]
pub struct Inventory {
    store: Store,
    /// One per API server in an HA control plane; keyed by the name findings give them.
    encryption_configs: BTreeMap<String, EncryptionConfiguration>,
    /// Scrapes of kube-apiserver `/metrics`, one per API server, by name.
    apiserver_metrics: BTreeMap<String, ApiServerMetrics>,
    apiserver_probes: BTreeMap<String, ApiServerProbe>,
    sources: HashMap<ObjectRef, Source>,
    index: Index,
}

fn name(meta: &(impl Metadata + ?Sized)) -> String {
    meta.name().to_owned()
}

/// The objects of namespace `ns` in a namespaced map.
fn in_ns<'a, T>(map: &'a Namespaced<Box<T>>, ns: &str) -> impl Iterator<Item = &'a T> + 'a {
    map.in_namespace(ns).map(|(_, v)| &**v)
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

    /// Builds an indexed inventory from one manifest's objects, placed in the `default`
    /// namespace where they name none, or the errors that kept some of its documents out:
    /// for tests and examples, where every document must read.
    pub fn from_manifest(file: &str, text: &str) -> Result<Self, Vec<ManifestError>> {
        let mut parsed = manifest::parse(file, text);
        if !parsed.errors.is_empty() {
            return Err(parsed.errors);
        }
        parsed.place(manifest::DEFAULT_NAMESPACE);
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
        let Some(object) = self.store.insert(object) else {
            return;
        };
        match object {
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
            Object::ApiServerProbe(p) => {
                self.apiserver_probes.insert(p.name.clone(), p);
            }
            // The store keeps every other kind.
            _ => {}
        }
    }

    /// Removes an object by reference. Run [`Inventory::reindex`] after a batch.
    pub fn remove(&mut self, r: &ObjectRef) -> bool {
        self.sources.remove(r);
        let ns = r.namespace.as_deref().unwrap_or("");
        if let Some(found) = self.store.remove(&r.kind, ns, &r.name) {
            return found;
        }
        match r.kind.as_str() {
            "EncryptionConfiguration" => self.encryption_configs.remove(&r.name).is_some(),
            "ApiServerMetrics" => self.apiserver_metrics.remove(&r.name).is_some(),
            "ApiServerProbe" => self.apiserver_probes.remove(&r.name).is_some(),
            _ => false,
        }
    }

    // ---- read access -------------------------------------------------------------------

    pub fn pod(&self, ns: &str, name: &str) -> Option<&Pod> {
        self.store.pods.get(ns, name).map(Box::as_ref)
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
        self.store.namespaces.get(name).map(Box::as_ref)
    }

    pub fn namespaces(&self) -> impl Iterator<Item = &Namespace> {
        self.store.namespaces.values().map(Box::as_ref)
    }

    pub fn service_accounts_in(&self, ns: &str) -> impl Iterator<Item = &ServiceAccount> {
        in_ns(&self.store.service_accounts, ns)
    }

    pub fn service_account(&self, ns: &str, name: &str) -> Option<&ServiceAccount> {
        self.store.service_accounts.get(ns, name).map(Box::as_ref)
    }

    pub fn roles_in(&self, ns: &str) -> impl Iterator<Item = &Role> {
        in_ns(&self.store.roles, ns)
    }

    /// Every Role, in every namespace.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.store.roles.values().map(Box::as_ref)
    }

    /// Every RoleBinding object, in every namespace.
    pub fn role_binding_objects(&self) -> impl Iterator<Item = &RoleBinding> {
        self.store.role_bindings.values().map(Box::as_ref)
    }

    /// Every ClusterRoleBinding object.
    pub fn cluster_role_binding_objects(&self) -> impl Iterator<Item = &ClusterRoleBinding> {
        self.store.cluster_role_bindings.values().map(Box::as_ref)
    }

    /// Every ServiceAccount, in every namespace.
    pub fn service_accounts(&self) -> impl Iterator<Item = &ServiceAccount> {
        self.store.service_accounts.values().map(Box::as_ref)
    }

    pub fn role(&self, ns: &str, name: &str) -> Option<&Role> {
        self.store.roles.get(ns, name).map(Box::as_ref)
    }

    /// ClusterRoles of the input (not the embedded bootstrap ones).
    pub fn cluster_roles(&self) -> impl Iterator<Item = &ClusterRole> {
        self.store.cluster_roles.values().map(Box::as_ref)
    }

    pub fn cluster_role(&self, name: &str) -> Option<&ClusterRole> {
        self.store.cluster_roles.get(name).map(Box::as_ref)
    }

    /// Whether a ClusterRole is known only from the embedded bootstrap policy.
    pub fn is_bootstrap_only(&self, name: &str) -> bool {
        !self.store.cluster_roles.contains_key(name)
            && bootstrap::policy().cluster_roles.contains_key(name)
    }

    pub fn role_bindings_in(&self, ns: &str) -> impl Iterator<Item = Binding<'_>> {
        in_ns(&self.store.role_bindings, ns).map(|b| self.binding_view_rb(b))
    }

    pub fn cluster_role_bindings(&self) -> impl Iterator<Item = Binding<'_>> {
        self.store
            .cluster_role_bindings
            .values()
            .map(|b| self.binding_view_crb(b))
    }

    pub fn network_policies_in(&self, ns: &str) -> impl Iterator<Item = &NetworkPolicy> {
        in_ns(&self.store.network_policies, ns)
    }

    pub fn resource_quotas_in(&self, ns: &str) -> impl Iterator<Item = &ResourceQuota> {
        in_ns(&self.store.resource_quotas, ns)
    }

    pub fn limit_ranges_in(&self, ns: &str) -> impl Iterator<Item = &LimitRange> {
        in_ns(&self.store.limit_ranges, ns)
    }

    /// Every Node, by name, with the versions its kubelet reports.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.store.nodes.values().map(Box::as_ref)
    }

    pub fn config_maps_in(&self, ns: &str) -> impl Iterator<Item = &ConfigMapMeta> {
        in_ns(&self.store.config_maps, ns)
    }

    pub fn secrets_in(&self, ns: &str) -> impl Iterator<Item = &SecretMeta> {
        in_ns(&self.store.secrets, ns)
    }

    /// EncryptionConfigurations given, by name (usually one; one per API server in HA).
    pub fn encryption_configs(&self) -> impl Iterator<Item = (&str, &EncryptionConfiguration)> {
        self.encryption_configs.iter().map(|(n, c)| (n.as_str(), c))
    }

    /// Scrapes of kube-apiserver `/metrics`, by API server name.
    pub fn apiserver_metrics(&self) -> impl Iterator<Item = &ApiServerMetrics> {
        self.apiserver_metrics.values()
    }

    /// What API servers answered to a probe (or a declared version), by name.
    pub fn apiserver_probes(&self) -> impl Iterator<Item = &ApiServerProbe> {
        self.apiserver_probes.values()
    }

    /// Control-plane static pods found in kube-system, by pod name.
    pub fn control_plane(&self) -> &[ComponentFacts] {
        &self.index.control_plane
    }

    /// One component's static pods.
    pub fn components(&self, component: Component) -> impl Iterator<Item = &ComponentFacts> {
        self.control_plane()
            .iter()
            .filter(move |c| c.component() == component)
    }

    /// kube-apiserver static pods found in kube-system.
    pub fn api_servers(&self) -> impl Iterator<Item = &ComponentFacts> {
        self.components(Component::ApiServer)
    }

    /// Metadata of every object of a kind (`ObjectRef::kind` spelling), so a caller can
    /// tell which it already holds after relisting that kind.
    pub fn metadata_of_kind(&self, kind: &str) -> Vec<&dyn Metadata> {
        self.store.metadata_of_kind(kind)
    }

    /// Metadata of the object `r` points at, if the inventory holds it.
    pub fn metadata(&self, r: &ObjectRef) -> Option<&dyn Metadata> {
        let ns = r.namespace.as_deref().unwrap_or("");
        self.store.metadata_of(&r.kind, ns, &r.name)
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
        for (kind, n) in self.store.counts() {
            put(kind, n);
        }
        put("EncryptionConfiguration", self.encryption_configs.len());
        put("ApiServerMetrics", self.apiserver_metrics.len());
        put("ApiServerProbe", self.apiserver_probes.len());
        c
    }
}
