//! The Helm chart (`manifests/helm/rampart`) through the real helm, built from its Go module
//! by `e2e/helm/build.sh` (`RAMPART_E2E_HELM`), and the shared control plane:
//!
//! ```text
//! chart ──helm lint──> clean, defaults and every toggle
//!       ──helm template──> the plain install's objects (parsed, compared) ──kubectl apply --dry-run=server
//!       ──helm install──> objects in the cluster ──SubjectAccessReviews──> the intended grants
//!                                               ──ReplicaSet controller──> pods admitted by restricted Pod Security
//! ```
//!
//! The chart's cluster-scoped objects are named after the release, and every release on
//! the shared cluster is named after a test namespace of its own, so nothing collides with
//! the plain install's `rampart` ClusterRole that other tests apply, nor with another test.
//! The README's commands, which name the release `rampart`, run on a control plane of their
//! own.

use anyhow::{Context as _, Result, bail, ensure};
use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use kube::Api;
use kube::api::PostParams;
use rampart_e2e::operator::{rampart_bin, repo};
use rampart_e2e::{Cluster, ExtraCluster, TestNamespace, wait_for};
use rampart_testkit::yaml;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Labels Helm charts add that the plain manifests do not carry.
const HELM_LABELS: [&str; 4] = [
    "helm.sh/chart",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
];

/// Every toggle and value away from its default.
const ALL_ON: &str = r#"
replicas: 2
image: {repository: registry.example/rampart, tag: "0.1.1", pullPolicy: IfNotPresent}
imagePullSecrets: [{name: registry-login}]
resources:
  requests: {cpu: 100m, memory: 256Mi}
  limits: {cpu: "1", memory: 1Gi}
operator:
  logFormat: text
  eventMinSeverity: medium
  includeNamespaces: [shop, "team-*"]
  excludeNamespaces: [kube-system]
  extraArgs: [--resync-seconds, "300"]
settings:
  disabledRules: [POD024]
  severityOverrides: {ESC001: low}
openReports: {enabled: true}
apiserverMetrics: {enabled: true}
exceptionEditor: {enabled: true, aggregateToAdmin: true}
networkPolicy:
  enabled: true
  denyAllInNamespace: false
  apiServerCIDRs: [192.0.2.10/32, 192.0.2.11/32]
  apiServerPorts: [6443]
monitoring:
  serviceMonitor: {enabled: true, labels: {release: prom}}
  prometheusRule: {enabled: true, labels: {release: prom}}
  dashboard: {enabled: true, labels: {team: security}}
podAnnotations: {example.com/owner: security}
priorityClassName: system-cluster-critical
"#;

/// Every object of manifests/optional/ and manifests/monitoring/ (its kustomization's), and
/// nothing else changed.
const OPTIONAL_OBJECTS: &str = r#"
openReports: {enabled: true}
apiserverMetrics: {enabled: true}
exceptionEditor: {enabled: true}
monitoring:
  serviceMonitor: {enabled: true}
  prometheusRule: {enabled: true}
  dashboard: {enabled: true}
"#;

fn chart() -> PathBuf {
    repo().join("manifests/helm/rampart")
}

/// The helm binary that `e2e/helm/build.sh` built (`scripts/test` exports its path).
fn helm_bin() -> PathBuf {
    match std::env::var_os("RAMPART_E2E_HELM") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => panic!(
            "RAMPART_E2E_HELM is not set: the chart's tests need helm. Run \
             `export RAMPART_E2E_HELM=$(bash e2e/helm/build.sh)` (cached after the first \
             build), or scripts/test, which does it."
        ),
    }
}

/// A scratch directory for this test process: helm's home and values files. In the
/// cluster's state directory where there is one, so `cluster.sh down` removes it.
fn scratch() -> Result<PathBuf> {
    let base = std::env::var_os("RAMPART_E2E_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let dir = base.join(format!("helm-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Writes `text` as a values file and returns its path.
fn values_file(name: &str, text: &str) -> Result<PathBuf> {
    let path = scratch()?.join(format!("{name}.yaml"));
    std::fs::write(&path, text)?;
    Ok(path)
}

/// helm with a home of its own (no user's repositories or plugins), against `kubeconfig`.
fn helm_command(kubeconfig: Option<&Path>) -> Result<Command> {
    let home = scratch()?.join("home");
    let mut cmd = Command::new(helm_bin());
    cmd.env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env_remove("HELM_NAMESPACE")
        .current_dir(repo());
    match kubeconfig {
        Some(path) => cmd.env("KUBECONFIG", path),
        // A render needs no cluster: make sure it never reaches one.
        None => cmd.env("KUBECONFIG", "/nonexistent"),
    };
    Ok(cmd)
}

fn run(mut cmd: Command, stdin: Option<&str>) -> Result<Output> {
    let what = format!("{cmd:?}");
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().with_context(|| format!("running {what}"))?;
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(text.as_bytes())?;
    }
    child
        .wait_with_output()
        .with_context(|| format!("running {what}"))
}

/// Stdout of a command that must succeed; its stderr otherwise.
fn ok(cmd: Command, stdin: Option<&str>) -> Result<String> {
    let what = format!("{cmd:?}");
    let out = run(cmd, stdin)?;
    if !out.status.success() {
        bail!(
            "{what} exited with {}:\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn helm(args: &[&str]) -> Result<String> {
    let mut cmd = helm_command(None)?;
    cmd.args(args);
    ok(cmd, None)
}

/// `helm template RELEASE chart -n NAMESPACE [-f values]`, as parsed documents.
fn render(release: &str, namespace: &str, values: Option<&Path>) -> Result<Vec<Value>> {
    let chart = chart();
    let mut args = vec![
        "template",
        release,
        chart.to_str().context("chart path")?,
        "--namespace",
        namespace,
    ];
    if let Some(values) = values {
        args.extend(["--values", values.to_str().context("values path")?]);
    }
    Ok(yaml::documents(&helm(&args)?))
}

fn kubectl(cluster: &Cluster) -> Command {
    let mut cmd = Command::new(cluster.bin.join("kubectl"));
    cmd.arg("--kubeconfig").arg(&cluster.kubeconfig);
    cmd
}

/// (kind, name) of each object, to find it among others.
fn key(obj: &Value) -> (String, String) {
    (
        obj["kind"].as_str().unwrap_or_default().to_owned(),
        obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn by_key(objects: Vec<Value>) -> BTreeMap<(String, String), Value> {
    objects.into_iter().map(|o| (key(&o), o)).collect()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| key(o) == (kind.to_owned(), name.to_owned()))
        .unwrap_or_else(|| panic!("no {kind} {name} in the render"))
}

/// The objects of these repository files.
fn manifests(files: &[&str]) -> Vec<Value> {
    files
        .iter()
        .flat_map(|f| {
            let path = repo().join(f);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            yaml::documents(&text)
        })
        .collect()
}

/// A map of label names to values: `labels`, `matchLabels`, and a Service's `selector`
/// (a Deployment's holds `matchLabels` instead).
fn is_label_map(key: &str, value: &Value) -> bool {
    matches!(key, "labels" | "matchLabels" | "selector")
        && value
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string))
}

/// Removes Helm's own labels from every label map and selector of `v`.
fn strip_helm_labels(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if is_label_map(k, child)
                    && let Value::Object(labels) = child
                {
                    for label in HELM_LABELS {
                        labels.remove(label);
                    }
                }
                strip_helm_labels(child);
            }
            map.retain(|k, child| {
                !(is_label_map(k, child) && child.as_object().is_some_and(|l| l.is_empty()))
            });
        }
        Value::Array(items) => items.iter_mut().for_each(strip_helm_labels),
        _ => {}
    }
}

/// Asserts that the chart rendered exactly the `expected` objects, but for Helm's labels,
/// and for the `app.kubernetes.io/name` label the chart puts on every object where a plain
/// manifest has none (selectors and pod labels are compared whole).
fn assert_same_objects(rendered: Vec<Value>, expected: Vec<Value>, what: &str) {
    let mut rendered = by_key(rendered);
    let expected = by_key(expected);
    assert_eq!(
        rendered.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{what}: the chart renders other objects than the manifests hold"
    );
    for (k, want) in &expected {
        let got = rendered.get_mut(k).expect("the same keys");
        strip_helm_labels(got);
        let plain_has_name = want["metadata"]["labels"]
            .get("app.kubernetes.io/name")
            .is_some();
        if !plain_has_name && let Some(labels) = got["metadata"]["labels"].as_object_mut() {
            labels.remove("app.kubernetes.io/name");
            if labels.is_empty() {
                got["metadata"]
                    .as_object_mut()
                    .expect("metadata")
                    .remove("labels");
            }
        }
        assert!(
            got == want,
            "{what}: {} {} differs from the manifest\nchart:    {}\nmanifest: {}",
            k.0,
            k.1,
            serde_json::to_string_pretty(got).unwrap_or_default(),
            serde_json::to_string_pretty(want).unwrap_or_default()
        );
    }
}

/// The plain install of manifests/ but for what Helm cannot own: the namespace itself and
/// the `default` ServiceAccount its controller creates (NOTES.txt says how to set them).
fn plain_install() -> Vec<Value> {
    let all = manifests(&[
        "manifests/00-namespace.yaml",
        "manifests/10-rbac.yaml",
        "manifests/20-networkpolicy.yaml",
        "manifests/30-deployment.yaml",
        "manifests/40-service.yaml",
    ]);
    let (left_out, kept): (Vec<_>, Vec<_>) = all.into_iter().partition(|o| {
        o["kind"] == "Namespace"
            || (o["kind"] == "ServiceAccount" && o["metadata"]["name"] == "default")
    });
    assert_eq!(
        left_out.len(),
        2,
        "only the Namespace and its default ServiceAccount"
    );
    kept
}

fn container(deployment: &Value) -> &Value {
    &deployment["spec"]["template"]["spec"]["containers"][0]
}

fn args(deployment: &Value) -> Vec<String> {
    container(deployment)["args"]
        .as_array()
        .expect("container args")
        .iter()
        .map(|a| a.as_str().expect("string args").to_owned())
        .collect()
}

#[test]
fn chart_copies_are_the_files_they_copy() {
    // Helm reads only files inside the chart; `just helm-sync` refreshes the copies.
    for (copy, original) in [
        ("crds/rampart.yaml", "crds/rampart.yaml"),
        (
            "files/monitoring/servicemonitor.yaml",
            "manifests/monitoring/servicemonitor.yaml",
        ),
        (
            "files/monitoring/prometheusrule.yaml",
            "manifests/monitoring/prometheusrule.yaml",
        ),
        (
            "files/monitoring/dashboard-configmap.yaml",
            "manifests/monitoring/dashboard-configmap.yaml",
        ),
    ] {
        let copy_bytes = std::fs::read(chart().join(copy)).expect("the chart's copy");
        let original_bytes = std::fs::read(repo().join(original)).expect("the original");
        assert!(
            copy_bytes == original_bytes,
            "manifests/helm/rampart/{copy} differs from {original}: run `just helm-sync`"
        );
    }
    // Only the CRD file: helm would install anything in crds/ as a CRD.
    let crds: Vec<_> = std::fs::read_dir(chart().join("crds"))
        .expect("crds/")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(crds, ["rampart.yaml"]);
}

#[test]
fn chart_app_version_is_the_plain_deployments_image_tag() {
    let chart_yaml = yaml::document(&std::fs::read_to_string(chart().join("Chart.yaml")).unwrap());
    let deployment = manifests(&["manifests/30-deployment.yaml"]).remove(0);
    let image = container(&deployment)["image"].as_str().unwrap().to_owned();
    let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap();
    assert_eq!(chart_yaml["appVersion"], tag);
    assert_eq!(chart_yaml["apiVersion"], "v2");
    assert_eq!(chart_yaml["name"], "rampart");
}

#[test]
fn lint_passes_with_defaults_and_with_every_toggle_on() -> Result<()> {
    let chart = chart();
    let chart = chart.to_str().unwrap();
    let all_on = values_file("lint-all-on", ALL_ON)?;
    for values in [None, Some(all_on.to_str().unwrap())] {
        let mut args = vec!["lint", "--strict", chart];
        args.extend(values.map(|v| ["--values", v]).into_iter().flatten());
        let out = helm(&args)?;
        assert!(
            out.contains("1 chart(s) linted, 0 chart(s) failed"),
            "{values:?}: {out}"
        );
        assert!(!out.contains("[WARNING]"), "{values:?}: {out}");
    }
    Ok(())
}

#[test]
fn default_render_is_the_plain_install() -> Result<()> {
    // The release named as the chart, in the plain install's namespace: the same names.
    let rendered = render("rampart", "rampart-system", None)?;
    assert_same_objects(rendered, plain_install(), "default values");
    Ok(())
}

#[test]
fn optional_objects_render_as_their_files() -> Result<()> {
    let values = values_file("optional-objects", OPTIONAL_OBJECTS)?;
    let rendered = render("rampart", "rampart-system", Some(&values))?;
    let mut expected = plain_install();
    expected.extend(manifests(&[
        "manifests/optional/openreports-rbac.yaml",
        "manifests/optional/apiserver-metrics-rbac.yaml",
        "manifests/optional/exception-editor-rbac.yaml",
        "manifests/monitoring/servicemonitor.yaml",
        "manifests/monitoring/prometheusrule.yaml",
        "manifests/monitoring/dashboard-configmap.yaml",
    ]));
    // The one change to the install: the operator writes the OpenReports copies.
    let deployment = expected
        .iter_mut()
        .find(|o| o["kind"] == "Deployment")
        .unwrap();
    deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array_mut()
        .unwrap()
        .push(json!("--openreports"));
    assert_same_objects(rendered, expected, "every optional object");
    Ok(())
}

#[test]
fn every_value_reaches_the_objects() -> Result<()> {
    let values = values_file("render-all-on", ALL_ON)?;
    let objects = render("sec", "security", Some(&values))?;
    // A release name without "rampart" in it prefixes every name, cluster-scoped ones too.
    for (kind, name) in [
        ("ClusterRole", "sec-rampart"),
        ("ClusterRoleBinding", "sec-rampart"),
        ("ClusterRole", "sec-rampart-openreports"),
        ("ClusterRoleBinding", "sec-rampart-openreports"),
        ("ClusterRole", "sec-rampart-apiserver-metrics"),
        ("ClusterRoleBinding", "sec-rampart-apiserver-metrics"),
        ("ClusterRole", "sec-rampart-exception-editor"),
        ("Role", "sec-rampart-leader-election"),
        ("ServiceAccount", "sec-rampart"),
        ("Service", "sec-rampart-metrics"),
        ("ConfigMap", "sec-rampart-settings"),
        ("ConfigMap", "sec-rampart-dashboard"),
        ("ServiceMonitor", "sec-rampart"),
        ("PrometheusRule", "sec-rampart"),
    ] {
        let obj = find(&objects, kind, name);
        if !kind.starts_with("Cluster") {
            assert_eq!(obj["metadata"]["namespace"], "security", "{kind} {name}");
        }
        assert_eq!(
            obj["metadata"]["labels"]["app.kubernetes.io/instance"], "sec",
            "{kind} {name}"
        );
    }
    // Every grant goes to the release's ServiceAccount.
    for binding in objects.iter().filter(|o| {
        o["kind"]
            .as_str()
            .is_some_and(|k| k.ends_with("RoleBinding"))
    }) {
        assert_eq!(
            binding["subjects"],
            json!([{"kind": "ServiceAccount", "name": "sec-rampart", "namespace": "security"}]),
            "{:?}",
            key(binding)
        );
    }
    // denyAllInNamespace: false leaves the namespace's other pods alone.
    assert!(
        !objects
            .iter()
            .any(|o| o["metadata"]["name"] == "default-deny")
    );
    let policy = find(&objects, "NetworkPolicy", "sec-rampart");
    assert_eq!(
        policy["spec"]["egress"][0],
        json!({"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}, {"ipBlock": {"cidr": "192.0.2.11/32"}}],
               "ports": [{"port": 6443, "protocol": "TCP"}]})
    );
    assert_eq!(
        policy["spec"]["podSelector"]["matchLabels"],
        json!({"app.kubernetes.io/name": "rampart", "app.kubernetes.io/instance": "sec"})
    );

    let deployment = find(&objects, "Deployment", "sec-rampart");
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert_eq!(
        args(deployment),
        [
            "operator",
            "--log-format",
            "text",
            "--health-addr",
            "0.0.0.0:8081",
            "--lease-namespace",
            "security",
            "--event-min-severity",
            "medium",
            "--include-namespaces",
            "shop,team-*",
            "--exclude-namespaces",
            "kube-system",
            "--config",
            "/etc/rampart/settings.yaml",
            "--openreports",
            "--resync-seconds",
            "300",
        ]
    );
    let c = container(deployment);
    assert_eq!(c["image"], "registry.example/rampart:0.1.1");
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert_eq!(
        c["resources"],
        json!({"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}})
    );
    assert_eq!(
        c["volumeMounts"][1],
        json!({"name": "settings", "mountPath": "/etc/rampart", "readOnly": true})
    );
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(
        pod["volumes"][1],
        json!({"name": "settings", "configMap": {"name": "sec-rampart-settings"}})
    );
    assert_eq!(pod["imagePullSecrets"], json!([{"name": "registry-login"}]));
    assert_eq!(pod["priorityClassName"], "system-cluster-critical");
    let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(annotations["example.com/owner"], "security");
    assert_eq!(
        annotations["checksum/settings"].as_str().map(str::len),
        Some(64),
        "a settings change rolls the pods: {annotations}"
    );
    // Restricted Pod Security whatever the values.
    assert_eq!(
        pod["securityContext"],
        json!({"runAsNonRoot": true, "runAsUser": 65532, "runAsGroup": 65532,
               "seccompProfile": {"type": "RuntimeDefault"}})
    );
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(
        c["securityContext"],
        json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
               "capabilities": {"drop": ["ALL"]}})
    );

    let settings = find(&objects, "ConfigMap", "sec-rampart-settings");
    let file = yaml::document(settings["data"]["settings.yaml"].as_str().unwrap());
    assert_eq!(
        file,
        json!({"disabledRules": ["POD024"], "severityOverrides": {"ESC001": "low"}})
    );
    let openreports = find(&objects, "ClusterRole", "sec-rampart-openreports");
    assert_eq!(
        openreports["rules"],
        json!([{"apiGroups": ["openreports.io"], "resources": ["reports", "clusterreports"],
                "verbs": ["list", "watch", "create", "patch"]}])
    );
    let editor = find(&objects, "ClusterRole", "sec-rampart-exception-editor");
    assert_eq!(
        editor["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-admin"],
        "true"
    );
    let monitor = find(&objects, "ServiceMonitor", "sec-rampart");
    assert_eq!(monitor["metadata"]["labels"]["release"], "prom");
    assert_eq!(
        monitor["spec"]["namespaceSelector"],
        json!({"matchNames": ["security"]})
    );
    assert_eq!(
        monitor["spec"]["selector"]["matchLabels"],
        json!({"app.kubernetes.io/name": "rampart", "app.kubernetes.io/component": "metrics",
               "app.kubernetes.io/instance": "sec"})
    );
    // The ServiceMonitor selects the chart's Service.
    let service = find(&objects, "Service", "sec-rampart-metrics");
    for (k, v) in monitor["spec"]["selector"]["matchLabels"]
        .as_object()
        .unwrap()
    {
        assert_eq!(&service["metadata"]["labels"][k], v, "Service label {k}");
    }
    assert_eq!(
        find(&objects, "PrometheusRule", "sec-rampart")["metadata"]["labels"]["release"],
        "prom"
    );
    let dashboard = find(&objects, "ConfigMap", "sec-rampart-dashboard");
    assert_eq!(dashboard["metadata"]["labels"]["grafana_dashboard"], "1");
    assert_eq!(dashboard["metadata"]["labels"]["team"], "security");
    Ok(())
}

#[test]
fn every_flag_the_chart_passes_is_an_operator_flag() -> Result<()> {
    let values = values_file("flags-all-on", ALL_ON)?;
    let objects = render("rampart", "security", Some(&values))?;
    let passed: Vec<String> = args(find(&objects, "Deployment", "rampart"))
        .into_iter()
        .filter(|a| a.starts_with("--"))
        .collect();
    assert!(passed.len() >= 9, "{passed:?}");
    let bin = rampart_bin();
    let mut cmd = Command::new(&bin);
    cmd.args(["operator", "--help"]);
    let help = ok(cmd, None)?;
    let known: Vec<&str> = help
        .split_whitespace()
        .filter(|w| w.starts_with("--"))
        .collect();
    for flag in &passed {
        assert!(
            known.contains(&flag.as_str()),
            "the chart passes {flag}, which `{} operator --help` does not list",
            bin.display()
        );
    }
    Ok(())
}

#[test]
fn the_rendered_settings_file_is_read_by_rampart() -> Result<()> {
    let values = values_file("settings-all-on", ALL_ON)?;
    let objects = render("rampart", "security", Some(&values))?;
    let settings = find(&objects, "ConfigMap", "rampart-settings")["data"]["settings.yaml"]
        .as_str()
        .unwrap()
        .to_owned();
    let file = scratch()?.join("settings.yaml");
    std::fs::write(&file, settings)?;
    let scan = |config: Option<&Path>| -> Result<Value> {
        let mut cmd = Command::new(rampart_bin());
        cmd.args(["scan", "--demo", "--format", "json"]);
        if let Some(config) = config {
            cmd.arg("--config").arg(config);
        }
        Ok(serde_json::from_str(&ok(cmd, None)?)?)
    };
    let rules = |report: &Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["ruleId"].as_str().unwrap().to_owned())
            .collect()
    };
    let without = scan(None)?;
    assert!(rules(&without).iter().any(|r| r == "POD024"));
    let with = scan(Some(&file))?;
    assert!(!rules(&with).iter().any(|r| r == "POD024"), "disabledRules");
    let esc = with["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "ESC001")
        .context("an ESC001 finding in the demo")?;
    assert_eq!(esc["severity"], "low", "severityOverrides");
    Ok(())
}

#[tokio::test]
async fn mistyped_values_fail_with_the_schemas_message() -> Result<()> {
    let chart = chart();
    let chart = chart.to_str().unwrap();
    for (name, values, message) in [
        (
            "replicas",
            "replicas: two\n",
            "at '/replicas': got string, want integer",
        ),
        (
            "severity",
            "operator: {eventMinSeverity: urgent}\n",
            "at '/operator/eventMinSeverity': value must be one of '', 'info', 'low', 'medium', 'high', 'critical'",
        ),
        (
            "unknown",
            "networkpolicy: {enabled: false}\n",
            "additional properties 'networkpolicy' not allowed",
        ),
        (
            "toggle",
            "openReports: {enabled: \"yes\"}\n",
            "at '/openReports/enabled': got string, want boolean",
        ),
        (
            "settings",
            "settings: {disabledRule: [POD024]}\n",
            "at '/settings': additional properties 'disabledRule' not allowed",
        ),
    ] {
        let file = values_file(&format!("bad-{name}"), values)?;
        for command in ["template", "lint"] {
            let mut cmd = helm_command(None)?;
            cmd.arg(command);
            if command == "template" {
                cmd.arg("bad");
            }
            cmd.args([chart, "--values"]).arg(&file);
            let out = run(cmd, None)?;
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!out.status.success(), "{command} {name}: {text}");
            assert!(text.contains(message), "{command} {name}: {text}");
        }
    }
    // An install with such values stops before anything reaches the cluster.
    let cluster = Cluster::connect().await?;
    let ns = TestNamespace::create(&cluster, "helm-bad").await?;
    let file = values_file("bad-install", "replicas: two\n")?;
    let mut cmd = helm_command(Some(&cluster.kubeconfig))?;
    cmd.args([
        "install",
        &ns.name,
        chart,
        "--namespace",
        &ns.name,
        "--values",
    ])
    .arg(&file);
    let out = run(cmd, None)?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at '/replicas'"));
    let mut cmd = helm_command(Some(&cluster.kubeconfig))?;
    cmd.args(["status", &ns.name, "--namespace", &ns.name]);
    let status = run(cmd, None)?;
    assert!(
        String::from_utf8_lossy(&status.stderr).contains("release: not found"),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let name = format!("{}-rampart", ns.name);
    let mut cmd = kubectl(&cluster);
    cmd.args([
        "get",
        "clusterrole",
        &name,
        "--ignore-not-found",
        "-o",
        "name",
    ]);
    assert_eq!(ok(cmd, None)?, "");
    ns.delete().await
}

/// Labels `ns` so that Pod Security admission enforces and warns about the restricted
/// profile there, as manifests/00-namespace.yaml does for rampart-system.
fn restrict(cluster: &Cluster, ns: &str) -> Result<()> {
    let mut cmd = kubectl(cluster);
    cmd.args([
        "label",
        "namespace",
        ns,
        "pod-security.kubernetes.io/enforce=restricted",
        "pod-security.kubernetes.io/warn=restricted",
    ]);
    ok(cmd, None).map(drop)
}

#[tokio::test]
async fn every_rendered_object_passes_the_api_servers_dry_run() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let ns = TestNamespace::create(&cluster, "helm-dry").await?;
    restrict(&cluster, &ns.name)?;
    let mut versions = kubectl(&cluster);
    versions.arg("api-versions");
    let served = ok(versions, None)?;
    let served: Vec<&str> = served.lines().collect();
    let all_on = values_file("dry-run-all-on", ALL_ON)?;
    for values in [None, Some(all_on.as_path())] {
        let objects = render(&ns.name, &ns.name, values)?;
        // The test cluster serves no Prometheus Operator kinds, and nothing here fetches
        // their CRDs: those objects go to the API server only where it serves them, and are
        // checked otherwise by `optional_objects_render_as_their_files` and
        // `every_value_reaches_the_objects`.
        let (known, unknown): (Vec<_>, Vec<_>) = objects
            .into_iter()
            .partition(|o| served.contains(&o["apiVersion"].as_str().unwrap_or_default()));
        for o in &unknown {
            assert_eq!(o["apiVersion"], "monitoring.coreos.com/v1", "{:?}", key(o));
            assert!(o["spec"].is_object(), "{:?}", key(o));
        }
        if values.is_some() && !served.contains(&"monitoring.coreos.com/v1") {
            let kinds: Vec<_> = unknown.iter().map(|o| key(o).0).collect();
            assert_eq!(kinds, ["PrometheusRule", "ServiceMonitor"]);
        }
        let stream = known
            .iter()
            .map(|o| serde_json::to_string(o).unwrap())
            .collect::<Vec<_>>()
            .join("\n---\n");
        let mut cmd = kubectl(&cluster);
        cmd.args([
            "apply",
            "--server-side",
            "--dry-run=server",
            "--field-manager",
            "rampart-e2e-helm",
            "-f",
            "-",
        ]);
        let out = run(cmd, Some(&stream))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        ensure!(
            out.status.success(),
            "{values:?}: the API server refused:\n{stderr}{stdout}"
        );
        // Pod Security would warn here about a Deployment whose pods it would refuse.
        assert!(!stderr.contains("Warning"), "{values:?}: {stderr}");
        assert_eq!(
            stdout
                .lines()
                .filter(|l| l.contains("(server dry run)"))
                .count(),
            known.len(),
            "{values:?}: {stdout}"
        );
    }
    ns.delete().await
}

/// A release that is uninstalled when dropped, so a failed test leaves no cluster-scoped
/// objects behind (its namespace goes with the [`TestNamespace`]).
struct Release {
    name: String,
    kubeconfig: PathBuf,
    uninstalled: bool,
}

impl Drop for Release {
    fn drop(&mut self) {
        if self.uninstalled || std::env::var("RAMPART_E2E_KEEP").is_ok_and(|v| v == "1") {
            return;
        }
        if let Ok(mut cmd) = helm_command(Some(&self.kubeconfig)) {
            cmd.args(["uninstall", &self.name, "--namespace", &self.name]);
            let _ = run(cmd, None);
        }
    }
}

/// Whether the API server's authorizer lets ServiceAccount `sa` of `ns` (with the groups
/// its tokens carry) do `verb` on `what` in `namespace` (`None`: cluster-wide, or every
/// namespace). `what` is kubectl's spelling, `resource.group/subresource`, or a
/// non-resource URL. A SubjectAccessReview rather than `kubectl auth can-i`, which resolves
/// resources through discovery and so cannot ask about kinds the cluster does not serve
/// (OpenReports').
async fn allowed(
    cluster: &Cluster,
    (ns, sa): (&str, &str),
    verb: &str,
    what: &str,
    namespace: Option<&str>,
) -> Result<bool> {
    let (resource_attributes, non_resource_attributes) = if what.starts_with('/') {
        let url = NonResourceAttributes {
            verb: Some(verb.to_owned()),
            path: Some(what.to_owned()),
        };
        (None, Some(url))
    } else {
        let (resource, subresource) = what.split_once('/').unwrap_or((what, ""));
        let (resource, group) = resource.split_once('.').unwrap_or((resource, ""));
        let attributes = ResourceAttributes {
            verb: Some(verb.to_owned()),
            group: Some(group.to_owned()),
            resource: Some(resource.to_owned()),
            subresource: Some(subresource.to_owned()),
            namespace: Some(namespace.unwrap_or_default().to_owned()),
            ..ResourceAttributes::default()
        };
        (Some(attributes), None)
    };
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(format!("system:serviceaccount:{ns}:{sa}")),
            groups: Some(vec![
                "system:serviceaccounts".to_owned(),
                format!("system:serviceaccounts:{ns}"),
                "system:authenticated".to_owned(),
            ]),
            resource_attributes,
            non_resource_attributes,
            ..SubjectAccessReviewSpec::default()
        },
        ..SubjectAccessReview::default()
    };
    let answer = Api::<SubjectAccessReview>::all(cluster.client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

const INSTALL_VALUES: &str = r#"
replicas: 2
operator:
  eventMinSeverity: medium
  excludeNamespaces: [kube-system]
settings:
  disabledRules: [POD024]
openReports: {enabled: true}
apiserverMetrics: {enabled: true}
exceptionEditor: {enabled: true}
"#;

#[tokio::test]
async fn install_grants_what_the_operator_needs_and_uninstall_takes_it_back() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let ns = TestNamespace::create(&cluster, "helm").await?;
    restrict(&cluster, &ns.name)?;
    let chart = chart();
    let values = values_file("install", INSTALL_VALUES)?;
    // The README's command, in a namespace and under a release name of this test's own (the
    // monitoring objects stay off: this cluster does not serve their kinds).
    let mut cmd = helm_command(Some(&cluster.kubeconfig))?;
    cmd.args(["install", &ns.name])
        .arg(&chart)
        .args(["--namespace", &ns.name, "--create-namespace", "--values"])
        .arg(&values);
    let mut release = Release {
        name: ns.name.clone(),
        kubeconfig: cluster.kubeconfig.clone(),
        uninstalled: false,
    };
    let notes = ok(cmd, None)?;
    assert!(notes.contains("STATUS: deployed"), "{notes}");
    assert!(notes.contains("kubectl get posturereports -A"), "{notes}");
    assert!(
        notes.contains("kubectl get clusterposturereports"),
        "{notes}"
    );
    // The namespace enforces the restricted profile already: no advice to label it.
    assert!(!notes.contains("kubectl label namespace"), "{notes}");

    // Every object of the release is in the cluster.
    let mut cmd = helm_command(Some(&cluster.kubeconfig))?;
    cmd.args(["get", "manifest", &ns.name, "--namespace", &ns.name]);
    let manifest = yaml::documents(&ok(cmd, None)?);
    assert_eq!(
        manifest.len(),
        17,
        "{:?}",
        manifest.iter().map(key).collect::<Vec<_>>()
    );
    for obj in &manifest {
        let (kind, name) = key(obj);
        let mut cmd = kubectl(&cluster);
        cmd.args(["get", &kind, &name, "-o", "json"]);
        if obj["metadata"]["namespace"].is_string() {
            cmd.args(["--namespace", &ns.name]);
        }
        let live: Value = serde_json::from_str(&ok(cmd, None)?)?;
        assert_eq!(
            live["metadata"]["annotations"]["meta.helm.sh/release-name"],
            ns.name.as_str(),
            "{kind} {name}"
        );
    }
    // Helm installs the CRDs of crds/ where they are missing and never deletes them.
    for crd in [
        "posturereports.rampart.dev",
        "clusterposturereports.rampart.dev",
        "postureexceptions.rampart.dev",
        "clusterpostureexceptions.rampart.dev",
    ] {
        let mut cmd = kubectl(&cluster);
        cmd.args(["get", "crd", crd, "-o", "name"]);
        ok(cmd, None)?;
    }

    // No kubelet runs them, but the ReplicaSet controller creates the pods, and Pod Security
    // admission enforcing "restricted" lets them in only if they comply.
    let selector = format!("app.kubernetes.io/instance={}", ns.name);
    let pods: Value = wait_for("the operator's two pods", Duration::from_secs(90), || {
        let mut cmd = kubectl(&cluster);
        cmd.args(["get", "pods", "-n", &ns.name, "-l", &selector, "-o", "json"]);
        async move {
            let pods: Value = serde_json::from_str(&ok(cmd, None)?)?;
            Ok((pods["items"].as_array().map(Vec::len) == Some(2)).then_some(pods))
        }
    })
    .await
    .with_context(|| {
        let mut cmd = kubectl(&cluster);
        cmd.args(["get", "events", "-n", &ns.name]);
        format!("events: {}", ok(cmd, None).unwrap_or_default())
    })?;
    let pod = &pods["items"][0]["spec"];
    let fullname = format!("{}-rampart", ns.name);
    assert_eq!(pod["serviceAccountName"], fullname.as_str());
    // No token volume was injected: the only token is the projected one.
    let volumes: Vec<&str> = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(volumes, ["api-token", "settings"]);
    let container_args: Vec<&str> = pod["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let lease = container_args
        .iter()
        .position(|a| *a == "--lease-namespace")
        .context("--lease-namespace")?;
    assert_eq!(container_args[lease + 1], ns.name.as_str());

    // The ServiceAccount may do what the operator does, and no more.
    let sa = (ns.name.as_str(), fullname.as_str());
    let here = Some(ns.name.as_str());
    let other = Some("kube-system");
    for (want, verb, what, namespace) in [
        (true, "list", "secrets", None),
        (true, "watch", "secrets", None),
        (false, "get", "secrets", other),
        (true, "list", "configmaps", None),
        (false, "get", "pods", other),
        (false, "create", "pods", here),
        (
            true,
            "watch",
            "clusterrolebindings.rbac.authorization.k8s.io",
            None,
        ),
        (
            false,
            "bind",
            "clusterroles.rbac.authorization.k8s.io",
            None,
        ),
        (
            false,
            "escalate",
            "clusterroles.rbac.authorization.k8s.io",
            None,
        ),
        (false, "impersonate", "serviceaccounts", other),
        (false, "create", "serviceaccounts/token", other),
        (true, "create", "posturereports.rampart.dev", other),
        (true, "patch", "posturereports.rampart.dev", other),
        (false, "delete", "posturereports.rampart.dev", other),
        (true, "get", "clusterposturereports.rampart.dev", None),
        (true, "list", "postureexceptions.rampart.dev", None),
        (false, "patch", "postureexceptions.rampart.dev", other),
        (true, "patch", "postureexceptions.rampart.dev/status", other),
        (true, "create", "events.events.k8s.io", other),
        (false, "create", "events", other),
        (true, "get", "leases.coordination.k8s.io", here),
        (true, "patch", "leases.coordination.k8s.io", here),
        (false, "delete", "leases.coordination.k8s.io", here),
        (false, "get", "leases.coordination.k8s.io", other),
        // The toggles: the OpenReports copies and kube-apiserver's /metrics.
        (true, "create", "reports.openreports.io", other),
        (true, "watch", "clusterreports.openreports.io", None),
        (false, "get", "reports.openreports.io", other),
        (false, "delete", "clusterreports.openreports.io", None),
        (true, "get", "/metrics", None),
        (false, "get", "/debug/pprof", None),
    ] {
        assert_eq!(
            allowed(&cluster, sa, verb, what, namespace).await?,
            want,
            "{verb} {what} in {namespace:?}"
        );
    }

    let mut cmd = helm_command(Some(&cluster.kubeconfig))?;
    cmd.args(["uninstall", &ns.name, "--namespace", &ns.name]);
    ok(cmd, None)?;
    release.uninstalled = true;
    for (kind, name) in [
        ("clusterrole", fullname.clone()),
        ("clusterrolebinding", fullname.clone()),
        ("clusterrole", format!("{fullname}-openreports")),
        ("clusterrole", format!("{fullname}-apiserver-metrics")),
        ("clusterrole", format!("{fullname}-exception-editor")),
        ("deployment", fullname.clone()),
    ] {
        let mut cmd = kubectl(&cluster);
        cmd.args([
            "get",
            kind,
            &name,
            "-n",
            &ns.name,
            "--ignore-not-found",
            "-o",
            "name",
        ]);
        assert_eq!(ok(cmd, None)?, "", "{kind} {name} after uninstall");
    }
    assert!(!allowed(&cluster, sa, "list", "secrets", None).await?);
    ns.delete().await
}

/// The `helm` lines of the README's "Install with Helm" section, as words.
fn readme_helm_commands() -> Result<Vec<Vec<String>>> {
    let readme = std::fs::read_to_string(repo().join("README.md"))?;
    let section = readme
        .split("\n### ")
        .find(|s| s.starts_with("Install with Helm\n"))
        .context("README.md has no \"### Install with Helm\" section")?;
    let block = section
        .split("```")
        .nth(1)
        .context("no code block in \"Install with Helm\"")?;
    let mut commands = Vec::new();
    for line in block.lines().filter(|l| l.starts_with("helm ")) {
        let command = line.split_once(" #").map_or(line, |(c, _)| c);
        // Words split on whitespace are the shell's words only without quoting or expansion.
        ensure!(
            !command.contains(['\'', '"', '$', '\\', '`', '*', '|', ';', '&']),
            "the command needs a shell: {command}"
        );
        commands.push(command.split_whitespace().map(str::to_owned).collect());
    }
    Ok(commands)
}

#[tokio::test]
async fn readme_helm_commands_work_on_a_fresh_cluster() -> Result<()> {
    let commands = readme_helm_commands()?;
    let verbs: Vec<&str> = commands.iter().map(|c| c[1].as_str()).collect();
    assert_eq!(verbs, ["install", "upgrade"]);
    let extra = ExtraCluster::start("none").await?;
    let cluster = &extra.cluster;
    for command in &commands {
        println!("README: {}", command.join(" "));
        let mut cmd = helm_command(Some(&cluster.kubeconfig))?;
        cmd.args(&command[1..]);
        let out = ok(cmd, None)?;
        assert!(out.contains("STATUS: deployed"), "{out}");
        // The namespace --create-namespace made has no Pod Security labels: the notes say
        // how to add them.
        assert!(
            out.contains("kubectl label namespace rampart-system pod-security.kubernetes.io/enforce=restricted"),
            "{out}"
        );
    }
    // The plain install's names, and the upgrade's toggle and flag in place.
    let mut cmd = kubectl(cluster);
    cmd.args([
        "get",
        "deployment",
        "rampart",
        "-n",
        "rampart-system",
        "-o",
        "json",
    ]);
    let deployment: Value = serde_json::from_str(&ok(cmd, None)?)?;
    let passed = args(&deployment);
    assert!(passed.contains(&"--openreports".to_owned()), "{passed:?}");
    let severity = passed
        .iter()
        .position(|a| a == "--event-min-severity")
        .context("--event-min-severity")?;
    assert_eq!(passed[severity + 1], "medium");
    assert!(
        !passed.contains(&"--lease-namespace".to_owned()),
        "{passed:?}"
    );
    for (kind, name) in [
        ("clusterrole", "rampart"),
        ("clusterrolebinding", "rampart"),
        ("clusterrole", "rampart-openreports"),
        ("clusterrolebinding", "rampart-openreports"),
        ("crd", "posturereports.rampart.dev"),
    ] {
        let mut cmd = kubectl(cluster);
        cmd.args(["get", kind, name, "-o", "name"]);
        ok(cmd, None).with_context(|| format!("{kind} {name}"))?;
    }
    Ok(())
}
