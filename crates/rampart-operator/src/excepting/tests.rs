use super::*;
use crate::declared::DeclaredException;
use rampart_rules::exceptions::ResourceMatch;
use rampart_rules::registry;

fn at(text: &str) -> Timestamp {
    text.parse().expect("test timestamp")
}

fn exception(namespace: Option<&str>, name: &str, expires: &str) -> Exception {
    Exception {
        name: name.to_owned(),
        namespace: namespace.map(str::to_owned),
        spec: ExceptionSpec {
            rules: vec!["POD003".to_owned()],
            resources: vec![ResourceMatch::default()],
            reason: "reviewed".to_owned(),
            owner: "platform-team".to_owned(),
            expires: at(expires),
            ticket: None,
        },
    }
}

fn declared(list: Vec<Result<Exception, String>>) -> Declared {
    let mut d = Declared::default();
    for (i, e) in list.into_iter().enumerate() {
        let (namespace, name) = match &e {
            Ok(e) => (e.namespace.clone(), e.name.clone()),
            Err(_) => (None, format!("unreadable-{i}")),
        };
        let entry = DeclaredException {
            kind: if namespace.is_some() {
                "PostureException"
            } else {
                "ClusterPostureException"
            },
            exception: e,
            namespace,
            name,
            generation: Some(1),
            status: None,
        };
        d.by_id.insert(entry.id(), entry);
    }
    d
}

const NOW: &str = "2026-12-01T00:00:00Z";

#[test]
fn what_comes_into_force_or_goes_reaches_its_namespace_or_everything() {
    let rules = registry::rules();
    let settings = Settings::default();
    let mut in_force = InForce::default();
    let net = exception(Some("net"), "cni", "2027-01-01T00:00:00Z");
    let first = in_force.judge(&settings, &declared(vec![Ok(net.clone())]), at(NOW), rules);
    assert_eq!(
        first.reach,
        Some(Scope::Only {
            namespaces: BTreeSet::from(["net".to_owned()]),
            cluster: true
        })
    );
    assert_eq!(first.in_force.len(), 1);
    assert_eq!(
        first.accepted.get("net/cni"),
        Some(&Accepted {
            owner: "platform-team".to_owned(),
            expires: "2027-01-01T00:00:00Z".to_owned()
        })
    );
    assert_eq!(first.next_expiry, Some(at("2027-01-01T00:00:00Z")));
    let again = in_force.judge(&settings, &declared(vec![Ok(net.clone())]), at(NOW), rules);
    assert_eq!(again.reach, None, "nothing changed in force");
    // At its expiry it goes out of force: its namespace is evaluated again.
    let expired = in_force.judge(
        &settings,
        &declared(vec![Ok(net.clone())]),
        at("2027-01-01T00:00:00Z"),
        rules,
    );
    assert!(expired.in_force.is_empty());
    assert_eq!(expired.judged[0].state, State::Expired);
    assert_eq!(expired.reach, first.reach);
    assert_eq!(expired.next_expiry, None);
    let cluster = exception(None, "everywhere", "2027-01-01T00:00:00Z");
    let wide = in_force.judge(&settings, &declared(vec![Ok(cluster)]), at(NOW), rules);
    assert_eq!(wide.reach, Some(Scope::All));
}

#[test]
fn the_settings_come_first_and_an_unreadable_declaration_is_invalid() {
    let settings = Settings {
        exceptions: vec![exception(Some("net"), "cni", "2027-01-01T00:00:00Z")],
        ..Settings::default()
    };
    let d = declared(vec![
        Ok(exception(Some("net"), "cni", "2027-01-01T00:00:00Z")),
        Err("PostureException x: spec: bad".to_owned()),
    ]);
    let j = InForce::default().judge(&settings, &d, at(NOW), registry::rules());
    let got: Vec<(&str, &str, &str)> = j
        .judged
        .iter()
        .map(|j| {
            (
                j.exception.name.as_str(),
                j.origin.as_str(),
                j.state.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("cni", FROM_SETTINGS, "Active"),
            ("cni", FROM_CLUSTER, "Invalid"),
            ("unreadable-1", FROM_CLUSTER, "Invalid"),
        ]
    );
    assert_eq!(j.in_force.len(), 1);
}

#[test]
fn statuses_are_written_when_what_they_say_changes() {
    let d = declared(vec![
        Ok(exception(Some("net"), "cni", "2027-01-01T00:00:00Z")),
        Ok(exception(None, "idle", "2027-01-01T00:00:00Z")),
    ]);
    let mut j = InForce::default().judge(&Settings::default(), &d, at(NOW), registry::rules());
    count(
        &mut j.judged,
        &BTreeMap::from([(Shared::new("net/cni"), 3)]),
    );
    let updates = statuses(&j.judged, &d, "2026-12-01T00:00:05Z");
    let said: Vec<(&str, &str, u32, Option<&str>)> = updates
        .iter()
        .map(|u| {
            (
                u.name.as_str(),
                u.status.state.as_str(),
                u.status.matched,
                u.status.message.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            ("idle", "Stale", 0, Some("in force, but covers no finding")),
            ("cni", "Active", 3, None),
        ]
    );
    // Once written (the watch brings the status back), the same judgement writes nothing.
    let mut written = d.clone();
    for u in &updates {
        let id = match &u.namespace {
            Some(ns) => format!("{ns}/{}", u.name),
            None => u.name.clone(),
        };
        if let Some(entry) = written.by_id.get_mut(&id) {
            entry.status = Some(u.status.clone());
        }
    }
    assert!(statuses(&j.judged, &written, "2026-12-01T00:10:00Z").is_empty());
    let tally = tally(&j.judged, at(NOW));
    assert_eq!(tally.by_state["active"], 1);
    assert_eq!(tally.by_state["stale"], 1);
    assert_eq!(tally.by_state["expired"], 0);
    assert_eq!(tally.expiring_soon, 0);
    assert_eq!(
        super::tally(&j.judged, at("2026-12-25T00:00:00Z")).expiring_soon,
        2,
        "both expire within seven days of Christmas"
    );
}
