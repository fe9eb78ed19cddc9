use super::*;
use crate::fixture::{Fixture, findings, open_of};
use std::collections::HashMap;

const ADMIN: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: shop-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}]\n";

fn chosen(t: &Transitions<'_>, min: Severity) -> Vec<(String, bool)> {
    match worth_announcing(t, min) {
        Announcement::Each(each) => each
            .into_iter()
            .map(|(n, detected)| (n.finding.rule.id().to_owned(), detected))
            .collect(),
        summary => panic!("summarised: {summary:?}"),
    }
}

#[test]
fn announces_changes_at_or_above_the_threshold_only() {
    let empty = HashMap::new();
    let first = Fixture::default()
        .build(&findings(ADMIN), &["shop"])
        .reports;
    let t = Transitions::between(&empty, &first);
    assert_eq!(chosen(&t, Severity::High), [("RBAC001".to_owned(), true)]);
    let open = open_of(&first);
    let t = Transitions::between(&open, &first);
    assert!(chosen(&t, Severity::High).is_empty(), "nothing changed");
    // The binding is gone; an unbound Role that reads Secrets (low) is new.
    let fixed = Fixture {
        open: open.clone(),
        ..Fixture::default()
    }
    .build(
        &findings(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: shop}\nrules: [{apiGroups: [\"\"], resources: [secrets], verbs: [list]}]\n",
        ),
        &["shop"],
    )
    .reports;
    let t = Transitions::between(&open, &fixed);
    assert!(
        t.detected
            .iter()
            .any(|n| !n.finding.at_least(Severity::High)),
        "a finding below the threshold is new: {t:?}"
    );
    assert_eq!(
        chosen(&t, Severity::High),
        [("RBAC001".to_owned(), false)],
        "only the resolved critical one is announced"
    );
}

#[test]
fn a_burst_is_summarised_in_one_event_per_rule_counts() {
    let mut yaml = String::new();
    for i in 0..60 {
        yaml.push_str(&format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: admin-{i}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}\nsubjects: [{{kind: User, name: eve-{i}, apiGroup: rbac.authorization.k8s.io}}]\n"));
    }
    let before = Fixture::default().build(&findings(ADMIN), &[]).reports;
    let open = open_of(&before);
    let after = Fixture::default().build(&findings(&yaml), &[]).reports;
    let t = Transitions::between(&open, &after);
    let Announcement::Summary {
        detected,
        resolved,
        by_rule,
    } = worth_announcing(&t, Severity::High)
    else {
        panic!("not summarised: {t:?}");
    };
    let high = |fs: &[Noted<'_>]| {
        fs.iter()
            .filter(|n| n.finding.at_least(Severity::High))
            .count()
    };
    assert_eq!(detected, high(&t.detected));
    assert_eq!(resolved, high(&t.resolved));
    assert!(detected >= 60 && resolved >= 1, "{detected} {resolved}");
    assert_eq!(by_rule.get("RBAC001").map(|c| c.0), Some(60));
    assert_eq!(by_rule.get("RBAC001").map(|c| c.1), Some(1));
    let e = summary_event(detected, resolved, &by_rule, Severity::High, "pod-1");
    assert_eq!(e.reason.as_deref(), Some("FindingsChanged"));
    assert_eq!(e.type_.as_deref(), Some("Warning"));
    assert_eq!(e.metadata.namespace.as_deref(), Some("default"));
    let regarding = e.regarding.as_ref().expect("regarding");
    assert_eq!(regarding.kind.as_deref(), Some("ClusterPostureReport"));
    assert_eq!(regarding.name.as_deref(), Some("cluster"));
    let note = e.note.as_deref().unwrap_or_default();
    assert!(note.contains("RBAC001 +60/-1"), "{note}");
    assert!(
        note.starts_with(&format!(
            "{detected} finding(s) at or above high detected, {resolved} resolved"
        )),
        "{note}"
    );
    assert!(note.len() <= MAX_NOTE);
}

#[test]
fn up_to_the_cap_each_change_gets_its_own_event() {
    let mut yaml = String::new();
    for i in 0..MAX_EVENTS_PER_EVALUATION {
        yaml.push_str(&format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: admin-{i}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}\nsubjects: [{{kind: User, name: eve-{i}, apiGroup: rbac.authorization.k8s.io}}]\n"));
    }
    let after = Fixture::default().build(&findings(&yaml), &[]).reports;
    let empty = HashMap::new();
    let t = Transitions::between(&empty, &after);
    let each = chosen(&t, Severity::Critical);
    assert_eq!(each.len(), MAX_EVENTS_PER_EVALUATION, "{each:?}");
    assert!(
        each.iter()
            .all(|(rule, detected)| rule == "RBAC001" && *detected)
    );
}

#[test]
fn event_points_at_the_object_and_fits_the_note_limit() {
    let r = Fixture::default()
        .build(&findings(ADMIN), &["shop"])
        .reports;
    let (fingerprint, f) = r
        .open()
        .find(|(_, f)| f.rule.id() == "RBAC001")
        .expect("RBAC001 is open");
    let mut f = f.clone();
    let detail = f
        .detail
        .as_mut()
        .expect("a critical finding keeps its detail");
    detail.message = "é".repeat(2000).into();
    let noted = Noted {
        fingerprint,
        finding: &f,
        excepted_by: None,
        namespace: "",
    };
    let e = event_for(&noted, true, "pod-1").expect("an event");
    assert_eq!(e.metadata.namespace.as_deref(), Some("default"));
    assert_eq!(
        e.regarding.as_ref().and_then(|x| x.kind.as_deref()),
        Some("ClusterRoleBinding")
    );
    assert!(e.note.as_ref().is_some_and(|n| n.len() <= MAX_NOTE));
    assert_eq!(e.reason.as_deref(), Some("FindingDetected"));
}
