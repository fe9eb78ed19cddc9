//! `rampart scan --format junit` read by junitparser (the JUnit reader CI tools build on,
//! installed by `scripts/junit-reader`), and `--format github` as the Actions runner reads
//! workflow commands.

mod common;
use common::*;
use std::process::Command;

/// A cluster-admin binding (RBAC001, critical), a namespace without Pod Security labels
/// and a privileged pod in it, the pod's finding accepted by an exception.
const MANIFESTS: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: deployer, namespace: ci}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: cni, namespace: shop}
spec: {containers: [{name: c, image: registry.example/cni:1.0, securityContext: {privileged: true}}]}
---
apiVersion: rampart.dev/v1alpha1
kind: PostureException
metadata: {name: cni-privileged, namespace: shop}
spec: {rules: [POD003], resources: [{kind: Pod, name: cni}], reason: host networking, owner: net-team, expires: '2027-01-31T00:00:00Z'}
";

/// What junitparser reads: per suite (name, tests, failures, skipped) and per case
/// (suite, classname, name, result, message, file, line), as JSON.
const READ: &str = r#"
import json, sys
from junitparser import JUnitXml, Failure, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
suites, cases = [], []
for suite in xml:
    suites.append([suite.name, suite.tests, suite.failures, suite.skipped])
    for case in suite:
        kinds = [type(r).__name__ for r in case.result]
        message = case.result[0].message if case.result else None
        cases.append([suite.name, case.classname, case.name, kinds, message,
                      case._elem.get("file"), case._elem.get("line"), case.system_out])
print(json.dumps({"totals": [xml.tests, xml.failures, xml.skipped], "suites": suites, "cases": cases}))
"#;

fn read_junit(path: &std::path::Path) -> serde_json::Value {
    let python = std::env::var("RAMPART_JUNIT_PYTHON").unwrap_or_else(|_| {
        panic!("RAMPART_JUNIT_PYTHON is not set: run scripts/junit-reader (scripts/test does)")
    });
    let out = Command::new(python)
        .args(["-c", READ])
        .arg(path)
        .output()
        .expect("run junitparser");
    assert!(
        out.status.success(),
        "junitparser could not read the report: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the reader prints JSON")
}

#[test]
fn junit_report_reads_as_cases_per_rule_and_object() {
    let dir = TempDir::new("junit");
    let f = dir.write("cluster.yaml", MANIFESTS);
    let report = dir.0.join("rampart.xml");
    let out = rampart(&[
        "scan",
        "--format",
        "junit",
        "--fail-on",
        "high",
        "--as-of",
        "2026-12-01T00:00:00Z",
        "--output",
        report.to_str().expect("path"),
        f.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = read_junit(&report);
    let cases = v["cases"].as_array().expect("cases");
    let case = |classname: &str, name: &str| {
        cases
            .iter()
            .find(|c| c[1] == classname && c[2] == name)
            .unwrap_or_else(|| panic!("no case {classname} {name}: {cases:#?}"))
    };
    let admin = case("rampart.RBAC001", "ClusterRoleBinding ci-admin");
    assert_eq!(admin[3], serde_json::json!(["Failure"]));
    assert!(
        admin[4]
            .as_str()
            .expect("message")
            .contains("cluster-admin"),
        "{admin}"
    );
    assert!(admin[5].as_str().expect("file").ends_with("cluster.yaml"));
    assert_eq!(admin[6], "1");
    let excepted = case("rampart.POD003", "Pod shop/cni");
    assert_eq!(excepted[3], serde_json::json!(["Skipped"]));
    assert!(
        excepted[4]
            .as_str()
            .expect("message")
            .starts_with("excepted by PostureException shop/cni-privileged until 2027-01-31T00:00:00Z (owner net-team)"),
        "{excepted}"
    );
    // A finding below --fail-on passes, with what it says as output.
    let below = cases
        .iter()
        .find(|c| c[2] == "Namespace shop" && c[3].as_array().is_some_and(|r| r.is_empty()))
        .unwrap_or_else(|| panic!("a passing case for Namespace shop: {cases:#?}"));
    assert!(
        below[7]
            .as_str()
            .is_some_and(|o| o.starts_with("below --fail-on: [")),
        "{below}"
    );
    // Every rule is a suite, those without findings one passing case.
    let suites = v["suites"].as_array().expect("suites");
    let rules = json(&rampart(&["rules", "--format", "json"]));
    assert_eq!(suites.len(), rules.as_array().expect("rules").len());
    let quiet = suites
        .iter()
        .find(|s| s[0].as_str().is_some_and(|n| n.starts_with("ENC001 ")))
        .expect("ENC001's suite");
    assert_eq!(
        (&quiet[1], &quiet[2], &quiet[3]),
        (&1.into(), &0.into(), &0.into())
    );
    let totals = &v["totals"];
    let failures = suites
        .iter()
        .map(|s| s[2].as_u64().expect("n"))
        .sum::<u64>();
    assert_eq!(totals[1].as_u64(), Some(failures));
    assert_eq!(totals[2], 1, "one case skipped: the excepted pod");
}

#[test]
fn github_annotations_point_at_files_and_escape_what_ends_a_command() {
    let dir = TempDir::new("github");
    let f = dir.write("cluster.yaml", MANIFESTS);
    let out = rampart(&[
        "scan",
        "--format",
        "github",
        "--as-of",
        "2026-12-01T00:00:00Z",
        f.to_str().expect("path"),
    ]);
    let text = stdout(&out);
    let file = f
        .to_str()
        .expect("path")
        .replace(':', "%3A")
        .replace(',', "%2C");
    let admin = text
        .lines()
        .find(|l| l.contains("title=RBAC001 "))
        .unwrap_or_else(|| panic!("no RBAC001 annotation: {text}"));
    assert!(
        admin.starts_with(&format!("::error file={file},line=1,title=RBAC001 ")),
        "{admin}"
    );
    let (props, message) = admin[2..].split_once("::").expect("a message");
    assert!(props.ends_with("(critical)"), "{props}");
    assert!(
        message.starts_with("ClusterRoleBinding ci-admin: "),
        "{message}"
    );
    assert!(message.contains("%0AFix: "), "lines are escaped: {message}");
    assert!(!message.contains('\n'));
    for line in text.lines() {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("::notice "),
            "{line}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("::warning ") || l.starts_with("::notice ")),
        "findings below high are not errors: {text}"
    );
    assert!(
        !text.contains("title=POD003"),
        "excepted findings are not annotated"
    );
    let last = text.lines().last().expect("a summary");
    assert!(last.starts_with("::notice title=Rampart::"), "{last}");
    assert!(last.ends_with("1 excepted"), "{last}");
}
