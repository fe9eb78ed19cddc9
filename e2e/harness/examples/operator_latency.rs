//! Change-to-report latency of the operator, on the real control plane: 100 changes, each
//! a Pod Security label flipped on a namespace, timed until the ClusterPostureReport shows
//! the matching NS001 state; then the operator's peak RSS. Prints figures, asserts nothing.
//!
//! ```sh
//! bash e2e/controlplane/cluster.sh up && eval "$(bash e2e/controlplane/cluster.sh env)"
//! cargo build -p rampart && cargo run -p rampart-e2e --example operator_latency
//! ```

use anyhow::{Context as _, Result, bail};
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::{Patch, PatchParams};
use rampart_crd::ClusterPostureReport;
use rampart_e2e::operator::{memory_kib, percentile, repo};
use rampart_e2e::{Cluster, apply_yaml};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHANGES: usize = 100;

#[tokio::main]
async fn main() -> Result<()> {
    let cluster = Cluster::connect().await?;
    for file in [
        "crds/rampart.yaml",
        "manifests/00-namespace.yaml",
        "manifests/10-rbac.yaml",
    ] {
        apply_yaml(
            &cluster.client,
            None,
            &std::fs::read_to_string(repo().join(file))?,
        )
        .await?;
    }
    let out = Command::new("bash")
        .arg(repo().join("e2e/controlplane/cluster.sh"))
        .args(["token-kubeconfig", "rampart-system", "rampart"])
        .output()?;
    if !out.status.success() {
        bail!("token-kubeconfig: {}", String::from_utf8_lossy(&out.stderr));
    }
    let kubeconfig = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let mut operator = Command::new(repo().join("target/debug/rampart"))
        .args([
            "operator",
            "--debounce-ms",
            "200",
            "--leader-election",
            "false",
            "--health-addr",
            "127.0.0.1:0",
        ])
        .env("KUBECONFIG", &kubeconfig)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting target/debug/rampart (cargo build -p rampart)")?;

    let ns = format!("latency-{}", std::process::id());
    apply_yaml(
        &cluster.client,
        None,
        &format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n"),
    )
    .await?;
    let namespaces: Api<Namespace> = Api::all(cluster.client.clone());
    let reports: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    let flagged = |r: &ClusterPostureReport| {
        r.spec
            .report
            .findings
            .iter()
            .any(|f| f.rule_id == "NS001" && f.resource.name == ns)
    };
    let mut latencies = Vec::with_capacity(CHANGES);
    for i in 0..CHANGES {
        // Even changes fix the namespace, odd ones break it again.
        let level = if i % 2 == 0 {
            "restricted"
        } else {
            "privileged"
        };
        let want_flagged = level == "privileged";
        let patch = serde_json::json!({"metadata": {"labels": {"pod-security.kubernetes.io/enforce": level}}});
        let started = Instant::now();
        namespaces
            .patch(&ns, &PatchParams::default(), &Patch::Merge(&patch))
            .await?;
        loop {
            if let Some(r) = reports.get_opt("cluster").await?
                && flagged(&r) == want_flagged
            {
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                bail!("change {i} did not reach the report in 30 s");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        latencies.push(started.elapsed());
    }
    let rss = memory_kib(operator.id()).map(|(_, hwm)| hwm);
    let _ = operator.kill();
    let _ = operator.wait();
    namespaces.delete(&ns, &Default::default()).await?;
    latencies.sort();
    println!(
        "operator change-to-report latency over {CHANGES} changes (debounce 200 ms, polled every 10 ms)"
    );
    println!(
        "  p50 {:?}  p90 {:?}  p99 {:?}  max {:?}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1]
    );
    if let Some(kib) = rss {
        println!("  operator peak RSS {:.1} MiB", kib as f64 / 1024.0);
    }
    Ok(())
}
