//! The inventory's derived indexes: which namespaces exist, each namespace's top-level
//! workloads and the control plane's flags. RBAC is indexed once, by
//! `analysis::rbac::permissions`. [`Inventory::reindex`] builds them from the maps;
//! `changes` keeps them up to date one change at a time.

use super::views::Binding;
use super::{Inventory, in_ns, name};
use crate::model::control_plane::ComponentFacts;
use crate::model::identity::{BindingId, ObjectRef};
use crate::model::meta::{Meta, Pairs};
use crate::model::pod::PodTemplate;
use crate::model::rbac::{ClusterRoleBinding, RoleBinding};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Index {
    pub(super) namespaces: BTreeSet<String>,
    /// Top-level workloads per namespace: (kind, name).
    pub(super) workloads: BTreeMap<String, Vec<(WorkloadKind, String)>>,
    /// Control-plane static pods in kube-system, by pod name.
    pub(super) control_plane: Vec<ComponentFacts>,
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
    ReplicationController,
    PodTemplate,
}

impl Inventory {
    /// Rebuilds the derived indexes. Linear in the number of objects.
    pub fn reindex(&mut self) {
        let mut index = Index::default();
        self.index_namespaces(&mut index);
        index.workloads = self.top_level_workloads();
        index.control_plane = self.find_control_plane();
        self.index = index;
    }

    pub(super) fn index_namespaces(&self, index: &mut Index) {
        index
            .namespaces
            .extend(self.store.namespaces.keys().cloned());
        // Clone only namespaces not seen yet.
        self.store.each_namespace(|ns| {
            if !ns.is_empty() && !index.namespaces.contains(ns) {
                index.namespaces.insert(ns.to_owned());
            }
        });
    }

    pub(super) fn top_level_workloads(&self) -> BTreeMap<String, Vec<(WorkloadKind, String)>> {
        let mut namespaces: BTreeSet<&str> = BTreeSet::new();
        macro_rules! add {
            ($($map:ident),*) => {$( namespaces.extend(self.store.$map.namespaces()); )*};
        }
        add!(
            pods,
            deployments,
            stateful_sets,
            daemon_sets,
            replica_sets,
            jobs,
            cron_jobs,
            replication_controllers,
            pod_templates
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
        // Looked up only for a controller reference of a kind that can own the object.
        let controlled = |meta: &Meta, kinds: &[&str], present: &dyn Fn(&str, &str) -> bool| {
            meta.controller
                .as_deref()
                .is_some_and(|c| kinds.contains(&c.kind.as_str()) && present(&c.kind, &c.name))
        };
        let mut out = Vec::new();
        let pod_owners = [
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "ReplicationController",
        ];
        for p in in_ns(&self.store.pods, ns) {
            if !controlled(&p.metadata, &pod_owners, &|k, owner| {
                self.has_controller(k, ns, owner)
            }) {
                out.push((WorkloadKind::Pod, name(&p.metadata)));
            }
        }
        for d in in_ns(&self.store.deployments, ns) {
            out.push((WorkloadKind::Deployment, name(&d.metadata)));
        }
        for s in in_ns(&self.store.stateful_sets, ns) {
            out.push((WorkloadKind::StatefulSet, name(&s.metadata)));
        }
        for d in in_ns(&self.store.daemon_sets, ns) {
            out.push((WorkloadKind::DaemonSet, name(&d.metadata)));
        }
        for r in in_ns(&self.store.replica_sets, ns) {
            if !controlled(&r.metadata, &["Deployment"], &|_, owner| {
                self.store.deployments.contains(ns, owner)
            }) {
                out.push((WorkloadKind::ReplicaSet, name(&r.metadata)));
            }
        }
        for j in in_ns(&self.store.jobs, ns) {
            if !controlled(&j.metadata, &["CronJob"], &|_, owner| {
                self.store.cron_jobs.contains(ns, owner)
            }) {
                out.push((WorkloadKind::Job, name(&j.metadata)));
            }
        }
        for c in in_ns(&self.store.cron_jobs, ns) {
            out.push((WorkloadKind::CronJob, name(&c.metadata)));
        }
        for r in in_ns(&self.store.replication_controllers, ns) {
            out.push((WorkloadKind::ReplicationController, name(&r.metadata)));
        }
        for t in in_ns(&self.store.pod_templates, ns) {
            out.push((WorkloadKind::PodTemplate, name(&t.metadata)));
        }
        out.sort();
        out
    }

    pub(super) fn has_controller(&self, kind: &str, ns: &str, name: &str) -> bool {
        match kind {
            "ReplicaSet" => self.store.replica_sets.contains(ns, name),
            "StatefulSet" => self.store.stateful_sets.contains(ns, name),
            "DaemonSet" => self.store.daemon_sets.contains(ns, name),
            "Job" => self.store.jobs.contains(ns, name),
            "ReplicationController" => self.store.replication_controllers.contains(ns, name),
            _ => false,
        }
    }

    pub(super) fn find_control_plane(&self) -> Vec<ComponentFacts> {
        // A pod keeps its command line only when it is labelled as a component's; only
        // kube-system's count, as only the cluster's administrators can run pods there.
        in_ns(&self.store.pods, "kube-system")
            .filter_map(|p| {
                let line = p.control_plane.as_deref()?;
                let pod = ObjectRef::new("v1", "Pod", Some("kube-system"), &name(&p.metadata));
                Some(ComponentFacts::new(pod, line.clone()))
            })
            .collect()
    }

    pub(super) fn binding_view_rb<'a>(&self, b: &'a RoleBinding) -> Binding<'a> {
        Binding {
            metadata: &b.metadata,
            namespace: Some(b.metadata.namespace.as_deref().unwrap_or("")),
            name: &b.metadata.name,
            role_ref: &b.role_ref,
            subjects: &b.subjects[..],
        }
    }

    pub(super) fn binding_view_crb<'a>(&self, b: &'a ClusterRoleBinding) -> Binding<'a> {
        Binding {
            metadata: &b.metadata,
            namespace: None,
            name: &b.metadata.name,
            role_ref: &b.role_ref,
            subjects: &b.subjects[..],
        }
    }

    /// The binding an id names, if the inventory holds it.
    pub fn binding(&self, id: &BindingId) -> Option<Binding<'_>> {
        match id {
            BindingId::Cluster(n) => self
                .store
                .cluster_role_bindings
                .get(n.as_str())
                .map(|b| self.binding_view_crb(b)),
            BindingId::Namespaced { namespace, name } => self
                .store
                .role_bindings
                .get(namespace, name)
                .map(|b| self.binding_view_rb(b)),
        }
    }
}

pub(super) fn template_labels(t: &PodTemplate) -> Option<&Pairs> {
    t.metadata.as_ref().map(|m| &m.labels)
}
