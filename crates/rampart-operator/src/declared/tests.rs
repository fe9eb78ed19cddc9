use super::*;
use rampart_crd::{ExceptionResource, LabelSelector, PostureExceptionSpec};

fn spec() -> ExceptionSpec {
    ExceptionSpec {
        rules: vec!["POD003".to_owned(), "hostpath-volume".to_owned()],
        resources: vec![
            ExceptionResource {
                kind: Some("Pod".to_owned()),
                name: Some("cni-*".to_owned()),
                ..ExceptionResource::default()
            },
            ExceptionResource {
                selector: Some(LabelSelector {
                    match_labels: Some([("app".to_owned(), "cni".to_owned())].into()),
                    match_expressions: None,
                }),
                ..ExceptionResource::default()
            },
        ],
        reason: "CNI plugin configures host networking".to_owned(),
        owner: "platform-team".to_owned(),
        expires: "2027-06-30T00:00:00Z".to_owned(),
        ticket: Some("https://tracker.example/SEC-12".to_owned()),
    }
}

fn exception(name: &str, generation: i64) -> PostureException {
    let mut e = PostureException::new(name, PostureExceptionSpec { exception: spec() });
    e.metadata.namespace = Some("net".to_owned());
    e.metadata.generation = Some(generation);
    e
}

#[test]
fn the_custom_resource_reads_as_the_engine_reads_the_document() {
    let e = read("PostureException", Some("net"), "cni-privileged", &spec()).expect("reads");
    assert_eq!(e.id(), "net/cni-privileged");
    assert_eq!(e.spec.rules, ["POD003", "hostpath-volume"]);
    assert_eq!(e.spec.resources.len(), 2);
    assert_eq!(e.spec.resources[0].kind.as_deref(), Some("Pod"));
    assert_eq!(e.spec.resources[0].name.as_deref(), Some("cni-*"));
    let selector = e.spec.resources[1].selector.as_ref().expect("selector");
    assert_eq!(
        selector
            .match_labels
            .as_ref()
            .and_then(|l| l.get("app"))
            .map(String::as_str),
        Some("cni")
    );
    assert_eq!(e.spec.owner, "platform-team");
    assert_eq!(e.spec.expires.to_string(), "2027-06-30T00:00:00Z");
    assert_eq!(
        e.spec.ticket.as_deref(),
        Some("https://tracker.example/SEC-12")
    );
    let mut bad = spec();
    bad.expires = "soon".to_owned();
    let err = read("ClusterPostureException", None, "x", &bad).unwrap_err();
    assert!(err.starts_with("ClusterPostureException x: spec:"), "{err}");
}

#[test]
fn specs_that_change_are_worth_a_pass_and_statuses_are_not() {
    let mut out = Declared::default();
    let mut t = Tracker::default();
    assert!(t.note(Event::Apply(exception("a", 1)), &mut out));
    let mut with_status = exception("a", 1);
    with_status.status = Some(ExceptionStatus {
        state: "Active".to_owned(),
        matched: 2,
        ..ExceptionStatus::default()
    });
    assert!(
        !t.note(Event::Apply(with_status), &mut out),
        "a status Rampart wrote changes nothing it judges"
    );
    assert_eq!(
        out.by_id["net/a"].status.as_ref().map(|s| s.matched),
        Some(2),
        "the status is kept: it is what the next write compares with"
    );
    let mut edited = exception("a", 2);
    edited.spec.exception.owner = "sec-team".to_owned();
    assert!(t.note(Event::Apply(edited), &mut out));
    assert!(t.note(Event::Delete(exception("a", 2)), &mut out));
    assert!(out.by_id.is_empty());
    // A relist replaces what this kind had, and is worth a pass only if it differs.
    assert!(!t.note(Event::<PostureException>::Init, &mut out));
    assert!(!t.note(Event::InitApply(exception("b", 1)), &mut out));
    assert!(t.note(Event::<PostureException>::InitDone, &mut out));
    assert!(!t.note(Event::<PostureException>::Init, &mut out));
    assert!(!t.note(Event::InitApply(exception("b", 1)), &mut out));
    assert!(!t.note(Event::<PostureException>::InitDone, &mut out));
    assert_eq!(out.by_id.keys().collect::<Vec<_>>(), ["net/b"]);
}
