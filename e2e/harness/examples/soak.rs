//! The operator over a long run, as an SRE would leave it (issue "reliability"): a steady
//! trickle of changes (a privileged pod created or deleted every few seconds in one of three
//! namespaces) and an API-server restart every few minutes, for `RAMPART_SOAK_MINUTES` (30
//! by default; `RAMPART_SOAK_RESTART_MINUTES`, 5, between restarts). Prints a line a
//! minute: report writes, failed writes, API errors, watch relists and flaps, VmRSS and
//! VmHWM; at the end, whether each namespace's report counts the privileged pods it has.
//!
//! Prints figures, asserts nothing; not part of CI (`scripts/bench-soak` starts a control
//! plane and runs it). The operator runs under its own ServiceAccount, with the debug build
//! the e2e tests use unless `RAMPART_BIN` names another.

use anyhow::{Context as _, Result};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::DeleteParams;
use rampart_crd::PostureReport;
use rampart_e2e::operator::{Operator, env_dir, install, memory_kib, metric_sum_where};
use rampart_e2e::{Cluster, TestNamespace, apply_yaml};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Time between two changes.
const TICK: Duration = Duration::from_secs(3);
const NAMESPACES: usize = 3;
/// Privileged pods each namespace cycles through.
const PODS: usize = 4;

fn minutes(var: &str, default: u64) -> Duration {
    let n = std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Duration::from_secs(n * 60)
}

fn privileged_pod(ns: &str, name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\n\
         spec: {{containers: [{{name: c, image: registry.example/soak:1, securityContext: {{privileged: true}}}}]}}\n"
    )
}

/// One line of figures from the operator's own metrics and /proc.
fn figures(operator: &Operator, elapsed: Duration, restarts: u32) -> String {
    let metric = |name: &str, filter: &str| {
        metric_sum_where(operator.health, name, filter)
            .map_or_else(|_| "-".to_owned(), |v| format!("{v:.0}"))
    };
    let (rss, hwm) = memory_kib(operator.child.id()).unwrap_or_default();
    format!(
        "{:>5.1} min  restarts {restarts:>2}  written {:>5}  failed {:>3}  api errors {:>3}  relists {:>3}  flaps {:>3}  VmRSS {:>4} MiB  VmHWM {:>4} MiB",
        elapsed.as_secs_f64() / 60.0,
        metric("rampart_report_writes_total", "result=\"written\""),
        metric("rampart_report_writes_total", "result=\"failed\""),
        metric("rampart_api_errors_total", ""),
        metric("rampart_watch_relists_total", ""),
        metric("rampart_watch_flaps_total", ""),
        rss / 1024,
        hwm / 1024,
    )
}

#[tokio::main]
async fn main() -> Result<()> {
    let duration = minutes("RAMPART_SOAK_MINUTES", 30);
    let restart_every = minutes("RAMPART_SOAK_RESTART_MINUTES", 5);
    let cluster = Cluster::connect().await?;
    let kubeconfig = install(&cluster).await?;
    let mut namespaces = Vec::new();
    for _ in 0..NAMESPACES {
        namespaces.push(TestNamespace::create(&cluster, "soak").await?);
    }
    let log = env_dir("RAMPART_E2E_DIR").join("operator-soak.log");
    let mut operator =
        Operator::start_with(&kubeconfig, log.clone(), &["--leader-election", "false"])?;
    operator.wait_ready().await?;
    println!(
        "# Rampart operator soak: {} min, an API-server restart every {} min, a change every {:?}; log {}",
        duration.as_secs() / 60,
        restart_every.as_secs() / 60,
        TICK,
        log.display()
    );

    let started = Instant::now();
    let mut present: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); NAMESPACES];
    let (mut tick, mut restarts, mut printed) = (0usize, 0u32, Duration::ZERO);
    let mut next_restart = restart_every;
    while started.elapsed() < duration {
        let (ns, pod) = (tick % NAMESPACES, (tick / NAMESPACES) % PODS);
        let name = format!("soak-{pod}");
        let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), &namespaces[ns].name);
        let deleting = present[ns].contains(&pod);
        let done = if deleting {
            pods.delete(&name, &DeleteParams::default()).await.is_ok()
        } else {
            let pod_yaml = privileged_pod(&namespaces[ns].name, &name);
            apply_yaml(&cluster.client, None, &pod_yaml).await.is_ok()
        };
        // The API server may be restarting: a change that failed is made at its next turn.
        if done && deleting {
            present[ns].remove(&pod);
        } else if done {
            present[ns].insert(pod);
        }
        tick += 1;
        if started.elapsed() >= next_restart {
            cluster
                .restart_apiserver()
                .await
                .context("restarting kube-apiserver")?;
            restarts += 1;
            next_restart += restart_every;
        }
        if started.elapsed() >= printed + Duration::from_secs(60) || printed.is_zero() {
            printed = started.elapsed();
            println!("{}", figures(&operator, started.elapsed(), restarts));
        }
        tokio::time::sleep(TICK).await;
    }

    // Quiet, then: does every report count the privileged pods its namespace has?
    tokio::time::sleep(Duration::from_secs(10)).await;
    println!("{}", figures(&operator, started.elapsed(), restarts));
    for (i, ns) in namespaces.iter().enumerate() {
        let reports: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &ns.name);
        let counted = reports.get_opt("posture").await?.map_or(0, |r| {
            r.spec
                .report
                .findings
                .iter()
                .filter(|f| f.rule_id == "POD003")
                .count()
        });
        println!(
            "{}: {} privileged pods, the report lists {counted} POD003 findings: {}",
            ns.name,
            present[i].len(),
            if counted == present[i].len() {
                "agrees"
            } else {
                "DISAGREES"
            }
        );
    }
    operator.stop();
    for ns in namespaces {
        ns.delete().await?;
    }
    Ok(())
}
