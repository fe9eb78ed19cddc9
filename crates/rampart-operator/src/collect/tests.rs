use super::*;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::core::{ObjectMeta, PartialObjectMeta};
use rampart_rules::Meta;

fn meta(namespace: Option<&str>, name: &str, version: &str) -> ObjectMeta {
    ObjectMeta {
        namespace: namespace.map(str::to_owned),
        name: Some(name.to_owned()),
        // Which version of the object: a label, which the inventory keeps (it drops the
        // resourceVersion).
        labels: Some([("version".to_owned(), version.to_owned())].into()),
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

/// Notes watch events of one kind as the watch task does; which were worth a pass.
fn note<K: Watched>(
    pending: &mut Pending,
    events: impl IntoIterator<Item = watcher::Event<K>>,
) -> Vec<bool> {
    events
        .into_iter()
        .map(|e| pending.note(K::KIND, Event::from_watcher(e)))
        .collect()
}

/// A kind's complete list.
fn list<K: Watched>(pending: &mut Pending, objects: impl IntoIterator<Item = K>) {
    let mut events = vec![watcher::Event::Init];
    events.extend(objects.into_iter().map(watcher::Event::InitApply));
    events.push(watcher::Event::InitDone);
    note(pending, events);
}

#[test]
fn a_first_list_lands_whole_when_it_ends() {
    let mut pending = Pending::default();
    let mut inventory = indexed_empty();
    let worth = note(
        &mut pending,
        [
            watcher::Event::Init,
            watcher::Event::InitApply(namespace("a", "1")),
        ],
    );
    assert_eq!(worth, [false, false], "no pass sees part of a kind");
    assert!(pass(&mut pending, &mut inventory).is_empty());
    let worth = note(
        &mut pending,
        [
            watcher::Event::InitApply(namespace("b", "1")),
            watcher::Event::InitDone,
        ],
    );
    assert_eq!(worth, [false, true]);
    assert_eq!(
        pass(&mut pending, &mut inventory),
        ["upsert Namespace a 1", "upsert Namespace b 1"]
    );
}

fn version_of(meta: &Meta) -> &str {
    meta.labels.get("version").unwrap_or("")
}

fn describe(change: &Change) -> String {
    match change {
        Change::Upsert(o) => match o.as_ref() {
            Object::Namespace(n) => format!(
                "upsert Namespace {} {}",
                n.metadata.name,
                version_of(&n.metadata)
            ),
            Object::Secret(s) => format!(
                "upsert Secret {} {}",
                s.metadata.name,
                s.metadata.labels.get("version").unwrap_or("")
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
        .map(|m| m.name().to_owned())
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
fn a_relist_passes_its_objects_on_and_its_end_deletes_what_it_did_not_see() {
    let (mut pending, mut inventory) = synced_with(&[("a", "1"), ("b", "1"), ("d", "1")]);
    let worth = note(
        &mut pending,
        [
            watcher::Event::Apply(namespace("c", "2")),
            watcher::Event::Init,
            watcher::Event::InitApply(namespace("a", "3")),
        ],
    );
    assert_eq!(
        worth,
        [true, false, true],
        "a relist's objects are worth a pass"
    );
    // What came before the relist and what it listed so far apply: the inventory does not
    // hold the kind twice while the relist goes on.
    assert_eq!(
        pass(&mut pending, &mut inventory),
        ["upsert Namespace a 3", "upsert Namespace c 2"]
    );
    assert!(pending.objects.is_empty());
    note(
        &mut pending,
        [
            watcher::Event::InitApply(namespace("c", "2")),
            watcher::Event::InitApply(namespace("d", "1")),
        ],
    );
    // Passed on as they come (unchanged, they reach nothing).
    assert_eq!(
        pass(&mut pending, &mut inventory),
        ["upsert Namespace c 2", "upsert Namespace d 1"]
    );
    note(
        &mut pending,
        [
            watcher::Event::InitApply(namespace("e", "1")),
            watcher::Event::InitDone,
        ],
    );
    // "a", "c" and "d" were passed on in earlier passes and stay; "b" was not listed.
    assert_eq!(
        pass(&mut pending, &mut inventory),
        ["delete Namespace b", "upsert Namespace e 1"]
    );
    assert_eq!(names(&inventory, "Namespace"), ["a", "c", "d", "e"]);
    // The names passed on went with the relist's end.
    assert!(pending.kinds.values().all(|r| r.passed.is_empty()));
}

#[test]
fn a_first_list_that_failed_part_way_waits_for_the_next_attempt_to_end() {
    let mut pending = Pending::default();
    let mut inventory = indexed_empty();
    note(
        &mut pending,
        [
            watcher::Event::Init,
            watcher::Event::InitApply(namespace("gone", "1")),
            watcher::Event::Init,
            watcher::Event::InitApply(namespace("a", "1")),
        ],
    );
    assert!(
        pass(&mut pending, &mut inventory).is_empty(),
        "a pass for another kind sees no part of this one"
    );
    note(&mut pending, [watcher::Event::<Namespace>::InitDone]);
    assert_eq!(pass(&mut pending, &mut inventory), ["upsert Namespace a 1"]);
}

#[test]
fn a_relist_superseded_part_way_forgets_what_it_passed_on() {
    let (mut pending, mut inventory) = synced_with(&[("a", "1"), ("b", "1")]);
    note(
        &mut pending,
        [
            watcher::Event::Init,
            watcher::Event::InitApply(namespace("b", "1")),
        ],
    );
    assert_eq!(pass(&mut pending, &mut inventory), ["upsert Namespace b 1"]);
    // The list failed; "b" is deleted before the next relist, which does not see it.
    list(&mut pending, [namespace("a", "1")]);
    assert_eq!(
        pass(&mut pending, &mut inventory),
        ["upsert Namespace a 1", "delete Namespace b"]
    );
    assert_eq!(names(&inventory, "Namespace"), ["a"]);
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
