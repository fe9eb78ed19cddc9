//! `rampart scan` end to end, through the real binary.

mod common;

use common::*;

#[test]
fn json_report_has_findings_summary_score_and_scanned() {
    let dir = TempDir::new("json");
    let f = dir.write("rbac.yaml", CLUSTER_ADMIN_BINDING);
    let out = rampart(&["scan", "--format", "json", f.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let findings = v["findings"].as_array().expect("findings");
    let rbac001 = findings
        .iter()
        .find(|f| f["ruleId"] == "RBAC001")
        .expect("RBAC001 reported");
    assert_eq!(rbac001["severity"], "critical");
    assert_eq!(rbac001["resource"]["kind"], "ClusterRoleBinding");
    assert_eq!(rbac001["resource"]["name"], "ci-admin");
    assert_eq!(rbac001["fingerprint"].as_str().map(str::len), Some(16));
    assert!(v["summary"]["critical"].as_u64() >= Some(1));
    assert!(v["score"].as_u64() < Some(100));
    assert_eq!(v["scanned"]["ClusterRoleBinding"], 1);
}

#[test]
fn fingerprints_are_stable_across_runs() {
    let dir = TempDir::new("fp");
    let f = dir.write("rbac.yaml", CLUSTER_ADMIN_BINDING);
    let fp = |_| {
        let v = json(&rampart(&[
            "scan",
            "--format",
            "json",
            f.to_str().expect("path"),
        ]));
        v["findings"][0]["fingerprint"]
            .as_str()
            .expect("fp")
            .to_owned()
    };
    assert_eq!(fp(1), fp(2));
}

#[test]
fn sarif_points_at_file_and_line() {
    let dir = TempDir::new("sarif");
    let text = format!("{UNLABELLED_NAMESPACE}---\n# the binding\n{CLUSTER_ADMIN_BINDING}");
    let f = dir.write("all.yaml", text);
    let path = f.to_str().expect("path");
    let out = rampart(&["scan", "--format", "sarif", path]);
    let v = json(&out);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(
        rules
            .iter()
            .any(|r| r["id"] == "RBAC001" && r["properties"]["security-severity"] == "9.5")
    );
    let results = run["results"].as_array().expect("results");
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "RBAC001")
        .expect("RBAC001 result");
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], path);
    assert_eq!(
        loc["region"]["startLine"], 6,
        "binding document starts on line 6"
    );
    let ns = results
        .iter()
        .find(|r| r["ruleId"] == "NS001")
        .expect("NS001 result");
    assert_eq!(
        ns["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    let idx = r["ruleIndex"].as_u64().expect("index") as usize;
    assert_eq!(rules[idx]["id"], "RBAC001");
}

#[test]
fn table_groups_cluster_first_then_namespaces() {
    let dir = TempDir::new("table");
    let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: zeta}\nrules:\n- {apiGroups: [\"\"], resources: [secrets], verbs: [list]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: r, namespace: zeta}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects: [{kind: User, name: u, apiGroup: rbac.authorization.k8s.io}]\n";
    dir.write("a.yaml", format!("{CLUSTER_ADMIN_BINDING}---\n{role}"));
    let out = stdout(&rampart(&["scan", dir.path()]));
    let cluster = out.find("cluster (").expect("cluster group");
    let zeta = out.find("namespace zeta").expect("zeta group");
    assert!(cluster < zeta, "{out}");
    let critical = out.find("CRITICAL").expect("critical line");
    let info = out.find("INFO").expect("info line");
    assert!(critical < info, "most severe first: {out}");
    assert!(out.contains("Score "), "{out}");
    assert!(!out.contains('\u{1b}'), "no colour when not a terminal");
}

#[test]
fn fail_on_sets_exit_code() {
    let dir = TempDir::new("failon");
    let f = dir.write("rbac.yaml", CLUSTER_ADMIN_BINDING);
    let p = f.to_str().expect("path");
    assert_eq!(
        rampart(&["scan", p, "--fail-on", "critical"]).status.code(),
        Some(1)
    );
    let ns = dir.write("ns.yaml", UNLABELLED_NAMESPACE);
    let n = ns.to_str().expect("path");
    assert_eq!(
        rampart(&["scan", n, "--fail-on", "critical"]).status.code(),
        Some(0)
    );
    assert_eq!(
        rampart(&["scan", n, "--fail-on", "high"]).status.code(),
        Some(1)
    );
    assert_eq!(
        rampart(&["scan", n, "--fail-on", "bogus"]).status.code(),
        Some(2)
    );
}

#[test]
fn min_severity_hides_but_counts_stay_exact() {
    let dir = TempDir::new("minsev");
    let f = dir.write("ns.yaml", UNLABELLED_NAMESPACE);
    let v = json(&rampart(&[
        "scan",
        "--format",
        "json",
        "--min-severity",
        "critical",
        f.to_str().expect("path"),
    ]));
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["summary"]["high"], 1);
}

#[test]
fn reads_stdin() {
    let out = rampart_with_stdin(
        &["scan", "--format", "json", "-"],
        Some(CLUSTER_ADMIN_BINDING),
    );
    let v = json(&out);
    assert!(
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["ruleId"] == "RBAC001")
    );
}

#[test]
fn walks_directories_recursively_and_skips_hidden() {
    let dir = TempDir::new("walk");
    dir.write("a/b/c/rbac.yml", CLUSTER_ADMIN_BINDING);
    dir.write(
        "a/ns.json",
        r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"shop"}}"#,
    );
    dir.write(".git/config.yaml", "this: [is not: parsed");
    dir.write("a/README.md", "not a manifest");
    let out = rampart(&["scan", "--format", "json", "--strict", dir.path()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["scanned"]["ClusterRoleBinding"], 1);
    assert_eq!(v["scanned"]["Namespace"], 1);
}

#[test]
fn malformed_document_is_reported_and_the_rest_scanned() {
    let dir = TempDir::new("malformed");
    let f = dir.write(
        "mixed.yaml",
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: [oops\n---\n{CLUSTER_ADMIN_BINDING}"
        ),
    );
    let p = f.to_str().expect("path");
    let out = rampart(&["scan", "--format", "json", p]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{p}:")) && err.contains("malformed YAML"),
        "{err}"
    );
    let v = json(&out);
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(1));
    assert!(
        v["findings"]
            .as_array()
            .expect("f")
            .iter()
            .any(|f| f["ruleId"] == "RBAC001")
    );
    assert_eq!(rampart(&["scan", "--strict", p]).status.code(), Some(2));
}

#[test]
fn unknown_kinds_are_counted_not_errors() {
    let dir = TempDir::new("unknown");
    let f = dir.write("svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n");
    let out = rampart(&[
        "scan",
        "--format",
        "json",
        "--strict",
        f.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["unknownKinds"]["Service"], 1);
    assert_eq!(v["unknownKinds"]["Widget"], 1);
    assert!(stderr(&out).contains("skipped kinds"));
}

#[test]
fn empty_directory_warns() {
    let dir = TempDir::new("empty");
    let out = rampart(&["scan", dir.path()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("holds no .yaml"), "{}", stderr(&out));
    assert_eq!(
        rampart(&["scan", "--strict", dir.path()]).status.code(),
        Some(2)
    );
}

#[test]
fn missing_path_is_an_error() {
    let out = rampart(&["scan", "/definitely/not/here.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such file"), "{}", stderr(&out));
}

#[test]
fn binary_garbage_is_reported_without_panic() {
    let dir = TempDir::new("garbage");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    dir.write("garbage.yaml", &bytes);
    dir.write("ok.yaml", CLUSTER_ADMIN_BINDING);
    let out = rampart(&["scan", "--format", "json", dir.path()]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(
        err.contains("garbage.yaml") && !err.contains("panicked"),
        "{err}"
    );
    assert!(
        json(&out)["findings"]
            .as_array()
            .expect("f")
            .iter()
            .any(|f| f["ruleId"] == "RBAC001")
    );
}

#[test]
fn fifty_megabyte_file_scans() {
    let dir = TempDir::new("big");
    let mut text = String::with_capacity(52 * 1024 * 1024);
    let mut i = 0;
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-{i}\n  namespace: ns-{}\n  annotations: {{note: \"{}\"}}\n",
            i % 100,
            "x".repeat(400)
        ));
        i += 1;
    }
    let f = dir.write("big.yaml", &text);
    let out = rampart(&[
        "scan",
        "--format",
        "json",
        "--strict",
        f.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["scanned"]["ServiceAccount"], i);
    let refused = rampart(&["scan", "--max-file-size", "1000", f.to_str().expect("path")]);
    assert!(
        stderr(&refused).contains("over the limit"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn settings_exception_excepts_and_override_changes_severity() {
    let dir = TempDir::new("settings");
    let f = dir.write("rbac.yaml", CLUSTER_ADMIN_BINDING);
    let s = dir.write("settings.yaml", "severityOverrides: {NS001: low}\nexceptions:\n- apiVersion: rampart.dev/v1alpha1\n  kind: ClusterPostureException\n  metadata: {name: break-glass}\n  spec:\n    rules: [cluster-admin-binding]\n    resources: [{kind: ClusterRoleBinding, name: ci-admin}]\n    reason: break-glass, reviewed\n    owner: sec-team\n    expires: '2027-01-31T00:00:00Z'\n");
    let ns = dir.write("ns.yaml", UNLABELLED_NAMESPACE);
    let v = json(&rampart(&[
        "scan",
        "--format",
        "json",
        "--as-of",
        "2026-12-01T00:00:00Z",
        "--config",
        s.to_str().expect("p"),
        f.to_str().expect("p"),
        ns.to_str().expect("p"),
    ]));
    let findings = v["findings"].as_array().expect("f");
    assert!(!findings.iter().any(|f| f["ruleId"] == "RBAC001"));
    let excepted = v["excepted"].as_array().expect("excepted");
    assert_eq!(excepted.len(), 1, "{excepted:?}");
    assert_eq!(excepted[0]["ruleId"], "RBAC001");
    assert_eq!(excepted[0]["resource"]["name"], "ci-admin");
    assert_eq!(excepted[0]["exception"], "break-glass");
    assert_eq!(v["exceptions"][0]["source"], "settings");
    let ns001 = findings
        .iter()
        .find(|f| f["ruleId"] == "NS001")
        .expect("NS001");
    assert_eq!(ns001["severity"], "low");
    let bad = dir.write("bad.yaml", "exceptions: [{rule: '*'}]\n");
    let out = rampart(&[
        "scan",
        "--config",
        bad.to_str().expect("p"),
        f.to_str().expect("p"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("exception"), "{}", stderr(&out));
}

#[test]
fn encryption_config_flag_is_judged() {
    let dir = TempDir::new("enc");
    let ns = dir.write("ns.yaml", UNLABELLED_NAMESPACE);
    let enc = dir.write("enc.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n  - aesgcm: {keys: [{name: k, secret: c2VjcmV0}]}\n");
    let v = json(&rampart(&[
        "scan",
        "--format",
        "json",
        ns.to_str().expect("p"),
        "--encryption-config",
        enc.to_str().expect("p"),
    ]));
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .expect("f")
        .iter()
        .filter_map(|f| f["ruleId"].as_str())
        .collect();
    assert!(ids.contains(&"ENC002"), "{ids:?}");
    assert!(!ids.contains(&"ENC005"), "{ids:?}");
}

/// Metrics saved from the e2e control plane (`kubectl get --raw /metrics`, cut to the
/// encryption series and some unrelated ones) decide encryption at rest in a scan.
#[test]
fn apiserver_metrics_decide_encryption_state() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let demo_ns = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/hardened.yaml");
    let scan = |metrics: &str| {
        let out = rampart(&[
            "scan",
            demo_ns,
            "--format",
            "json",
            "--apiserver-metrics",
            &format!("{data}/{metrics}"),
        ]);
        json(&out)
    };
    let encrypted = scan("apiserver-metrics-aescbc.txt");
    assert_eq!(encrypted["encryption"]["state"], "encrypted", "{encrypted}");
    assert_eq!(encrypted["encryption"]["provider"], "aescbc");
    assert_eq!(encrypted["encryption"]["evidence"], "apiserver-metrics");
    let plain = scan("apiserver-metrics-identity-first.txt");
    assert_eq!(plain["encryption"]["state"], "unencrypted", "{plain}");
    let ids: Vec<&str> = plain["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["ruleId"].as_str())
        .collect();
    assert_eq!(ids, ["ENC006"]);
}

const NAMESPACE_LESS: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: app\n    image: registry.example/app:1\n    securityContext: {privileged: true}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader, namespace: team}\nrules: []\n";

#[test]
fn objects_without_a_namespace_are_judged_where_kubectl_would_put_them() {
    let out = rampart_with_stdin(
        &[
            "scan",
            "--format",
            "json",
            "--fail-on",
            "critical",
            "-n",
            "team",
            "-",
        ],
        Some(NAMESPACE_LESS),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    let privileged: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["ruleId"] == "POD003")
        .map(|f| format!("{}/{}", f["resource"]["namespace"], f["resource"]["name"]))
        .collect();
    assert_eq!(privileged, [r#""team"/"web""#]);
    let err = stderr(&out);
    assert_eq!(
        err.matches("name no namespace").count(),
        1,
        "said once, for both objects: {err}"
    );
    assert!(err.contains("2 object(s) name no namespace"), "{err}");
    assert!(
        err.contains(r#"ClusterRole reader names namespace "team", which is ignored"#),
        "{err}"
    );

    // Without --namespace, kubectl's default.
    let out = rampart_with_stdin(&["scan", "--format", "json", "-"], Some(NAMESPACE_LESS));
    let v = json(&out);
    assert!(
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["ruleId"] == "POD003" && f["resource"]["namespace"] == "default"),
        "{v}"
    );
}

/// A directory read on every core is placed as one stream: the objects of every file
/// counted once, the ignored namespaces warned about in the files' order, and a later
/// file's copy of an object replacing an earlier one's, as in one multi-document file.
#[test]
fn a_directory_of_namespace_less_files_is_placed_as_one_stream() {
    let dir = TempDir::new("placed");
    for i in 0..24 {
        let mut text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: web-{i:02}}}\nspec:\n  containers:\n  \
             - name: app\n    image: registry.example/app:1\n    securityContext: {{privileged: true}}\n"
        );
        if i % 6 == 1 {
            text.push_str(&format!(
                "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n\
                 metadata: {{name: reader-{i:02}, namespace: team}}\nrules: []\n"
            ));
        }
        // A namespace-less exception is placed (and counted) once too.
        if i == 12 {
            text.push_str(
                "---\napiVersion: rampart.dev/v1alpha1\nkind: PostureException\n\
                 metadata: {name: nothing}\nspec: {rules: [POD001], resources: [{kind: Pod, name: none}], \
                 reason: reviewed, owner: platform, expires: '2099-01-01T00:00:00Z'}\n",
            );
        }
        // The last file says again what the first said, without the privilege.
        if i == 23 {
            text.push_str(
                "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-00}\nspec:\n  containers:\n  \
                 - name: app\n    image: registry.example/app:1\n",
            );
        }
        dir.write(&format!("f{i:02}.yaml"), text);
    }
    let out = rampart(&["scan", "--format", "json", "-n", "team", dir.path()]);
    let err = stderr(&out);
    assert!(err.contains("26 object(s) name no namespace"), "{err}");
    let ignored: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("which is ignored"))
        .filter_map(|l| l.split("ClusterRole ").nth(1)?.split(' ').next())
        .collect();
    assert_eq!(
        ignored,
        ["reader-01", "reader-07", "reader-13", "reader-19"]
    );
    let v = json(&out);
    let mut privileged: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["ruleId"] == "POD003" && f["resource"]["namespace"] == "team")
        .filter_map(|f| f["resource"]["name"].as_str().map(str::to_owned))
        .collect();
    privileged.sort();
    let expected: Vec<String> = (1..24).map(|i| format!("web-{i:02}")).collect();
    assert_eq!(
        privileged, expected,
        "web-00 was replaced by its later copy"
    );
}

/// The demo's control plane (an ApiServerProbe, kube-apiserver pods, two Nodes) in the
/// JSON report, in the ClusterPostureReport's shape, and in the table's two lines.
#[test]
fn demo_shows_the_control_plane_verdicts_and_their_evidence() {
    let as_of = ["--as-of", "2026-12-01T00:00:00Z"];
    let out = rampart(&[&["scan", "--demo", "--format", "json"][..], &as_of].concat());
    let v = json(&out);
    let cp = &v["controlPlane"];
    let check = |name: &str| (cp[name]["state"].clone(), cp[name]["evidence"].clone());
    assert_eq!(
        check("anonymous"),
        ("exposed".into(), "probe".into()),
        "{cp}"
    );
    assert_eq!(
        check("authorization"),
        ("node-rbac".into(), "apiserver-flags".into())
    );
    assert_eq!(
        check("auditLogging"),
        ("off".into(), "apiserver-flags".into())
    );
    assert_eq!(check("admission"), ("ok".into(), "apiserver-flags".into()));
    assert!(
        cp["anonymous"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/api/v1/pods")),
        "{cp}"
    );
    let version = &cp["version"];
    assert_eq!(
        version["state"], "end-of-life",
        "the worse of the two: {version}"
    );
    assert_eq!(
        version["apiServer"],
        serde_json::json!({"version": "v1.37.1", "state": "patch-behind", "evidence": "probe"})
    );
    let kubelets = &version["kubelets"];
    assert_eq!(kubelets["state"], "end-of-life");
    assert_eq!(kubelets["nodes"], 2);
    assert_eq!(kubelets["byState"]["current"], 1);
    assert_eq!(kubelets["byState"]["endOfLife"], 1);
    let versions: Vec<(&str, &str, u64)> = kubelets["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|k| {
            Some((
                k["version"].as_str()?,
                k["state"].as_str()?,
                k["nodes"].as_u64()?,
            ))
        })
        .collect();
    assert_eq!(
        versions,
        [("v1.33.13", "end-of-life", 1), ("v1.37.2", "current", 1)],
        "worst first"
    );
    assert!(
        version["releaseTable"]
            .as_str()
            .is_some_and(|d| d.len() == 10 && d.starts_with("20")),
        "{version}"
    );

    let table = stdout(&rampart(&[&["scan", "--demo"][..], &as_of].concat()));
    assert!(
        table.contains(
            "\nControl plane: anonymous exposed (probe), authorization node-rbac \
             (apiserver-flags), audit logging off (apiserver-flags), admission ok \
             (apiserver-flags).\n"
        ),
        "{table}"
    );
    assert!(
        table.contains(
            "\nKubernetes end-of-life: API server v1.37.1 patch-behind (probe); kubelets: \
             1 current, 1 end-of-life (release table of "
        ),
        "{table}"
    );
}

/// Manifests that show nothing of the control plane: unknown verdicts in the JSON, one
/// line in the table instead of five unknowns.
#[test]
fn manifests_without_a_control_plane_say_so_once() {
    let dir = TempDir::new("no-control-plane");
    let f = dir.write("rbac.yaml", CLUSTER_ADMIN_BINDING);
    let path = f.to_str().expect("path");
    let v = json(&rampart(&["scan", "--format", "json", path]));
    let cp = &v["controlPlane"];
    for check in ["anonymous", "authorization", "auditLogging", "admission"] {
        assert_eq!(cp[check]["state"], "unknown", "{check}: {cp}");
        assert_eq!(cp[check]["evidence"], "none", "{check}");
    }
    assert_eq!(cp["version"]["state"], "unknown");
    assert_eq!(cp["version"]["apiServer"]["evidence"], "none");
    assert!(cp["version"]["apiServer"].get("version").is_none(), "{cp}");
    assert_eq!(cp["version"]["kubelets"]["nodes"], 0);
    let table = stdout(&rampart(&["scan", path]));
    assert!(
        table.contains(
            "\nControl plane: unknown (no kube-apiserver pod, API server probe or Node in the input).\n"
        ),
        "{table}"
    );
    assert!(!table.contains("\nKubernetes "), "{table}");
}
