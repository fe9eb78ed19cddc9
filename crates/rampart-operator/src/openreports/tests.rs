use super::*;
use rampart_crd::{RelatedRef, SeverityCounts};

fn object(kind: &str, namespace: Option<&str>, name: &str) -> ResourceRef {
    ResourceRef {
        api_version: "v1".into(),
        kind: kind.into(),
        namespace: namespace.map(str::to_owned),
        name: name.into(),
    }
}

fn report() -> Report {
    Report {
        score: 40,
        summary: SeverityCounts {
            critical: 1,
            high: 0,
            medium: 3,
            low: 0,
            info: 0,
        },
        last_evaluated: "2026-12-01T10:00:00Z".into(),
        rampart_version: "0.1.0".into(),
        truncated: false,
        could_not_evaluate: vec!["networkpolicies: forbidden".into()],
        findings: vec![ReportFinding {
            rule_id: "RBAC001".into(),
            severity: "critical".into(),
            category: "rbac".into(),
            title: "Wildcard verbs".into(),
            message: "Role shop/all grants every verb".into(),
            resource: object("Role", Some("shop"), "all"),
            path: Some("rules[0].verbs".into()),
            related: vec![RelatedRef {
                relation: "binding".into(),
                object: object("RoleBinding", Some("shop"), "all-to-dev"),
            }],
            fingerprint: "abc".into(),
            first_seen: "2026-11-30T08:00:01Z".into(),
        }],
        folded: vec![FoldedFindings {
            rule_id: "POD003".into(),
            severity: "medium".into(),
            title: "Runs as root".into(),
            count: 3,
            resources: vec!["Pod shop/a, Pod shop/b".into()],
            fingerprints: vec!["f1 f2 f3".into()],
            first_seen: "2026-11-29T00:00:00Z".into(),
        }],
        excepted_count: 1,
        excepted: vec![ExceptedFinding {
            rule_id: "SA001".into(),
            severity: "high".into(),
            resource: object("ServiceAccount", Some("shop"), "default"),
            exception: "shop/legacy".into(),
            owner: "team-shop".into(),
            expires: "2027-01-01T00:00:00Z".into(),
            fingerprint: "def".into(),
        }],
    }
}

fn results_of<'a>(body: &'a Value, result: &str) -> Vec<&'a Value> {
    body["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["result"] == result)
        .collect()
}

#[test]
fn a_namespace_report_says_what_the_posture_report_says() {
    let body = body(Some("shop"), &report(), "h1", "rampart.dev/content-hash");
    assert_eq!(body["apiVersion"], "openreports.io/v1alpha1");
    assert_eq!(body["kind"], "Report");
    assert_eq!(body["metadata"]["name"], "rampart");
    assert_eq!(body["metadata"]["namespace"], "shop");
    assert_eq!(body["metadata"]["labels"][MANAGED_BY.0], "rampart");
    assert_eq!(
        body["metadata"]["annotations"]["rampart.dev/content-hash"],
        "h1"
    );
    assert_eq!(body["source"], "rampart");
    assert_eq!(body["scope"]["kind"], "Namespace");
    assert_eq!(body["scope"]["name"], "shop");
    // Four findings (one whole, three folded), one excepted, one kind not read.
    assert_eq!(
        body["summary"],
        json!({"pass": 0, "fail": 4, "warn": 0, "error": 1, "skip": 1})
    );

    let fails = results_of(&body, "fail");
    assert_eq!(fails.len(), 2, "{body:#}");
    let whole = fails[0];
    let rule = rampart_rules::registry::by_id("RBAC001").expect("RBAC001 exists");
    assert_eq!(whole["policy"], rule.name, "the rule's name");
    assert_eq!(whole["rule"], "RBAC001");
    assert_eq!(whole["severity"], "critical");
    assert_eq!(whole["category"], "rbac");
    assert_eq!(whole["message"], "Role shop/all grants every verb");
    assert_eq!(
        whole["resources"],
        json!([{"apiVersion": "v1", "kind": "Role", "namespace": "shop", "name": "all"}])
    );
    assert_eq!(whole["properties"]["fingerprint"], "abc");
    assert_eq!(whole["properties"]["firstSeen"], "2026-11-30T08:00:01Z");
    assert_eq!(whole["properties"]["path"], "rules[0].verbs");
    assert_eq!(
        whole["properties"]["related.binding"],
        "RoleBinding shop/all-to-dev"
    );
    assert_eq!(
        whole["timestamp"],
        json!({"seconds": 1_796_025_601_i64, "nanos": 0})
    );

    let folded = fails[1];
    assert_eq!(folded["rule"], "POD003");
    assert_eq!(folded["severity"], "medium");
    assert_eq!(folded["properties"]["folded"], "3");
    assert_eq!(folded["properties"]["objects"], "Pod shop/a, Pod shop/b");
    assert!(
        folded["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("3 findings of POD003")),
        "{folded}"
    );

    let skipped = results_of(&body, "skip");
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["rule"], "SA001");
    assert_eq!(skipped[0]["properties"]["exception"], "shop/legacy");
    assert_eq!(skipped[0]["properties"]["expires"], "2027-01-01T00:00:00Z");
    assert_eq!(skipped[0]["resources"][0]["name"], "default");

    let errors = results_of(&body, "error");
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0]["message"],
        "not evaluated: networkpolicies: forbidden"
    );
}

#[test]
fn the_cluster_report_has_no_namespace_or_scope() {
    let body = body(None, &report(), "h2", "rampart.dev/content-hash");
    assert_eq!(body["kind"], "ClusterReport");
    assert_eq!(body["metadata"]["name"], "rampart");
    assert!(body["metadata"].get("namespace").is_none());
    assert!(body.get("scope").is_none());
}

#[test]
fn every_result_names_a_policy_and_a_severity_openreports_knows() {
    let body = body(Some("shop"), &report(), "h", "a");
    let known = ["critical", "high", "medium", "low", "info"];
    for r in body["results"].as_array().expect("results") {
        assert!(r["policy"].is_string(), "{r}");
        assert!(
            r.get("severity").is_none() || known.contains(&r["severity"].as_str().unwrap_or("")),
            "{r}"
        );
        // OpenReports properties are strings, nothing else.
        if let Some(props) = r.get("properties").and_then(Value::as_object) {
            assert!(props.values().all(Value::is_string), "{r}");
        }
    }
}

#[test]
fn an_unknown_rule_keeps_its_id_as_policy() {
    assert_eq!(policy("XYZ999"), "XYZ999");
    assert_eq!(severity("bogus"), "info");
}

#[test]
fn a_copy_of_a_full_report_stays_well_within_what_etcd_takes() {
    // A report filled to its largest share with whole findings, the worst case for the
    // copy's per-result overhead.
    let mut r = report();
    let one = r.findings[0].clone();
    let each = serde_json::to_vec(&one).map_or(1, |v| v.len());
    r.findings = (0..=rampart_crd::MAX_REPORT_BYTES / each)
        .map(|i| {
            let mut f = one.clone();
            f.fingerprint = format!("{i:016x}");
            f.resource.name = format!("role-{i}");
            f
        })
        .collect();
    let report_bytes = serde_json::to_vec(&r).map_or(0, |v| v.len());
    let copy_bytes = serde_json::to_vec(&body(Some("shop"), &r, "h", "a")).map_or(0, |v| v.len());
    // etcd refuses requests over 1.5 MiB; the copy costs at most half as much again as the
    // report (about a sixth more, measured).
    assert!(
        2 * copy_bytes <= 3 * report_bytes && copy_bytes < 3 * 512 * 1024,
        "report {report_bytes} bytes, copy {copy_bytes}"
    );
}
