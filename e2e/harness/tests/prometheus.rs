//! The operator's metrics through a real Prometheus: the operator runs against the real
//! control plane, Prometheus (Debian's binary, on loopback) scrapes it every second and
//! evaluates `manifests/monitoring/rules.yaml`. A critical misconfiguration raises the
//! new-critical alert (pending, then firing), a restart does not count the open finding as
//! new again, and fixing it clears the alert; every dashboard query returns data; 200
//! namespaces coming and going leave the number of series where it was.

use anyhow::{Context as _, Result, bail};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use rampart_e2e::operator::{Operator, env_dir, http_get, install, repo};
use rampart_e2e::prometheus::{Prometheus, encode};
use rampart_e2e::{Cluster, TestNamespace, apply_yaml, wait_for};
use serde_json::Value;
use std::time::Duration;

/// Scrapes and rule evaluations happen every second; an evaluation after a change takes
/// the operator's 300 ms debounce plus the pass itself.
const SOON: Duration = Duration::from_secs(30);
/// The new-critical alert's `for: 1m`, and some.
const FIRING: Duration = Duration::from_secs(90);
/// Namespaces appear and go through the namespace controller, 50 at a time.
const CHURN: Duration = Duration::from_secs(180);
const WAVES: usize = 4;
const PER_WAVE: usize = 50;

/// The same grant under another name, and a PostureException that accepts it: an
/// excepted critical finding in `ns` beside the open one, for the dashboard's panel.
fn accepted_grant(ns: &str) -> String {
    let expires =
        k8s_openapi::jiff::Timestamp::now() + k8s_openapi::jiff::SignedDuration::from_hours(24);
    format!(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: accepted-pod-reader, namespace: {ns}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}}
subjects: [{{kind: User, name: "system:anonymous", apiGroup: rbac.authorization.k8s.io}}]
---
apiVersion: rampart.dev/v1alpha1
kind: PostureException
metadata: {{name: public-pod-list, namespace: {ns}}}
spec:
  rules: [RBAC015]
  resources: [{{kind: RoleBinding, name: accepted-pod-reader}}]
  reason: the pod list is public on purpose
  owner: e2e
  expires: "{expires}"
"#
    )
}

/// A Role and a RoleBinding that let anonymous users read pods in `ns`: RBAC015, critical.
fn anonymous_grant(ns: &str) -> String {
    format!(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: pod-reader, namespace: {ns}}}
rules: [{{apiGroups: [""], resources: [pods], verbs: [get, list]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: anonymous-pod-reader, namespace: {ns}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}}
subjects: [{{kind: User, name: "system:anonymous", apiGroup: rbac.authorization.k8s.io}}]
"#
    )
}

/// The open-critical alerts about RBAC015 in `ns`, with their states.
fn critical_alert_states(prom: &Prometheus, ns: &str) -> Result<Vec<String>> {
    Ok(prom
        .alerts()?
        .into_iter()
        .filter(|a| {
            a["labels"]["alertname"] == "RampartCriticalFindingsOpen"
                && a["labels"]["rule"] == "RBAC015"
                && a["labels"]["namespace"] == ns
        })
        .filter_map(|a| a["state"].as_str().map(str::to_owned))
        .collect())
}

/// The single number an instant query returns (0 when it returns nothing).
fn scalar(prom: &Prometheus, promql: &str) -> Result<f64> {
    let result = prom.query(promql)?;
    Ok(match result.first() {
        Some(r) => r["value"][1]
            .as_str()
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("{promql}: {r}"))?,
        None => 0.0,
    })
}

/// Every panel query with the dashboard's variables substituted as Grafana would.
fn panel_queries(namespace: &str, severity: &str) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(repo().join("manifests/monitoring/dashboard.json"))?;
    let dashboard: Value = serde_json::from_str(&text)?;
    let mut out = Vec::new();
    for p in dashboard["panels"].as_array().into_iter().flatten() {
        for t in p["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"]
                .as_str()
                .context("a panel target without expr")?
                .replace("$namespace", namespace)
                .replace("$severity", severity)
                .replace("$__rate_interval", "1m");
            out.push((p["title"].as_str().unwrap_or_default().to_owned(), expr));
        }
    }
    if out.len() < 10 {
        bail!("only {} panel queries in the dashboard", out.len());
    }
    Ok(out)
}

/// Creates `names` (with the findings a bare namespace has: no Pod Security label) or
/// deletes them, all at once.
async fn churn(cluster: &Cluster, names: &[String], create: bool) -> Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    for name in names {
        let api: Api<Namespace> = Api::all(cluster.client.clone());
        let name = name.clone();
        tasks.spawn(async move {
            if create {
                let ns: Namespace = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": name, "labels": {"rampart.dev/e2e": "true"}}
                }))?;
                api.create(&PostParams::default(), &ns).await?;
            } else {
                api.delete(&name, &DeleteParams::default()).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(())
}

/// The value of `promql` once it reads the same twice, a few scrapes apart.
async fn settled(prom: &Prometheus, promql: &str) -> Result<f64> {
    let mut last = scalar(prom, promql)?;
    let deadline = std::time::Instant::now() + SOON;
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let now = scalar(prom, promql)?;
        if now == last {
            return Ok(now);
        }
        if std::time::Instant::now() > deadline {
            bail!("{promql} did not settle: {last} then {now}");
        }
        last = now;
    }
}

/// Both processes' logs, for a failure message.
fn logs(operator: &Operator, prom: &Prometheus) -> String {
    format!(
        "--- operator:\n{}\n--- prometheus:\n{}",
        operator.log(),
        prom.log_text()
    )
}

/// The value of one series in the operator's own /metrics text, by its exact labels.
fn exposed(operator: &Operator, series: &str) -> Result<Option<f64>> {
    let (status, body) = http_get(operator.health, "/metrics")?;
    if status != 200 {
        bail!("/metrics answered {status}");
    }
    Ok(body
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok()))
}

#[tokio::test]
async fn alerts_fire_and_clear_dashboard_queries_answer_and_series_stay_bounded() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let kubeconfig = install(&cluster).await?;
    let state = env_dir("RAMPART_E2E_DIR");
    let pid = std::process::id();
    // Only this test's namespaces get reports and findings series: whatever other tests
    // left behind cannot change the counts below.
    let ns = TestNamespace::create(&cluster, &format!("prom{pid}")).await?;
    let churn_prefix = format!("promchurn{pid}-");
    let include = format!("prom{pid}-*,{churn_prefix}*");
    // Alone, without the shared Lease: a lease left by another test's killed operator
    // must not keep this one standing by.
    let args = [
        "--leader-election",
        "false",
        "--include-namespaces",
        include.as_str(),
    ];
    let mut operator =
        Operator::start_with(&kubeconfig, state.join("operator-prometheus-1.log"), &args)?;
    operator.wait_ready().await?;

    let prom = Prometheus::start(
        &state.join(format!("prometheus-{pid}")),
        operator.health,
        &[repo().join("manifests/monitoring/rules.yaml")],
    )?;
    wait_for("Prometheus to scrape the operator", SOON, || async {
        let up = format!(r#"up{{job="rampart",instance="{}"}}"#, operator.health);
        Ok(
            (scalar(&prom, &up)? == 1.0 && scalar(&prom, "count(rampart_rule_info)")? > 30.0)
                .then_some(()),
        )
    })
    .await
    .with_context(|| logs(&operator, &prom))?;
    let rules = prom.api("/api/v1/rules")?;
    let loaded = rules["groups"].as_array().map_or(0, Vec::len);
    let written = std::fs::read_to_string(repo().join("manifests/monitoring/rules.yaml"))?
        .lines()
        .filter(|l| l.starts_with("- name: "))
        .count();
    assert!(written >= 4, "rules.yaml has its groups");
    assert_eq!(loaded, written, "rule groups loaded: {rules}");

    // 1. A critical misconfiguration: the alert goes pending at once.
    assert!(critical_alert_states(&prom, &ns.name)?.is_empty());
    apply_yaml(&cluster.client, None, &anonymous_grant(&ns.name)).await?;
    apply_yaml(&cluster.client, None, &accepted_grant(&ns.name)).await?;
    let states = wait_for("the open-critical alert for RBAC015", SOON, || async {
        let s = critical_alert_states(&prom, &ns.name)?;
        Ok((!s.is_empty()).then_some(s))
    })
    .await
    .with_context(|| logs(&operator, &prom))?;
    assert!(
        states.iter().all(|s| s == "pending" || s == "firing"),
        "{states:?}"
    );
    let detected = scalar(
        &prom,
        r#"sum(rampart_findings_detected_total{rule="RBAC015",severity="critical"})"#,
    )?;
    assert!(detected >= 1.0, "detected counter: {detected}");

    // 2. Every dashboard query returns data: with "All" selected and with this namespace
    //    and severity selected. Rate windows need two samples, hence the wait.
    for (namespace, severity) in [(".*", ".*"), (ns.name.as_str(), "critical")] {
        for (title, expr) in panel_queries(namespace, severity)? {
            wait_for(
                &format!("data for panel {title:?}: {expr}"),
                SOON,
                || async { Ok((!prom.query(&expr)?.is_empty()).then_some(())) },
            )
            .await
            .with_context(|| logs(&operator, &prom))?;
        }
    }
    let variable = prom.api(&format!(
        "/api/v1/label/namespace/values?match[]={}",
        encode("rampart_namespace_posture_score")
    ))?;
    assert!(
        variable
            .as_array()
            .is_some_and(|v| v.iter().any(|n| n == ns.name.as_str())),
        "the namespace variable offers {}: {variable}",
        ns.name
    );

    // 3. After its `for: 1m` the alert fires.
    wait_for("the open-critical alert to fire", FIRING, || async {
        Ok(critical_alert_states(&prom, &ns.name)?
            .iter()
            .any(|s| s == "firing")
            .then_some(()))
    })
    .await
    .with_context(|| logs(&operator, &prom))?;

    // 4. A restart (same address, so Prometheus keeps scraping it) reads the open finding
    //    back from the reports: still open, not detected again.
    let addr = operator.health;
    operator.stop();
    operator = Operator::start_at(
        &kubeconfig,
        state.join("operator-prometheus-2.log"),
        &args,
        addr,
    )?;
    operator.wait_ready().await?;
    let open = format!(
        r#"rampart_findings{{category="rbac",namespace="{}",rule="RBAC015",severity="critical"}}"#,
        ns.name
    );
    wait_for("the restarted operator to evaluate", SOON, || async {
        Ok(exposed(&operator, &open)?.filter(|v| *v == 1.0))
    })
    .await
    .with_context(|| logs(&operator, &prom))?;
    let redetected = exposed(
        &operator,
        r#"rampart_findings_detected_total{category="rbac",rule="RBAC015",severity="critical"}"#,
    )?;
    assert_eq!(redetected, Some(0.0), "a restart re-counted an old finding");

    // 5. Fixing it clears the alert (after its keep_firing_for: 1m) and counts the finding
    //    as resolved.
    Api::<RoleBinding>::namespaced(cluster.client.clone(), &ns.name)
        .delete("anonymous-pod-reader", &DeleteParams::default())
        .await?;
    wait_for("the open-critical alert to clear", FIRING, || async {
        Ok(critical_alert_states(&prom, &ns.name)?
            .is_empty()
            .then_some(()))
    })
    .await
    .with_context(|| logs(&operator, &prom))?;
    // The gauge follows the evaluation, the counter the write that records it: under load
    // the write may land after Prometheus saw the alert clear.
    let resolved_series =
        r#"rampart_findings_resolved_total{category="rbac",rule="RBAC015",severity="critical"}"#;
    wait_for("the resolved counter to count the fix", SOON, || async {
        Ok(exposed(&operator, resolved_series)?.filter(|v| *v > 0.0))
    })
    .await
    .with_context(|| logs(&operator, &prom))?;
    let resolved = exposed(&operator, resolved_series)?;
    assert_eq!(resolved, Some(1.0), "resolved counter");
    assert_eq!(exposed(&operator, &open)?, None, "the series is removed");

    // 6. Namespaces come and go in waves; the series they add go with them.
    let series = r#"count({__name__=~"rampart_.+"})"#;
    let churn_scores =
        format!(r#"count(rampart_namespace_posture_score{{namespace=~"{churn_prefix}.*"}})"#);
    let baseline = settled(&prom, series)
        .await
        .with_context(|| logs(&operator, &prom))?;
    let mut peak = baseline;
    for wave in 0..WAVES {
        let names: Vec<String> = (0..PER_WAVE)
            .map(|i| format!("{churn_prefix}{wave}-{i}"))
            .collect();
        churn(&cluster, &names, true).await?;
        wait_for(
            &format!("scores for the {PER_WAVE} namespaces of wave {wave}"),
            CHURN,
            || async { Ok((scalar(&prom, &churn_scores)? == PER_WAVE as f64).then_some(())) },
        )
        .await
        .with_context(|| logs(&operator, &prom))?;
        peak = peak.max(scalar(&prom, series)?);
        churn(&cluster, &names, false).await?;
        wait_for(
            &format!("the namespaces of wave {wave} to leave the metrics"),
            CHURN,
            || async { Ok((scalar(&prom, &churn_scores)? == 0.0).then_some(())) },
        )
        .await
        .with_context(|| logs(&operator, &prom))?;
    }
    let after = settled(&prom, series)
        .await
        .with_context(|| logs(&operator, &prom))?;
    let per_namespace = (peak - baseline) / PER_WAVE as f64;
    eprintln!(
        "rampart series: {baseline} before, {peak} at the peak of a wave of {PER_WAVE} \
         namespaces ({per_namespace:.1} per namespace), {after} after {} namespaces came and went",
        WAVES * PER_WAVE
    );
    assert!(
        (1.0..=4.0).contains(&per_namespace),
        "each namespace adds a score and its findings, no more: {per_namespace}"
    );
    assert_eq!(
        after,
        baseline,
        "the series of {} deleted namespaces are gone",
        WAVES * PER_WAVE
    );

    ns.delete().await?;
    drop(prom);
    drop(operator);
    Ok(())
}
