//! `rampart scan` with exceptions: from scanned manifests and `--exceptions` files, judged
//! at `--as-of`, in every format, and out of the exit code.

mod common;
use common::*;

/// Two privileged pods in `net`: the CNI's, which an exception accepts, and a debug pod.
const PODS: &str = "apiVersion: v1
kind: Pod
metadata: {name: cni-node-1, namespace: net, labels: {app: cni}}
spec: {containers: [{name: c, image: registry.example/cni:1.0, securityContext: {privileged: true}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: net}
spec: {containers: [{name: c, image: registry.example/debug:1.0, securityContext: {privileged: true}}]}
";

fn exception(kind: &str, name: &str, namespace: Option<&str>, spec: &str) -> String {
    format!(
        "apiVersion: rampart.dev/v1alpha1\nkind: {kind}\nmetadata: {{name: {name}{}}}\nspec:\n{spec}",
        namespace
            .map(|ns| format!(", namespace: {ns}"))
            .unwrap_or_default()
    )
}

const CNI_SPEC: &str = "  rules: [POD003]\n  resources: [{kind: Pod, selector: {matchLabels: {app: cni}}}]\n  reason: CNI plugin configures host networking\n  owner: platform-team\n  expires: '2027-01-31T00:00:00Z'\n  ticket: https://tracker.example/SEC-12\n";

const AS_OF: &str = "2026-12-01T00:00:00Z";

fn privileged(v: &serde_json::Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|f| f["ruleId"] == "POD003")
        .map(|f| f["resource"]["name"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn an_exception_in_the_scanned_manifests_excepts_what_it_covers() {
    let dir = TempDir::new("exc-manifest");
    let text = format!(
        "{PODS}---\n{}",
        exception("PostureException", "cni-privileged", Some("net"), CNI_SPEC)
    );
    let f = dir.write("app.yaml", text);
    let p = f.to_str().expect("path");
    let base = ["scan", "--as-of", AS_OF, p];
    let out = rampart(&[&base[..], &["--format", "json"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(privileged(&v, "findings"), ["debug"]);
    assert_eq!(privileged(&v, "excepted"), ["cni-node-1"]);
    let x = &v["excepted"][0];
    assert_eq!(x["exception"], "net/cni-privileged");
    assert_eq!(x["owner"], "platform-team");
    assert_eq!(x["expires"], "2027-01-31T00:00:00Z");
    assert_eq!(x["severity"], "critical");
    let e = &v["exceptions"][0];
    assert_eq!(e["kind"], "PostureException");
    assert_eq!(
        (e["name"].as_str(), e["namespace"].as_str()),
        (Some("cni-privileged"), Some("net"))
    );
    assert_eq!(
        (e["state"].as_str(), e["matched"].as_u64()),
        (Some("Active"), Some(1))
    );
    assert_eq!(e["ticket"], "https://tracker.example/SEC-12");
    assert!(
        e["source"]
            .as_str()
            .expect("source")
            .ends_with("app.yaml:11"),
        "{e}"
    );
    // The excepted finding counts nowhere: the summary holds the debug pod's alone.
    let without = json(&rampart(&[
        "scan",
        "--format",
        "json",
        dir.write("pods.yaml", PODS).to_str().expect("p"),
    ]));
    assert_eq!(
        v["summary"]["critical"].as_u64().expect("n") + 1,
        without["summary"]["critical"].as_u64().expect("n")
    );
    assert!(v["score"].as_u64() > without["score"].as_u64());

    let table = stdout(&rampart(&base));
    assert!(
        table.contains("1 findings excepted by 1 exception(s)"),
        "{table}"
    );
    assert!(!table.contains("POD003    Pod net/cni-node-1"), "{table}");
    assert!(table.contains("POD003    Pod net/debug"), "{table}");

    let sarif = json(&rampart(&[&base[..], &["--format", "sarif"]].concat()));
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let suppressed: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    let s = &suppressed[0]["suppressions"][0];
    assert_eq!(s["kind"], "external");
    let why = s["justification"].as_str().expect("justification");
    assert!(
        why.starts_with("excepted by PostureException net/cni-privileged until 2027-01-31T00:00:00Z (owner platform-team): CNI plugin"),
        "{why}"
    );
}

#[test]
fn fail_on_counts_open_findings_only() {
    let dir = TempDir::new("exc-fail-on");
    let f = dir.write("pod.yaml", PODS.split("---").next().expect("first pod"));
    let e = dir.write(
        "exceptions.yaml",
        exception("PostureException", "cni-privileged", Some("net"), CNI_SPEC),
    );
    let (f, e) = (f.to_str().expect("p"), e.to_str().expect("p"));
    let open = rampart(&["scan", "--as-of", AS_OF, "--fail-on", "high", f]);
    assert_eq!(open.status.code(), Some(1), "{}", stderr(&open));
    let excepted = rampart(&[
        "scan",
        "--as-of",
        AS_OF,
        "--fail-on",
        "high",
        "--exceptions",
        e,
        f,
    ]);
    assert_eq!(excepted.status.code(), Some(0), "{}", stdout(&excepted));
}

#[test]
fn expired_invalid_and_stale_exceptions_are_reported_and_cover_nothing() {
    let dir = TempDir::new("exc-states");
    let f = dir.write("pods.yaml", PODS);
    let too_far = CNI_SPEC.replace("2027-01-31", "2028-01-31");
    let nothing = CNI_SPEC.replace("app: cni", "app: none");
    let escaping = CNI_SPEC.replace("{kind: Pod,", "{kind: Pod, namespace: kube-system,");
    let docs = [
        exception("PostureException", "cni-privileged", Some("net"), CNI_SPEC),
        exception("PostureException", "too-far", Some("net"), &too_far),
        exception("ClusterPostureException", "matches-nothing", None, &nothing),
        exception("PostureException", "escaping", Some("net"), &escaping),
    ]
    .join("---\n");
    let e = dir.write("exceptions.yaml", docs);
    let (f, e) = (f.to_str().expect("p"), e.to_str().expect("p"));
    let scan = |as_of: &str| {
        rampart(&[
            "scan",
            "--format",
            "json",
            "--as-of",
            as_of,
            "--exceptions",
            e,
            f,
        ])
    };
    let out = scan(AS_OF);
    let v = json(&out);
    let states: Vec<(String, String)> = v["exceptions"]
        .as_array()
        .expect("exceptions")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().expect("n").to_owned(),
                e["state"].as_str().expect("s").to_owned(),
            )
        })
        .collect();
    let want = [
        ("cni-privileged", "Active"),
        ("too-far", "Invalid"),
        ("matches-nothing", "Stale"),
        ("escaping", "Invalid"),
    ];
    assert_eq!(states, want.map(|(n, s)| (n.to_owned(), s.to_owned())));
    assert!(
        v["exceptions"][1]["invalid"]
            .as_str()
            .expect("why")
            .contains("more than 180 days ahead")
    );
    assert!(
        v["exceptions"][3]["invalid"]
            .as_str()
            .expect("why")
            .contains("covers only its own namespace (net)")
    );
    let err = stderr(&out);
    assert!(
        err.contains("PostureException net/too-far is invalid and covers nothing"),
        "{err}"
    );
    assert!(
        err.contains("ClusterPostureException matches-nothing covers no finding (stale)"),
        "{err}"
    );
    assert_eq!(privileged(&v, "excepted"), ["cni-node-1"]);

    // At its expiry the exception stops applying: the finding is open again.
    let later = scan("2027-01-31T00:00:00Z");
    let v = json(&later);
    assert_eq!(privileged(&v, "findings"), ["cni-node-1", "debug"]);
    assert_eq!(v["exceptions"][0]["state"], "Expired");
    assert!(
        stderr(&later).contains("PostureException net/cni-privileged expired at 2027-01-31T00:00:00Z: its findings are open again"),
        "{}",
        stderr(&later)
    );
}

#[test]
fn exceptions_files_hold_exceptions_only_and_names_are_unique() {
    let dir = TempDir::new("exc-files");
    let f = dir.write("pods.yaml", PODS);
    let docs = format!(
        "{}---\n{}---\n{PODS}",
        exception("ClusterPostureException", "twice", None, CNI_SPEC),
        exception("ClusterPostureException", "twice", None, CNI_SPEC),
    );
    let e = dir.write("exceptions.yaml", docs);
    let out = rampart(&[
        "scan",
        "--format",
        "json",
        "--as-of",
        AS_OF,
        "--exceptions",
        e.to_str().expect("p"),
        f.to_str().expect("p"),
    ]);
    let v = json(&out);
    assert_eq!(v["exceptions"][0]["state"], "Active");
    assert_eq!(v["exceptions"][1]["state"], "Invalid");
    assert!(
        v["exceptions"][1]["invalid"]
            .as_str()
            .expect("why")
            .starts_with("another exception is named twice")
    );
    let errors: Vec<&str> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["message"].as_str().expect("message"))
        .collect();
    assert_eq!(
        errors,
        ["Pod is not an exception; --exceptions files hold PostureException and ClusterPostureException documents only";
            2]
    );
    // The pods in the exceptions file are not scanned.
    assert_eq!(v["scanned"]["Pod"], 2);
}
