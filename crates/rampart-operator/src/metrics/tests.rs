use super::*;
use crate::excepting::Tally;
use crate::fixture::{Fixture, control_plane, open_of};
use crate::placement::{NamespaceFilter, OpenSeries};
use crate::report::{Built, Reports, Transitions};
use prometheus::proto::MetricType as ProtoType;
use rampart_rules::Shared;
use rampart_rules::control_plane::{
    ADMISSION_STATES, ANONYMOUS_STATES, AUDIT_STATES, AUTHORIZATION_STATES, Support, VERSION_STATES,
};
use rampart_rules::encryption::{Evidence, State};
use rampart_rules::{Category, Finding, Inventory, Settings, Severity, evaluate};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

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

fn built(fixture: &Fixture, findings: &[Finding], namespaces: &[(&str, bool)]) -> Built {
    let names: Vec<&str> = namespaces.iter().map(|(n, _)| *n).collect();
    fixture.build(findings, &names)
}

fn record(m: &Metrics, namespaces: &[(&str, bool)]) -> Reports {
    let findings = cluster(namespaces);
    let built = built(&Fixture::default(), &findings, namespaces);
    m.record_findings(&built.posture, &built.reports);
    built.reports
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

fn excepted_in_shop() -> OpenSeries {
    OpenSeries {
        rule: "POD003",
        severity: Severity::Critical,
        category: Category::Workload,
        namespace: Shared::new("shop"),
    }
}

/// A pass that counted `excepted` excepted findings per series: every series when `all`,
/// else those that changed.
fn record_excepted(m: &Metrics, excepted: BTreeMap<OpenSeries, u64>, all: bool) {
    let mut built = built(&Fixture::default(), &[], &[("shop", false)]);
    built.posture.excepted = excepted;
    built.posture.all = all;
    m.record_findings(&built.posture, &built.reports);
}

/// One active exception, expiring soon, that accepts one critical finding in `shop`; and
/// one expired.
fn record_one_exception(m: &Metrics) {
    let tally = Tally {
        by_state: BTreeMap::from([("active", 1), ("stale", 0), ("expired", 1), ("invalid", 0)]),
        expiring_soon: 1,
    };
    m.record_exceptions(&tally);
    // Incremental: the findings other tests recorded stay.
    record_excepted(m, BTreeMap::from([(excepted_in_shop(), 1)]), false);
}

#[test]
fn exceptions_are_counted_by_state_and_their_findings_by_series() {
    let m = Metrics::new(true).expect("metrics");
    record_one_exception(&m);
    let by_state: BTreeMap<String, f64> = series(&m, "rampart_exceptions")
        .into_iter()
        .map(|(l, v)| (l["state"].clone(), v))
        .collect();
    assert_eq!(by_state.get("active"), Some(&1.0));
    assert_eq!(by_state.get("expired"), Some(&1.0));
    assert_eq!(by_state.get("stale"), Some(&0.0), "every state is served");
    assert_eq!(
        series(&m, "rampart_exceptions_expiring_soon"),
        [(BTreeMap::new(), 1.0)]
    );
    let excepted = series(&m, "rampart_excepted_findings");
    assert_eq!(excepted.len(), 1);
    let (labels, n) = &excepted[0];
    assert_eq!(labels["rule"], "POD003");
    assert_eq!(labels["namespace"], "shop");
    assert_eq!(*n, 1.0);
    // A pass that changed nothing there leaves it; one that counted none there removes it.
    record_excepted(&m, BTreeMap::new(), false);
    assert_eq!(series(&m, "rampart_excepted_findings").len(), 1);
    record_excepted(&m, BTreeMap::from([(excepted_in_shop(), 0)]), false);
    assert!(series(&m, "rampart_excepted_findings").is_empty());
    // A full pass sets every series again: one it did not count goes.
    record_one_exception(&m);
    record_excepted(&m, BTreeMap::new(), true);
    assert!(series(&m, "rampart_excepted_findings").is_empty());
}

#[test]
fn every_documented_metric_is_served_as_documented() {
    let m = Metrics::new(true).expect("metrics");
    let reports = record(&m, &[("shop", true)]);
    let none = HashMap::new();
    let mut transitions = Transitions::between(&none, &reports);
    transitions.resolved = transitions.detected.clone();
    m.record_transitions(&transitions);
    m.record_writes(&reports, 1, 0, false);
    m.record_api_error("Pod");
    m.record_watched(&[("Pod", 3)]);
    m.observe_evaluation(Duration::from_millis(20));
    record_one_exception(&m);
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
            ProtoType::COUNTER => MetricType::Counter,
            ProtoType::GAUGE => MetricType::Gauge,
            ProtoType::HISTOGRAM => MetricType::Histogram,
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
            s.kind == MetricType::Counter,
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
    let fixture = Fixture {
        filter: NamespaceFilter {
            include: Vec::new(),
            exclude: vec!["kube-*".to_owned()],
        },
        ..Fixture::default()
    };
    let built = built(&fixture, &findings, &ns);
    m.record_findings(&built.posture, &built.reports);
    assert_eq!(critical_in(&m, "shop"), vec![1.0]);
    assert!(critical_in(&m, "kube-public").is_empty());
    let score = series(&m, "rampart_posture_score");
    assert_eq!(score[0].1, f64::from(built.posture.score));
    assert_eq!(series(&m, "rampart_namespace_posture_score").len(), 1);
}

fn counter(m: &Metrics, name: &str, rule: &str, severity: &str) -> f64 {
    series(m, name)
        .into_iter()
        .filter(|(l, _)| l["rule"] == rule && l["severity"] == severity)
        .map(|(_, v)| v)
        .sum()
}

#[test]
fn transitions_are_counted_per_rule_severity_and_category() {
    let m = Metrics::new(true).expect("metrics");
    let ns = [("shop", true), ("blog", true)];
    let reports = built(&Fixture::default(), &cluster(&ns), &ns).reports;
    let none = HashMap::new();
    m.record_transitions(&Transitions::between(&none, &reports));
    assert_eq!(
        counter(&m, "rampart_findings_detected_total", "RBAC015", "critical"),
        2.0
    );
    let open = open_of(&reports);
    let fixed = [("shop", false), ("blog", true)];
    let after = built(&Fixture::default(), &cluster(&fixed), &fixed).reports;
    m.record_transitions(&Transitions::between(&open, &after));
    assert_eq!(
        counter(&m, "rampart_findings_detected_total", "RBAC015", "critical"),
        2.0,
        "nothing new"
    );
    assert_eq!(
        counter(&m, "rampart_findings_resolved_total", "RBAC015", "critical"),
        1.0
    );
    let resolved = series(&m, "rampart_findings_resolved_total");
    let labels = resolved
        .iter()
        .find(|(l, v)| l["rule"] == "RBAC015" && *v == 1.0)
        .map(|(l, _)| l.clone())
        .expect("a resolved series");
    assert_eq!(labels["category"], "rbac");
}

#[test]
fn new_high_findings_stamp_their_series_until_the_namespace_goes() {
    const LAST: &str = "rampart_findings_last_detected_timestamp_seconds";
    let ns = [("shop", true), ("blog", true)];
    let none = HashMap::new();
    let m = Metrics::new(true).expect("metrics");
    let reports = record(&m, &ns);
    m.record_transitions(&Transitions::between(&none, &reports));
    let stamped = |m: &Metrics| -> Vec<(String, String)> {
        series(m, LAST)
            .into_iter()
            .filter(|(l, v)| l["rule"] == "RBAC015" && *v > 1.0e9)
            .map(|(l, _)| {
                (
                    l["severity"].clone(),
                    l.get("namespace").cloned().unwrap_or_default(),
                )
            })
            .collect()
    };
    assert_eq!(
        stamped(&m),
        [
            ("critical".to_owned(), "blog".to_owned()),
            ("critical".to_owned(), "shop".to_owned())
        ]
    );
    // blog is deleted: its report and its stamps go.
    record(&m, &[("shop", true)]);
    assert_eq!(stamped(&m), [("critical".to_owned(), "shop".to_owned())]);

    // Without the namespace label, one series per rule and severity.
    let m = Metrics::new(false).expect("metrics");
    m.record_transitions(&Transitions::between(&none, &reports));
    assert_eq!(stamped(&m), [("critical".to_owned(), String::new())]);
    assert!(
        series(&m, LAST)
            .iter()
            .all(|(l, _)| !l.contains_key("namespace"))
    );
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

/// The label values of one metric's series whose value is 1, by label.
fn on(m: &Metrics, name: &str, label: &str) -> Vec<String> {
    series(m, name)
        .into_iter()
        .filter(|(_, v)| *v == 1.0)
        .map(|(l, _)| l[label].clone())
        .collect()
}

#[test]
fn control_plane_verdicts_are_state_sets() {
    let m = Metrics::new(true).expect("metrics");
    for (name, states) in [
        ("rampart_anonymous_access", ANONYMOUS_STATES),
        ("rampart_authorization_mode", AUTHORIZATION_STATES),
        ("rampart_audit_logging", AUDIT_STATES),
        ("rampart_admission_control", ADMISSION_STATES),
    ] {
        assert_eq!(series(&m, name).len(), states.len(), "{name}");
        assert_eq!(on(&m, name, "state"), ["unknown"], "{name} before any pass");
    }
    let versions = series(&m, "rampart_kubernetes_version_status");
    assert_eq!(versions.len(), 2 * VERSION_STATES.len());
    assert_eq!(
        on(&m, "rampart_kubernetes_version_status", "state"),
        ["unknown", "unknown"]
    );
    let info = series(&m, "rampart_control_plane_info");
    assert_eq!(info.len(), 6, "one series per check: {info:?}");
    assert!(
        info.iter().all(|(l, _)| l["evidence"] == "none"),
        "{info:?}"
    );

    let mut cp = control_plane(
        "off",
        &[
            ("v1.37.2", Support::Current, 2),
            ("v1.33.1", Support::EndOfLife, 1),
        ],
    );
    cp.anonymous.state = "exposed";
    m.record_control_plane(&cp);
    assert_eq!(on(&m, "rampart_anonymous_access", "state"), ["exposed"]);
    assert_eq!(on(&m, "rampart_authorization_mode", "state"), ["node-rbac"]);
    assert_eq!(on(&m, "rampart_audit_logging", "state"), ["off"]);
    assert_eq!(on(&m, "rampart_admission_control", "state"), ["ok"]);
    let mut by_component: Vec<(String, String)> = series(&m, "rampart_kubernetes_version_status")
        .into_iter()
        .filter(|(_, v)| *v == 1.0)
        .map(|(l, _)| (l["component"].clone(), l["state"].clone()))
        .collect();
    by_component.sort();
    assert_eq!(
        by_component,
        [
            ("apiserver".to_owned(), "current".to_owned()),
            ("kubelet".to_owned(), "end-of-life".to_owned())
        ],
        "the kubelets' worst"
    );
    let mut info: Vec<(String, String)> = series(&m, "rampart_control_plane_info")
        .into_iter()
        .map(|(l, _)| (l["check"].clone(), l["evidence"].clone()))
        .collect();
    info.sort();
    let expected = [
        ("admission", "apiserver-flags"),
        ("anonymous", "probe"),
        ("apiserver-version", "probe"),
        ("audit-logging", "apiserver-flags"),
        ("authorization", "apiserver-flags"),
        ("kubelet-version", "nodes"),
    ]
    .map(|(c, e)| (c.to_owned(), e.to_owned()));
    assert_eq!(info, expected, "a changed evidence replaces the old series");
}

/// The label values `docs/metrics.md` lists are those served: every series recorded
/// takes a listed value, and every listed value but an evidence no pass saw is served.
#[test]
fn documented_label_values_are_the_ones_served() {
    let m = Metrics::new(true).expect("metrics");
    let reports = record(&m, &[("shop", true)]);
    m.record_writes(&reports, 1, 0, false);
    record_one_exception(&m);
    for LabelValues {
        metric,
        label,
        values,
    } in label_values()
    {
        assert!(
            SPECS
                .iter()
                .any(|s| s.name == metric && s.labels.contains(&label)),
            "{metric} has no label {label}"
        );
        let mut served: Vec<String> = series(&m, metric)
            .into_iter()
            .map(|(l, _)| l[label].clone())
            .collect();
        served.sort();
        served.dedup();
        let mut documented: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        documented.sort();
        if label == "evidence" {
            assert!(
                served.iter().all(|v| documented.contains(v)),
                "{metric} {label}: {served:?} beyond {documented:?}"
            );
        } else {
            assert_eq!(served, documented, "{metric} {label}");
        }
    }
}

/// After an incremental pass only the series that changed are handed over: they move,
/// every other series keeps its value, with or without the namespace label.
#[test]
fn an_incremental_pass_moves_only_the_series_it_changed() {
    for namespace_label in [true, false] {
        let m = Metrics::new(namespace_label).expect("metrics");
        let both = [("shop", true), ("other", true)];
        let reports = record(&m, &both);
        let critical = |m: &Metrics| -> f64 {
            series(m, "rampart_findings")
                .into_iter()
                .filter(|(l, _)| l.get("severity").map(String::as_str) == Some("critical"))
                .map(|(_, v)| v)
                .sum()
        };
        assert_eq!(critical(&m), 2.0);
        // `shop` is fixed: its critical series drops to 0, the rest stays as it was.
        let fixed = built(
            &Fixture::default(),
            &cluster(&[("shop", false), ("other", true)]),
            &[("shop", false), ("other", true)],
        );
        let changed: BTreeMap<_, _> = fixed
            .posture
            .open
            .iter()
            .filter(|(s, _)| s.namespace == "shop")
            .map(|(s, n)| (s.clone(), *n))
            .chain(
                built(&Fixture::default(), &cluster(&both), &both)
                    .posture
                    .open
                    .keys()
                    .filter(|s| {
                        s.namespace == "shop" && s.severity == rampart_rules::Severity::Critical
                    })
                    .map(|s| (s.clone(), 0)),
            )
            .collect();
        let mut partial = fixed.clone();
        partial.posture.open = changed;
        partial.posture.all = false;
        partial.reports.namespaces.retain(|ns, _| ns == "shop");
        m.record_findings(&partial.posture, &partial.reports);
        assert_eq!(critical(&m), 1.0, "namespace label {namespace_label}");
        if namespace_label {
            assert!(critical_in(&m, "shop").is_empty());
            assert_eq!(critical_in(&m, "other"), [1.0]);
        }
        let scores = series(&m, "rampart_namespace_posture_score");
        assert_eq!(scores.len(), 2, "{scores:?}");
        assert!(
            scores.iter().any(
                |(l, v)| l.get("namespace").map(String::as_str) == Some("shop") && *v == 100.0
            ),
            "{scores:?}"
        );
        drop(reports);
    }
}

#[test]
fn a_write_in_the_background_counts_when_it_lands_and_one_lost_is_no_api_error() {
    let m = Metrics::new(true).expect("metrics");
    // One namespace report and the cluster's: two reports a pass.
    let reports = record(&m, &[("shop", true)]);
    let writes = |result: &str| -> f64 {
        series(&m, "rampart_report_writes_total")
            .into_iter()
            .filter(|(labels, _)| labels.get("result").map(String::as_str) == Some(result))
            .map(|(_, v)| v)
            .sum()
    };
    m.record_writes(&reports, 1, 0, true);
    assert_eq!(
        (writes("written"), writes("unchanged")),
        (1.0, 0.0),
        "the cluster's report, handed to the background, is neither written nor unchanged yet"
    );
    m.record_background_write();
    assert_eq!(writes("written"), 2.0);
    m.record_apply_error(&crate::apply::ApplyError::Lost(
        rampart_crd::CLUSTER_REPORT_NAME.to_owned(),
    ));
    assert_eq!(writes("failed"), 1.0);
    assert!(
        series(&m, "rampart_api_errors_total")
            .iter()
            .all(|(_, v)| *v == 0.0),
        "no answer is no API error"
    );
}
