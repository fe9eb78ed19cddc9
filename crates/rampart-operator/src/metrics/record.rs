//! Recording: what each pass saw and did, into the registered metrics. Findings gauges
//! follow the current evaluation; counters count what this process saw.

use super::registry::{Current, Metrics};
use super::series::{Labels, Values};
use super::specs::{self, CONTROL_PLANE_CHECKS, VERSION_COMPONENTS};
use crate::apply::ApplyError;
use crate::excepting::Tally;
use crate::placement::OpenSeries;
use crate::report::{Noted, Posture, Reports, Transitions};
use prometheus::IntGaugeVec;
use rampart_crd::CLUSTER_REPORT_NAME;
use rampart_rules::control_plane::{
    ADMISSION_STATES, ANONYMOUS_STATES, AUDIT_STATES, AUTHORIZATION_STATES, ControlPlane,
    Evidence as ControlPlaneEvidence, VERSION_STATES,
};
use rampart_rules::encryption::{Evidence, State};
use rampart_rules::{Severity, Shared};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

const NO_LABELS: &[&str] = &[];

/// Sets a state set: 1 for `current`, 0 for the other `states`, each after `labels`. A
/// state outside the set (none is) would leave every series at 0 rather than add one.
fn state_set(gauge: &IntGaugeVec, labels: &[&str], states: &[&str], current: &str) {
    for state in states {
        let mut all = labels.to_vec();
        all.push(state);
        if let Ok(g) = gauge.get_metric_with_label_values(&all) {
            g.set(i64::from(*state == current));
        }
    }
}

/// Sets the series a pass counted in a served map: every one when `all` (those not counted
/// go), else only those that changed. A series whose findings all went is removed, not
/// left at 0.
fn update(values: &Mutex<Values>, counted: &BTreeMap<OpenSeries, u64>, all: bool) {
    let Ok(mut values) = values.lock() else {
        return;
    };
    if all {
        values.clear();
    }
    for (series, n) in counted {
        let labels = Labels::of(series);
        if *n == 0 {
            values.remove(&labels);
        } else {
            values.insert(labels, *n as f64);
        }
    }
}

/// Sums findings per (rule, severity, category): the label set of both counters.
fn tally(findings: &[Noted<'_>]) -> BTreeMap<[String; 3], u64> {
    let mut out: BTreeMap<[String; 3], u64> = BTreeMap::new();
    for n in findings {
        let f = n.finding;
        let labels = [f.rule.id(), f.severity_name(), f.rule.category()].map(str::to_owned);
        *out.entry(labels).or_default() += 1;
    }
    out
}

impl Metrics {
    /// Open findings and scores, as the pure builder counted them over the namespaces
    /// that get reports: every series after a full build, only those that changed after
    /// an incremental one (so a pass costs what its change costs).
    pub fn record_findings(&self, posture: &Posture, reports: &Reports) {
        let Ok(mut current) = self.current.lock() else {
            return;
        };
        let current = &mut *current;
        update(&self.findings, &posture.open, posture.all);
        update(&self.excepted, &posture.excepted, posture.all);

        if let Ok(g) = self.score.get_metric_with_label_values(NO_LABELS) {
            g.set(i64::from(posture.score));
        }
        let gone: Vec<String> = if posture.all {
            current
                .namespaces
                .iter()
                .filter(|ns| !reports.namespaces.contains_key(*ns))
                .cloned()
                .collect()
        } else {
            reports.gone.clone()
        };
        for ns in gone {
            let _ = self.namespace_score.remove_label_values(&[&ns]);
            if self.namespace_label
                && let Ok(mut last) = self.last_detected.lock()
            {
                last.retain(|labels, _| *labels.namespace != *ns);
            }
            current.namespaces.remove(&ns);
        }
        for (ns, report) in &reports.namespaces {
            if let Ok(g) = self.namespace_score.get_metric_with_label_values(&[ns]) {
                g.set(i64::from(report.score));
            }
            current.namespaces.insert(ns.clone());
        }
    }

    /// The engine's verdict on Secrets encryption at rest: the state set, and one info
    /// series naming the provider and the evidence.
    pub fn record_encryption(&self, state: State, provider: Option<&str>, evidence: Evidence) {
        state_set(
            &self.encryption,
            &[],
            &specs::ENCRYPTION_STATES.map(State::as_str),
            state.as_str(),
        );
        // One series at a time: a changed verdict replaces the old one.
        self.encryption_info.reset();
        let provider = provider.unwrap_or("none");
        if let Ok(g) = self
            .encryption_info
            .get_metric_with_label_values(&[provider, evidence.as_str()])
        {
            g.set(1);
        }
    }

    /// The engine's verdicts on the control plane: a state set per check (per component
    /// for the versions), and one info series per check naming its evidence.
    pub fn record_control_plane(&self, cp: &ControlPlane) {
        state_set(&self.anonymous, &[], ANONYMOUS_STATES, cp.anonymous.state);
        state_set(
            &self.authorization,
            &[],
            AUTHORIZATION_STATES,
            cp.authorization.state,
        );
        state_set(&self.audit, &[], AUDIT_STATES, cp.audit.state);
        state_set(&self.admission, &[], ADMISSION_STATES, cp.admission.state);
        for component in VERSION_COMPONENTS {
            state_set(
                &self.version_status,
                &[component],
                VERSION_STATES,
                cp.version.state(component),
            );
        }
        let kubelets = if cp.version.kubelets.is_empty() {
            ControlPlaneEvidence::None
        } else {
            ControlPlaneEvidence::Nodes
        };
        let evidence = [
            cp.anonymous.evidence,
            cp.authorization.evidence,
            cp.audit.evidence,
            cp.admission.evidence,
            cp.version.apiserver_evidence,
            kubelets,
        ];
        // One series per check: a verdict decided by other evidence replaces the old one.
        self.control_plane_info.reset();
        for (check, evidence) in CONTROL_PLANE_CHECKS.into_iter().zip(evidence) {
            if let Ok(g) = self
                .control_plane_info
                .get_metric_with_label_values(&[check, evidence.as_str()])
            {
                g.set(1);
            }
        }
    }

    /// Counts the findings that appeared and resolved, once they are in the written
    /// reports (so a failed write does not count them twice).
    pub fn record_transitions(&self, transitions: &Transitions<'_>) {
        for (labels, n) in tally(&transitions.detected) {
            if let Ok(c) = self.detected.get_metric_with_label_values(&labels) {
                c.inc_by(n);
            }
        }
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64().floor());
        let Ok(mut last_detected) = self.last_detected.lock() else {
            return;
        };
        // Only the severities the new-finding alerts watch: a namespace adds a few series,
        // not one per low finding it ever had.
        let alerted = transitions
            .detected
            .iter()
            .filter(|n| n.finding.severity.is_some_and(|s| s >= Severity::High));
        for n in alerted {
            let f = n.finding;
            let labels = Labels {
                rule: f.rule.id(),
                severity: f.severity_name(),
                category: f.rule.category(),
                namespace: Shared::new(if self.namespace_label {
                    n.namespace
                } else {
                    ""
                }),
            };
            last_detected.insert(labels, now);
        }
        drop(last_detected);
        // A finding an exception accepted was not fixed: rampart_excepted_findings counts it.
        let fixed: Vec<Noted<'_>> = transitions
            .resolved
            .iter()
            .filter(|n| n.excepted_by.is_none())
            .copied()
            .collect();
        for (labels, n) in tally(&fixed) {
            if let Ok(c) = self.resolved.get_metric_with_label_values(&labels) {
                c.inc_by(n);
            }
        }
    }

    /// One pass's writes: `written` reports were sent, `refused` refused, one more
    /// handed to the background when `in_background`; the others were unchanged.
    pub fn record_writes(
        &self,
        reports: &Reports,
        written: u64,
        refused: usize,
        in_background: bool,
    ) {
        let total = (reports.namespaces.len() + reports.kept) as u64 + 1;
        let refused = refused as u64;
        // A write in the background counts when it lands, or fails.
        let later = u64::from(in_background);
        self.writes.with_label_values(&["written"]).inc_by(written);
        self.writes
            .with_label_values(&["unchanged"])
            .inc_by(total.saturating_sub(written + refused + later));
        // Each refused report is a failed write and a failed request.
        self.writes.with_label_values(&["failed"]).inc_by(refused);
        self.api_errors
            .with_label_values(&["PostureReport"])
            .inc_by(refused);
        self.truncated.inc_by(reports.truncated as u64);
    }

    /// A write in the background that landed.
    pub fn record_background_write(&self) {
        self.writes.with_label_values(&["written"]).inc();
    }

    /// A pass whose writes failed.
    pub fn record_apply_error(&self, error: &ApplyError) {
        self.writes.with_label_values(&["failed"]).inc();
        let kind = match error {
            // No answer from the API server: a failed write, not an API error.
            ApplyError::Lost(_) => return,
            ApplyError::Write { name, .. } if name == CLUSTER_REPORT_NAME => "ClusterPostureReport",
            _ => "PostureReport",
        };
        self.record_api_error(kind);
    }

    /// A failed request for objects of `kind` (a watch, a list, a write).
    pub fn record_api_error(&self, kind: &'static str) {
        self.api_errors.with_label_values(&[kind]).inc();
    }

    /// Whether the last write found the report CRDs not served.
    pub fn record_crds_missing(&self, missing: bool) {
        self.crds_missing.set(i64::from(missing));
    }

    /// A watch failure that recovered within the grace period.
    pub fn record_watch_flap(&self, kind: &'static str) {
        self.watch_flaps.with_label_values(&[kind]).inc();
    }

    /// A relist the API server asked for by expiring a watch's resource version.
    pub fn record_watch_relist(&self, kind: &'static str) {
        self.watch_relists.with_label_values(&[kind]).inc();
    }

    /// Reads of kube-apiserver's /metrics, by what each brought.
    pub fn record_scrapes(&self, reads: &[crate::apiserver::Read]) {
        for read in reads {
            self.apiserver_scrapes
                .with_label_values(&[read.as_str()])
                .inc();
        }
    }

    /// Objects held in the inventory per watched kind.
    pub fn record_watched(&self, counts: &[(&'static str, usize)]) {
        for (kind, n) in counts {
            // Known from the first pass, so a rate of API errors reads 0, not "no data".
            let _ = self.api_errors.get_metric_with_label_values(&[kind]);
            let _ = self.watch_flaps.get_metric_with_label_values(&[kind]);
            let _ = self.watch_relists.get_metric_with_label_values(&[kind]);
            self.watched
                .with_label_values(&[kind])
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
    }

    /// A finished pass and how long it took.
    pub fn observe_evaluation(&self, elapsed: Duration) {
        self.duration.observe(elapsed.as_secs_f64());
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        if let Ok(g) = self.last_evaluation.get_metric_with_label_values(NO_LABELS) {
            g.set(now);
        }
    }

    /// The exceptions as judged this pass, by state.
    pub fn record_exceptions(&self, tally: &Tally) {
        for (state, n) in &tally.by_state {
            if let Ok(g) = self.exceptions.get_metric_with_label_values(&[state]) {
                g.set(i64::try_from(*n).unwrap_or(i64::MAX));
            }
        }
        self.exceptions_expiring
            .set(i64::try_from(tally.expiring_soon).unwrap_or(i64::MAX));
    }

    /// A standby evaluates nothing: it drops what it reported as leader, so that only the
    /// leader's findings raise alerts.
    pub fn clear_findings(&self) {
        if let Ok(mut findings) = self.findings.lock() {
            findings.clear();
        }
        self.namespace_score.reset();
        self.score.reset();
        if let Ok(mut excepted) = self.excepted.lock() {
            excepted.clear();
        }
        if let Ok(mut last) = self.last_detected.lock() {
            last.clear();
        }
        self.last_evaluation.reset();
        if let Ok(mut current) = self.current.lock() {
            *current = Current::default();
        }
    }
}
