use super::*;
use crate::fixture::Fixture;
use crate::placement::NamespaceFilter;
use crate::report::{self, BuiltReport};
use rampart_rules::exceptions::Exception;
use rampart_rules::{Settings, evaluate_scope};
use rampart_testkit::{repo, yaml};

/// The demo cluster, an object in a namespace that has no Namespace object, and more
/// namespaces than a part holds.
fn inventory() -> Inventory {
    let mut text = String::new();
    for file in [
        "namespace",
        "rbac",
        "serviceaccount",
        "networkpolicy",
        "workload",
        "encryption",
        "controlplane",
    ] {
        text.push_str(&repo::read(&format!("crates/rampart/demo/{file}.yaml")));
        text.push_str("\n---\n");
    }
    for i in 0..7 {
        text.push_str(&format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: team-{i}}}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {{name: app, namespace: team-{i}}}\n\
             spec: {{hostNetwork: true, containers: [{{name: c, image: app:1, securityContext: {{privileged: true}}}}]}}\n---\n"
        ));
    }
    text.push_str(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: stray, namespace: no-namespace-object}\n\
         spec: {containers: [{name: c, image: app:1, securityContext: {privileged: true}}]}\n",
    );
    Inventory::from_manifest("t.yaml", &text).expect("the test manifests read")
}

/// An exception in force for one namespace's pod, so excepted findings take part.
fn settings() -> Settings {
    let value = yaml::document(
        "apiVersion: rampart.dev/v1alpha1\nkind: PostureException\n\
         metadata: {name: app, namespace: team-3}\n\
         spec: {rules: [POD003], resources: [{kind: Pod, name: app}], reason: reviewed, owner: platform, expires: '2030-01-01T00:00:00Z'}\n",
    );
    Settings {
        exceptions: vec![Exception::from_document(value).expect("the test exception")],
        ..Settings::default()
    }
}

/// Everything a report says but its findings, bytes for byte.
fn reports_json(built: &report::Built) -> Vec<(String, String)> {
    let text = |r: &BuiltReport| {
        serde_json::to_string(&r.report().expect("a built report reads back")).expect("JSON")
    };
    let mut out: Vec<(String, String)> = built
        .reports
        .namespaces
        .iter()
        .map(|(ns, r)| (ns.clone(), text(r)))
        .collect();
    out.push((
        "/cluster".to_owned(),
        serde_json::to_string(built.reports.cluster.as_ref()).expect("JSON"),
    ));
    out
}

#[test]
fn a_full_pass_in_parts_builds_what_one_evaluation_of_everything_builds() {
    let inventory = inventory();
    let derived = Derived::default();
    let settings = settings();
    for filter in [
        NamespaceFilter::default(),
        NamespaceFilter {
            include: Vec::new(),
            exclude: vec!["team-1".to_owned(), "kube-*".to_owned()],
        },
    ] {
        let mut fixture = Fixture {
            filter,
            ..Fixture::default()
        };
        let names: Vec<&str> = inventory.namespaces().map(|n| &*n.metadata.name).collect();
        // One evaluation of everything, built at once: what a full pass used to do.
        let whole = evaluate_scope(
            &inventory,
            &derived,
            &settings,
            &Scope::All,
            registry::rules(),
        );
        assert!(
            !whole.excepted.is_empty() && whole.findings.len() > 20,
            "the fixture exercises findings and exceptions"
        );
        // The verdict the evaluation reached, as the reports say it.
        fixture.encryption = whole.encryption.clone();
        let held = Held::new(whole, &fixture.filter);
        let expected = fixture.build_from(&held, &names, &Rebuild::all(), &mut Book::default());

        for part in [1, 2, 5, PART] {
            let none = Held::default();
            let mut book = Book::default();
            let template = fixture.inputs(&none, &names);
            let pass =
                evaluate_and_build(&inventory, &derived, &settings, &template, part, &mut book);
            assert_eq!(
                reports_json(&pass.built),
                reports_json(&expected),
                "parts of {part}"
            );
            assert_eq!(
                pass.built, expected,
                "parts of {part}: totals, open findings, series"
            );
            assert_eq!(pass.held.keys(), held.keys(), "parts of {part}");
            assert_eq!(pass.held.len(), held.len());
            assert!(pass.held.is_released(), "nothing is held past its report");
            assert_eq!(
                pass.built.reports.control_plane.anonymous.state, "exposed",
                "parts of {part}: the control plane's verdicts, from the cluster part"
            );
        }
    }
}
