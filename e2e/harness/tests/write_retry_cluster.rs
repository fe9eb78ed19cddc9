//! The ClusterPostureReport refused the same way as a namespace's report in
//! `write_retry.rs`: the namespaces' reports are written while it waits, it is tried again
//! on its own, and it lands once the refusal ends, counting what was found meanwhile. Its
//! own binary: the policy refuses every ClusterPostureReport, which the shared cluster's
//! other tests write.

use anyhow::{Context as _, Result, ensure};
use kube::Api;
use kube::api::DeleteParams;
use rampart_crd::{CLUSTER_REPORT_NAME, ClusterPostureReport, PostureReport};
use rampart_e2e::operator::{Operator, WAIT, env_dir, install, metric_sum_where};
use rampart_e2e::refusal::{
    failed_writes, lift, privileged_pod, refuse, refused_twice, wait_refused,
};
use rampart_e2e::{Cluster, TestNamespace, apply_yaml, wait_for};
use std::time::{Duration, Instant};

const REFUSAL: &str = "cluster report refused by the write-retry e2e test";
const POLICY: &str = "rampart-e2e-refuse-cluster-report";

#[tokio::test]
async fn a_refused_cluster_report_is_tried_again_while_the_namespaces_are_written() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let kubeconfig = install(&cluster).await?;
    let clusters: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    // Written by the earlier tests' operators: gone, so only a write of this test's can
    // bring it back.
    if clusters.get_opt(CLUSTER_REPORT_NAME).await?.is_some() {
        clusters
            .delete(CLUSTER_REPORT_NAME, &DeleteParams::default())
            .await?;
    }
    // Lifted however the refused part ends: left behind, the policy would refuse the
    // later tests' reports.
    let refused = async {
        refuse(&cluster, POLICY, "clusterposturereports", REFUSAL, None).await?;
        let probe = serde_json::json!({
            "apiVersion": "rampart.dev/v1alpha1", "kind": "ClusterPostureReport",
            "metadata": {"name": "write-retry-probe"},
            "report": {"score": 100, "summary": {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0},
                       "lastEvaluated": "2026-01-01T00:00:00Z", "rampartVersion": "e2e"},
            "clusterScore": 100,
            "clusterSummary": {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0},
        });
        wait_refused(&clusters, "write-retry-probe", &probe, REFUSAL, WAIT).await?;

        let state = env_dir("RAMPART_E2E_DIR");
        let operator = Operator::start_with(
            &kubeconfig,
            state.join("operator-write-retry-cluster.log"),
            &["--leader-election", "false"],
        )?;
        operator.wait_ready().await?;
        let ns = TestNamespace::create(&cluster, "write-retry-cluster").await?;
        apply_yaml(&cluster.client, None, &privileged_pod(&ns.name)).await?;
        refused_twice(&operator, WAIT * 2).await?;
        let reports: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &ns.name);
        let report = wait_for(
            "the namespace's report, while the cluster's is refused",
            WAIT,
            || async {
                Ok(reports
                    .get_opt("posture")
                    .await?
                    .filter(|r| r.spec.report.findings.iter().any(|f| f.rule_id == "POD003")))
            },
        )
        .await
        .with_context(|| operator.log())?;
        ensure!(
            clusters.get_opt(CLUSTER_REPORT_NAME).await?.is_none(),
            "the refused ClusterPostureReport is not there"
        );
        // The pass whose cluster report was refused counted what it detected (a failed write
        // counts nothing, to count it once when it lands).
        let detected = metric_sum_where(
            operator.health,
            "rampart_findings_detected_total",
            "rule=\"POD003\"",
        )?;
        ensure!(
            detected >= 1.0,
            "the privileged pod's finding is counted as detected while the cluster report waits: {detected}\n{}",
            operator.log()
        );
        let log = operator.log();
        ensure!(
            log.contains("refused the ClusterPostureReport")
                && log.contains(REFUSAL)
                && log.contains("retry_in_s"),
            "the log names the refusal and when it tries again:\n{log}"
        );
        anyhow::Ok((operator, ns, report))
    }
    .await;
    let lifted = Instant::now();
    let removed = lift(&cluster, POLICY).await;
    let (operator, ns, report) = refused?;
    removed?;
    // The next try (at most a minute away; a few seconds here) writes it, and it counts
    // the namespace's findings found while it waited.
    let written = wait_for(
        "the ClusterPostureReport once the refusal is lifted",
        Duration::from_secs(75),
        || async { Ok(clusters.get_opt(CLUSTER_REPORT_NAME).await?) },
    )
    .await
    .with_context(|| operator.log())?;
    eprintln!(
        "written {:?} after the refusal was lifted, after {} refused writes",
        lifted.elapsed(),
        failed_writes(&operator)?
    );
    let counted = &written.spec.cluster_summary;
    ensure!(
        counted.critical >= report.spec.report.summary.critical
            && report.spec.report.summary.critical >= 1,
        "the ClusterPostureReport counts the namespace's critical findings: {counted:?} against {:?}",
        report.spec.report.summary
    );
    ns.delete().await?;
    Ok(())
}
