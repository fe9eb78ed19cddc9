//! A namespace's workloads: its pods and top-level controllers, a pod whose controller is in
//! the inventory standing for nothing of its own.

use super::index::{WorkloadKind, template_labels};
use super::views::Workload;
use super::{Inventory, Namespaced};
use crate::model::identity::ObjectRef;
use crate::model::kinds::{self, KindInfo};
use crate::model::meta::{Meta, Pairs};
use crate::model::pod::{PodSpec, PodTemplate};
use crate::model::shared::Shared;

/// What a workload's object holds about its pods.
struct Parts<'a> {
    pod_labels: Option<&'a Pairs>,
    pod_metadata: Option<&'a Meta>,
    spec: &'a PodSpec,
}

/// The objects of one kind in namespace `ns` whose names are in `names` (sorted by name,
/// as the map is), as workloads. `parts` is `None` for an object without a pod spec.
fn merge<'a, T>(
    map: &'a Namespaced<T>,
    ns: &'a str,
    names: &'a [(WorkloadKind, String)],
    kind: &'static KindInfo,
    parts: impl Fn(&'a T) -> Option<(&'a Meta, Parts<'a>)> + 'a,
) -> impl Iterator<Item = Workload<'a>> + 'a {
    let mut wanted = names.iter().map(|(_, n)| n.as_str()).peekable();
    // Taken from the shared pool once per call, not once per workload: rules walk every
    // namespace's workloads many times per evaluation.
    let (api_version, kind_name, namespace) = (
        Shared::new(kind.api_version),
        Shared::new(kind.kind),
        Shared::new(ns),
    );
    map.in_namespace(ns).filter_map(move |(name, object)| {
        while wanted.next_if(|w| *w < name).is_some() {}
        wanted.next_if(|w| *w == name)?;
        let (metadata, p) = parts(object)?;
        Some(Workload {
            object: ObjectRef {
                api_version: api_version.clone(),
                kind: kind_name.clone(),
                namespace: Some(namespace.clone()),
                name: name.to_owned(),
            },
            metadata,
            pod_labels: p.pod_labels,
            pod_metadata: p.pod_metadata,
            spec: p.spec,
            // Every kind this is called with carries pods (a test of the table holds it).
            spec_path: kind.pod_spec.unwrap_or_default(),
        })
    })
}

impl Inventory {
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
        let template = |t: &'a PodTemplate| {
            Some(Parts {
                pod_labels: template_labels(t),
                pod_metadata: t.metadata.as_ref(),
                spec: t.spec.as_ref()?,
            })
        };
        merge(
            &self.store.pods,
            ns,
            of(WorkloadKind::Pod),
            &kinds::POD,
            |p| {
                Some((
                    &p.metadata,
                    Parts {
                        pod_labels: Some(&p.metadata.labels),
                        pod_metadata: Some(&p.metadata),
                        spec: p.spec.as_ref()?,
                    },
                ))
            },
        )
        .chain(
            [
                (
                    &self.store.deployments,
                    WorkloadKind::Deployment,
                    &kinds::DEPLOYMENT,
                ),
                (
                    &self.store.stateful_sets,
                    WorkloadKind::StatefulSet,
                    &kinds::STATEFUL_SET,
                ),
                (
                    &self.store.daemon_sets,
                    WorkloadKind::DaemonSet,
                    &kinds::DAEMON_SET,
                ),
                (
                    &self.store.replica_sets,
                    WorkloadKind::ReplicaSet,
                    &kinds::REPLICA_SET,
                ),
                (&self.store.jobs, WorkloadKind::Job, &kinds::JOB),
                (
                    &self.store.cron_jobs,
                    WorkloadKind::CronJob,
                    &kinds::CRON_JOB,
                ),
                (
                    &self.store.replication_controllers,
                    WorkloadKind::ReplicationController,
                    &kinds::REPLICATION_CONTROLLER,
                ),
                (
                    &self.store.pod_templates,
                    WorkloadKind::PodTemplate,
                    &kinds::POD_TEMPLATE,
                ),
            ]
            .into_iter()
            .flat_map(move |(map, kind, info)| {
                merge(map, ns, of(kind), info, move |c| {
                    Some((&c.metadata, template(c.template.as_ref()?)?))
                })
            }),
        )
    }

    /// Namespaces that have at least one workload.
    pub fn namespaces_with_workloads(&self) -> impl Iterator<Item = &str> {
        self.index.workloads.keys().map(String::as_str)
    }
}
