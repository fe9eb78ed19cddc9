//! The scale harness's correctness check, at a size CI affords: the benchmarks' synthetic
//! cluster (a few thousand objects) loaded into a control plane of its own, the operator
//! run on it, and its reports held to exactly the findings `rampart scan --cluster` gives
//! for the same objects under the same ServiceAccount — after the first evaluation, and
//! again after an incremental pass. Timing is `just bench-scale`'s business, not this
//! test's.

#[allow(dead_code)]
#[path = "../../../crates/rampart-rules/benches/synthetic/mod.rs"]
mod synthetic;

use anyhow::{Context as _, Result};
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::ListParams;
use rampart_crd::{ClusterPostureReport, PostureReport, Report};
use rampart_e2e::operator::{Operator, install_with, scan_cluster, wait_quiet};
use rampart_e2e::{Cluster, ExtraCluster, apply_generated, apply_yaml, wait_for};
use rampart_operator::apply::TOTALS_INTERVAL;
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};
use synthetic::Sizes;

type Key = (String, String);

/// Every finding a report stands for, whole or folded, by rule and fingerprint.
fn keys_of(report: &Report, out: &mut BTreeSet<Key>) {
    for f in &report.findings {
        out.insert((f.rule_id.clone(), f.fingerprint.clone()));
    }
    for g in &report.folded {
        for fp in g.every_fingerprint() {
            out.insert((g.rule_id.clone(), fp.to_owned()));
        }
    }
}

/// What the operator's reports say, and how many namespace reports there are.
async fn reported(cluster: &Cluster) -> Result<(BTreeSet<Key>, usize)> {
    let mut keys = BTreeSet::new();
    let namespaced: Api<PostureReport> = Api::all(cluster.client.clone());
    let reports = namespaced.list(&ListParams::default()).await?.items;
    for r in &reports {
        keys_of(&r.spec.report, &mut keys);
    }
    let clustered: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    let whole = clustered.get("cluster").await?;
    keys_of(&whole.spec.report, &mut keys);
    Ok((keys, reports.len()))
}

/// What `rampart scan --cluster` finds with `kubeconfig`.
fn scanned(kubeconfig: &Path) -> Result<BTreeSet<Key>> {
    let doc = scan_cluster(kubeconfig)?;
    Ok(doc["findings"]
        .as_array()
        .context("no findings array")?
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap_or_default().to_owned(),
                f["fingerprint"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

/// Waits until the operator has a report for every namespace and has stopped writing,
/// then compares its reports with a scan.
async fn agree(
    cluster: &Cluster,
    operator: &Operator,
    kubeconfig: &Path,
    when: &str,
) -> Result<usize> {
    let namespaces: Api<Namespace> = Api::all(cluster.client.clone());
    wait_for(
        &format!("a report per namespace ({when})"),
        Duration::from_secs(120),
        || async {
            let n = namespaces.list(&ListParams::default()).await?.items.len();
            let (_, reports) = reported(cluster).await?;
            Ok((reports == n).then_some(()))
        },
    )
    .await
    .with_context(|| operator.log())?;
    // Three quiet seconds can fall inside one long pass on a loaded machine, before it
    // writes: a disagreement is looked at again after the next quiet spell, and only one
    // that lasts fails.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let reports = loop {
        wait_quiet(operator.health, Duration::from_secs(3)).await?;
        let (reports, _) = reported(cluster).await?;
        let scan = scanned(kubeconfig)?;
        if reports == scan {
            break reports;
        }
        let missing: Vec<_> = scan.difference(&reports).take(10).collect();
        let extra: Vec<_> = reports.difference(&scan).take(10).collect();
        assert!(
            std::time::Instant::now() < deadline,
            "{when}: the reports and the scan disagree: {} found only by the scan (first {missing:?}), \
             {} only in the reports (first {extra:?})",
            scan.difference(&reports).count(),
            reports.difference(&scan).count(),
        );
    };
    Ok(reports.len())
}

#[tokio::test]
async fn the_operator_reports_exactly_what_a_scan_finds_on_a_generated_cluster() -> Result<()> {
    let extra = ExtraCluster::start("none").await?;
    let cluster = &extra.cluster;
    let kubeconfig = install_with(cluster, &[]).await?;
    // A few thousand objects: the benchmarks' cluster, small.
    let sizes = Sizes {
        namespaces: 25,
        pods_per_namespace: 20,
        cluster_roles: 20,
        ..Sizes::default()
    };
    let mut generator = synthetic::Cluster::new(sizes);
    let mut documents = Vec::new();
    // The platform chunk (kube-system, default) would overwrite the control plane's own.
    let mut chunk = 0;
    while let Some(docs) = generator.next_documents() {
        if chunk != 1 {
            documents.extend(docs);
        }
        chunk += 1;
    }
    // Both sides read the cluster as the API server admitted it.
    let started = Instant::now();
    let applied = apply_generated(&cluster.client, documents, 8).await?;
    eprintln!(
        "applied {applied} generated objects in {:?}",
        started.elapsed()
    );

    let operator = Operator::start_with(
        &kubeconfig,
        cluster.dir.join("operator-scale.log"),
        &["--leader-election", "false"],
    )?;
    operator.wait_ready().await?;
    let first = agree(
        cluster,
        &operator,
        &kubeconfig,
        "after the first evaluation",
    )
    .await?;

    // One change in one namespace: an incremental pass builds that namespace's report
    // only, and the whole still agrees with a scan.
    let ns = synthetic::namespace_name(sizes.namespaces / 2);
    apply_yaml(
        &cluster.client,
        Some(&ns),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n\
         metadata: {name: scale-anonymous}\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\n\
         subjects: [{kind: User, name: 'system:anonymous', apiGroup: rbac.authorization.k8s.io}]\n",
    )
    .await?;
    let reports: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &ns);
    wait_for(
        "the change in its report",
        Duration::from_secs(30),
        || async {
            let r = reports.get("posture").await?;
            Ok(r.spec
                .report
                .findings
                .iter()
                .any(|f| f.resource.name == "scale-anonymous")
                .then_some(()))
        },
    )
    .await
    .with_context(|| operator.log())?;
    let second = agree(cluster, &operator, &kubeconfig, "after an incremental pass").await?;
    assert!(
        second > first,
        "the change added findings: {first} -> {second}"
    );
    // The cluster's totals count every finding: a change that moves only them is written
    // within the interval the writer holds such writes back for.
    let clustered: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    wait_for(
        "the ClusterPostureReport's totals to count every finding",
        TOTALS_INTERVAL + Duration::from_secs(30),
        || async {
            let s = clustered.get("cluster").await?.spec.cluster_summary;
            let counted = (s.critical + s.high + s.medium + s.low + s.info) as usize;
            Ok((counted == second).then_some(()))
        },
    )
    .await
    .with_context(|| operator.log())?;
    // The pass that wrote the change built the reports its scope reaches, not all of them.
    let log = operator.log();
    let last_write = log
        .lines()
        .rev()
        .find(|l| l.contains(" evaluated ") && !l.contains(" written=0 "))
        .with_context(|| format!("no pass wrote anything: {log}"))?;
    let built: usize = last_write
        .split_whitespace()
        .find_map(|w| w.strip_prefix("reports_built="))
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no reports_built in {last_write:?}"))?;
    assert!(
        built <= 3,
        "an incremental pass built {built} reports of {}: {last_write}",
        sizes.namespaces
    );
    eprintln!("scale check: {first} findings, then {second}; reports agree with the scan");
    Ok(())
}
