//! A report write the API server refuses is tried again on its own, after a wait that
//! doubles, and lands once the refusal ends: no change in the cluster is needed to bring
//! it; meanwhile the other reports are written. The refusal is real admission: a
//! ValidatingAdmissionPolicy that denies every PostureReport write in one namespace.

use anyhow::{Context as _, Result, ensure};
use kube::Api;
use rampart_crd::PostureReport;
use rampart_e2e::operator::{Operator, WAIT, env_dir, install};
use rampart_e2e::refusal::{
    failed_writes, lift, privileged_pod, refuse, refused_twice, wait_refused,
};
use rampart_e2e::{Cluster, TestNamespace, apply_yaml, wait_for};
use std::time::{Duration, Instant};

const REFUSAL: &str = "refused by the write-retry e2e test";

/// The namespace's report, once it lists the privileged pod.
async fn privileged_report(reports: &Api<PostureReport>) -> Result<Option<PostureReport>> {
    Ok(reports
        .get_opt("posture")
        .await?
        .filter(|r| r.spec.report.findings.iter().any(|f| f.rule_id == "POD003")))
}

#[tokio::test]
async fn a_refused_report_write_is_tried_again_until_it_lands() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let kubeconfig = install(&cluster).await?;
    let ns = TestNamespace::create(&cluster, "write-retry").await?;
    // Its report sorts after the refused one's ("o" after the digits): written all the
    // same, while the refused one waits.
    let other = TestNamespace::create(&cluster, "write-retry-ok").await?;
    let name = format!("refuse-{}", ns.name);
    refuse(&cluster, &name, "posturereports", REFUSAL, Some(&ns.name)).await?;
    let reports: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &ns.name);
    let probe = serde_json::json!({
        "apiVersion": "rampart.dev/v1alpha1", "kind": "PostureReport",
        "metadata": {"name": "probe"},
        "report": {"score": 100, "summary": {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0},
                   "lastEvaluated": "2026-01-01T00:00:00Z", "rampartVersion": "e2e"},
    });
    wait_refused(&reports, "probe", &probe, REFUSAL, WAIT).await?;

    let state = env_dir("RAMPART_E2E_DIR");
    let operator = Operator::start_with(
        &kubeconfig,
        state.join("operator-write-retry.log"),
        &["--leader-election", "false"],
    )?;
    operator.wait_ready().await?;
    let pods = format!(
        "{}---\n{}",
        privileged_pod(&ns.name),
        privileged_pod(&other.name)
    );
    apply_yaml(&cluster.client, None, &pods).await?;
    refused_twice(&operator, WAIT * 2).await?;
    ensure!(
        reports.get_opt("posture").await?.is_none(),
        "the refused report is not there"
    );
    let others: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &other.name);
    wait_for(
        "the other namespace's report, while the first is refused",
        WAIT,
        || privileged_report(&others),
    )
    .await
    .with_context(|| operator.log())?;
    ensure!(
        operator.log().contains(REFUSAL) && operator.log().contains("retry_in_s"),
        "the log names the refusal and when it tries again:\n{}",
        operator.log()
    );

    let lifted = Instant::now();
    lift(&cluster, &name).await?;
    // The next try (at most a minute away; a few seconds here) writes it.
    let report = wait_for(
        "the report once the refusal is lifted",
        Duration::from_secs(75),
        || privileged_report(&reports),
    )
    .await
    .with_context(|| operator.log())?;
    eprintln!(
        "written {:?} after the refusal was lifted, after {} refused writes",
        lifted.elapsed(),
        failed_writes(&operator)?
    );
    ensure!(report.spec.report.summary.critical >= 1);
    ns.delete().await?;
    other.delete().await?;
    Ok(())
}
