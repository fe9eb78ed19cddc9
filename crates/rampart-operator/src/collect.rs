//! Collect: one reflector per kind the engine reads, a full snapshot of them as an
//! Inventory, and the changes since the last evaluation as inventory changes.
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
use rampart_rules::Change;
use rampart_rules::{Inventory, ObjectRef};
use rampart_rules::{Object, SecretMeta};
use serde::de::DeserializeOwned;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt::Debug;

/// What one watch event says changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// This object was created, modified or deleted.
    Object {
        namespace: Option<String>,
        name: String,
    },
    /// The kind was listed again (after a watch expired): deletions in between may not have
    /// been seen one by one.
    Relisted,
    /// Part of a relist still in progress.
    Nothing,
}

impl<K: Resource> From<&watcher::Event<K>> for Seen {
    fn from(e: &watcher::Event<K>) -> Seen {
        match e {
            watcher::Event::Apply(o) | watcher::Event::Delete(o) => Seen::Object {
                namespace: o.meta().namespace.clone(),
                name: o.meta().name.clone().unwrap_or_default(),
            },
            watcher::Event::InitDone => Seen::Relisted,
            watcher::Event::Init | watcher::Event::InitApply(_) => Seen::Nothing,
        }
    }
}

/// A watch event (or a watch error) of one kind.
pub type Event = (&'static str, Result<Seen, watcher::Error>);

/// What changed since the last evaluation, gathered from watch events.
#[derive(Debug, Default)]
pub struct Pending {
    objects: BTreeSet<(&'static str, Option<String>, String)>,
    relisted: BTreeSet<&'static str>,
}

impl Pending {
    pub fn note(&mut self, kind: &'static str, seen: Seen) {
        match seen {
            Seen::Object { namespace, name } => {
                self.objects.insert((kind, namespace, name));
            }
            Seen::Relisted => {
                self.relisted.insert(kind);
            }
            Seen::Nothing => {}
        }
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty() && self.relisted.is_empty()
    }
}

/// (namespace, name) -> resourceVersion of what the inventory holds of one kind.
type Versions = HashMap<(Option<String>, String), Option<String>>;

fn versions(inventory: &Inventory, kind: &str) -> Versions {
    inventory
        .metadata_of_kind(kind)
        .into_iter()
        .map(|m| {
            (
                (m.namespace.clone(), m.name.clone().unwrap_or_default()),
                m.resource_version.clone(),
            )
        })
        .collect()
}

fn store_ref<K: Resource<DynamicType = ()>>(
    namespace: Option<&str>,
    name: &str,
) -> reflector::ObjectRef<K> {
    match namespace {
        Some(ns) => reflector::ObjectRef::new(name).within(ns),
        None => reflector::ObjectRef::new(name),
    }
}

fn secret_object(s: &PartialObjectMeta<Secret>) -> Object {
    Object::Secret(SecretMeta {
        metadata: s.metadata.clone(),
        type_: None,
    })
}

/// Drops what no rule reads and what changes on every write, before it reaches the cache.
fn prune<K: Resource>(o: &mut K) {
    o.meta_mut().managed_fields = None;
}

fn watch<K>(client: &Client, kind: &'static str) -> (Store<K>, BoxStream<'static, Event>)
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let (reader, writer) = reflector::store();
    let api: Api<K> = Api::all(client.clone());
    let events = watcher(api, watcher::Config::default()).modify(prune::<K>);
    let stream = reflector::reflector(writer, events)
        .default_backoff()
        .map(move |e| (kind, e.map(|e| Seen::from(&e))))
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
            pub fn watch_all(client: &Client) -> (Stores, Vec<BoxStream<'static, Event>>) {
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
                        .map(|e| ("Secret", e.map(|e| Seen::from(&e))))
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
                    inv.insert(secret_object(&s), None);
                }
                inv.reindex();
                inv
            }

            /// The current state of what `pending` names, as changes to `inventory`.
            pub fn changes(&self, pending: &Pending, inventory: &Inventory) -> Vec<Change> {
                let mut out = Vec::new();
                for (kind, ns, name) in &pending.objects {
                    // A relisted kind is compared whole below.
                    if pending.relisted.contains(kind) {
                        continue;
                    }
                    match self.current(kind, ns.as_deref(), name) {
                        Some(o) => out.push(Change::Upsert(Box::new(o))),
                        None => out.push(Change::Delete(ObjectRef::new("", kind, ns.as_deref(), name))),
                    }
                }
                for kind in &pending.relisted {
                    self.relist_changes(kind, inventory, &mut out);
                }
                out
            }

            fn current(&self, kind: &str, ns: Option<&str>, name: &str) -> Option<Object> {
                match kind {
                    $($kind => self.$field.get(&store_ref(ns, name)).map(|o| Object::$variant((*o).clone())),)*
                    "Secret" => self.secrets.get(&store_ref(ns, name)).map(|s| secret_object(&s)),
                    _ => None,
                }
            }

            /// Changes that bring the inventory's objects of `kind` to the store's: what
            /// was added, modified (by resourceVersion) or is gone.
            fn relist_changes(&self, kind: &'static str, inventory: &Inventory, out: &mut Vec<Change>) {
                let known = versions(inventory, kind);
                let mut seen = HashSet::new();
                let mut visit = |meta: &kube::core::ObjectMeta, object: &dyn Fn() -> Object| {
                    let key = (meta.namespace.clone(), meta.name.clone().unwrap_or_default());
                    if known.get(&key) != Some(&meta.resource_version) {
                        out.push(Change::Upsert(Box::new(object())));
                    }
                    seen.insert(key);
                };
                match kind {
                    $($kind => for o in self.$field.state() {
                        visit(&o.metadata, &|| Object::$variant((*o).clone()));
                    },)*
                    "Secret" => for s in self.secrets.state() {
                        visit(&s.metadata, &|| secret_object(&s));
                    },
                    _ => {}
                }
                for (ns, name) in known.into_keys() {
                    if !seen.contains(&(ns.clone(), name.clone())) {
                        out.push(Change::Delete(ObjectRef::new("", kind, ns.as_deref(), &name)));
                    }
                }
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
