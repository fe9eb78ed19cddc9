//! Events (events.k8s.io/v1) on the object a finding is about: `FindingDetected` when a
//! finding at or above a severity appears, `FindingResolved` when it goes. Only changes are
//! announced; a restart announces nothing already known, because the open findings are read
//! back from the reports.

use crate::report::{Reports, at_least};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::PostParams;
use kube::{Api, Client};
use rampart_crd::ReportFinding;
use rampart_rules::Severity;
use std::collections::HashMap;
use tracing::warn;

/// At most this many events per evaluation, so a first install or a mass change does not
/// flood the API server; the rest are counted in the log.
pub const MAX_EVENTS_PER_EVALUATION: usize = 50;
const REPORTING_CONTROLLER: &str = "rampart.dev/operator";
/// Kubernetes caps an event's note at 1 KiB.
const MAX_NOTE: usize = 1024;

/// Findings that appeared and findings that went, relative to the open ones.
pub fn diff<'a>(
    open: &'a HashMap<String, ReportFinding>,
    reports: &'a Reports,
    min: Severity,
) -> (Vec<&'a ReportFinding>, Vec<&'a ReportFinding>) {
    let current: HashMap<&str, &ReportFinding> = reports
        .namespaces
        .values()
        .chain(std::iter::once(&reports.cluster))
        .flat_map(|r| r.findings.iter())
        .map(|f| (f.fingerprint.as_str(), f))
        .collect();
    let mut new: Vec<&ReportFinding> = current
        .values()
        .filter(|f| !open.contains_key(&f.fingerprint) && at_least(&f.severity, min))
        .copied()
        .collect();
    let mut resolved: Vec<&ReportFinding> = open
        .values()
        .filter(|f| !current.contains_key(f.fingerprint.as_str()) && at_least(&f.severity, min))
        .collect();
    new.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    resolved.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    (new, resolved)
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

/// Creates the events; failures are logged, never fatal. Returns how many were created.
pub async fn announce(
    client: &Client,
    new: &[ReportFinding],
    resolved: &[ReportFinding],
    instance: &str,
) -> usize {
    let all = new
        .iter()
        .map(|f| (f, true))
        .chain(resolved.iter().map(|f| (f, false)));
    let total = new.len() + resolved.len();
    let mut created = 0;
    for (f, detected) in all.take(MAX_EVENTS_PER_EVALUATION) {
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
    use crate::report::build;
    use rampart_rules::{Inventory, Settings, evaluate, manifest};

    fn reports(yaml: &str, open: &HashMap<String, ReportFinding>) -> Reports {
        let parsed = manifest::parse("t.yaml", yaml);
        let inv = Inventory::from_objects(parsed.objects.into_iter().map(|(o, _)| o));
        let first_seen = open
            .iter()
            .map(|(k, f)| (k.clone(), f.first_seen.clone()))
            .collect();
        build(
            &evaluate(&inv, &Settings::default()).findings,
            ["shop"],
            &first_seen,
            "t",
            "v",
        )
    }

    const ADMIN: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: shop-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}]\n";

    #[test]
    fn announces_changes_at_or_above_the_threshold_only() {
        let empty = HashMap::new();
        let first = reports(ADMIN, &empty);
        let (new, resolved) = diff(&empty, &first, Severity::High);
        assert_eq!(
            new.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(),
            ["RBAC001"]
        );
        assert!(resolved.is_empty());
        let open: HashMap<String, ReportFinding> = first
            .cluster
            .findings
            .iter()
            .map(|f| (f.fingerprint.clone(), f.clone()))
            .collect();
        let (new, resolved) = diff(&open, &first, Severity::High);
        assert!(new.is_empty() && resolved.is_empty(), "nothing changed");
        let fixed = reports(
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {pod-security.kubernetes.io/enforce: restricted}}\n",
            &open,
        );
        let (new, resolved) = diff(&open, &fixed, Severity::High);
        assert!(
            new.is_empty(),
            "ENC005 is new but below the threshold: {new:?}"
        );
        assert_eq!(
            resolved
                .iter()
                .map(|f| f.rule_id.as_str())
                .collect::<Vec<_>>(),
            ["RBAC001"]
        );
    }

    #[test]
    fn event_points_at_the_object_and_fits_the_note_limit() {
        let r = reports(ADMIN, &HashMap::new());
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
