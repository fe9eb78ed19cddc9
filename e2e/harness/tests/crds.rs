//! The report CRDs deleted and applied again under a running operator (an upgrade gone
//! wrong, a GitOps tool re-syncing). A test binary of its own: deleting the CRDs deletes
//! every report in the cluster, and cargo runs test binaries one after another, so no other
//! test sees that.

use anyhow::{Context as _, Result};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{DeleteParams, ListParams};
use rampart_crd::{ClusterPostureReport, PostureReport};
use rampart_e2e::operator::{
    Operator, WAIT, env_dir, http_get, install, metric_sum, repo, wait_quiet,
};
use rampart_e2e::{Cluster, TestNamespace, apply_yaml, wait_for};
use std::collections::BTreeSet;
use std::time::Duration;

const CRDS: [&str; 2] = [
    "posturereports.rampart.dev",
    "clusterposturereports.rampart.dev",
];

/// Every report in the cluster, by namespace and name.
async fn reports(cluster: &Cluster) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    let namespaced: Api<PostureReport> = Api::all(cluster.client.clone());
    for r in namespaced.list(&ListParams::default()).await?.items {
        names.insert(format!(
            "{}/{}",
            r.metadata.namespace.unwrap_or_default(),
            r.metadata.name.unwrap_or_default()
        ));
    }
    let clustered: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    for r in clustered.list(&ListParams::default()).await?.items {
        names.insert(r.metadata.name.unwrap_or_default());
    }
    Ok(names)
}

/// Of `reports`, those that can be written again now: the ClusterPostureReport and the
/// reports of namespaces that are Active. A test binary run before this one leaves its
/// namespaces terminating for a while, and their reports are never written again.
async fn writable(cluster: &Cluster, reports: &BTreeSet<String>) -> Result<BTreeSet<String>> {
    let active: BTreeSet<String> = Api::<Namespace>::all(cluster.client.clone())
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .filter(|n| {
            n.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Active")
                && n.metadata.deletion_timestamp.is_none()
        })
        .filter_map(|n| n.metadata.name)
        .collect();
    Ok(reports
        .iter()
        .filter(|r| match r.split_once('/') {
            Some((ns, _)) => active.contains(ns),
            None => true,
        })
        .cloned()
        .collect())
}

/// Each finding of the `posture` report with when it was first seen.
async fn first_seen_in(posture: &Api<PostureReport>) -> Result<Vec<String>> {
    Ok(posture
        .get("posture")
        .await?
        .spec
        .report
        .findings
        .iter()
        .map(|f| format!("{} {}", f.fingerprint, f.first_seen))
        .collect())
}

/// Before, the writer trusted its memory of what it had written: after the CRDs came back,
/// no report was written again until its content changed.
#[tokio::test]
async fn every_report_comes_back_when_the_crds_are_deleted_and_applied_again() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let kubeconfig = install(&cluster).await?;
    let ns = TestNamespace::create(&cluster, "crds-heal").await?;
    let state = env_dir("RAMPART_E2E_DIR");
    let operator = Operator::start_with(
        &kubeconfig,
        state.join("operator-crds.log"),
        &["--leader-election", "false"],
    )?;
    operator.wait_ready().await?;
    let posture: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &ns.name);
    wait_for("the test namespace's report", WAIT, || async {
        Ok(posture.get_opt("posture").await?)
    })
    .await
    .with_context(|| operator.log())?;
    wait_quiet(operator.health, Duration::from_secs(3)).await?;
    let before = reports(&cluster).await?;
    assert!(before.contains("cluster"), "{before:?}");
    let first_seen = first_seen_in(&posture).await?;
    assert!(!first_seen.is_empty(), "the test namespace has findings");

    let crds: Api<CustomResourceDefinition> = Api::all(cluster.client.clone());
    for crd in CRDS {
        crds.delete(crd, &DeleteParams::default()).await?;
    }
    wait_for("the CRDs to be gone", Duration::from_secs(60), || async {
        for crd in CRDS {
            if crds.get_opt(crd).await?.is_some() {
                return Ok(None);
            }
        }
        Ok(Some(()))
    })
    .await?;
    // The watches saw every report deleted; the pass that tries to write them again finds
    // the CRDs missing and says so.
    wait_for(
        "/readyz to name the missing CRDs",
        Duration::from_secs(30),
        || async {
            let (status, body) = http_get(operator.health, "/readyz")?;
            Ok((status == 503 && body.contains("CRDs")).then_some(()))
        },
    )
    .await
    .with_context(|| operator.log())?;
    assert_eq!(
        metric_sum(operator.health, "rampart_report_crds_missing")?,
        1.0
    );

    let text = std::fs::read_to_string(repo().join("crds/rampart.yaml"))?;
    apply_yaml(&cluster.client, None, &text).await?;
    let own = format!("{}/posture", ns.name);
    let missing = std::cell::RefCell::new(BTreeSet::new());
    let expected = wait_for(
        "every report to be written again",
        Duration::from_secs(90),
        || async {
            let now = reports(&cluster).await.unwrap_or_default();
            let expected = writable(&cluster, &before).await?;
            *missing.borrow_mut() = expected.difference(&now).cloned().collect();
            Ok(expected.is_subset(&now).then_some(expected))
        },
    )
    .await
    .with_context(|| format!("still missing: {:?}\n{}", missing.borrow(), operator.log()))?;
    assert!(
        expected.contains("cluster") && expected.contains(&own),
        "{expected:?}"
    );
    let after = first_seen_in(&posture).await?;
    assert_eq!(after, first_seen, "firstSeen survives the re-creation");
    assert_eq!(http_get(operator.health, "/readyz")?.0, 200);
    assert_eq!(
        metric_sum(operator.health, "rampart_report_crds_missing")?,
        0.0
    );
    assert!(
        operator.log().contains("the report CRDs are not installed"),
        "{}",
        operator.log()
    );
    drop(operator);
    ns.delete().await
}
