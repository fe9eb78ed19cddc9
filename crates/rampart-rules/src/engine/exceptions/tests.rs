use super::*;
use crate::engine::evaluate::evaluate_rules;
use crate::inventory::Inventory;
use crate::model::exception::ResourceMatch;
use crate::rules::registry;

const NOW: &str = "2026-12-01T12:00:00Z";

fn at(text: &str) -> Timestamp {
    text.parse().expect("test timestamp")
}

fn exception(namespace: Option<&str>, rules: &[&str], resources: Vec<ResourceMatch>) -> Exception {
    let text = format!(
        "apiVersion: rampart.dev/v1alpha1\nkind: {}\nmetadata: {{name: accepted{}}}\nspec:\n  rules: []\n  resources: []\n  reason: reviewed\n  owner: platform-team\n  expires: '2027-01-31T00:00:00Z'\n",
        if namespace.is_some() {
            "PostureException"
        } else {
            "ClusterPostureException"
        },
        namespace
            .map(|ns| format!(", namespace: {ns}"))
            .unwrap_or_default(),
    );
    let value: serde_json::Value = serde_yaml_ng::from_str(&text).expect("test YAML");
    let mut e = Exception::from_document(value).expect("test exception");
    e.spec.rules = rules.iter().map(|r| (*r).to_owned()).collect();
    e.spec.resources = resources;
    e
}

fn pods(name: &str) -> ResourceMatch {
    ResourceMatch {
        kind: Some("Pod".to_owned()),
        name: Some(name.to_owned()),
        ..ResourceMatch::default()
    }
}

fn privileged() -> &'static Rule {
    registry::by_id("POD003").expect("POD003 is in the catalogue")
}

#[test]
fn an_exception_is_active_until_its_expiry_and_expired_from_it() {
    let e = exception(None, &["POD003"], vec![pods("cni-*")]);
    let s = Settings::default();
    let rules = registry::rules();
    assert_eq!(
        judge(&e, at("2027-01-30T23:59:59Z"), &s, rules),
        State::Active
    );
    assert_eq!(
        judge(&e, at("2027-01-31T00:00:00Z"), &s, rules),
        State::Expired
    );
    assert_eq!(
        judge(&e, at("2027-02-01T00:00:00Z"), &s, rules),
        State::Expired
    );
}

#[test]
fn fields_that_cannot_be_right_make_it_invalid() {
    let s = Settings::default();
    let rules = registry::rules();
    let now = at(NOW);
    let why = |e: &Exception| match judge(e, now, &s, rules) {
        State::Invalid(why) => why,
        other => panic!("expected invalid, got {other}"),
    };
    let mut e = exception(None, &["POD003"], vec![pods("*")]);
    e.spec.reason = "  ".to_owned();
    assert_eq!(why(&e), "the reason is empty");
    let mut e = exception(None, &["POD003"], vec![pods("*")]);
    e.spec.owner = String::new();
    assert_eq!(why(&e), "the owner is empty");
    assert_eq!(
        why(&exception(None, &[], vec![pods("*")])),
        "it names no rule"
    );
    assert_eq!(
        why(&exception(None, &["POD999"], vec![pods("*")])),
        "rule \"POD999\" is not one of Rampart's"
    );
    assert_eq!(
        why(&exception(None, &["POD003"], vec![])),
        "it names no resource"
    );
    let escaping = exception(
        Some("team-a"),
        &["POD003"],
        vec![ResourceMatch {
            namespace: Some("team-b".to_owned()),
            ..ResourceMatch::default()
        }],
    );
    assert_eq!(
        why(&escaping),
        "it names namespace \"team-b\"; a PostureException covers only its own namespace (team-a)"
    );
    // 180 days from NOW is 2027-05-30T12:00:00Z: a second later is too far.
    let mut e = exception(None, &["POD003"], vec![pods("*")]);
    e.spec.expires = at("2027-05-30T12:00:00Z");
    assert_eq!(judge(&e, now, &s, rules), State::Active);
    e.spec.expires = at("2027-05-30T12:00:01Z");
    assert!(why(&e).contains("more than 180 days ahead"), "{}", why(&e));
    // Rule names and ids in any case, and `*`, are all known.
    let e = exception(
        None,
        &["privileged-container", "pod003", "*"],
        vec![pods("*")],
    );
    assert_eq!(judge(&e, now, &s, rules), State::Active);
}

#[test]
fn resources_match_by_kind_namespace_name_globs_and_labels() {
    let inv = Inventory::from_manifest(
        "t.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: cni-node-1, namespace: net, labels: {app: cni, tier: node}}\nspec: {containers: [{name: c, image: x}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: net, labels: {app: web}}\nspec: {containers: [{name: c, image: x}]}\n",
    )
    .expect("test manifest");
    let cni = ObjectRef::new("v1", "Pod", Some("net"), "cni-node-1");
    let web = ObjectRef::new("v1", "Pod", Some("net"), "web");
    let gone = ObjectRef::new("v1", "Pod", Some("net"), "cni-gone");
    let rule = privileged();
    let check = |e: &Exception, r: &ObjectRef| covers(e, rule, r, inv.metadata(r));

    let by_name = exception(None, &["POD003"], vec![pods("cni-*")]);
    assert!(check(&by_name, &cni));
    assert!(!check(&by_name, &web));
    assert!(
        check(&by_name, &gone),
        "a name matches whether or not the object is held"
    );

    let selected = exception(
        None,
        &["privileged-container"],
        vec![ResourceMatch {
            selector: Some(
                serde_json::from_value(serde_json::json!({
                    "matchLabels": {"app": "cni"},
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["node"]}]
                }))
                .expect("selector"),
            ),
            ..ResourceMatch::default()
        }],
    );
    assert!(check(&selected, &cni));
    assert!(!check(&selected, &web));
    assert!(
        !check(&selected, &gone),
        "an object not held has no labels to select"
    );

    let other_rule = exception(None, &["POD001"], vec![pods("*")]);
    assert!(!check(&other_rule, &cni));

    let in_ns = exception(
        None,
        &["*"],
        vec![ResourceMatch {
            namespace: Some("n*".to_owned()),
            ..ResourceMatch::default()
        }],
    );
    assert!(check(&in_ns, &web));
    assert!(
        !check(&in_ns, &ObjectRef::namespace("net")),
        "a namespace pattern covers objects in namespaces, not Namespace objects"
    );
}

#[test]
fn a_namespaced_exception_covers_its_own_namespace_only() {
    let own = exception(Some("net"), &["*"], vec![ResourceMatch::default()]);
    let rule = privileged();
    assert!(covers(
        &own,
        rule,
        &ObjectRef::new("v1", "Pod", Some("net"), "a"),
        None
    ));
    assert!(!covers(
        &own,
        rule,
        &ObjectRef::new("v1", "Pod", Some("shop"), "a"),
        None
    ));
    assert!(!covers(&own, rule, &ObjectRef::namespace("net"), None));
    assert!(!covers(&own, rule, &ObjectRef::cluster_role("admin"), None));
}

#[test]
fn an_evaluation_moves_covered_findings_out_of_the_open_ones_and_the_score() {
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: cni-node-1, namespace: net, labels: {app: cni}}\nspec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: net}\nspec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n";
    let inv = Inventory::from_manifest("t.yaml", manifest).expect("test manifest");
    let rules = std::slice::from_ref(privileged());
    let before = evaluate_rules(&inv, &Settings::default(), rules);
    assert_eq!(before.findings.len(), 2);
    let settings = Settings {
        exceptions: vec![exception(Some("net"), &["POD003"], vec![pods("cni-*")])],
        ..Settings::default()
    };
    let after = evaluate_rules(&inv, &settings, rules);
    let open: Vec<String> = after
        .findings
        .iter()
        .map(|f| f.resource.to_string())
        .collect();
    assert_eq!(open, ["Pod net/debug"]);
    assert_eq!(after.excepted.len(), 1);
    let excepted = &after.excepted[0];
    assert_eq!(excepted.finding.resource.to_string(), "Pod net/cni-node-1");
    assert_eq!(excepted.finding.rule_id(), "POD003");
    assert_eq!(excepted.exception, "net/accepted");
    assert_eq!(after.summary.total(), 1);
    assert!(
        after.score > before.score,
        "{} > {}",
        after.score,
        before.score
    );
    assert_eq!(
        after
            .excepted_by_exception()
            .into_iter()
            .collect::<Vec<_>>(),
        [("net/accepted", 1)]
    );
}
