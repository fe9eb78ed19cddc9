//! The one table of metrics: what the operator serves, and what `docs/metrics.md` lists.

use rampart_rules::encryption::State;

/// The Prometheus metric type, as `# TYPE` lines and the docs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
}

impl MetricType {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
        }
    }
}

/// One metric as served and documented.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    pub kind: MetricType,
    pub help: &'static str,
    pub labels: &'static [&'static str],
}

/// Every state of the encryption verdict, in the order its series are listed.
pub(super) const ENCRYPTION_STATES: [State; 4] = [
    State::Encrypted,
    State::Unencrypted,
    State::PartiallyMigrated,
    State::Unknown,
];

pub(super) const FINDINGS: Spec = Spec {
    name: "rampart_findings",
    kind: MetricType::Gauge,
    help: "Open findings of the last evaluation. A series is removed when its findings resolve; \
           namespace is empty for cluster-scoped objects other than Namespaces, and left out \
           entirely with --findings-namespace-label=false.",
    labels: &["rule", "severity", "category", "namespace"],
};
pub(super) const DETECTED: Spec = Spec {
    name: "rampart_findings_detected_total",
    kind: MetricType::Counter,
    help: "Findings that appeared since the operator started. Findings already in the \
           reports at start-up are not counted again. Every rule and severity starts at 0, \
           so increase() sees the first one.",
    labels: &["rule", "severity", "category"],
};
pub(super) const LAST_DETECTED: Spec = Spec {
    name: "rampart_findings_last_detected_timestamp_seconds",
    kind: MetricType::Gauge,
    help: "When a critical or high finding of this rule last appeared in this namespace \
           (Unix seconds): the new-finding alerts fire for a few minutes after each change, \
           one alert per detection. Set by the leader when a finding appears; not carried \
           over a restart or a leader change, which detect nothing. namespace as for \
           rampart_findings; the series of a namespace whose report is gone are removed.",
    labels: &["rule", "severity", "category", "namespace"],
};
pub(super) const RESOLVED: Spec = Spec {
    name: "rampart_findings_resolved_total",
    kind: MetricType::Counter,
    help: "Findings that were open and no longer are, since the operator started.",
    labels: &["rule", "severity", "category"],
};
pub(super) const SCORE: Spec = Spec {
    name: "rampart_posture_score",
    kind: MetricType::Gauge,
    help: "Posture score of the whole cluster, 0 to 100 (100: no findings), over the \
           namespaces the operator reports on. Absent until the first evaluation and on \
           standby replicas.",
    labels: &[],
};
pub(super) const NAMESPACE_SCORE: Spec = Spec {
    name: "rampart_namespace_posture_score",
    kind: MetricType::Gauge,
    help: "Posture score of one namespace, 0 to 100; removed when the namespace goes.",
    labels: &["namespace"],
};
pub(super) const RULE_INFO: Spec = Spec {
    name: "rampart_rule_info",
    kind: MetricType::Gauge,
    help: "Always 1: one series per rule with its default severity, category and title, to \
           join on the rule label.",
    labels: &["rule", "severity", "category", "title"],
};
pub(super) const DURATION: Spec = Spec {
    name: "rampart_evaluation_duration_seconds",
    kind: MetricType::Histogram,
    help: "Time of one pass: snapshot, evaluation, report building and writing.",
    labels: &[],
};
pub(super) const LAST_EVALUATION: Spec = Spec {
    name: "rampart_last_evaluation_timestamp_seconds",
    kind: MetricType::Gauge,
    help: "Unix time at which the last pass finished. Absent until the first one and on \
           standby replicas.",
    labels: &[],
};
pub(super) const WATCHED: Spec = Spec {
    name: "rampart_watched_objects",
    kind: MetricType::Gauge,
    help: "Objects held in the inventory, per watched Kubernetes kind.",
    labels: &["kind"],
};
pub(super) const WRITES: Spec = Spec {
    name: "rampart_report_writes_total",
    kind: MetricType::Counter,
    help: "Reports per pass by outcome: written (content changed), unchanged (nothing sent) \
           or failed (the write was refused or did not arrive).",
    labels: &["result"],
};
pub(super) const API_ERRORS: Spec = Spec {
    name: "rampart_api_errors_total",
    kind: MetricType::Counter,
    help: "Failed Kubernetes API requests per kind of object requested: report writes, and \
           lists and watches of a kind whose failure the reports name in couldNotEvaluate \
           (it never listed, or has failed for longer than the watch failure grace period).",
    labels: &["kind"],
};
pub(super) const CRDS_MISSING: Spec = Spec {
    name: "rampart_report_crds_missing",
    kind: MetricType::Gauge,
    help: "1 while the PostureReport and ClusterPostureReport CRDs are not served, so no \
           report can be written (evaluation goes on, /readyz answers 503, and every report \
           is written as soon as the CRDs exist again); 0 otherwise.",
    labels: &[],
};
pub(super) const WATCH_FLAPS: Spec = Spec {
    name: "rampart_watch_flaps_total",
    kind: MetricType::Counter,
    help: "Watch failures that recovered within the grace period (an API server restart, a \
           dropped connection): the inventory kept what it had listed and no report changed.",
    labels: &["kind"],
};
pub(super) const WATCH_RELISTS: Spec = Spec {
    name: "rampart_watch_relists_total",
    kind: MetricType::Counter,
    help: "Relists after the API server expired a watch's resource version (HTTP 410, \
           after a restart or etcd compaction): normal operation, not an error.",
    labels: &["kind"],
};
pub(super) const APISERVER_SCRAPES: Spec = Spec {
    name: "rampart_apiserver_scrapes_total",
    kind: MetricType::Counter,
    help: "Reads of kube-apiserver's /metrics by result: changed (what the verdicts read of \
           them changed, so kube-system and the cluster-scoped part are judged again), \
           unchanged (only counters ran on: nothing is judged again), forbidden (no get on \
           the nonResourceURL /metrics) or failed (no answer: the last reading stands).",
    labels: &["result"],
};
pub(super) const TRUNCATED: Spec = Spec {
    name: "rampart_reports_truncated_total",
    kind: MetricType::Counter,
    help: "Reports whose folded findings could not all be named by object within the \
           report's share of the size budget (counts stay exact, fingerprints while they fit), \
           counted at every pass while that lasts.",
    labels: &[],
};
pub(super) const ENCRYPTION: Spec = Spec {
    name: "rampart_secrets_encryption",
    kind: MetricType::Gauge,
    help: "State set: 1 for the current state of Secrets encryption at rest (encrypted, \
           unencrypted, partially-migrated: new writes encrypted but older Secrets still \
           in plaintext, or unknown), 0 for the others.",
    labels: &["state"],
};
pub(super) const ENCRYPTION_INFO: Spec = Spec {
    name: "rampart_secrets_encryption_info",
    kind: MetricType::Gauge,
    help: "1 for the provider Secrets are written with (aescbc, aesgcm, secretbox, kms v1, \
           kms v2, identity, or none when unknown) and the evidence that decided it \
           (apiserver-metrics, apiserver-flags, encryption-configuration, declared, none).",
    labels: &["provider", "evidence"],
};
pub(super) const ANONYMOUS: Spec = Spec {
    name: "rampart_anonymous_access",
    kind: MetricType::Gauge,
    help: "State set: 1 for what requests without credentials reach on the API server \
           (disabled; public-info-only: /version, /healthz, /livez and /readyz alone; \
           enabled: anonymous authentication on, its reach not probed; exposed: more than \
           the public-info endpoints; unknown), 0 for the others.",
    labels: &["state"],
};
pub(super) const AUTHORIZATION: Spec = Spec {
    name: "rampart_authorization_mode",
    kind: MetricType::Gauge,
    help: "State set: 1 for how the API server authorizes requests (node-rbac: Node and \
           RBAC; incomplete: without one of them; always-allow; unknown), 0 for the others.",
    labels: &["state"],
};
pub(super) const AUDIT: Spec = Spec {
    name: "rampart_audit_logging",
    kind: MetricType::Gauge,
    help: "State set: 1 for whether the API server records an audit log (on, off, \
           unknown), 0 for the others.",
    labels: &["state"],
};
pub(super) const ADMISSION: Spec = Spec {
    name: "rampart_admission_control",
    kind: MetricType::Gauge,
    help: "State set: 1 for the admission plugins that matter most (ok: NodeRestriction and \
           PodSecurity on, AlwaysAdmit off; weak; unknown), 0 for the others.",
    labels: &["state"],
};
pub(super) const VERSION_STATUS: Spec = Spec {
    name: "rampart_kubernetes_version_status",
    kind: MetricType::Gauge,
    help: "State set per component (apiserver; kubelet: the worst of every Node's): 1 for \
           how its Kubernetes version stands against the release table Rampart was built \
           with (current, patch-behind, end-of-life, unknown), 0 for the others.",
    labels: &["component", "state"],
};
pub(super) const CONTROL_PLANE_INFO: Spec = Spec {
    name: "rampart_control_plane_info",
    kind: MetricType::Gauge,
    help: "1 for each control-plane check (anonymous, authorization, audit-logging, \
           admission, apiserver-version, kubelet-version) with the evidence that decided it \
           (probe, apiserver-metrics, apiserver-flags, apiserver-image, declared, nodes, \
           none).",
    labels: &["check", "evidence"],
};

pub(super) const EXCEPTED: Spec = Spec {
    name: "rampart_excepted_findings",
    kind: MetricType::Gauge,
    help: "Findings of the last evaluation that an exception in force accepts: out of \
           rampart_findings and the score. namespace as for rampart_findings.",
    labels: &["rule", "severity", "category", "namespace"],
};
pub(super) const EXCEPTIONS: Spec = Spec {
    name: "rampart_exceptions",
    kind: MetricType::Gauge,
    help: "Exceptions (PostureException, ClusterPostureException and the settings file's) \
           by state: active (in force, covering findings), stale (in force, covering none), \
           expired, invalid (never in force).",
    labels: &["state"],
};
pub(super) const EXCEPTIONS_EXPIRING: Spec = Spec {
    name: "rampart_exceptions_expiring_soon",
    kind: MetricType::Gauge,
    help: "Exceptions in force that expire within 7 days; their findings open again then.",
    labels: &[],
};

/// Every metric the operator serves, in the order `docs/metrics.md` lists them.
pub const SPECS: &[Spec] = &[
    FINDINGS,
    DETECTED,
    LAST_DETECTED,
    RESOLVED,
    EXCEPTED,
    EXCEPTIONS,
    EXCEPTIONS_EXPIRING,
    SCORE,
    NAMESPACE_SCORE,
    RULE_INFO,
    DURATION,
    LAST_EVALUATION,
    WATCHED,
    WRITES,
    API_ERRORS,
    CRDS_MISSING,
    WATCH_FLAPS,
    WATCH_RELISTS,
    APISERVER_SCRAPES,
    TRUNCATED,
    ENCRYPTION,
    ENCRYPTION_INFO,
    ANONYMOUS,
    AUTHORIZATION,
    AUDIT,
    ADMISSION,
    VERSION_STATUS,
    CONTROL_PLANE_INFO,
];

/// The `result` label of `rampart_report_writes_total`.
pub(super) const WRITE_RESULTS: [&str; 3] = ["written", "unchanged", "failed"];

/// The `check` label of `rampart_control_plane_info`.
pub(super) const CONTROL_PLANE_CHECKS: [&str; 6] = [
    "anonymous",
    "authorization",
    "audit-logging",
    "admission",
    "apiserver-version",
    "kubelet-version",
];

/// The `component` label of `rampart_kubernetes_version_status`, as
/// `VersionVerdict::state` names them.
pub(super) const VERSION_COMPONENTS: [&str; 2] = ["apiserver", "kubelet"];

/// The values one label of one metric takes: a fixed set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelValues {
    pub metric: &'static str,
    pub label: &'static str,
    pub values: Vec<&'static str>,
}

/// Every label with a fixed set of values, by metric, as `docs/metrics.md` lists them
/// (rule ids, severities, categories, namespaces and kinds are listed elsewhere).
pub fn label_values() -> Vec<LabelValues> {
    use rampart_rules::control_plane::{
        ADMISSION_STATES, ANONYMOUS_STATES, AUDIT_STATES, AUTHORIZATION_STATES, Evidence,
        VERSION_STATES,
    };
    let of = |metric: &Spec, label, values: &[&'static str]| LabelValues {
        metric: metric.name,
        label,
        values: values.to_vec(),
    };
    let evidence = [
        Evidence::Probe,
        Evidence::ApiServerMetrics,
        Evidence::ApiServerFlags,
        Evidence::ApiServerImage,
        Evidence::Declared,
        Evidence::Nodes,
        Evidence::None,
    ]
    .map(Evidence::as_str);
    vec![
        of(&WRITES, "result", &WRITE_RESULTS),
        of(
            &APISERVER_SCRAPES,
            "result",
            &crate::apiserver::Read::ALL.map(crate::apiserver::Read::as_str),
        ),
        of(&EXCEPTIONS, "state", &crate::excepting::STATES),
        of(&ENCRYPTION, "state", &ENCRYPTION_STATES.map(|s| s.as_str())),
        of(&ANONYMOUS, "state", ANONYMOUS_STATES),
        of(&AUTHORIZATION, "state", AUTHORIZATION_STATES),
        of(&AUDIT, "state", AUDIT_STATES),
        of(&ADMISSION, "state", ADMISSION_STATES),
        of(&VERSION_STATUS, "component", &VERSION_COMPONENTS),
        of(&VERSION_STATUS, "state", VERSION_STATES),
        of(&CONTROL_PLANE_INFO, "check", &CONTROL_PLANE_CHECKS),
        of(&CONTROL_PLANE_INFO, "evidence", &evidence),
    ]
}
