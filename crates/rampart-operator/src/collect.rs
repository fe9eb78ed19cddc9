//! Collect: one reflector per kind the engine reads, and a snapshot of them as an Inventory.
//! Secrets are watched through metadata-only requests: Rampart never receives Secret data.

use futures::stream::BoxStream;
use futures::{StreamExt, future};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    LimitRange, Namespace, Pod, ResourceQuota, Secret, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use rampart_rules::Inventory;
use rampart_rules::kinds::{Object, SecretMeta};
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// A change (or a watch error) seen on one kind.
pub type Change = (&'static str, Result<(), watcher::Error>);

/// Drops what no rule reads and what changes on every write, before it reaches the cache.
fn prune<K: Resource>(o: &mut K) {
    o.meta_mut().managed_fields = None;
}

fn watch<K>(client: &Client, kind: &'static str) -> (Store<K>, BoxStream<'static, Change>)
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let api: Api<K> = Api::all(client.clone());
    let events = watcher(api, watcher::Config::default()).modify(prune::<K>);
    let stream = reflector::reflector(writer, events)
        .default_backoff()
        .map(move |e| (kind, e.map(|_| ())))
        .boxed();
    (reader, stream)
}

macro_rules! stores {
    ($($field:ident: $ty:ty => $kind:literal, $variant:ident;)*) => {
        /// The caches of every kind the engine reads.
        pub struct Stores {
            $(pub $field: Store<$ty>,)*
            pub secrets: Store<PartialObjectMeta<Secret>>,
        }

        impl Stores {
            /// Starts the watches; the returned streams must be polled for the stores to fill.
            pub fn watch_all(client: &Client) -> (Stores, Vec<BoxStream<'static, Change>>) {
                let mut streams = Vec::new();
                $(
                    let ($field, s) = watch::<$ty>(client, $kind);
                    streams.push(s);
                )*
                let (secrets, writer) = reflector::store();
                // Api<PartialObjectMeta<_>> makes metadata-only list and watch requests.
                let api: Api<PartialObjectMeta<Secret>> = Api::all(client.clone());
                let meta = watcher(api, watcher::Config::default())
                    .modify(prune::<PartialObjectMeta<Secret>>);
                streams.push(
                    reflector::reflector(writer, meta)
                        .default_backoff()
                        .map(|e| ("Secret", e.map(|_| ())))
                        .boxed(),
                );
                (Stores { $($field,)* secrets }, streams)
            }

            /// Resolves once every store has had its initial list.
            pub async fn wait_until_ready(&self) -> bool {
                let all = future::join_all([
                    $(Box::pin(self.$field.wait_until_ready()) as std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send + '_>>,)*
                    Box::pin(self.secrets.wait_until_ready()),
                ]).await;
                all.iter().all(Result::is_ok)
            }

            /// A consistent-enough copy of every cache as an indexed inventory.
            pub fn snapshot(&self) -> Inventory {
                let mut inv = Inventory::new();
                $(
                    for o in self.$field.state() {
                        inv.insert(Object::$variant((*o).clone()), None);
                    }
                )*
                for s in self.secrets.state() {
                    inv.insert(Object::Secret(SecretMeta { metadata: s.metadata.clone(), type_: None }), None);
                }
                inv.reindex();
                inv
            }

            /// Objects cached per kind, for logs and metrics.
            pub fn counts(&self) -> Vec<(&'static str, usize)> {
                vec![$(($kind, self.$field.state().len()),)* ("Secret", self.secrets.state().len())]
            }
        }
    };
}

stores! {
    namespaces: Namespace => "Namespace", Namespace;
    service_accounts: ServiceAccount => "ServiceAccount", ServiceAccount;
    roles: Role => "Role", Role;
    cluster_roles: ClusterRole => "ClusterRole", ClusterRole;
    role_bindings: RoleBinding => "RoleBinding", RoleBinding;
    cluster_role_bindings: ClusterRoleBinding => "ClusterRoleBinding", ClusterRoleBinding;
    network_policies: NetworkPolicy => "NetworkPolicy", NetworkPolicy;
    pods: Pod => "Pod", Pod;
    deployments: Deployment => "Deployment", Deployment;
    stateful_sets: StatefulSet => "StatefulSet", StatefulSet;
    daemon_sets: DaemonSet => "DaemonSet", DaemonSet;
    replica_sets: ReplicaSet => "ReplicaSet", ReplicaSet;
    jobs: Job => "Job", Job;
    cron_jobs: CronJob => "CronJob", CronJob;
    resource_quotas: ResourceQuota => "ResourceQuota", ResourceQuota;
    limit_ranges: LimitRange => "LimitRange", LimitRange;
}
