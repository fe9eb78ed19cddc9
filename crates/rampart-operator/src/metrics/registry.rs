//! Registration: every metric of [`SPECS`](super::SPECS) registered once, at start-up, and
//! served from one registry.

use super::series::{SeriesGauge, Values};
use super::specs::{
    ADMISSION, ANONYMOUS, API_ERRORS, APISERVER_SCRAPES, AUDIT, AUTHORIZATION, CONTROL_PLANE_INFO,
    CRDS_MISSING, DETECTED, DURATION, ENCRYPTION, ENCRYPTION_INFO, EXCEPTED, EXCEPTIONS,
    EXCEPTIONS_EXPIRING, FINDINGS, LAST_DETECTED, LAST_EVALUATION, NAMESPACE_SCORE, RESOLVED,
    RULE_INFO, SCORE, Spec, TRUNCATED, VERSION_STATUS, WATCH_FLAPS, WATCH_RELISTS, WATCHED,
    WRITE_RESULTS, WRITES,
};
use prometheus::{
    Encoder as _, GaugeVec, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use rampart_rules::control_plane::ControlPlane;
use rampart_rules::encryption::{Evidence, State};
use rampart_rules::{Severity, registry};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

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
pub(super) struct Current {
    pub(super) namespaces: BTreeSet<String>,
}

/// Every metric, registered; `record` sets them from what each pass saw and did.
pub struct Metrics {
    pub(super) registry: Registry,
    pub(super) namespace_label: bool,
    /// `rampart_findings`: each series the builder counted, by its labels, served by a
    /// [`SeriesGauge`] (which adds up the namespaces when their label is off).
    pub(super) findings: Arc<Mutex<Values>>,
    pub(super) detected: IntCounterVec,
    /// By the labels of `rampart_findings`; the namespace is empty when its label is off.
    pub(super) last_detected: Arc<Mutex<Values>>,
    pub(super) resolved: IntCounterVec,
    /// Label-less vectors: absent until set, so a standby exports no score.
    pub(super) score: IntGaugeVec,
    pub(super) namespace_score: IntGaugeVec,
    pub(super) duration: Histogram,
    pub(super) last_evaluation: GaugeVec,
    pub(super) watched: IntGaugeVec,
    pub(super) writes: IntCounterVec,
    pub(super) api_errors: IntCounterVec,
    pub(super) crds_missing: IntGauge,
    pub(super) watch_flaps: IntCounterVec,
    pub(super) watch_relists: IntCounterVec,
    pub(super) apiserver_scrapes: IntCounterVec,
    pub(super) truncated: IntCounter,
    pub(super) encryption: IntGaugeVec,
    pub(super) encryption_info: IntGaugeVec,
    pub(super) anonymous: IntGaugeVec,
    pub(super) authorization: IntGaugeVec,
    pub(super) audit: IntGaugeVec,
    pub(super) admission: IntGaugeVec,
    pub(super) version_status: IntGaugeVec,
    pub(super) control_plane_info: IntGaugeVec,
    /// `rampart_excepted_findings`, by the labels of `rampart_findings`, served the same way.
    pub(super) excepted: Arc<Mutex<Values>>,
    pub(super) exceptions: IntGaugeVec,
    pub(super) exceptions_expiring: IntGauge,
    pub(super) current: Mutex<Current>,
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

/// A gauge per label set, as `spec` names and labels it, registered.
fn int_gauges(registry: &Registry, spec: &Spec) -> Result<IntGaugeVec, MetricsError> {
    register(registry, spec, IntGaugeVec::new(opts(spec), spec.labels))
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

impl Metrics {
    /// Registers every metric of [`SPECS`](super::SPECS). `namespace_label` false drops the namespace
    /// label of `rampart_findings`, for clusters with very many namespaces.
    pub fn new(namespace_label: bool) -> Result<Metrics, MetricsError> {
        let r = Registry::new();
        let finding_labels: &[&str] = if namespace_label {
            FINDINGS.labels
        } else {
            &FINDINGS.labels[..3]
        };
        let findings = Arc::new(Mutex::new(Values::new()));
        let last_detected = Arc::new(Mutex::new(Values::new()));
        let excepted = Arc::new(Mutex::new(Values::new()));
        register(
            &r,
            &FINDINGS,
            SeriesGauge::new(
                FINDINGS.name,
                FINDINGS.help,
                finding_labels,
                findings.clone(),
            ),
        )?;
        register(
            &r,
            &LAST_DETECTED,
            SeriesGauge::new(
                LAST_DETECTED.name,
                LAST_DETECTED.help,
                finding_labels,
                last_detected.clone(),
            ),
        )?;
        register(
            &r,
            &EXCEPTED,
            SeriesGauge::new(
                EXCEPTED.name,
                EXCEPTED.help,
                finding_labels,
                excepted.clone(),
            ),
        )?;
        let m = Metrics {
            findings,
            detected: register(
                &r,
                &DETECTED,
                IntCounterVec::new(opts(&DETECTED), DETECTED.labels),
            )?,
            last_detected,
            resolved: register(
                &r,
                &RESOLVED,
                IntCounterVec::new(opts(&RESOLVED), RESOLVED.labels),
            )?,
            score: register(&r, &SCORE, IntGaugeVec::new(opts(&SCORE), &[]))?,
            namespace_score: int_gauges(&r, &NAMESPACE_SCORE)?,
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
            watched: int_gauges(&r, &WATCHED)?,
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
            crds_missing: register(&r, &CRDS_MISSING, IntGauge::with_opts(opts(&CRDS_MISSING)))?,
            watch_flaps: register(
                &r,
                &WATCH_FLAPS,
                IntCounterVec::new(opts(&WATCH_FLAPS), WATCH_FLAPS.labels),
            )?,
            watch_relists: register(
                &r,
                &WATCH_RELISTS,
                IntCounterVec::new(opts(&WATCH_RELISTS), WATCH_RELISTS.labels),
            )?,
            apiserver_scrapes: register(
                &r,
                &APISERVER_SCRAPES,
                IntCounterVec::new(opts(&APISERVER_SCRAPES), APISERVER_SCRAPES.labels),
            )?,
            truncated: register(&r, &TRUNCATED, IntCounter::with_opts(opts(&TRUNCATED)))?,
            encryption: int_gauges(&r, &ENCRYPTION)?,
            encryption_info: int_gauges(&r, &ENCRYPTION_INFO)?,
            anonymous: int_gauges(&r, &ANONYMOUS)?,
            authorization: int_gauges(&r, &AUTHORIZATION)?,
            audit: int_gauges(&r, &AUDIT)?,
            admission: int_gauges(&r, &ADMISSION)?,
            version_status: int_gauges(&r, &VERSION_STATUS)?,
            control_plane_info: int_gauges(&r, &CONTROL_PLANE_INFO)?,
            excepted,
            exceptions: int_gauges(&r, &EXCEPTIONS)?,
            exceptions_expiring: register(
                &r,
                &EXCEPTIONS_EXPIRING,
                IntGauge::with_opts(opts(&EXCEPTIONS_EXPIRING)),
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
        for result in WRITE_RESULTS {
            let _ = m.writes.get_metric_with_label_values(&[result]);
        }
        for read in crate::apiserver::Read::ALL {
            let _ = m
                .apiserver_scrapes
                .get_metric_with_label_values(&[read.as_str()]);
        }
        m.record_encryption(State::Unknown, None, Evidence::None);
        m.record_control_plane(&ControlPlane::default());
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
}
