//! An incremental pass must leave exactly what a full one would: the findings, the
//! cluster's totals, the metric series and every report it builds, while building only the
//! reports its change reaches.

use super::*;
use crate::fixture::Fixture;
use crate::report::{Book, Rebuild};
use rampart_rules::exceptions::Exception;
use rampart_rules::{Change, Derived, Inventory, Settings, decode, evaluate_scope, registry};
use serde_json::json;

const CLUSTER: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: other, labels: {pod-security.kubernetes.io/enforce: restricted}}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: shop}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]\n";

/// Binds `shop`'s Role to anonymous users: RBAC015 (critical) in `shop`, nothing else.
fn anonymous_binding() -> Change {
    let value = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "anon", "namespace": "shop"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "User", "name": "system:anonymous", "apiGroup": "rbac.authorization.k8s.io"}]
    });
    match decode(value) {
        Ok(rampart_rules::Decoded::Object(o)) => Change::Upsert(o),
        other => panic!("not an object: {other:?}"),
    }
}

/// Applies [`anonymous_binding`] as the operator does, and evaluates the scope it reaches.
fn change(inventory: &mut Inventory, derived: &mut Derived) -> (Scope, rampart_rules::Evaluation) {
    change_under(inventory, derived, &Settings::default())
}

fn change_under(
    inventory: &mut Inventory,
    derived: &mut Derived,
    settings: &Settings,
) -> (Scope, rampart_rules::Evaluation) {
    let scope = derived.apply(inventory, vec![anonymous_binding()]);
    let fresh = evaluate_scope(inventory, derived, settings, &scope, registry::rules());
    (scope, fresh)
}

fn full(inventory: &Inventory, filter: &NamespaceFilter) -> Held {
    full_under(inventory, filter, &Settings::default())
}

fn full_under(inventory: &Inventory, filter: &NamespaceFilter, settings: &Settings) -> Held {
    let derived = Derived::default();
    let evaluation = evaluate_scope(
        inventory,
        &derived,
        settings,
        &Scope::All,
        registry::rules(),
    );
    Held::new(evaluation, filter)
}

/// An exception in force that accepts [`anonymous_binding`]'s finding.
fn accepting_the_binding() -> Settings {
    let value = json!({
        "apiVersion": "rampart.dev/v1alpha1", "kind": "PostureException",
        "metadata": {"name": "anon", "namespace": "shop"},
        "spec": {"rules": ["RBAC015"], "resources": [{"kind": "RoleBinding", "name": "anon"}],
                 "reason": "reviewed", "owner": "platform", "expires": "2030-01-01T00:00:00Z"}
    });
    Settings {
        exceptions: vec![Exception::from_document(value).expect("the test exception")],
        ..Settings::default()
    }
}

#[test]
fn replacing_a_scope_leaves_what_a_full_evaluation_would() {
    let filter = NamespaceFilter::default();
    let mut inventory = Inventory::from_manifest("t.yaml", CLUSTER).expect("reads");
    let mut derived = Derived::default();
    let mut held = full(&inventory, &filter);
    let before = held.series().clone();

    let (scope, fresh) = change(&mut inventory, &mut derived);
    let replaced = held.replace(&scope, fresh, &filter);
    let expected = full(&inventory, &filter);

    assert_eq!(held.keys(), expected.keys());
    assert_eq!(held.summary(), expected.summary());
    assert_eq!(held.series(), expected.series());
    assert_eq!(held.len(), expected.len());
    assert!(replaced.namespaces.contains("shop"), "{replaced:?}");
    assert!(!replaced.namespaces.contains("other"), "{replaced:?}");
    // Only the series the change moved are handed on, with their new counts.
    let rbac015: Vec<_> = replaced
        .series
        .iter()
        .filter(|(s, _)| s.rule == "RBAC015")
        .collect();
    assert_eq!(rbac015.len(), 1, "{replaced:?}");
    assert_eq!(
        (rbac015[0].0.namespace.as_str(), *rbac015[0].1),
        ("shop", 1)
    );
    for (s, n) in &replaced.series {
        assert_eq!(expected.series().get(s).copied().unwrap_or(0), *n, "{s:?}");
    }
    assert!(
        before
            .iter()
            .all(|(s, n)| replaced.series.contains_key(s) || expected.series().get(s) == Some(n)),
        "a series that changed was not handed on"
    );
}

#[test]
fn excepted_findings_are_counted_by_series_as_a_full_evaluation_would_and_handed_on() {
    let filter = NamespaceFilter::default();
    let settings = accepting_the_binding();
    let mut inventory = Inventory::from_manifest("t.yaml", CLUSTER).expect("reads");
    let mut derived = Derived::default();
    let mut held = full_under(&inventory, &filter, &settings);
    assert_eq!(held.excepted_total(), 0);

    let (scope, fresh) = change_under(&mut inventory, &mut derived, &settings);
    let replaced = held.replace(&scope, fresh, &filter);
    let expected = full_under(&inventory, &filter, &settings);

    assert_eq!(held.excepted_series(), expected.excepted_series());
    assert_eq!(held.excepted_total(), 1);
    assert_eq!(expected.excepted_total(), 1);
    // Accepted, so not open: no open series moved, the excepted one did.
    assert!(
        replaced.series.keys().all(|s| s.rule != "RBAC015"),
        "{replaced:?}"
    );
    let moved: Vec<(&str, &str, u64)> = replaced
        .excepted_series
        .iter()
        .map(|(s, n)| (s.rule, s.namespace.as_str(), *n))
        .collect();
    assert_eq!(moved, [("RBAC015", "shop", 1)]);
}

/// A cluster-wide exception that goes makes the next evaluation one of everything, which
/// may still be applied as a replacement: the series it leaves must say which went.
#[test]
fn a_replacement_of_everything_hands_on_the_series_that_went_at_zero() {
    let filter = NamespaceFilter::default();
    let mut inventory = Inventory::from_manifest("t.yaml", CLUSTER).expect("reads");
    let mut derived = Derived::default();
    change_under(&mut inventory, &mut derived, &Settings::default());
    let mut held = full_under(&inventory, &filter, &accepting_the_binding());
    assert_eq!(held.excepted_total(), 1);

    let fresh = evaluate_scope(
        &inventory,
        &derived,
        &Settings::default(),
        &Scope::All,
        registry::rules(),
    );
    let replaced = held.replace(&Scope::All, fresh, &filter);
    let rbac015 = |series: &BTreeMap<OpenSeries, u64>| -> Vec<(String, u64)> {
        series
            .iter()
            .filter(|(s, _)| s.rule == "RBAC015")
            .map(|(s, n)| (s.namespace.to_string(), *n))
            .collect()
    };
    assert_eq!(rbac015(&replaced.excepted_series), [("shop".to_owned(), 0)]);
    assert_eq!(rbac015(&replaced.series), [("shop".to_owned(), 1)]);
    assert_eq!(held.excepted_total(), 0);
}

#[test]
fn an_incremental_build_builds_only_the_reports_in_scope_and_they_equal_a_full_build() {
    let fixture = Fixture::default();
    let filter = &fixture.filter;
    let mut inventory = Inventory::from_manifest("t.yaml", CLUSTER).expect("reads");
    let namespaces = ["other", "shop"];
    let mut derived = Derived::default();
    let mut held = full(&inventory, filter);
    let mut book = Book::default();
    let first = fixture.build_from(&held, &namespaces, &Rebuild::all(), &mut book);
    assert_eq!(first.reports.namespaces.len(), 2);
    assert!(first.posture.all);
    // As the operator does once the reports are built: what later builds read is what the
    // group keeps and what the next evaluation brings.
    held.release();
    assert!(held.namespace_findings("other").is_empty());
    assert!(
        !held.cluster_findings().is_empty(),
        "the cluster's list is kept"
    );

    let (scope, fresh) = change(&mut inventory, &mut derived);
    let replaced = held.replace(&scope, fresh, filter);
    let rebuild = Rebuild::of(&replaced, &BTreeSet::new());
    let next = fixture.build_from(&held, &namespaces, &rebuild, &mut book);
    let expected = fixture.build_from(
        &full(&inventory, filter),
        &namespaces,
        &Rebuild::all(),
        &mut Book::default(),
    );

    assert_eq!(
        next.reports.namespaces.keys().collect::<Vec<_>>(),
        ["shop"],
        "only the namespace the change reached is built"
    );
    assert_eq!(next.reports.kept, 1);
    assert!(!next.posture.all);
    assert_eq!(
        next.reports.namespaces["shop"],
        expected.reports.namespaces["shop"]
    );
    assert!(
        next.reports.namespaces["shop"]
            .report()
            .expect("reads back")
            .findings
            .iter()
            .any(|f| f.rule_id == "RBAC015" && f.resource.name == "anon")
    );
    assert_eq!(next.reports.cluster, expected.reports.cluster);
    assert_eq!(next.reports.cluster_hash, expected.reports.cluster_hash);
    assert_eq!(next.reports.cluster_score, expected.reports.cluster_score);
    assert_eq!(
        next.reports.cluster_summary,
        expected.reports.cluster_summary
    );
    assert_eq!(next.posture.score, expected.posture.score);

    assert_eq!(held.keys(), full(&inventory, filter).keys());

    // A namespace more, which this pass did not evaluate: the book cannot carry the
    // other reports over, so the operator evaluates everything for that pass.
    let more = ["other", "shop", "new"];
    let reported = crate::report::reported(&more, filter);
    let cne = &fixture.could_not_evaluate;
    assert!(!book.carries(&reported, cne, |ns| ns == "shop"));
    assert!(book.carries(&reported, cne, |ns| ns == "new"));
    let held = full(&inventory, filter);
    let again = fixture.build_from(&held, &more, &rebuild, &mut book);
    assert!(again.posture.all);
    assert_eq!(again.reports.namespaces.len(), 3);
}

#[test]
fn a_namespace_created_or_deleted_builds_its_own_report_only() {
    let fixture = Fixture::default();
    let filter = &fixture.filter;
    let inventory = Inventory::from_manifest("t.yaml", CLUSTER).expect("reads");
    let mut held = full(&inventory, filter);
    let mut book = Book::default();
    fixture.build_from(&held, &["other", "shop"], &Rebuild::all(), &mut book);
    held.release();
    let evaluated = |ns: &str| Rebuild {
        namespaces: BTreeSet::from([ns.to_owned()]),
        ..Rebuild::default()
    };
    // Created: evaluated in the pass that saw it, built alone; every other report's
    // share is the same.
    let created = fixture.build_from(
        &held,
        &["new", "other", "shop"],
        &evaluated("new"),
        &mut book,
    );
    assert!(!created.posture.all);
    assert_eq!(
        created.reports.namespaces.keys().collect::<Vec<_>>(),
        ["new"]
    );
    assert_eq!(created.reports.kept, 2);
    assert!(created.reports.gone.is_empty());
    // Deleted: its report goes, nothing else is built.
    let deleted = fixture.build_from(&held, &["other", "shop"], &evaluated("new"), &mut book);
    assert!(!deleted.posture.all);
    assert!(deleted.reports.namespaces.is_empty());
    assert_eq!(deleted.reports.gone, ["new"]);
}

#[test]
fn a_report_the_writer_forgot_is_built_again_even_out_of_scope() {
    let fixture = Fixture::default();
    let inventory = Inventory::from_manifest("t.yaml", CLUSTER).expect("reads");
    let held = full(&inventory, &fixture.filter);
    let mut book = Book::default();
    let namespaces = ["other", "shop"];
    fixture.build_from(&held, &namespaces, &Rebuild::all(), &mut book);
    let nothing = Replaced::default();
    let rebuild = Rebuild::of(&nothing, &BTreeSet::from(["other".to_owned()]));
    let next = fixture.build_from(&held, &namespaces, &rebuild, &mut book);
    assert_eq!(
        next.reports.namespaces.keys().collect::<Vec<_>>(),
        ["other"]
    );
    assert!(!next.reports.cluster_built);
    let rebuild = Rebuild::of(&nothing, &BTreeSet::from(["/cluster".to_owned()]));
    let next = fixture.build_from(&held, &namespaces, &rebuild, &mut book);
    assert!(next.reports.namespaces.is_empty() && next.reports.cluster_built);
}
