//! Events (events.k8s.io/v1) on the object a finding is about: `FindingDetected` when a
//! finding at or above a severity appears, `FindingResolved` when it goes. Only changes are
//! announced; a restart announces nothing already known, because the open findings are read
//! back from the reports. A burst (a first install, a bulk load) gets one `FindingsChanged`
//! event on the ClusterPostureReport that counts the changes per rule.

use crate::report::{Transitions, at_least};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Resource as _;
use kube::api::PostParams;
use kube::{Api, Client};
use rampart_crd::{CLUSTER_REPORT_NAME, ClusterPostureReport, ReportFinding};
use rampart_rules::Severity;
use std::collections::BTreeMap;
use tracing::warn;

/// A pass with more changes worth announcing than this sends one summary event instead of
/// one per finding: a first install or a bulk load must not flood the API server, and a
/// burst is read as a whole anyway.
pub const MAX_EVENTS_PER_EVALUATION: usize = 10;
const REPORTING_CONTROLLER: &str = "rampart.dev/operator";
/// Kubernetes caps an event's note at 1 KiB.
const MAX_NOTE: usize = 1024;

/// What one pass announces.
#[derive(Debug)]
enum Announcement<'a> {
    /// An event on each finding's object, detected before resolved.
    Each(Vec<(&'a ReportFinding, bool)>),
    /// One event on the ClusterPostureReport: how many appeared and went, per rule.
    Summary {
        detected: usize,
        resolved: usize,
        /// Rule id -> (detected, resolved).
        by_rule: BTreeMap<&'a str, (usize, usize)>,
    },
}

/// The transitions at or above `min`, announced each or, past
/// [`MAX_EVENTS_PER_EVALUATION`], summarised.
fn worth_announcing<'a>(transitions: &Transitions<'a>, min: Severity) -> Announcement<'a> {
    let all: Vec<(&ReportFinding, bool)> = transitions
        .detected
        .iter()
        .map(|f| (*f, true))
        .chain(transitions.resolved.iter().map(|f| (*f, false)))
        .filter(|(f, _)| at_least(&f.severity, min))
        .collect();
    if all.len() <= MAX_EVENTS_PER_EVALUATION {
        return Announcement::Each(all);
    }
    let mut by_rule: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (f, detected) in &all {
        let entry = by_rule.entry(f.rule_id.as_str()).or_default();
        if *detected {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    let detected = all.iter().filter(|(_, d)| *d).count();
    Announcement::Summary {
        detected,
        resolved: all.len() - detected,
        by_rule,
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// The event for one finding. Cluster-scoped objects' events go to `default`, as the API
/// server's own do.
pub fn event_for(f: &ReportFinding, detected: bool, instance: &str) -> Event {
    let r = &f.resource;
    let (reason, type_, verb) = if detected {
        ("FindingDetected", "Warning", "detected")
    } else {
        ("FindingResolved", "Normal", "resolved")
    };
    Event {
        metadata: ObjectMeta {
            generate_name: Some("rampart-".to_owned()),
            namespace: Some(r.namespace.clone().unwrap_or_else(|| "default".to_owned())),
            ..Default::default()
        },
        event_time: Some(MicroTime(k8s_openapi::jiff::Timestamp::now())),
        reason: Some(reason.to_owned()),
        type_: Some(type_.to_owned()),
        action: Some("Evaluate".to_owned()),
        note: Some(truncate(
            &format!(
                "{} {} ({}) {verb}: {}",
                f.rule_id, f.title, f.severity, f.message
            ),
            MAX_NOTE,
        )),
        regarding: Some(ObjectReference {
            api_version: Some(r.api_version.clone()),
            kind: Some(r.kind.clone()),
            namespace: r.namespace.clone(),
            name: Some(r.name.clone()),
            ..Default::default()
        }),
        reporting_controller: Some(REPORTING_CONTROLLER.to_owned()),
        reporting_instance: Some(truncate(instance, 128)),
        ..Default::default()
    }
}

/// The one event that sums up a burst of changes, on the ClusterPostureReport (in
/// `default`, where cluster-scoped objects' events go).
fn summary_event(
    detected: usize,
    resolved: usize,
    by_rule: &BTreeMap<&str, (usize, usize)>,
    min: Severity,
    instance: &str,
) -> Event {
    let rules: Vec<String> = by_rule
        .iter()
        .map(|(rule, (d, r))| match (d, r) {
            (d, 0) => format!("{rule} +{d}"),
            (0, r) => format!("{rule} -{r}"),
            (d, r) => format!("{rule} +{d}/-{r}"),
        })
        .collect();
    let note = format!(
        "{detected} finding(s) at or above {min} detected, {resolved} resolved in one evaluation \
         (kubectl get posturereports -A): {}",
        rules.join(", ")
    );
    Event {
        metadata: ObjectMeta {
            generate_name: Some("rampart-".to_owned()),
            namespace: Some("default".to_owned()),
            ..Default::default()
        },
        event_time: Some(MicroTime(k8s_openapi::jiff::Timestamp::now())),
        reason: Some("FindingsChanged".to_owned()),
        type_: Some(if detected > 0 { "Warning" } else { "Normal" }.to_owned()),
        action: Some("Evaluate".to_owned()),
        note: Some(truncate(&note, MAX_NOTE)),
        regarding: Some(ObjectReference {
            api_version: Some(ClusterPostureReport::api_version(&()).into_owned()),
            kind: Some(ClusterPostureReport::kind(&()).into_owned()),
            name: Some(CLUSTER_REPORT_NAME.to_owned()),
            ..Default::default()
        }),
        reporting_controller: Some(REPORTING_CONTROLLER.to_owned()),
        reporting_instance: Some(truncate(instance, 128)),
        ..Default::default()
    }
}

/// Creates the events for the transitions at or above `min`; failures are logged, never
/// fatal. Returns how many were created.
pub async fn announce(
    client: &Client,
    transitions: &Transitions<'_>,
    min: Severity,
    instance: &str,
) -> usize {
    let events: Vec<Event> = match worth_announcing(transitions, min) {
        Announcement::Each(chosen) => chosen
            .into_iter()
            .map(|(f, detected)| event_for(f, detected, instance))
            .collect(),
        Announcement::Summary {
            detected,
            resolved,
            by_rule,
        } => vec![summary_event(detected, resolved, &by_rule, min, instance)],
    };
    let mut created = 0;
    for event in events {
        let ns = event.metadata.namespace.clone().unwrap_or_default();
        match Api::<Event>::namespaced(client.clone(), &ns)
            .create(&PostParams::default(), &event)
            .await
        {
            Ok(_) => created += 1,
            Err(e) => warn!(error = %e, reason = ?event.reason, "could not create event"),
        }
    }
    created
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{Fixture, findings, open_of};
    use std::collections::HashMap;

    const ADMIN: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: shop-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}]\n";

    fn chosen(t: &Transitions<'_>, min: Severity) -> Vec<(String, bool)> {
        match worth_announcing(t, min) {
            Announcement::Each(each) => each
                .into_iter()
                .map(|(f, detected)| (f.rule_id.clone(), detected))
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
                .any(|f| !at_least(&f.severity, Severity::High)),
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
        let high = |fs: &[&ReportFinding]| {
            fs.iter()
                .filter(|f| at_least(&f.severity, Severity::High))
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
        let mut f = r.cluster.findings[0].clone();
        f.message = "é".repeat(2000);
        let e = event_for(&f, true, "pod-1");
        assert_eq!(e.metadata.namespace.as_deref(), Some("default"));
        assert_eq!(
            e.regarding.as_ref().and_then(|x| x.kind.as_deref()),
            Some("ClusterRoleBinding")
        );
        assert!(e.note.as_ref().is_some_and(|n| n.len() <= MAX_NOTE));
        assert_eq!(e.reason.as_deref(), Some("FindingDetected"));
    }
}
