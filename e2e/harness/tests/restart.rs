//! kube-apiserver restarts and the API comes back, and the operator rides it out. A test
//! binary of its own: cargo runs test binaries one after another, so no other test sees the
//! API server go away; the tests here take turns.

use anyhow::{Context as _, Result};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::Api;
use kube::api::ListParams;
use rampart_crd::{ClusterPostureReport, PostureReport};
use rampart_e2e::operator::{Operator, WAIT, env_dir, install, metric_sum, wait_quiet};
use rampart_e2e::{Cluster, TestNamespace, wait_for};
use std::collections::BTreeMap;
use std::time::Duration;

/// One restart at a time.
static ONE_RESTART: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn api_comes_back_after_apiserver_restart() -> Result<()> {
    let _one = ONE_RESTART.lock().await;
    let cluster = Cluster::connect().await?;
    let before = TestNamespace::create(&cluster, "before-restart").await?;
    cluster.restart_apiserver().await?;
    // The same client reconnects; state written before the restart is still there.
    let namespaces: Api<Namespace> = Api::all(cluster.client.clone());
    wait_for("the API after restart", Duration::from_secs(60), || async {
        Ok(namespaces.get_opt(&before.name).await?)
    })
    .await?;
    let after = TestNamespace::create(&cluster, "after-restart").await?;
    let sas: Api<ServiceAccount> = Api::namespaced(cluster.client.clone(), &after.name);
    wait_for(
        "controllers to act after restart",
        Duration::from_secs(60),
        || async { Ok(sas.get_opt("default").await?) },
    )
    .await?;
    assert!(
        !namespaces
            .list(&ListParams::default())
            .await?
            .items
            .is_empty()
    );
    before.delete().await?;
    after.delete().await
}

/// Every report's resourceVersion: a write to any of them changes it.
async fn report_versions(cluster: &Cluster) -> Result<BTreeMap<String, String>> {
    let mut versions = BTreeMap::new();
    let reports: Api<PostureReport> = Api::all(cluster.client.clone());
    for r in reports.list(&ListParams::default()).await?.items {
        versions.insert(
            format!(
                "{}/{}",
                r.metadata.namespace.unwrap_or_default(),
                r.metadata.name.unwrap_or_default()
            ),
            r.metadata.resource_version.unwrap_or_default(),
        );
    }
    let cluster_reports: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    for r in cluster_reports.list(&ListParams::default()).await?.items {
        versions.insert(
            r.metadata.name.unwrap_or_default(),
            r.metadata.resource_version.unwrap_or_default(),
        );
    }
    Ok(versions)
}

/// Restarting the API server breaks every watch for a few seconds: the watches relist and
/// recover within the grace period, so no report is written (before, each failing watch was
/// written into every report's couldNotEvaluate and cleared again) and no API error is
/// counted (an expired resource version is how the API server asks for a relist).
#[tokio::test]
async fn an_apiserver_restart_costs_no_report_write() -> Result<()> {
    let _one = ONE_RESTART.lock().await;
    let cluster = Cluster::connect().await?;
    let kubeconfig = install(&cluster).await?;
    let ns = TestNamespace::create(&cluster, "restart-quiet").await?;
    let state = env_dir("RAMPART_E2E_DIR");
    let operator = Operator::start_with(
        &kubeconfig,
        state.join("operator-restart.log"),
        &["--leader-election", "false"],
    )?;
    operator.wait_ready().await?;
    let reports: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &ns.name);
    wait_for("the test namespace's report", WAIT, || async {
        Ok(reports.get_opt("posture").await?)
    })
    .await
    .with_context(|| operator.log())?;
    wait_quiet(operator.health, Duration::from_secs(3)).await?;

    let before = report_versions(&cluster).await?;
    let written = metric_sum(
        operator.health,
        "rampart_report_writes_total{result=\"written\"}",
    )?;
    let errors = metric_sum(operator.health, "rampart_api_errors_total")?;
    let disturbed = |h| -> Result<f64> {
        Ok(metric_sum(h, "rampart_watch_relists_total")?
            + metric_sum(h, "rampart_watch_flaps_total")?)
    };
    let disturbed_before = disturbed(operator.health)?;

    cluster.restart_apiserver().await?;
    // The watches notice, back off, and relist or resume.
    wait_for(
        "the watches to relist or recover",
        Duration::from_secs(90),
        || async { Ok((disturbed(operator.health)? > disturbed_before).then_some(())) },
    )
    .await
    .with_context(|| operator.log())?;
    // Long enough for a pass after the last watch came back (debounce 300 ms).
    wait_quiet(operator.health, Duration::from_secs(5)).await?;

    let after = report_versions(&cluster).await?;
    assert_eq!(before.len(), after.len(), "reports appeared or went");
    let rewritten: Vec<_> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    assert!(
        rewritten.is_empty(),
        "rewritten by the restart: {rewritten:?}\n{}",
        operator.log()
    );
    assert_eq!(
        metric_sum(
            operator.health,
            "rampart_report_writes_total{result=\"written\"}"
        )?,
        written
    );
    assert_eq!(
        metric_sum(operator.health, "rampart_api_errors_total")?,
        errors,
        "{}",
        operator.log()
    );
    let report = reports.get("posture").await?;
    assert!(report.spec.report.could_not_evaluate.is_empty());
    eprintln!(
        "restart: {} reports untouched; relists {}, flaps {}",
        after.len(),
        metric_sum(operator.health, "rampart_watch_relists_total")?,
        metric_sum(operator.health, "rampart_watch_flaps_total")?
    );
    drop(operator);
    ns.delete().await
}
