//! `rampart scan --format junit` read by junitparser (the JUnit reader CI tools build on),
//! `--format sarif` validated against the OASIS SARIF 2.1.0 schema by jsonschema (both
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

/// The OASIS SARIF 2.1.0 schema, unchanged (where it comes from: `tests/data/sarif/README.md`).
const SARIF_SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/sarif/sarif-schema-2.1.0.json"
);

/// Validates each log named on the command line against the schema named first and prints,
/// per log, every error as `path: message`. Draft 4 is the schema's own `$schema`; the format
/// checker makes `uri` and `uri-reference` count, which rfc3986-validator decides.
const VALIDATE: &str = r#"
import json, sys
from jsonschema import Draft4Validator, FormatChecker
with open(sys.argv[1], encoding="utf-8") as f:
    schema = json.load(f)
Draft4Validator.check_schema(schema)
validator = Draft4Validator(schema, format_checker=FormatChecker())
report = {}
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as f:
        log = json.load(f)
    errors = sorted(validator.iter_errors(log), key=lambda e: [str(p) for p in e.absolute_path])
    report[path] = ["/".join(str(p) for p in e.absolute_path) + ": " + e.message[:300] for e in errors]
print(json.dumps(report))
"#;

/// Every log's schema errors, by path, as the validator reports them.
fn sarif_errors(logs: &[&std::path::Path]) -> serde_json::Map<String, serde_json::Value> {
    let python = std::env::var("RAMPART_SARIF_PYTHON").unwrap_or_else(|_| {
        panic!("RAMPART_SARIF_PYTHON is not set: run scripts/junit-reader (scripts/test does)")
    });
    let out = Command::new(python)
        .args(["-c", VALIDATE, SARIF_SCHEMA])
        .args(logs)
        .output()
        .expect("run jsonschema");
    assert!(
        out.status.success(),
        "jsonschema could not validate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).expect("the validator prints JSON") {
        serde_json::Value::Object(report) => report,
        other => panic!("not a report per log: {other}"),
    }
}

/// Writes `rampart scan --format sarif` of `args` to `dir/name` and returns its path.
fn sarif_log(dir: &TempDir, name: &str, args: &[&str]) -> std::path::PathBuf {
    let log = dir.0.join(name);
    let path = log.to_str().expect("path");
    let out = rampart(&[&["scan", "--format", "sarif", "--output", path], args].concat());
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{name}: {}",
        stderr(&out)
    );
    log
}

/// A ClusterPostureException given with `--exceptions`: the admin binding accepted.
const ACCEPTED_ADMIN: &str = "apiVersion: rampart.dev/v1alpha1
kind: ClusterPostureException
metadata: {name: ci-admin}
spec: {rules: [RBAC001], resources: [{kind: ClusterRoleBinding, name: ci-admin}], reason: the CI cluster is disposable, owner: ci-team, expires: '2027-01-31T00:00:00Z'}
";

#[test]
fn sarif_logs_validate_against_the_oasis_schema() {
    let dir = TempDir::new("sarif-schema");
    // A directory name with a space, a `#` and a non-ASCII letter: each must be encoded
    // for the file's location to be a URI reference.
    let manifests = dir.write("team #1/ü/cluster.yaml", MANIFESTS);
    let manifests = manifests.to_str().expect("path");
    let accepted = dir.write("accepted.yaml", ACCEPTED_ADMIN);
    let as_of = ["--as-of", "2026-12-01T00:00:00Z"];
    let logs = [
        sarif_log(
            &dir,
            "manifests.sarif",
            &[&as_of[..], &[manifests]].concat(),
        ),
        sarif_log(
            &dir,
            "exceptions.sarif",
            &[
                &as_of[..],
                &["--exceptions", accepted.to_str().expect("path"), manifests],
            ]
            .concat(),
        ),
        sarif_log(&dir, "demo.sarif", &["--demo"]),
    ];

    // The logs hold every shape of result Rampart writes, so each is validated here.
    let mut severities = std::collections::BTreeSet::new();
    let (mut in_files, mut without_files, mut suppressed) = (0, 0, 0);
    for log in &logs {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(log).expect("the log")).expect("JSON");
        for r in v["runs"][0]["results"].as_array().expect("results") {
            severities.insert(
                r["properties"]["severity"]
                    .as_str()
                    .expect("severity")
                    .to_owned(),
            );
            let location = &r["locations"][0];
            in_files += usize::from(location.get("physicalLocation").is_some());
            without_files += usize::from(location.get("logicalLocations").is_some());
            suppressed += usize::from(r.get("suppressions").is_some());
        }
    }
    assert_eq!(
        severities.into_iter().collect::<Vec<_>>(),
        ["critical", "high", "info", "low", "medium"]
    );
    assert!(
        in_files > 0 && without_files > 0,
        "{in_files} {without_files}"
    );
    assert_eq!(
        suppressed, 3,
        "the pod excepted in both manifest scans, the binding with --exceptions"
    );

    let report = sarif_errors(&logs.iter().map(|l| l.as_path()).collect::<Vec<_>>());
    assert_eq!(report.len(), logs.len(), "{report:#?}");
    let invalid: Vec<_> = report
        .iter()
        .filter(|(_, errors)| errors.as_array().is_none_or(|e| !e.is_empty()))
        .collect();
    assert!(invalid.is_empty(), "not valid SARIF 2.1.0: {invalid:#?}");
}

/// The validator rejects what the schema forbids, so a passing log above is a verdict.
#[test]
fn sarif_validator_rejects_a_result_without_message_and_a_path_as_uri() {
    let dir = TempDir::new("sarif-broken");
    let manifests = dir.write("cluster.yaml", MANIFESTS);
    let log = sarif_log(
        &dir,
        "valid.sarif",
        &[
            "--as-of",
            "2026-12-01T00:00:00Z",
            manifests.to_str().expect("path"),
        ],
    );
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&log).expect("the log")).expect("JSON");
    let results = &mut v["runs"][0]["results"];
    results[0]
        .as_object_mut()
        .expect("a result")
        .remove("message");
    let uri = results
        .as_array_mut()
        .expect("results")
        .iter_mut()
        .find_map(|r| r.pointer_mut("/locations/0/physicalLocation/artifactLocation/uri"))
        .expect("a result in a file");
    *uri = "team #1/cluster.yaml".into();
    let broken = dir.write("broken.sarif", serde_json::to_vec(&v).expect("JSON"));

    let report = sarif_errors(&[&log, &broken]);
    let errors = |p: &std::path::Path| -> Vec<String> {
        report[p.to_str().expect("path")]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e.as_str().expect("an error").to_owned())
            .collect()
    };
    assert_eq!(errors(&log), Vec::<String>::new());
    let broken = errors(&broken);
    assert!(
        broken
            .iter()
            .any(|e| e == "runs/0/results/0: 'message' is a required property"),
        "{broken:#?}"
    );
    assert!(
        broken
            .iter()
            .any(|e| e.ends_with("'team #1/cluster.yaml' is not a 'uri-reference'")),
        "{broken:#?}"
    );
}
