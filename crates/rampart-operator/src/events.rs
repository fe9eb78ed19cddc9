//! Events (events.k8s.io/v1) on the object a finding is about: `FindingDetected` when a
//! finding at or above a severity appears, `FindingResolved` when it goes. Only changes are
//! announced; a restart announces nothing already known, because the open findings are read
//! back from the reports.

use crate::report::{Transitions, at_least};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::PostParams;
use kube::{Api, Client};
use rampart_crd::ReportFinding;
use rampart_rules::Severity;
use tracing::warn;

/// At most this many events per evaluation, so a first install or a mass change does not
/// flood the API server; the rest are counted in the log.
pub const MAX_EVENTS_PER_EVALUATION: usize = 50;
const REPORTING_CONTROLLER: &str = "rampart.dev/operator";
/// Kubernetes caps an event's note at 1 KiB.
const MAX_NOTE: usize = 1024;

/// The transitions worth an event: those at or above `min`, detected before resolved, at
/// most [`MAX_EVENTS_PER_EVALUATION`]; and how many there were in all.
fn worth_announcing<'a>(
    transitions: &Transitions<'a>,
    min: Severity,
) -> (Vec<(&'a ReportFinding, bool)>, usize) {
    let all: Vec<(&ReportFinding, bool)> = transitions
        .detected
        .iter()
        .map(|f| (*f, true))
        .chain(transitions.resolved.iter().map(|f| (*f, false)))
        .filter(|(f, _)| at_least(&f.severity, min))
        .collect();
    let total = all.len();
    (
        all.into_iter().take(MAX_EVENTS_PER_EVALUATION).collect(),
        total,
    )
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

/// Creates the events for the transitions at or above `min`; failures are logged, never
/// fatal. Returns how many were created.
pub async fn announce(
    client: &Client,
    transitions: &Transitions<'_>,
    min: Severity,
    instance: &str,
) -> usize {
    let (chosen, total) = worth_announcing(transitions, min);
    let mut created = 0;
    for (f, detected) in chosen {
        let event = event_for(f, detected, instance);
        let ns = event.metadata.namespace.clone().unwrap_or_default();
        match Api::<Event>::namespaced(client.clone(), &ns)
            .create(&PostParams::default(), &event)
            .await
        {
            Ok(_) => created += 1,
            Err(e) => warn!(error = %e, rule = f.rule_id, "could not create event"),
        }
    }
    if total > MAX_EVENTS_PER_EVALUATION {
        warn!(
            total,
            announced = MAX_EVENTS_PER_EVALUATION,
            "too many finding changes to announce each"
        );
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
        worth_announcing(t, min)
            .0
            .into_iter()
            .map(|(f, detected)| (f.rule_id.clone(), detected))
            .collect()
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
    fn announces_detected_before_resolved_and_no_more_than_the_cap() {
        let mut yaml = String::new();
        for i in 0..60 {
            yaml.push_str(&format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: admin-{i}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}\nsubjects: [{{kind: User, name: eve-{i}, apiGroup: rbac.authorization.k8s.io}}]\n"));
        }
        let before = Fixture::default().build(&findings(ADMIN), &[]).reports;
        let open = open_of(&before);
        let after = Fixture::default().build(&findings(&yaml), &[]).reports;
        let t = Transitions::between(&open, &after);
        assert!(!t.resolved.is_empty() && t.detected.len() >= 60, "{t:?}");
        let (announced, total) = worth_announcing(&t, Severity::Info);
        assert_eq!(total, t.detected.len() + t.resolved.len());
        assert_eq!(announced.len(), MAX_EVENTS_PER_EVALUATION);
        assert!(announced.iter().all(|(_, detected)| *detected));
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
