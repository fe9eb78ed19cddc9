//! Prometheus metrics, registered once at start-up and handed to the pipeline.
//!
//! Every metric is declared in [`SPECS`]; the registry is built from that table and
//! `docs/metrics.md` is generated from it, so the documentation cannot name a metric the
//! binary does not serve. Labels come from bounded sets only (rule, severity, category,
//! namespace, kind, result, state): never object names or error text.
//!
//! Findings gauges follow the current evaluation: a series whose finding resolved, or
//! whose namespace went away, is removed rather than left at zero, so the number of series
//! tracks what is open now.

use crate::apply::ApplyError;
use crate::report::{NamespaceFilter, Reports};
use prometheus::{
    Encoder as _, GaugeVec, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use rampart_crd::{CLUSTER_REPORT_NAME, ReportFinding};
use rampart_rules::encryption::{Evidence, State};
use rampart_rules::{Finding, Severity, registry, score};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One metric as served and documented.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    pub labels: &'static [&'static str],
}

const FINDINGS: Spec = Spec {
    name: "rampart_findings",
    kind: Kind::Gauge,
    help: "Open findings of the last evaluation. A series is removed when its findings resolve; \
           namespace is empty for cluster-scoped objects other than Namespaces, and left out \
           entirely with --findings-namespace-label=false.",
    labels: &["rule", "severity", "category", "namespace"],
};
const DETECTED: Spec = Spec {
    name: "rampart_findings_detected_total",
    kind: Kind::Counter,
    help: "Findings that appeared since the operator started. Findings already in the \
           reports at start-up are not counted again. Every rule and severity starts at 0, \
           so increase() sees the first one.",
    labels: &["rule", "severity", "category"],
};
const RESOLVED: Spec = Spec {
    name: "rampart_findings_resolved_total",
    kind: Kind::Counter,
    help: "Findings that were open and no longer are, since the operator started.",
    labels: &["rule", "severity", "category"],
};
const SCORE: Spec = Spec {
    name: "rampart_posture_score",
    kind: Kind::Gauge,
    help: "Posture score of the whole cluster, 0 to 100 (100: no findings), over the \
           namespaces the operator reports on. Absent until the first evaluation and on \
           standby replicas.",
    labels: &[],
};
const NAMESPACE_SCORE: Spec = Spec {
    name: "rampart_namespace_posture_score",
    kind: Kind::Gauge,
    help: "Posture score of one namespace, 0 to 100; removed when the namespace goes.",
    labels: &["namespace"],
};
const RULE_INFO: Spec = Spec {
    name: "rampart_rule_info",
    kind: Kind::Gauge,
    help: "Always 1: one series per rule with its default severity, category and title, to \
           join on the rule label.",
    labels: &["rule", "severity", "category", "title"],
};
const DURATION: Spec = Spec {
    name: "rampart_evaluation_duration_seconds",
    kind: Kind::Histogram,
    help: "Time of one pass: snapshot, evaluation, report building and writing.",
    labels: &[],
};
const LAST_EVALUATION: Spec = Spec {
    name: "rampart_last_evaluation_timestamp_seconds",
    kind: Kind::Gauge,
    help: "Unix time at which the last pass finished. Absent until the first one and on \
           standby replicas.",
    labels: &[],
};
const WATCHED: Spec = Spec {
    name: "rampart_watched_objects",
    kind: Kind::Gauge,
    help: "Objects held in the watch caches, per Kubernetes kind.",
    labels: &["kind"],
};
const WRITES: Spec = Spec {
    name: "rampart_report_writes_total",
    kind: Kind::Counter,
    help: "Reports per pass by outcome: written (content changed), unchanged (nothing sent) \
           or failed (the write was refused or did not arrive).",
    labels: &["result"],
};
const API_ERRORS: Spec = Spec {
    name: "rampart_api_errors_total",
    kind: Kind::Counter,
    help: "Failed Kubernetes API requests (lists, watches, report reads and writes) per kind \
           of object requested.",
    labels: &["kind"],
};
const TRUNCATED: Spec = Spec {
    name: "rampart_reports_truncated_total",
    kind: Kind::Counter,
    help: "Reports built with their least severe findings left out to stay under the size \
           limit, counted at every pass while they stay too large.",
    labels: &[],
};
const ENCRYPTION: Spec = Spec {
    name: "rampart_secrets_encryption",
    kind: Kind::Gauge,
    help: "State set: 1 for the current state of Secrets encryption at rest (encrypted, \
           unencrypted, partially-migrated: new writes encrypted but older Secrets still \
           in plaintext, or unknown), 0 for the others.",
    labels: &["state"],
};
const ENCRYPTION_INFO: Spec = Spec {
    name: "rampart_secrets_encryption_info",
    kind: Kind::Gauge,
    help: "1 for the provider Secrets are written with (aescbc, aesgcm, secretbox, kms v1, \
           kms v2, identity, or none when unknown) and the evidence that decided it \
           (apiserver-metrics, apiserver-flags, encryption-configuration, declared, none).",
    labels: &["provider", "evidence"],
};

/// Every metric the operator serves, in the order `docs/metrics.md` lists them.
pub const SPECS: &[Spec] = &[
    FINDINGS,
    DETECTED,
    RESOLVED,
    SCORE,
    NAMESPACE_SCORE,
    RULE_INFO,
    DURATION,
    LAST_EVALUATION,
    WATCHED,
    WRITES,
    API_ERRORS,
    TRUNCATED,
    ENCRYPTION,
    ENCRYPTION_INFO,
];

const NO_LABELS: &[&str] = &[];

const ENCRYPTION_STATES: [State; 4] = [
    State::Encrypted,
    State::Unencrypted,
    State::PartiallyMigrated,
    State::Unknown,
];

/// Upper bounds in seconds: from a small cluster's few milliseconds to a huge one's tens
/// of seconds.
const DURATION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("registering metric {name}: {source}")]
    Register {
        name: &'static str,
        #[source]
        source: prometheus::Error,
    },
    #[error("encoding metrics: {0}")]
    Encode(#[source] prometheus::Error),
}

/// Series currently set, so those that disappear from an evaluation can be removed.
#[derive(Debug, Default)]
struct Current {
    findings: BTreeSet<Vec<String>>,
    namespaces: BTreeSet<String>,
}

pub struct Metrics {
    registry: Registry,
    namespace_label: bool,
    findings: IntGaugeVec,
    detected: IntCounterVec,
    resolved: IntCounterVec,
    /// Label-less vectors: absent until set, so a standby exports no score.
    score: IntGaugeVec,
    namespace_score: IntGaugeVec,
    duration: Histogram,
    last_evaluation: GaugeVec,
    watched: IntGaugeVec,
    writes: IntCounterVec,
    api_errors: IntCounterVec,
    truncated: IntCounter,
    encryption: IntGaugeVec,
    encryption_info: IntGaugeVec,
    current: Mutex<Current>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("namespace_label", &self.namespace_label)
            .finish_non_exhaustive()
    }
}

fn opts(spec: &Spec) -> Opts {
    Opts::new(spec.name, spec.help)
}

fn register<C: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    spec: &Spec,
    metric: Result<C, prometheus::Error>,
) -> Result<C, MetricsError> {
    let err = |source| MetricsError::Register {
        name: spec.name,
        source,
    };
    let metric = metric.map_err(err)?;
    registry.register(Box::new(metric.clone())).map_err(err)?;
    Ok(metric)
}

/// Where a finding shows on a namespace dashboard: its own namespace, or for a Namespace
/// object's finding (missing Pod Security labels) the namespace it is about.
fn namespace_of(f: &Finding) -> &str {
    match f.namespace() {
        Some(ns) => ns,
        None if f.resource.kind == "Namespace" => &f.resource.name,
        None => "",
    }
}

fn rule_labels(f: &ReportFinding) -> [&str; 3] {
    [&f.rule_id, &f.severity, &f.category]
}

impl Metrics {
    /// Registers every metric of [`SPECS`]. `namespace_label` false drops the namespace
    /// label of `rampart_findings`, for clusters with very many namespaces.
    pub fn new(namespace_label: bool) -> Result<Metrics, MetricsError> {
        let r = Registry::new();
        let finding_labels: &[&str] = if namespace_label {
            FINDINGS.labels
        } else {
            &FINDINGS.labels[..3]
        };
        let m = Metrics {
            findings: register(
                &r,
                &FINDINGS,
                IntGaugeVec::new(opts(&FINDINGS), finding_labels),
            )?,
            detected: register(
                &r,
                &DETECTED,
                IntCounterVec::new(opts(&DETECTED), DETECTED.labels),
            )?,
            resolved: register(
                &r,
                &RESOLVED,
                IntCounterVec::new(opts(&RESOLVED), RESOLVED.labels),
            )?,
            score: register(&r, &SCORE, IntGaugeVec::new(opts(&SCORE), &[]))?,
            namespace_score: register(
                &r,
                &NAMESPACE_SCORE,
                IntGaugeVec::new(opts(&NAMESPACE_SCORE), NAMESPACE_SCORE.labels),
            )?,
            duration: register(
                &r,
                &DURATION,
                Histogram::with_opts(
                    HistogramOpts::new(DURATION.name, DURATION.help)
                        .buckets(DURATION_BUCKETS.to_vec()),
                ),
            )?,
            last_evaluation: register(
                &r,
                &LAST_EVALUATION,
                GaugeVec::new(opts(&LAST_EVALUATION), &[]),
            )?,
            watched: register(
                &r,
                &WATCHED,
                IntGaugeVec::new(opts(&WATCHED), WATCHED.labels),
            )?,
            writes: register(
                &r,
                &WRITES,
                IntCounterVec::new(opts(&WRITES), WRITES.labels),
            )?,
            api_errors: register(
                &r,
                &API_ERRORS,
                IntCounterVec::new(opts(&API_ERRORS), API_ERRORS.labels),
            )?,
            truncated: register(&r, &TRUNCATED, IntCounter::with_opts(opts(&TRUNCATED)))?,
            encryption: register(
                &r,
                &ENCRYPTION,
                IntGaugeVec::new(opts(&ENCRYPTION), ENCRYPTION.labels),
            )?,
            encryption_info: register(
                &r,
                &ENCRYPTION_INFO,
                IntGaugeVec::new(opts(&ENCRYPTION_INFO), ENCRYPTION_INFO.labels),
            )?,
            registry: r,
            namespace_label,
            current: Mutex::new(Current::default()),
        };
        let rule_info = register(
            &m.registry,
            &RULE_INFO,
            IntGaugeVec::new(opts(&RULE_INFO), RULE_INFO.labels),
        )?;
        for rule in registry::rules() {
            let labels = [
                rule.id,
                rule.severity.as_str(),
                rule.category.as_str(),
                rule.title,
            ];
            if let Ok(g) = rule_info.get_metric_with_label_values(&labels) {
                g.set(1);
            }
            for severity in Severity::DESCENDING {
                let labels = [rule.id, severity.as_str(), rule.category.as_str()];
                let _ = m.detected.get_metric_with_label_values(&labels);
                let _ = m.resolved.get_metric_with_label_values(&labels);
            }
        }
        // Known from the first scrape, so absence never reads as "no counts yet".
        for result in ["written", "unchanged", "failed"] {
            let _ = m.writes.get_metric_with_label_values(&[result]);
        }
        m.record_encryption(State::Unknown, None, Evidence::None);
        Ok(m)
    }

    /// The text exposition format, for `GET /metrics`.
    pub fn encode(&self) -> Result<String, MetricsError> {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .map_err(MetricsError::Encode)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// Open findings and scores from one evaluation. Findings in namespaces the filter
    /// leaves out are not counted, as they get no report.
    pub fn record_findings(
        &self,
        findings: &[Finding],
        reports: &Reports,
        filter: &NamespaceFilter,
    ) {
        let included: Vec<&Finding> = findings
            .iter()
            .filter(|f| {
                let ns = namespace_of(f);
                ns.is_empty() || filter.allows(ns)
            })
            .collect();
        let mut counts: BTreeMap<Vec<String>, i64> = BTreeMap::new();
        for f in &included {
            let mut labels = vec![
                f.rule_id.to_owned(),
                f.severity.as_str().to_owned(),
                f.category.as_str().to_owned(),
            ];
            if self.namespace_label {
                labels.push(namespace_of(f).to_owned());
            }
            *counts.entry(labels).or_default() += 1;
        }
        let Ok(mut current) = self.current.lock() else {
            return;
        };
        for gone in current
            .findings
            .difference(&counts.keys().cloned().collect())
        {
            let _ = self.findings.remove_label_values(gone);
        }
        for (labels, n) in &counts {
            if let Ok(g) = self.findings.get_metric_with_label_values(labels) {
                g.set(*n);
            }
        }
        current.findings = counts.into_keys().collect();

        if let Ok(g) = self.score.get_metric_with_label_values(NO_LABELS) {
            g.set(i64::from(score::score(included.iter().copied())));
        }
        let namespaces: BTreeSet<String> = reports.namespaces.keys().cloned().collect();
        for gone in current.namespaces.difference(&namespaces) {
            let _ = self.namespace_score.remove_label_values(&[gone]);
        }
        for (ns, report) in &reports.namespaces {
            if let Ok(g) = self.namespace_score.get_metric_with_label_values(&[ns]) {
                g.set(i64::from(report.score));
            }
        }
        current.namespaces = namespaces;
    }

    /// The engine's verdict on Secrets encryption at rest: the state set, and one info
    /// series naming the provider and the evidence.
    pub fn record_encryption(&self, state: State, provider: Option<&str>, evidence: Evidence) {
        for s in ENCRYPTION_STATES {
            if let Ok(g) = self.encryption.get_metric_with_label_values(&[s.as_str()]) {
                g.set(i64::from(s == state));
            }
        }
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

    /// Counts the findings that appeared and resolved, once they are in the written
    /// reports (so a failed write does not count them twice).
    pub fn record_changes(&self, changes: &Changes) {
        for (labels, n) in &changes.detected {
            if let Ok(c) = self.detected.get_metric_with_label_values(labels) {
                c.inc_by(*n);
            }
        }
        for (labels, n) in &changes.resolved {
            if let Ok(c) = self.resolved.get_metric_with_label_values(labels) {
                c.inc_by(*n);
            }
        }
    }

    /// One pass's writes: `written` reports were sent, the others were unchanged.
    pub fn record_writes(&self, reports: &Reports, written: u64) {
        let total = reports.namespaces.len() as u64 + 1;
        self.writes.with_label_values(&["written"]).inc_by(written);
        self.writes
            .with_label_values(&["unchanged"])
            .inc_by(total.saturating_sub(written));
        let truncated = reports
            .namespaces
            .values()
            .chain(std::iter::once(&reports.cluster))
            .filter(|r| r.truncated)
            .count();
        self.truncated.inc_by(truncated as u64);
    }

    /// A pass whose writes failed.
    pub fn record_apply_error(&self, error: &ApplyError) {
        self.writes.with_label_values(&["failed"]).inc();
        let kind = match error {
            ApplyError::Write { name, .. } if name == CLUSTER_REPORT_NAME => "ClusterPostureReport",
            _ => "PostureReport",
        };
        self.record_api_error(kind);
    }

    /// A failed request for objects of `kind` (a watch, a list, a write).
    pub fn record_api_error(&self, kind: &'static str) {
        self.api_errors.with_label_values(&[kind]).inc();
    }

    /// Objects cached per kind.
    pub fn record_watched(&self, counts: &[(&'static str, usize)]) {
        for (kind, n) in counts {
            // Known from the first pass, so a rate of API errors reads 0, not "no data".
            let _ = self.api_errors.get_metric_with_label_values(&[kind]);
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

    /// A standby evaluates nothing: it drops what it reported as leader, so that only the
    /// leader's findings raise alerts.
    pub fn clear_findings(&self) {
        self.findings.reset();
        self.namespace_score.reset();
        self.score.reset();
        self.last_evaluation.reset();
        if let Ok(mut current) = self.current.lock() {
            *current = Current::default();
        }
    }
}

/// Findings that appeared and resolved in one pass, counted per (rule, severity, category).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    pub detected: BTreeMap<[String; 3], u64>,
    pub resolved: BTreeMap<[String; 3], u64>,
}

impl Changes {
    /// Compares the open findings the writer knows (read back from the reports at start-up,
    /// so a restart sees nothing new) with the reports about to be written.
    pub fn between(open: &HashMap<String, ReportFinding>, reports: &Reports) -> Changes {
        let (new, gone) = crate::events::diff(open, reports, rampart_rules::Severity::Info);
        let tally = |fs: Vec<&ReportFinding>| {
            let mut out: BTreeMap<[String; 3], u64> = BTreeMap::new();
            for f in fs {
                *out.entry(rule_labels(f).map(str::to_owned)).or_default() += 1;
            }
            out
        };
        Changes {
            detected: tally(new),
            resolved: tally(gone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report;
    use prometheus::proto::MetricType;
    use rampart_rules::{Inventory, Settings, evaluate};

    /// Namespace `ns` with a RoleBinding that grants anonymous users a Role: one critical
    /// finding in `ns` when `anonymous`, none otherwise.
    fn cluster(namespaces: &[(&str, bool)]) -> Vec<Finding> {
        let mut yaml = String::new();
        for (ns, anonymous) in namespaces {
            yaml.push_str(&format!(
                "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}, labels: \
                 {{pod-security.kubernetes.io/enforce: restricted}}}}\n---\n"
            ));
            if *anonymous {
                yaml.push_str(&format!(
                    "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\n\
                     metadata: {{name: reader, namespace: {ns}}}\n\
                     rules: [{{apiGroups: [''], resources: [pods], verbs: [get]}}]\n---\n\
                     apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n\
                     metadata: {{name: anon, namespace: {ns}}}\n\
                     roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}}\n\
                     subjects: [{{kind: User, name: 'system:anonymous', apiGroup: rbac.authorization.k8s.io}}]\n---\n"
                ));
            }
        }
        let mut inv = Inventory::new();
        for (o, s) in rampart_rules::manifest::parse("test.yaml", &yaml).objects {
            inv.insert(o, Some(s));
        }
        inv.reindex();
        evaluate(&inv, &Settings::default()).findings
    }

    fn reports_of(findings: &[Finding], namespaces: &[(&str, bool)]) -> Reports {
        report::build(
            findings,
            namespaces.iter().map(|(n, _)| *n),
            &HashMap::new(),
            "2026-01-01T00:00:00Z",
            "test",
        )
    }

    fn record(m: &Metrics, namespaces: &[(&str, bool)]) -> Reports {
        let findings = cluster(namespaces);
        let reports = reports_of(&findings, namespaces);
        m.record_findings(&findings, &reports, &NamespaceFilter::default());
        reports
    }

    fn series(m: &Metrics, name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
        m.registry
            .gather()
            .iter()
            .filter(|f| f.name() == name)
            .flat_map(|f| f.get_metric().to_vec())
            .map(|s| {
                let labels = s
                    .get_label()
                    .iter()
                    .map(|l| (l.name().to_owned(), l.value().to_owned()))
                    .collect();
                let value = if s.get_gauge().get_value() != 0.0 {
                    s.get_gauge().get_value()
                } else {
                    s.get_counter().get_value()
                };
                (labels, value)
            })
            .collect()
    }

    fn critical_in(m: &Metrics, ns: &str) -> Vec<f64> {
        series(m, "rampart_findings")
            .into_iter()
            .filter(|(l, _)| {
                l.get("namespace").map(String::as_str) == Some(ns)
                    && l.get("severity").map(String::as_str) == Some("critical")
            })
            .map(|(_, v)| v)
            .collect()
    }

    #[test]
    fn every_documented_metric_is_served_as_documented() {
        let m = Metrics::new(true).expect("metrics");
        let reports = record(&m, &[("shop", true)]);
        let mut changes = Changes::between(&HashMap::new(), &reports);
        changes.resolved = changes.detected.clone();
        m.record_changes(&changes);
        m.record_writes(&reports, 1);
        m.record_api_error("Pod");
        m.record_watched(&[("Pod", 3)]);
        m.observe_evaluation(Duration::from_millis(20));
        let families = m.registry.gather();
        let served: Vec<&str> = families.iter().map(|f| f.name()).collect();
        for spec in SPECS {
            let Some(f) = families.iter().find(|f| f.name() == spec.name) else {
                panic!(
                    "{} is documented but not served; served: {served:?}",
                    spec.name
                );
            };
            assert_eq!(f.help(), spec.help, "{}", spec.name);
            let kind = match f.get_field_type() {
                MetricType::COUNTER => Kind::Counter,
                MetricType::GAUGE => Kind::Gauge,
                MetricType::HISTOGRAM => Kind::Histogram,
                other => panic!("{}: unexpected type {other:?}", spec.name),
            };
            assert_eq!(kind, spec.kind, "{}", spec.name);
            let labels: Vec<&str> = f.get_metric()[0]
                .get_label()
                .iter()
                .map(|l| l.name())
                .collect();
            let mut expected = spec.labels.to_vec();
            expected.sort_unstable();
            assert_eq!(labels, expected, "{}", spec.name);
        }
        assert_eq!(families.len(), SPECS.len(), "served but not documented");
    }

    #[test]
    fn names_follow_prometheus_conventions() {
        for s in SPECS {
            assert!(s.name.starts_with("rampart_"), "{}", s.name);
            assert_eq!(
                s.name.ends_with("_total"),
                s.kind == Kind::Counter,
                "_total on counters only: {}",
                s.name
            );
            assert!(!s.help.is_empty());
        }
    }

    #[test]
    fn resolved_findings_and_deleted_namespaces_lose_their_series() {
        let m = Metrics::new(true).expect("metrics");
        record(&m, &[("shop", true), ("blog", true)]);
        assert_eq!(critical_in(&m, "shop"), vec![1.0]);
        assert_eq!(critical_in(&m, "blog"), vec![1.0]);
        assert_eq!(series(&m, "rampart_namespace_posture_score").len(), 2);
        // shop fixed its binding, blog was deleted.
        record(&m, &[("shop", false)]);
        assert!(critical_in(&m, "shop").is_empty());
        assert!(critical_in(&m, "blog").is_empty());
        let scores = series(&m, "rampart_namespace_posture_score");
        assert_eq!(scores.len(), 1);
        assert_eq!(scores[0].0["namespace"], "shop");
        assert_eq!(scores[0].1, 100.0);
    }

    #[test]
    fn series_stay_bounded_while_namespaces_come_and_go() {
        let m = Metrics::new(true).expect("metrics");
        let last = Metrics::new(true).expect("metrics");
        for round in 0..20 {
            let names: Vec<String> = (0..10).map(|i| format!("ns-{round}-{i}")).collect();
            let spec: Vec<(&str, bool)> = names.iter().map(|n| (n.as_str(), true)).collect();
            record(&m, &spec);
            if round == 19 {
                record(&last, &spec);
            }
        }
        assert_eq!(series(&m, "rampart_namespace_posture_score").len(), 10);
        // Twenty rounds leave exactly the series that the last round alone makes.
        let findings = series(&m, "rampart_findings");
        assert!(findings.len() >= 10, "{findings:?}");
        assert_eq!(findings, series(&last, "rampart_findings"));
    }

    #[test]
    fn namespace_label_can_be_dropped() {
        let m = Metrics::new(false).expect("metrics");
        record(&m, &[("shop", true), ("blog", true)]);
        let critical: Vec<_> = series(&m, "rampart_findings")
            .into_iter()
            .filter(|(l, _)| l["severity"] == "critical")
            .collect();
        assert_eq!(critical.len(), 1);
        assert!(!critical[0].0.contains_key("namespace"));
        assert_eq!(critical[0].1, 2.0);
    }

    #[test]
    fn excluded_namespaces_are_not_counted() {
        let m = Metrics::new(true).expect("metrics");
        let ns = [("shop", true), ("kube-public", true)];
        let findings = cluster(&ns);
        let mut reports = reports_of(&findings, &ns);
        let filter = NamespaceFilter {
            include: Vec::new(),
            exclude: vec!["kube-*".to_owned()],
        };
        reports.retain_namespaces(&filter);
        m.record_findings(&findings, &reports, &filter);
        assert_eq!(critical_in(&m, "shop"), vec![1.0]);
        assert!(critical_in(&m, "kube-public").is_empty());
    }

    #[test]
    fn findings_already_reported_are_not_detected_again() {
        let ns = [("shop", true)];
        let findings = cluster(&ns);
        let reports = reports_of(&findings, &ns);
        let fresh = Changes::between(&HashMap::new(), &reports);
        assert_eq!(
            fresh.detected.values().sum::<u64>(),
            findings.len() as u64,
            "{fresh:?}"
        );
        // After a restart the writer's open findings come from the reports in the cluster.
        let open: HashMap<String, ReportFinding> = reports
            .namespaces
            .values()
            .chain(std::iter::once(&reports.cluster))
            .flat_map(|r| r.findings.iter())
            .map(|f| (f.fingerprint.clone(), f.clone()))
            .collect();
        assert_eq!(Changes::between(&open, &reports), Changes::default());
        let fixed = reports_of(&cluster(&[("shop", false)]), &[("shop", false)]);
        let changes = Changes::between(&open, &fixed);
        assert!(changes.detected.is_empty());
        let key = ["RBAC015", "critical", "rbac"].map(str::to_owned);
        assert_eq!(changes.resolved.get(&key), Some(&1), "{changes:?}");
    }

    #[test]
    fn a_standby_exports_no_score_findings_or_evaluation_time() {
        let m = Metrics::new(true).expect("metrics");
        let text = m.encode().expect("encode");
        assert!(!text.contains("rampart_posture_score "), "{text}");
        assert!(!text.contains("rampart_last_evaluation_timestamp_seconds "));
        record(&m, &[("shop", true)]);
        m.observe_evaluation(Duration::from_millis(1));
        let text = m.encode().expect("encode");
        assert!(text.contains("rampart_posture_score "), "{text}");
        assert!(text.contains("rampart_last_evaluation_timestamp_seconds "));
        m.clear_findings();
        let text = m.encode().expect("encode");
        assert!(!text.contains("rampart_posture_score "), "{text}");
        assert!(!text.contains("rampart_findings{"));
        // Counters stay: they count what this process saw.
        assert!(text.contains("rampart_findings_detected_total{"));
    }

    #[test]
    fn encryption_is_a_state_set() {
        let m = Metrics::new(true).expect("metrics");
        let states = series(&m, "rampart_secrets_encryption");
        assert_eq!(states.len(), 4);
        let on: Vec<_> = states.iter().filter(|(_, v)| *v == 1.0).collect();
        assert_eq!(on.len(), 1);
        assert_eq!(on[0].0["state"], "unknown");
        for (state, label) in [
            (State::Encrypted, "encrypted"),
            (State::PartiallyMigrated, "partially-migrated"),
            (State::Unencrypted, "unencrypted"),
            (State::Unknown, "unknown"),
        ] {
            m.record_encryption(state, Some("aescbc"), Evidence::ApiServerMetrics);
            let on: Vec<_> = series(&m, "rampart_secrets_encryption")
                .into_iter()
                .filter(|(_, v)| *v == 1.0)
                .map(|(l, _)| l["state"].clone())
                .collect();
            assert_eq!(on, [label], "{state:?}");
        }
        m.record_encryption(
            State::Unencrypted,
            Some("identity"),
            Evidence::ApiServerFlags,
        );
        let info = series(&m, "rampart_secrets_encryption_info");
        assert_eq!(info.len(), 1, "{info:?}");
        assert_eq!(info[0].0["provider"], "identity");
        assert_eq!(info[0].0["evidence"], "apiserver-flags");
    }
}
