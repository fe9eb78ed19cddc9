//! `manifests/monitoring/`: the alert rules and the dashboard have one source each, and the
//! Kubernetes wrappers (PrometheusRule, ConfigMap) are generated from them; the rules pass
//! their `promtool` unit tests; every dashboard query parses; the Service, ServiceMonitor
//! and NetworkPolicy agree on the port that serves /metrics.
//!
//! `RAMPART_BLESS=1 cargo test -p rampart --test monitoring` rewrites the generated files.
//! Needs `promtool` (Debian's `prometheus` package; `.ci/run` installs it).

use rampart_testkit::repo::{self, read, root};
use rampart_testkit::yaml;
use serde_json::Value;
use std::process::Command;

const RULES: &str = "manifests/monitoring/rules.yaml";
const PROMETHEUS_RULE: &str = "manifests/monitoring/prometheusrule.yaml";
const DASHBOARD: &str = "manifests/monitoring/dashboard.json";
const DASHBOARD_CONFIGMAP: &str = "manifests/monitoring/dashboard-configmap.yaml";

fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_owned()
            } else {
                format!("{pad}{l}\n")
            }
        })
        .collect()
}

/// The rules file without its leading comment block, under `spec:`.
fn prometheus_rule(rules: &str) -> String {
    let body: String = rules
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    format!(
        "# Generated from rules.yaml by `RAMPART_BLESS=1 cargo test -p rampart --test monitoring`;\n\
         # do not edit. Your Prometheus' ruleSelector must select this object (add its label).\n\
         apiVersion: monitoring.coreos.com/v1\n\
         kind: PrometheusRule\n\
         metadata:\n  name: rampart\n  namespace: rampart-system\n  \
         labels: {{app.kubernetes.io/name: rampart}}\n\
         spec:\n{}",
        indent(&body, 2)
    )
}

fn dashboard_configmap(dashboard: &str) -> String {
    format!(
        "# Generated from dashboard.json by `RAMPART_BLESS=1 cargo test -p rampart --test monitoring`;\n\
         # do not edit. Grafana's dashboard sidecar loads ConfigMaps labelled grafana_dashboard: \"1\".\n\
         apiVersion: v1\n\
         kind: ConfigMap\n\
         metadata:\n  name: rampart-dashboard\n  namespace: rampart-system\n  \
         labels: {{app.kubernetes.io/name: rampart, grafana_dashboard: \"1\"}}\n\
         data:\n  rampart.json: |\n{}",
        indent(dashboard, 4)
    )
}

/// Compares a generated file with the committed one, or rewrites it when blessing.
fn check_generated(rel: &str, expected: &str) {
    if std::env::var_os("RAMPART_BLESS").is_some() {
        std::fs::write(root().join(rel), expected).expect("write generated file");
        return;
    }
    repo::assert_current(
        rel,
        expected,
        "RAMPART_BLESS=1 cargo test -p rampart --test monitoring",
    );
}

fn promtool() -> Command {
    let found = Command::new("promtool").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "promtool not found: install Debian's `prometheus` package (apt-get install prometheus); \
         .ci/run installs it"
    );
    Command::new("promtool")
}

fn run(mut cmd: Command) -> String {
    let out = cmd.output().expect("run promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// Every panel query, by panel title, with the dashboard variables replaced by what
/// Grafana sends for "All" and a short rate interval.
pub fn panel_queries(dashboard: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for p in dashboard["panels"].as_array().into_iter().flatten() {
        for t in p["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"].as_str().unwrap_or_default();
            let expr = expr
                .replace("$namespace", ".*")
                .replace("$severity", ".*")
                .replace("$__rate_interval", "1m");
            out.push((p["title"].as_str().unwrap_or_default().to_owned(), expr));
        }
    }
    out
}

#[test]
fn prometheus_rule_is_generated_from_the_rules_file() {
    let rules = read(RULES);
    let generated = prometheus_rule(&rules);
    assert_eq!(
        yaml::document(&generated)["spec"],
        yaml::document(&rules),
        "same groups"
    );
    check_generated(PROMETHEUS_RULE, &generated);
}

#[test]
fn dashboard_configmap_wraps_the_dashboard() {
    let dashboard = read(DASHBOARD);
    let generated = dashboard_configmap(&dashboard);
    let cm = yaml::document(&generated);
    assert_eq!(cm["metadata"]["labels"]["grafana_dashboard"], "1");
    let inner: Value =
        serde_json::from_str(cm["data"]["rampart.json"].as_str().expect("data")).expect("json");
    let source: Value = serde_json::from_str(&dashboard).expect("dashboard is JSON");
    assert_eq!(inner, source);
    check_generated(DASHBOARD_CONFIGMAP, &generated);
}

/// The example Alertmanager configuration is one Alertmanager accepts, and routes every
/// alert the rules raise to a receiver by what the alert is: "new" and "open" findings
/// apart, "new" ones without resolved notifications.
#[test]
fn alertmanager_example_is_valid_and_routes_new_and_open_apart() {
    let path = root().join("manifests/monitoring/alertmanager.yaml");
    let found = Command::new("amtool").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "amtool not found: install Debian's `prometheus-alertmanager` package; .ci/run installs it"
    );
    let mut check = Command::new("amtool");
    check.args(["check-config"]).arg(&path);
    assert!(run(check).contains("SUCCESS"));
    let route = |labels: &[&str]| -> String {
        let mut cmd = Command::new("amtool");
        cmd.args(["config", "routes", "test", "--config.file"])
            .arg(&path)
            .args(labels);
        // stdout: the receiver; stderr may add a warning about flags.
        let out = cmd.output().expect("run amtool");
        assert!(out.status.success(), "{cmd:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(
        route(&[
            "alertname=RampartNewCriticalFinding",
            "finding=new",
            "severity=critical"
        ]),
        "security-new"
    );
    assert_eq!(
        route(&[
            "alertname=RampartCriticalFindingsOpen",
            "finding=open",
            "severity=critical"
        ]),
        "security-open"
    );
    assert_eq!(
        route(&[
            "alertname=RampartHighFindingsOpen",
            "finding=open",
            "severity=warning"
        ]),
        "security-open"
    );
    assert_eq!(
        route(&["alertname=RampartExceptionsExpired", "severity=info"]),
        "platform"
    );
    assert_eq!(
        route(&[
            "alertname=RampartNewCriticalFinding",
            "finding=new",
            "severity=critical",
            "namespace=payments-api"
        ]),
        "team-payments,security-new",
        "a team hears about its namespaces, and security still does"
    );
    let config = yaml::document(&read("manifests/monitoring/alertmanager.yaml"));
    let resolved = |name: &str| {
        config["receivers"]
            .as_array()
            .expect("receivers")
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["webhook_configs"][0]["send_resolved"].clone())
    };
    assert_eq!(resolved("security-new"), Some(Value::Bool(false)));
    assert_eq!(resolved("security-open"), Some(Value::Bool(true)));
}

#[test]
fn alert_rules_pass_their_promtool_unit_tests() {
    let mut check = promtool();
    check.args(["check", "rules"]).arg(root().join(RULES));
    assert!(run(check).contains("SUCCESS"));
    let mut test = promtool();
    test.args(["test", "rules"])
        .arg(root().join("manifests/monitoring/tests/rules.test.yaml"));
    assert!(run(test).contains("SUCCESS"));
}

#[test]
fn alert_rules_cover_what_users_are_promised() {
    let rules = yaml::document(&read(RULES));
    let alerts: Vec<&Value> = rules["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_array().expect("rules"))
        .collect();
    for name in [
        "RampartNewCriticalFinding",
        "RampartNewHighFinding",
        "RampartCriticalFindingsOpen",
        "RampartHighFindingsOpen",
        "RampartExceptionsExpiringSoon",
        "RampartExceptionsExpired",
        "RampartExceptionsInvalid",
        "RampartSecretsNotEncryptedAtRest",
        "RampartAnonymousApiAccess",
        "RampartAuditLoggingOff",
        "RampartKubernetesEndOfLife",
        "RampartPostureScoreDropped",
        "RampartEvaluationStale",
        "RampartReportWritesFailing",
        "RampartReportsTruncated",
    ] {
        assert!(alerts.iter().any(|a| a["alert"] == name), "{name} missing");
    }
    for a in alerts {
        let name = &a["alert"];
        assert!(
            a["labels"]["severity"].is_string(),
            "{name}: severity label"
        );
        for key in ["summary", "description", "runbook"] {
            assert!(a["annotations"][key].is_string(), "{name}: {key}");
        }
    }
}

/// Every alert has a promtool case where it fires and one where it stays quiet.
#[test]
fn every_alert_is_tested_firing_and_quiet() {
    let rules = yaml::document(&read(RULES));
    let tests = yaml::document(&read("manifests/monitoring/tests/rules.test.yaml"));
    let cases: Vec<&Value> = tests["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .flat_map(|t| t["alert_rule_test"].as_array().into_iter().flatten())
        .collect();
    let names = rules["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_array().expect("rules"))
        .filter_map(|r| r["alert"].as_str());
    for name in names {
        let of_it = || cases.iter().filter(|c| c["alertname"] == name);
        let fires = |c: &&&Value| c["exp_alerts"].as_array().is_some_and(|a| !a.is_empty());
        assert!(of_it().any(|c| fires(&c)), "{name}: no case where it fires");
        assert!(
            of_it().any(|c| !fires(&c)),
            "{name}: no case where it stays quiet"
        );
    }
}

#[test]
fn dashboard_has_its_variables_and_panels() {
    let d: Value = serde_json::from_str(&read(DASHBOARD)).expect("dashboard is JSON");
    let vars: Vec<&str> = d["templating"]["list"]
        .as_array()
        .expect("variables")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(vars, ["datasource", "namespace", "severity"]);
    assert_eq!(d["templating"]["list"][0]["type"], "datasource");
    let panels = d["panels"].as_array().expect("panels");
    let mut ids: Vec<u64> = panels.iter().filter_map(|p| p["id"].as_u64()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), panels.len(), "unique panel ids");
    for p in panels {
        let title = p["title"].as_str().expect("title");
        assert_eq!(p["datasource"]["uid"], "${datasource}", "{title}");
        let targets = p["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title}: no query");
        for t in targets {
            assert_eq!(t["datasource"]["uid"], "${datasource}", "{title}");
            assert!(t["expr"].as_str().is_some_and(|e| !e.is_empty()));
        }
    }
    let titles: Vec<&str> = panels.iter().filter_map(|p| p["title"].as_str()).collect();
    for wanted in [
        "Posture score over time",
        "Open findings by severity",
        "Open findings by category",
        "Top rules",
        "Top namespaces",
        "Newly detected findings",
        "Secrets encryption at rest",
        "Evaluation health",
    ] {
        assert!(titles.contains(&wanted), "{wanted} missing from {titles:?}");
    }
    let queries = panel_queries(&d);
    assert!(
        queries
            .iter()
            .any(|(_, q)| q.contains("rampart_findings{namespace=~\".*\",severity=~\".*\"}")),
        "the namespace and severity variables filter the findings: {queries:?}"
    );
}

/// promtool parses PromQL when it checks rules, so every panel query becomes a recording
/// rule in a scratch file.
#[test]
fn every_dashboard_query_parses() {
    let d: Value = serde_json::from_str(&read(DASHBOARD)).expect("dashboard is JSON");
    let rules: Vec<Value> = panel_queries(&d)
        .into_iter()
        .enumerate()
        .map(|(i, (_, expr))| serde_json::json!({"record": format!("rampart:panel_query_{i}"), "expr": expr}))
        .collect();
    assert!(rules.len() >= 10);
    let file = serde_json::json!({"groups": [{"name": "dashboard", "rules": rules}]});
    let dir = std::env::temp_dir().join(format!("rampart-dashboard-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("queries.yaml");
    std::fs::write(&path, serde_yaml_ng::to_string(&file).expect("yaml")).expect("write");
    let mut check = promtool();
    check.args(["check", "rules"]).arg(&path);
    let out = run(check);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.contains("SUCCESS"), "{out}");
}

#[test]
fn service_monitor_service_and_network_policy_agree_on_the_metrics_port() {
    let service = yaml::document(&read("manifests/40-service.yaml"));
    let port = &service["spec"]["ports"][0];
    assert_eq!(port["name"], "metrics");
    let deployment = yaml::document(&read("manifests/30-deployment.yaml"));
    let container_port = deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|p| p["name"] == port["targetPort"])
        .expect("the Service's targetPort names a container port")["containerPort"]
        .clone();
    assert_eq!(
        service["spec"]["selector"],
        deployment["spec"]["selector"]["matchLabels"]
    );

    let monitor = yaml::document(&read("manifests/monitoring/servicemonitor.yaml"));
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "metrics");
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
    let wanted = monitor["spec"]["selector"]["matchLabels"]
        .as_object()
        .expect("selector");
    for (k, v) in wanted {
        assert_eq!(
            &service["metadata"]["labels"][k], v,
            "ServiceMonitor selects {k}"
        );
    }

    let policies = yaml::documents(&read("manifests/20-networkpolicy.yaml"));
    let admits = policies.iter().any(|p| {
        p["spec"]["ingress"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|rule| rule["ports"].as_array().into_iter().flatten())
            .any(|p| p["port"] == container_port)
    });
    assert!(
        admits,
        "the NetworkPolicy admits scrapes on port {container_port}"
    );
}
