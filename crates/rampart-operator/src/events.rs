//! Events (events.k8s.io/v1) on the object a finding is about: `FindingDetected` when a
//! finding at or above a severity appears, `FindingResolved` when it goes, and
//! `FindingExcepted` when it goes because an exception now accepts it. Only changes are
//! announced; a restart announces nothing already known, because the open findings are read
//! back from the reports. A burst (a first install, a bulk load) gets one `FindingsChanged`
//! event on the ClusterPostureReport that counts the changes per rule. A finding read back
//! from a folded entry after a restart is known by rule and fingerprint only: it is
//! counted in a summary but gets no event of its own.

use crate::report::{Noted, Transitions};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Resource as _;
use kube::api::PostParams;
use kube::{Api, Client};
use rampart_crd::{CLUSTER_REPORT_NAME, ClusterPostureReport};
use rampart_rules::Severity;
use std::collections::BTreeMap;
use tracing::{debug, warn};

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
    Each(Vec<(Noted<'a>, bool)>),
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
    let all: Vec<(Noted<'a>, bool)> = transitions
        .detected
        .iter()
        .map(|n| (*n, true))
        .chain(transitions.resolved.iter().map(|n| (*n, false)))
        .filter(|(n, _)| n.finding.at_least(min))
        .collect();
    if all.len() <= MAX_EVENTS_PER_EVALUATION {
        return Announcement::Each(all);
    }
    let mut by_rule: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (f, detected) in &all {
        let entry = by_rule.entry(f.finding.rule.id()).or_default();
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

/// The event for one finding; `None` when what it says was not kept. Cluster-scoped
/// objects' events go to `default`, as the API server's own do.
pub fn event_for(n: &Noted<'_>, detected: bool, instance: &str) -> Option<Event> {
    let f = n.finding;
    let detail = f.detail.as_deref()?;
    let r = &detail.resource;
    let accepted;
    let (reason, type_, verb) = match (detected, n.excepted_by) {
        (true, _) => ("FindingDetected", "Warning", "detected"),
        (false, Some(exception)) => {
            accepted = format!("accepted by exception {exception}");
            ("FindingExcepted", "Normal", accepted.as_str())
        }
        (false, None) => ("FindingResolved", "Normal", "resolved"),
    };
    Some(Event {
        metadata: ObjectMeta {
            generate_name: Some("rampart-".to_owned()),
            namespace: Some(r.namespace.as_deref().unwrap_or("default").to_owned()),
            ..Default::default()
        },
        event_time: Some(MicroTime(k8s_openapi::jiff::Timestamp::now())),
        reason: Some(reason.to_owned()),
        type_: Some(type_.to_owned()),
        action: Some("Evaluate".to_owned()),
        note: Some(truncate(
            &format!(
                "{} {} ({}) {verb}: {}",
                f.rule.id(),
                f.rule.title(),
                f.severity_name(),
                detail.message
            ),
            MAX_NOTE,
        )),
        regarding: Some(ObjectReference {
            api_version: Some(r.api_version.to_string()),
            kind: Some(r.kind.to_string()),
            namespace: r.namespace.as_deref().map(str::to_owned),
            name: Some(r.name.clone()),
            ..Default::default()
        }),
        reporting_controller: Some(REPORTING_CONTROLLER.to_owned()),
        reporting_instance: Some(truncate(instance, 128)),
        ..Default::default()
    })
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

/// The events the transitions at or above `min` call for.
pub fn chosen(transitions: &Transitions<'_>, min: Severity, instance: &str) -> Vec<Event> {
    match worth_announcing(transitions, min) {
        Announcement::Each(chosen) => chosen
            .into_iter()
            .filter_map(|(n, detected)| event_for(&n, detected, instance))
            .collect(),
        Announcement::Summary {
            detected,
            resolved,
            by_rule,
        } => vec![summary_event(detected, resolved, &by_rule, min, instance)],
    }
}

/// Creates the events; failures are logged, never fatal.
pub async fn create_all(client: Client, events: Vec<Event>) {
    // All at once: each is one round trip, and there are never more than
    // MAX_EVENTS_PER_EVALUATION of them.
    let created = futures::future::join_all(events.iter().map(|event| create(&client, event)));
    let created = created.await.into_iter().filter(|done| *done).count();
    debug!(created, of = events.len(), "events created");
}

/// Creates one event; whether it was created.
async fn create(client: &Client, event: &Event) -> bool {
    let ns = event.metadata.namespace.as_deref().unwrap_or_default();
    match Api::<Event>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), event)
        .await
    {
        Ok(_) => true,
        Err(e) => {
            warn!(error = %e, reason = ?event.reason, "could not create event");
            false
        }
    }
}

#[cfg(test)]
mod tests;
