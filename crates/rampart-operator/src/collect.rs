//! Collect: one watch per kind the engine reads ([`crate::watched`]), each event's object
//! turned into the engine's [`Object`] as it arrives, and what changed since the last pass
//! as inventory changes. The engine's [`Inventory`] is the operator's only copy of the
//! objects: there are no reflector stores, so a watched object is held in its full
//! k8s-openapi form only between its event and its conversion. Secrets are watched through
//! metadata-only requests: Rampart never receives Secret data.
//!
//! ```text
//! watch events --note--> Pending (latest state per object, relists per kind)
//!              --take--> Batch --into_changes(inventory)--> Change::Upsert / Change::Delete
//! ```
//! A relist (`Init`, `InitApply`..., `InitDone`) lands whole, as a reflector store's did:
//! its objects wait in `Pending` until it ends, and the next pass deletes what the
//! inventory holds of that kind that neither the relist nor a later event saw.

use crate::watched::{KindVisitor, Watched, visit_kinds};
use futures::StreamExt;
use futures::stream::BoxStream;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use rampart_rules::{Change, Inventory, Object, ObjectRef};
use std::collections::{BTreeMap, BTreeSet};
use tokio::sync::watch;

/// One watch event, its object already the engine's.
#[derive(Debug)]
pub enum Event {
    /// Created or modified: the object as it is now.
    Apply(Named, Box<Object>),
    /// Deleted.
    Delete(Named),
    /// A relist starts: what it does not list was deleted meanwhile.
    Init,
    /// Listed by the relist in progress.
    InitApply(Named, Box<Object>),
    /// The relist is complete.
    InitDone,
}

/// Where an object is within its kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Named {
    pub namespace: Option<String>,
    pub name: String,
}

impl Named {
    fn of<K: Resource>(o: &K) -> Named {
        let meta = o.meta();
        Named {
            namespace: meta.namespace.clone(),
            name: meta.name.clone().unwrap_or_default(),
        }
    }
}

impl Event {
    /// Converts a watch event; the k8s-openapi object is consumed here, so only the
    /// engine's projection of it outlives the event.
    pub fn from_watcher<K: Watched>(e: watcher::Event<K>) -> Event {
        match e {
            watcher::Event::Apply(o) => Event::Apply(Named::of(&o), Box::new(o.into_object())),
            watcher::Event::Delete(o) => Event::Delete(Named::of(&o)),
            watcher::Event::Init => Event::Init,
            watcher::Event::InitApply(o) => {
                Event::InitApply(Named::of(&o), Box::new(o.into_object()))
            }
            watcher::Event::InitDone => Event::InitDone,
        }
    }

    /// Whether the event can change what the next pass applies. Objects of a relist in
    /// progress wait for its end, so only the end is worth a pass.
    pub fn is_applicable(&self) -> bool {
        !matches!(self, Event::Init | Event::InitApply(..))
    }
}

/// A watch event (or a watch error) of one kind.
pub type WatchEvent = (&'static str, Result<Event, watcher::Error>);

/// An object's identity across kinds: (kind, namespace, name).
type Key = (&'static str, Option<String>, String);

/// The latest state of one object. Boxed as [`Change::Upsert`] holds it: an object is
/// large, and moves from event to change without being copied.
#[derive(Debug)]
enum Latest {
    Upsert(Box<Object>),
    Delete,
}

/// An object's latest state, and during which of its kind's relists it was noted.
#[derive(Debug)]
struct Noted {
    latest: Latest,
    relist: u64,
}

/// Where one kind's relists stand.
#[derive(Debug, Default)]
struct Relists {
    /// How many relists began; an object noted since the last one began was seen by it.
    started: u64,
    /// A relist began and has not ended: its objects wait for the end.
    listing: bool,
    /// A relist ended since the last pass: the next one deletes what it did not see.
    ended: bool,
}

/// What changed since the last pass, gathered from watch events: the latest state of each
/// object (an upsert with its object, or a delete), and each kind's relists. Objects of a
/// relist still in progress stay here across passes.
#[derive(Debug, Default)]
pub struct Pending {
    objects: BTreeMap<Key, Noted>,
    kinds: BTreeMap<&'static str, Relists>,
}

impl Pending {
    pub fn note(&mut self, kind: &'static str, event: Event) {
        let relists = self.kinds.entry(kind).or_default();
        let (named, latest) = match event {
            Event::Apply(named, o) | Event::InitApply(named, o) => (named, Latest::Upsert(o)),
            Event::Delete(named) => (named, Latest::Delete),
            Event::Init => {
                // A relist that did not end (the list failed part way) is superseded: the new
                // one sees everything that still exists. One that ended but was not applied
                // yet waits for the new one too, which will delete what both did not see.
                relists.started += 1;
                relists.listing = true;
                relists.ended = false;
                return;
            }
            Event::InitDone => {
                relists.listing = false;
                relists.ended = true;
                return;
            }
        };
        let noted = Noted {
            latest,
            relist: relists.started,
        };
        self.objects
            .insert((kind, named.namespace, named.name), noted);
    }

    /// Takes what the next pass applies, leaving the objects of relists in progress.
    pub fn take(&mut self) -> Batch {
        let mut batch = Batch::default();
        let idle = Relists::default();
        for (key, noted) in std::mem::take(&mut self.objects) {
            let relists = self.kinds.get(key.0).unwrap_or(&idle);
            let seen_by_relist = noted.relist == relists.started;
            if relists.listing && seen_by_relist {
                self.objects.insert(key, noted);
            } else if relists.ended && !seen_by_relist {
                // Noted before the relist, which did not list it: it is gone, and the
                // sweep (`Batch::into_changes`) deletes it if the inventory holds it.
            } else {
                batch.objects.insert(key, noted.latest);
            }
        }
        for (kind, relists) in &mut self.kinds {
            if std::mem::take(&mut relists.ended) {
                batch.swept.insert(kind);
            }
        }
        batch
    }
}

/// What one pass applies: the latest state of each object changed since the last pass, and
/// the kinds relisted since.
#[derive(Debug, Default)]
pub struct Batch {
    objects: BTreeMap<Key, Latest>,
    /// Objects of these kinds that the inventory holds and `objects` does not name were
    /// not seen by a relist: they are gone.
    swept: BTreeSet<&'static str>,
}

impl Batch {
    /// The batch as changes to `inventory`, in (kind, namespace, name) order.
    pub fn into_changes(mut self, inventory: &Inventory) -> Vec<Change> {
        for kind in &self.swept {
            for meta in inventory.metadata_of_kind(kind) {
                let key = (
                    *kind,
                    meta.namespace.clone(),
                    meta.name.clone().unwrap_or_default(),
                );
                self.objects.entry(key).or_insert(Latest::Delete);
            }
        }
        self.objects
            .into_iter()
            .map(|((kind, namespace, name), latest)| match latest {
                Latest::Upsert(o) => Change::Upsert(o),
                Latest::Delete => {
                    Change::Delete(ObjectRef::new("", kind, namespace.as_deref(), &name))
                }
            })
            .collect()
    }
}

/// What no rule reads (managed fields, the last-applied copy, ...) is dropped by the
/// conversion into the engine's object, right as the event arrives.
fn watch<K: Watched>(client: &Client) -> BoxStream<'static, WatchEvent> {
    let api: Api<K> = Api::all(client.clone());
    watcher(api, watcher::Config::default())
        .default_backoff()
        .map(|e| (K::KIND, e.map(Event::from_watcher)))
        .boxed()
}

/// Starts one watch per kind.
struct Start<'a> {
    client: &'a Client,
    streams: Vec<BoxStream<'static, WatchEvent>>,
}

impl KindVisitor for Start<'_> {
    fn visit<K: Watched>(&mut self) {
        self.streams.push(watch::<K>(self.client));
    }
}

/// The watches of every kind the engine reads; nothing is watched until they are polled.
pub fn watch_all(client: &Client) -> Vec<BoxStream<'static, WatchEvent>> {
    let mut start = Start {
        client,
        streams: Vec::new(),
    };
    visit_kinds(&mut start);
    start.streams
}

/// The names of the watched kinds.
struct Kinds(Vec<&'static str>);

impl KindVisitor for Kinds {
    fn visit<K: Watched>(&mut self) {
        self.0.push(K::KIND);
    }
}

/// Every watched kind, in the order of [`visit_kinds`].
pub fn kinds() -> Vec<&'static str> {
    let mut kinds = Kinds(Vec::new());
    visit_kinds(&mut kinds);
    kinds.0
}

/// Objects held per watched kind, in the order of [`visit_kinds`], for logs and metrics.
pub fn counts(inventory: &Inventory) -> Vec<(&'static str, usize)> {
    let held = inventory.counts();
    kinds()
        .into_iter()
        .map(|kind| (kind, held.get(kind).copied().unwrap_or(0)))
        .collect()
}

/// Which kinds have had a complete list: what a reflector store's `wait_until_ready` said
/// of one kind. The watch task notes each `InitDone` through [`Listed`]; the loop asks
/// [`Synced`].
pub fn synced() -> (Listed, Synced) {
    let (tx, rx) = watch::channel(BTreeSet::new());
    (
        Listed(tx),
        Synced {
            listed: rx,
            kinds: kinds().len(),
        },
    )
}

/// The watch task's side of [`synced`].
#[derive(Debug)]
pub struct Listed(watch::Sender<BTreeSet<&'static str>>);

impl Listed {
    /// A kind's list is complete.
    pub fn note(&self, kind: &'static str) {
        self.0.send_if_modified(|listed| listed.insert(kind));
    }
}

/// The loop's side of [`synced`].
#[derive(Debug)]
pub struct Synced {
    listed: watch::Receiver<BTreeSet<&'static str>>,
    kinds: usize,
}

impl Synced {
    /// Whether every kind has had a complete list.
    pub fn all(&self) -> bool {
        self.listed.borrow().len() >= self.kinds
    }

    /// Resolves once every kind has had a complete list (`true`), or when the watch task
    /// stopped before (`false`).
    pub async fn wait_all(&self) -> bool {
        let mut listed = self.listed.clone();
        listed.wait_for(|l| l.len() >= self.kinds).await.is_ok()
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
        PartialObjectMeta {
            metadata: meta(Some("shop"), name, version),
            ..PartialObjectMeta::default()
        }
    }

    /// Notes watch events of one kind as the watch task does.
    fn note<K: Watched>(
        pending: &mut Pending,
        events: impl IntoIterator<Item = watcher::Event<K>>,
    ) {
        for e in events {
            pending.note(K::KIND, Event::from_watcher(e));
        }
    }

    /// A kind's complete list.
    fn list<K: Watched>(pending: &mut Pending, objects: impl IntoIterator<Item = K>) {
        let mut events = vec![watcher::Event::Init];
        events.extend(objects.into_iter().map(watcher::Event::InitApply));
        events.push(watcher::Event::InitDone);
        note(pending, events);
    }

    fn describe(change: &Change) -> String {
        match change {
            Change::Upsert(o) => match o.as_ref() {
                Object::Namespace(n) => format!(
                    "upsert Namespace {} {}",
                    n.metadata.name.as_deref().unwrap_or(""),
                    n.metadata.resource_version.as_deref().unwrap_or("")
                ),
                Object::Secret(s) => format!(
                    "upsert Secret {} {}",
                    s.metadata.name.as_deref().unwrap_or(""),
                    s.metadata.resource_version.as_deref().unwrap_or("")
                ),
                other => format!("upsert {other:?}"),
            },
            Change::Delete(r) => format!("delete {} {}", r.kind, r.name),
        }
    }

    /// Takes the pending batch as changes to `inventory`, applies them, and describes them.
    fn pass(pending: &mut Pending, inventory: &mut Inventory) -> Vec<String> {
        let changes = pending.take().into_changes(inventory);
        let described = changes.iter().map(describe).collect();
        inventory.apply(changes);
        assert!(inventory.index_is_consistent());
        described
    }

    /// Namespaces listed once and applied: where most tests start.
    fn synced_with(namespaces: &[(&str, &str)]) -> (Pending, Inventory) {
        let mut pending = Pending::default();
        list(
            &mut pending,
            namespaces.iter().map(|(name, v)| namespace(name, v)),
        );
        let mut inventory = indexed_empty();
        pass(&mut pending, &mut inventory);
        (pending, inventory)
    }

    /// An empty inventory with its indexes built, as the operator's starts.
    fn indexed_empty() -> Inventory {
        Inventory::from_objects([])
    }

    fn names(inventory: &Inventory, kind: &str) -> Vec<String> {
        inventory
            .metadata_of_kind(kind)
            .iter()
            .filter_map(|m| m.name.clone())
            .collect()
    }

    #[test]
    fn changes_bring_the_inventory_to_what_the_watches_said() {
        let mut pending = Pending::default();
        list(&mut pending, [namespace("a", "1"), namespace("gone", "1")]);
        list(&mut pending, [secret("token", "1")]);
        let mut inventory = indexed_empty();
        pass(&mut pending, &mut inventory);
        assert_eq!(names(&inventory, "Namespace"), ["a", "gone"]);
        assert_eq!(names(&inventory, "Secret"), ["token"]);
        let counts = counts(&inventory);
        assert_eq!(counts.len(), kinds().len());
        assert_eq!(counts.first(), Some(&("Namespace", 2)));
        assert_eq!(counts.last(), Some(&("Secret", 1)));
        assert!(counts.iter().filter(|(_, n)| *n == 0).count() == counts.len() - 2);

        note(
            &mut pending,
            [
                watcher::Event::Apply(namespace("b", "2")),
                watcher::Event::Delete(namespace("gone", "1")),
            ],
        );
        // The Secret's watch expired: the relist finds it changed.
        list(&mut pending, [secret("token", "2")]);
        assert_eq!(
            pass(&mut pending, &mut inventory),
            [
                "upsert Namespace b 2",
                "delete Namespace gone",
                "upsert Secret token 2",
            ]
        );
        assert_eq!(names(&inventory, "Namespace"), ["a", "b"]);
        assert!(pending.take().into_changes(&inventory).is_empty());
    }

    #[test]
    fn a_relist_deletes_what_it_did_not_see() {
        let (mut pending, mut inventory) = synced_with(&[("a", "1"), ("b", "1")]);
        // "b" was deleted while the watch was down, and "c" applied before the watch
        // expired was deleted too: neither is listed again.
        note(&mut pending, [watcher::Event::Apply(namespace("c", "2"))]);
        list(&mut pending, [namespace("a", "1")]);
        assert_eq!(
            pass(&mut pending, &mut inventory),
            ["upsert Namespace a 1", "delete Namespace b"]
        );
        assert_eq!(names(&inventory, "Namespace"), ["a"]);
    }

    #[test]
    fn an_event_after_the_relist_recreates_what_it_did_not_see() {
        let (mut pending, mut inventory) = synced_with(&[("a", "1"), ("b", "1")]);
        list(&mut pending, [namespace("a", "1")]);
        note(&mut pending, [watcher::Event::Apply(namespace("b", "3"))]);
        assert_eq!(
            pass(&mut pending, &mut inventory),
            ["upsert Namespace a 1", "upsert Namespace b 3"]
        );
        assert_eq!(names(&inventory, "Namespace"), ["a", "b"]);
    }

    #[test]
    fn a_delete_then_an_apply_of_the_same_object_is_an_upsert() {
        let (mut pending, mut inventory) = synced_with(&[("a", "1")]);
        note(
            &mut pending,
            [
                watcher::Event::Delete(namespace("a", "1")),
                watcher::Event::Apply(namespace("a", "2")),
            ],
        );
        assert_eq!(pass(&mut pending, &mut inventory), ["upsert Namespace a 2"]);
        assert_eq!(names(&inventory, "Namespace"), ["a"]);
        // And the other way round: the delete wins.
        note(
            &mut pending,
            [
                watcher::Event::Apply(namespace("a", "3")),
                watcher::Event::Delete(namespace("a", "3")),
            ],
        );
        assert_eq!(pass(&mut pending, &mut inventory), ["delete Namespace a"]);
        assert!(names(&inventory, "Namespace").is_empty());
    }

    #[test]
    fn a_relist_in_progress_lands_whole_when_it_ends() {
        let (mut pending, mut inventory) = synced_with(&[("a", "1"), ("b", "1")]);
        note(
            &mut pending,
            [
                watcher::Event::Apply(namespace("c", "2")),
                watcher::Event::Init,
                watcher::Event::InitApply(namespace("a", "3")),
            ],
        );
        // What came before the relist applies; what it listed so far waits.
        assert_eq!(pass(&mut pending, &mut inventory), ["upsert Namespace c 2"]);
        note(
            &mut pending,
            [
                watcher::Event::InitApply(namespace("c", "2")),
                watcher::Event::InitDone,
            ],
        );
        assert_eq!(
            pass(&mut pending, &mut inventory),
            [
                "upsert Namespace a 3",
                "delete Namespace b",
                "upsert Namespace c 2"
            ]
        );
        assert_eq!(names(&inventory, "Namespace"), ["a", "c"]);
    }

    #[test]
    fn a_relist_that_failed_part_way_is_replaced_by_the_next() {
        let (mut pending, mut inventory) = synced_with(&[("a", "1")]);
        // The first relist lists "b" and fails; "b" is deleted before the second.
        note(
            &mut pending,
            [
                watcher::Event::Init,
                watcher::Event::InitApply(namespace("b", "2")),
            ],
        );
        list(&mut pending, [namespace("a", "1")]);
        assert_eq!(pass(&mut pending, &mut inventory), ["upsert Namespace a 1"]);
        assert_eq!(names(&inventory, "Namespace"), ["a"]);
    }

    #[tokio::test]
    async fn synced_once_every_kind_has_listed() {
        let (listed, synced) = synced();
        let all = kinds();
        for kind in &all[1..] {
            listed.note(kind);
        }
        listed.note(all[1]);
        assert!(!synced.all());
        listed.note(all[0]);
        assert!(synced.all());
        assert!(synced.wait_all().await);
    }

    #[tokio::test]
    async fn not_synced_when_the_watch_task_stops_first() {
        let (listed, synced) = synced();
        listed.note("Namespace");
        drop(listed);
        assert!(!synced.wait_all().await);
    }
}
