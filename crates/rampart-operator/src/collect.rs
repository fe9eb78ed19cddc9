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
//! A kind's first list (`Init`, `InitApply`..., `InitDone`) lands whole, as a reflector
//! store's did: its objects wait in `Pending` until it ends, so no pass sees part of a kind.
//! A later relist (a watch that expired, an API server that restarted) passes its objects
//! on as they come, each replacing its own older state (what did not change reaches
//! nothing), so the operator never holds a kind twice; it remembers only a hash of each
//! object's name, and the pass after its end deletes what the inventory holds of that kind
//! that neither the relist nor a later event saw.

use crate::watched::{KindVisitor, Watched, visit_kinds};
use futures::StreamExt;
use futures::stream::BoxStream;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use rampart_rules::{Change, Inventory, Object, ObjectRef};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{BuildHasher, RandomState};
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
    /// A relist began and has not ended: the objects of the kind's first list wait for
    /// its end, those of a later one pass on.
    listing: bool,
    /// A relist ended since the last pass: the next one deletes what it did not see.
    ended: bool,
    /// A list of the kind ended once: its relists pass their objects on.
    listed_once: bool,
    /// The objects the relist in progress (or ended, and not yet applied) passed on, by
    /// [`name_hash`]: what its end must not delete. A hash rather than the name:
    /// 8 bytes an object instead of two strings. Two names that hash alike (one chance in
    /// about 2^64 / n for n objects; the hasher's keys are random) would keep an object
    /// that was deleted while the watch was down, until the next relist.
    passed: HashSet<u64>,
}

/// What changed since the last pass, gathered from watch events: the latest state of each
/// object (an upsert with its object, or a delete), and each kind's relists. Objects of a
/// kind's first list still in progress stay here across passes.
#[derive(Debug, Default)]
pub struct Pending {
    objects: BTreeMap<Key, Noted>,
    kinds: BTreeMap<&'static str, Relists>,
    hasher: RandomState,
}

impl Pending {
    /// Notes one event of `kind`; returns whether it is worth a pass: the objects of a
    /// kind's first list wait for its end, so only the end is.
    pub fn note(&mut self, kind: &'static str, event: Event) -> bool {
        let relists = self.kinds.entry(kind).or_default();
        let (named, latest, worth_a_pass) = match event {
            Event::Apply(named, o) => (named, Latest::Upsert(o), true),
            Event::InitApply(named, o) => (named, Latest::Upsert(o), relists.listed_once),
            Event::Delete(named) => (named, Latest::Delete, true),
            Event::Init => {
                // A relist that did not end (the list failed part way) is superseded: the new
                // one sees everything that still exists. One that ended but was not applied
                // yet waits for the new one too, which will delete what both did not see.
                relists.started += 1;
                relists.listing = true;
                relists.ended = false;
                relists.passed.clear();
                return false;
            }
            Event::InitDone => {
                relists.listing = false;
                relists.ended = true;
                relists.listed_once = true;
                return true;
            }
        };
        let noted = Noted {
            latest,
            relist: relists.started,
        };
        self.objects
            .insert((kind, named.namespace, named.name), noted);
        worth_a_pass
    }

    /// Takes what the next pass applies, leaving the objects of first lists in progress.
    pub fn take(&mut self) -> Batch {
        let mut batch = Batch {
            hasher: self.hasher.clone(),
            ..Batch::default()
        };
        for (key, noted) in std::mem::take(&mut self.objects) {
            let Some(relists) = self.kinds.get_mut(key.0) else {
                batch.objects.insert(key, noted.latest);
                continue;
            };
            let seen_by_relist = noted.relist == relists.started;
            if relists.listing && !relists.listed_once {
                // A first list, or what an attempt at it that failed part way listed (the
                // next attempt's end drops what it does not list again): no pass sees part
                // of a kind.
                self.objects.insert(key, noted);
            } else if relists.listing && seen_by_relist {
                relists
                    .passed
                    .insert(name_hash(&self.hasher, key.1.as_deref(), &key.2));
                batch.objects.insert(key, noted.latest);
            } else if relists.ended && !seen_by_relist {
                // Noted before the relist, which did not list it: it is gone, and the
                // sweep (`Batch::into_changes`) deletes it if the inventory holds it.
            } else {
                batch.objects.insert(key, noted.latest);
            }
        }
        for (kind, relists) in &mut self.kinds {
            if std::mem::take(&mut relists.ended) {
                batch
                    .swept
                    .insert(kind, std::mem::take(&mut relists.passed));
            }
        }
        batch
    }
}

/// An object's name within its kind, hashed under `hasher`.
fn name_hash(hasher: &RandomState, namespace: Option<&str>, name: &str) -> u64 {
    hasher.hash_one((namespace, name))
}

/// What one pass applies: the latest state of each object changed since the last pass, and
/// the kinds relisted since.
#[derive(Debug, Default)]
pub struct Batch {
    objects: BTreeMap<Key, Latest>,
    /// Objects of these kinds that the inventory holds, that `objects` does not name and
    /// that the relist did not pass on before (by name hash) were not seen by a relist:
    /// they are gone.
    swept: BTreeMap<&'static str, HashSet<u64>>,
    hasher: RandomState,
}

impl Batch {
    /// The batch as changes to `inventory`, in (kind, namespace, name) order.
    pub fn into_changes(mut self, inventory: &Inventory) -> Vec<Change> {
        for (kind, passed) in &self.swept {
            for meta in inventory.metadata_of_kind(kind) {
                if passed.contains(&name_hash(&self.hasher, meta.namespace(), meta.name())) {
                    continue;
                }
                let key = (
                    *kind,
                    meta.namespace().map(str::to_owned),
                    meta.name().to_owned(),
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
mod tests;
