//! Secrets encryption at rest, decided by the operator from real evidence: the shared
//! control plane (encrypted, `cluster.sh up --encryption aescbc` in CI), two more control
//! planes started here (no encryption configuration; identity listed first), the fallback
//! when the /metrics grant is missing, and a mirror-pod-only cluster.

use anyhow::{Context as _, Result};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::Api;
use kube::api::DeleteParams;
use rampart_crd::{ClusterPostureReport, EncryptionStatus};
use rampart_e2e::operator::{Operator, http_get, metric_sum_where, start_reading_apiserver};
use rampart_e2e::{Cluster, ExtraCluster, TestNamespace, apply_yaml, wait_for};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

/// Tests on the shared cluster write its one ClusterPostureReport: one at a time.
static SHARED: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn start(cluster: &Cluster, metrics_grant: bool, name: &str) -> Result<Operator> {
    start_reading_apiserver(cluster, metrics_grant, name).await
}

/// Waits until the ClusterPostureReport's encryption status satisfies `want`.
async fn wait_encryption(
    cluster: &Cluster,
    operator: &Operator,
    what: &str,
    want: impl Fn(&EncryptionStatus) -> bool,
) -> Result<(EncryptionStatus, Vec<String>)> {
    let api: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    let last = std::sync::Mutex::new(None);
    let found = wait_for(what, WAIT, || async {
        let report = api.get_opt("cluster").await?;
        let status = report.as_ref().and_then(|r| r.spec.encryption.clone());
        if let Ok(mut l) = last.lock() {
            l.clone_from(&status);
        }
        Ok(status.filter(|s| want(s)).map(|s| {
            let ids = report
                .map(|r| {
                    r.spec
                        .report
                        .findings
                        .iter()
                        .map(|f| f.rule_id.clone())
                        .collect()
                })
                .unwrap_or_default();
            (s, ids)
        }))
    })
    .await;
    found.with_context(|| {
        format!(
            "last status: {:?}\noperator log:\n{}",
            last.lock().ok().and_then(|l| l.clone()),
            operator.log()
        )
    })
}

/// A Secret written now, so the API server's write counters have something to show.
async fn write_secret(cluster: &Cluster, ns: &str) -> Result<()> {
    apply_yaml(
        &cluster.client,
        Some(ns),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: probe}\nstringData: {token: not-a-real-secret}\n",
    )
    .await
    .map(drop)
}

/// Reads of kube-apiserver's /metrics the operator counted with `result`.
fn scrapes(operator: &Operator, result: &str) -> Result<f64> {
    metric_sum_where(
        operator.health,
        "rampart_apiserver_scrapes_total",
        &format!("result=\"{result}\""),
    )
}

/// Scrapes while Secrets are written and every request is audited: the counters run on,
/// the verdicts read the same, and nearly every read is left out of the inventory (a
/// counter seen for the first time, an admission plugin seen at work for the first time,
/// may still change what they read).
async fn quiet_scrapes(cluster: &Cluster, operator: &Operator, ns: &str) -> Result<()> {
    // The report read before may be an earlier operator's.
    operator.wait_ready().await?;
    let changed = scrapes(operator, "changed")?;
    let unchanged = scrapes(operator, "unchanged")?;
    wait_for("nine more reads of /metrics", WAIT, || async {
        write_secret(cluster, ns).await?;
        let reads = scrapes(operator, "changed")? + scrapes(operator, "unchanged")?;
        Ok((reads >= changed + unchanged + 9.0).then_some(()))
    })
    .await?;
    let (changed, unchanged) = (
        scrapes(operator, "changed")? - changed,
        scrapes(operator, "unchanged")? - unchanged,
    );
    eprintln!(
        "reads of /metrics while Secrets were written: {changed} changed, {unchanged} unchanged"
    );
    anyhow::ensure!(
        changed <= 2.0 && unchanged >= 7.0,
        "reads that changed what the verdicts read: {changed}, that did not: {unchanged}\n{}",
        operator.log()
    );
    Ok(())
}

#[tokio::test]
async fn shared_cluster_metrics_then_fallbacks() -> Result<()> {
    let _one = SHARED.lock().await;
    let cluster = Cluster::connect().await?;
    let expected = cluster.encryption();
    let ns = TestNamespace::create(&cluster, "enc").await?;
    write_secret(&cluster, &ns.name).await?;
    let operator = start(&cluster, true, "encryption-shared").await?;

    // 1. With the /metrics grant the API server's own counters decide.
    let (status, _) = wait_encryption(&cluster, &operator, "the metrics verdict", |s| {
        s.evidence == "apiserver-metrics"
    })
    .await?;
    match expected.as_str() {
        "aescbc" | "aesgcm" => {
            assert_eq!(status.state, "encrypted", "{status:?}");
            assert_eq!(status.provider.as_deref(), Some(expected.as_str()));
        }
        _ => assert_eq!(status.state, "unencrypted", "{status:?}"),
    }
    quiet_scrapes(&cluster, &operator, &ns.name).await?;

    // 2. Without the grant: the metrics are forbidden, the report says so and falls back.
    Api::<ClusterRoleBinding>::all(cluster.client.clone())
        .delete("rampart-apiserver-metrics", &DeleteParams::default())
        .await?;
    let (status, _) = wait_encryption(&cluster, &operator, "the fallback without /metrics", |s| {
        s.evidence != "apiserver-metrics"
    })
    .await?;
    assert_eq!(status.state, "unknown", "{status:?}");
    assert!(
        status.notes.iter().any(|n| n.contains("forbidden")),
        "{status:?}"
    );

    // 3 and 4 create a kube-apiserver mirror pod; it goes whatever the outcome.
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), "kube-system");
    let mirror = format!("kube-apiserver-e2e-{}", std::process::id());
    let now = DeleteParams {
        grace_period_seconds: Some(0),
        ..DeleteParams::default()
    };
    let outcome = mirror_pod_steps(&cluster, &operator, &pods, &mirror, &now).await;
    let _ = pods.delete(&mirror, &now).await;
    outcome?;
    drop(operator);
    ns.delete().await?;
    Ok(())
}

async fn mirror_pod_steps(
    cluster: &Cluster,
    operator: &Operator,
    pods: &Api<Pod>,
    mirror: &str,
    now: &DeleteParams,
) -> Result<()> {
    // 3. A mirror pod of a kube-apiserver without the flag decides: unencrypted.
    let pod = |flag: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {mirror}, labels: {{component: kube-apiserver, tier: control-plane}}}}\n\
             spec:\n  automountServiceAccountToken: false\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.37.2\n    command: [kube-apiserver, --etcd-servers=https://127.0.0.1:2379{flag}]\n"
        )
    };
    apply_yaml(&cluster.client, Some("kube-system"), &pod("")).await?;
    let (status, ids) = wait_encryption(cluster, operator, "the flags verdict", |s| {
        s.evidence == "apiserver-flags"
    })
    .await?;
    assert_eq!(status.state, "unencrypted", "{status:?}");
    assert!(!ids.contains(&"ENC006".to_owned()), "{ids:?}");

    // 4. With the flag but no configuration to read: configured, but unknown how.
    pods.delete(mirror, now).await?;
    wait_for("the mirror pod to go", WAIT, || async {
        Ok(pods.get_opt(mirror).await?.is_none().then_some(()))
    })
    .await?;
    apply_yaml(
        &cluster.client,
        Some("kube-system"),
        &pod(", --encryption-provider-config=/etc/kubernetes/enc.yaml"),
    )
    .await?;
    let (status, ids) =
        wait_encryption(cluster, operator, "the flag-without-config verdict", |s| {
            s.evidence == "none"
                && s.notes
                    .iter()
                    .any(|n| n.contains("configuration file was not given"))
        })
        .await?;
    assert_eq!(status.state, "unknown", "{status:?}");
    // ENC005 names the API server pod; the verdict is the cluster's, so the
    // ClusterPostureReport lists it, beside the encryption status.
    let clusters: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    wait_for("ENC005 on the mirror pod", WAIT, || async {
        Ok(clusters.get_opt("cluster").await?.filter(|r| {
            r.spec
                .report
                .findings
                .iter()
                .any(|f| f.rule_id == "ENC005" && f.resource.name == mirror)
        }))
    })
    .await
    .with_context(|| format!("cluster report ids: {ids:?}\n{}", operator.log()))?;
    Ok(())
}

#[tokio::test]
async fn unencrypted_control_planes_are_reported_from_metrics() -> Result<()> {
    for (encryption, detail) in [
        ("none", "no encryption configuration loaded"),
        ("identity-first", "stored in plaintext"),
    ] {
        let extra = ExtraCluster::start(encryption).await?;
        let cluster = &extra.cluster;
        let ns = TestNamespace::create(cluster, "enc").await?;
        write_secret(cluster, &ns.name).await?;
        let operator = start(cluster, true, &format!("encryption-{encryption}")).await?;
        let (status, ids) = wait_encryption(
            cluster,
            &operator,
            &format!("the verdict on the {encryption} control plane"),
            |s| s.evidence == "apiserver-metrics",
        )
        .await?;
        assert_eq!(status.state, "unencrypted", "{encryption}: {status:?}");
        assert!(status.detail.contains(detail), "{encryption}: {status:?}");
        assert!(ids.contains(&"ENC006".to_owned()), "{encryption}: {ids:?}");
        // The operator's own metrics say the same, with the evidence.
        let (_, text) = http_get(operator.health, "/metrics")?;
        let on = |prefix: &str, needle: &str| {
            text.lines()
                .any(|l| l.starts_with(prefix) && l.contains(needle) && l.ends_with(" 1"))
        };
        assert!(
            on("rampart_secrets_encryption{", "state=\"unencrypted\""),
            "{encryption}: {text}"
        );
        assert!(
            on(
                "rampart_secrets_encryption_info{",
                "evidence=\"apiserver-metrics\""
            ),
            "{encryption}: {text}"
        );
        println!("{encryption}: {} ({})", status.state, status.detail);
    }
    Ok(())
}
