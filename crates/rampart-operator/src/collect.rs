//! Collect: one reflector per kind the engine reads ([`crate::watched`]), a full snapshot
//! of them as an Inventory, and the changes since the last evaluation as inventory changes.
//! Secrets are watched through metadata-only requests: Rampart never receives Secret data.

use crate::watched::{KindVisitor, Watched, visit_kinds};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, future};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use rampart_rules::{Change, Inventory, Object, ObjectRef};
use std::collections::{BTreeSet, HashMap, HashSet};

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
pub type WatchEvent = (&'static str, Result<Seen, watcher::Error>);

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

/// Drops what no rule reads and what changes on every write, before it reaches the cache.
fn prune<K: Resource>(o: &mut K) {
    o.meta_mut().managed_fields = None;
}

fn watch<K: Watched>(client: &Client) -> (Store<K>, BoxStream<'static, WatchEvent>) {
    let (reader, writer) = reflector::store();
    let api: Api<K> = Api::all(client.clone());
    let events = watcher(api, watcher::Config::default()).modify(prune::<K>);
    let stream = reflector::reflector(writer, events)
        .default_backoff()
        .map(|e| (K::KIND, e.map(|e| Seen::from(&e))))
        .boxed();
    (reader, stream)
}

/// One kind's cache, whatever the kind's type.
trait Cache: Send + Sync {
    fn kind(&self) -> &'static str;
    fn wait_until_ready(&self) -> BoxFuture<'_, bool>;
    fn len(&self) -> usize;
    fn insert_into(&self, inventory: &mut Inventory);
    fn current(&self, namespace: Option<&str>, name: &str) -> Option<Object>;
    fn relist_changes(&self, inventory: &Inventory, out: &mut Vec<Change>);
}

impl<K: Watched> Cache for Store<K> {
    fn kind(&self) -> &'static str {
        K::KIND
    }

    fn wait_until_ready(&self) -> BoxFuture<'_, bool> {
        Box::pin(async { Store::wait_until_ready(self).await.is_ok() })
    }

    fn len(&self) -> usize {
        self.state().len()
    }

    fn insert_into(&self, inventory: &mut Inventory) {
        for o in self.state() {
            inventory.insert((*o).clone().into_object(), None);
        }
    }

    fn current(&self, namespace: Option<&str>, name: &str) -> Option<Object> {
        self.get(&store_ref(namespace, name))
            .map(|o| (*o).clone().into_object())
    }

    /// Changes that bring the inventory's objects of this kind to the store's: what was
    /// added, modified (by resourceVersion) or is gone.
    fn relist_changes(&self, inventory: &Inventory, out: &mut Vec<Change>) {
        let known = versions(inventory, K::KIND);
        let mut seen = HashSet::new();
        for o in self.state() {
            let meta = o.meta();
            let key = (
                meta.namespace.clone(),
                meta.name.clone().unwrap_or_default(),
            );
            if known.get(&key) != Some(&meta.resource_version) {
                out.push(Change::Upsert(Box::new((*o).clone().into_object())));
            }
            seen.insert(key);
        }
        for (ns, name) in known.into_keys() {
            if !seen.contains(&(ns.clone(), name.clone())) {
                out.push(Change::Delete(ObjectRef::new(
                    "",
                    K::KIND,
                    ns.as_deref(),
                    &name,
                )));
            }
        }
    }
}

/// The caches of every kind the engine reads, in the order of [`visit_kinds`].
pub struct Stores {
    caches: Vec<Box<dyn Cache>>,
}

/// Starts one watch per kind.
struct Start<'a> {
    client: &'a Client,
    caches: Vec<Box<dyn Cache>>,
    streams: Vec<BoxStream<'static, WatchEvent>>,
}

impl KindVisitor for Start<'_> {
    fn visit<K: Watched>(&mut self) {
        let (store, stream) = watch::<K>(self.client);
        self.caches.push(Box::new(store));
        self.streams.push(stream);
    }
}

impl Stores {
    /// Starts the watches; the returned streams must be polled for the stores to fill.
    pub fn watch_all(client: &Client) -> (Stores, Vec<BoxStream<'static, WatchEvent>>) {
        let mut start = Start {
            client,
            caches: Vec::new(),
            streams: Vec::new(),
        };
        visit_kinds(&mut start);
        (
            Stores {
                caches: start.caches,
            },
            start.streams,
        )
    }

    /// Resolves once every store has had its initial list.
    pub async fn wait_until_ready(&self) -> bool {
        let all = future::join_all(self.caches.iter().map(|c| c.wait_until_ready())).await;
        all.into_iter().all(|ready| ready)
    }

    /// A consistent-enough copy of every cache as an indexed inventory.
    pub fn snapshot(&self) -> Inventory {
        let mut inv = Inventory::new();
        for cache in &self.caches {
            cache.insert_into(&mut inv);
        }
        inv.reindex();
        inv
    }

    fn cache(&self, kind: &str) -> Option<&dyn Cache> {
        self.caches
            .iter()
            .find(|c| c.kind() == kind)
            .map(|c| c.as_ref())
    }

    /// The current state of what `pending` names, as changes to `inventory`.
    pub fn changes(&self, pending: &Pending, inventory: &Inventory) -> Vec<Change> {
        let mut out = Vec::new();
        for (kind, ns, name) in &pending.objects {
            // A relisted kind is compared whole below.
            if pending.relisted.contains(kind) {
                continue;
            }
            match self
                .cache(kind)
                .and_then(|c| c.current(ns.as_deref(), name))
            {
                Some(o) => out.push(Change::Upsert(Box::new(o))),
                None => out.push(Change::Delete(ObjectRef::new(
                    "",
                    kind,
                    ns.as_deref(),
                    name,
                ))),
            }
        }
        for kind in &pending.relisted {
            if let Some(c) = self.cache(kind) {
                c.relist_changes(inventory, &mut out);
            }
        }
        out
    }

    /// Objects cached per kind, for logs and metrics.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        self.caches.iter().map(|c| (c.kind(), c.len())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Namespace, Secret};
    use kube::core::{ObjectMeta, PartialObjectMeta};

    fn meta(namespace: Option<&str>, name: &str, version: &str) -> ObjectMeta {
        ObjectMeta {
            namespace: namespace.map(str::to_owned),
            name: Some(name.to_owned()),
            resource_version: Some(version.to_owned()),
            ..ObjectMeta::default()
        }
    }

    fn namespace(name: &str, version: &str) -> Namespace {
        Namespace {
            metadata: meta(None, name, version),
            ..Namespace::default()
        }
    }

    fn secret(name: &str, version: &str) -> PartialObjectMeta<Secret> {
        let mut s = PartialObjectMeta::<Secret>::default();
        s.metadata.namespace = Some("shop".to_owned());
        s.metadata.name = Some(name.to_owned());
        s.metadata.resource_version = Some(version.to_owned());
        s
    }

    fn describe(change: &Change) -> String {
        match change {
            Change::Upsert(o) => match o.as_ref() {
                Object::Namespace(n) => format!("upsert Namespace {:?}", n.metadata.name),
                Object::Secret(s) => format!("upsert Secret {:?}", s.metadata.name),
                other => format!("upsert {other:?}"),
            },
            Change::Delete(r) => format!("delete {} {}", r.kind, r.name),
        }
    }

    #[test]
    fn changes_bring_the_inventory_to_what_the_caches_hold() {
        let (namespaces, mut ns_writer) = reflector::store::<Namespace>();
        let (secrets, mut secret_writer) = reflector::store::<PartialObjectMeta<Secret>>();
        for ns in [namespace("a", "1"), namespace("gone", "1")] {
            ns_writer.apply_watcher_event(&watcher::Event::Apply(ns));
        }
        secret_writer.apply_watcher_event(&watcher::Event::Apply(secret("token", "1")));
        let stores = Stores {
            caches: vec![Box::new(namespaces), Box::new(secrets)],
        };
        let inventory = stores.snapshot();
        assert_eq!(inventory.metadata_of_kind("Namespace").len(), 2);
        assert_eq!(inventory.metadata_of_kind("Secret").len(), 1);
        assert_eq!(stores.counts(), [("Namespace", 2), ("Secret", 1)]);

        ns_writer.apply_watcher_event(&watcher::Event::Apply(namespace("b", "2")));
        ns_writer.apply_watcher_event(&watcher::Event::Delete(namespace("gone", "1")));
        secret_writer.apply_watcher_event(&watcher::Event::Apply(secret("token", "2")));
        let mut pending = Pending::default();
        pending.note(
            "Namespace",
            Seen::from(&watcher::Event::Apply(namespace("b", "2"))),
        );
        pending.note(
            "Namespace",
            Seen::from(&watcher::Event::Delete(namespace("gone", "1"))),
        );
        // A relist compares the whole kind: the changed Secret is found by its version.
        pending.note("Secret", Seen::Relisted);
        let changes: Vec<String> = stores
            .changes(&pending, &inventory)
            .iter()
            .map(describe)
            .collect();
        assert_eq!(
            changes,
            [
                "upsert Namespace Some(\"b\")",
                "delete Namespace gone",
                "upsert Secret Some(\"token\")",
            ]
        );
    }
}
