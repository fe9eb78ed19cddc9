//! The operator on a large generated cluster, on the real control plane: the figures of the
//! scale issue. Loads the benchmarks' synthetic cluster (by default 1,000 namespaces and
//! about 100k objects; `RAMPART_BENCH_SCALE`, `RAMPART_BENCH_NAMESPACES`,
//! `RAMPART_BENCH_PODS_PER_NAMESPACE` and `RAMPART_BENCH_CLUSTER_ROLES` size it as they size
//! the engine benchmark) by server-side apply, starts the operator under its own
//! ServiceAccount with its default settings, and prints:
//! - the time to the first complete set of reports (lists included);
//! - the operator's VmRSS over time and its VmHWM;
//! - the total bytes of all reports, and how many were folded or truncated;
//! - the API requests the operator made, by verb and resource, from kube-apiserver's own
//!   counters (the control plane runs no controller that writes in the meantime);
//! - report writes while nothing changes;
//! - change → report latency under that load: a privileged pod created in one namespace
//!   and deleted again, each timed until that namespace's report counts move.
//!
//! Prints figures, asserts nothing. `scripts/bench-scale` (`just bench-scale`) starts the
//! control plane and runs it; CI runs the small correctness version (`tests/scale.rs`).

#[allow(dead_code)]
#[path = "../../../../crates/rampart-rules/benches/synthetic/mod.rs"]
mod synthetic;

mod passes;
use passes::{
    Met, apiserver_collections, one_namespace_passes, print_passes, totals_handed_over,
    totals_writes,
};

use anyhow::{Context as _, Result, bail};
use futures::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, WatchEvent, WatchParams};
use rampart_crd::{ClusterPostureReport, POSTURE_REPORT_NAME, PostureReport, Report};
use rampart_e2e::operator::{
    free_port, http_status, install_with, memory_kib, metric_sum_where, percentile, repo,
};
use rampart_e2e::{Cluster, apply_generated, apply_yaml};
use rampart_operator::apiserver::Read;
use rampart_operator::apply::{FIELD_MANAGER, applied_body, report_body};
use rampart_operator::replace::{self, Target};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Namespaces applied between two discoveries of the API: loading stays fast, and a
/// namespace and its ServiceAccounts are always created before what lives in them.
const NAMESPACES_PER_BATCH: usize = 25;
const CONCURRENCY: usize = 16;
/// How long the operator's writes must stand still to call its reports complete.
const SETTLED: Duration = Duration::from_secs(5);
const QUIET_WINDOW: Duration = Duration::from_secs(30);
/// Rounds of the change → report latency (a pod created and deleted: two changes each)
/// unless `RAMPART_BENCH_LATENCY_ROUNDS` says otherwise: 20 rounds make a p99 of 40 passes
/// their slowest one; 100 tell the tail from one outlier.
const LATENCY_ROUNDS: usize = 20;

fn latency_rounds() -> Result<usize> {
    match std::env::var("RAMPART_BENCH_LATENCY_ROUNDS") {
        Ok(rounds) => rounds
            .parse()
            .with_context(|| format!("RAMPART_BENCH_LATENCY_ROUNDS={rounds:?} is not a count")),
        Err(_) => Ok(LATENCY_ROUNDS),
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// kube-apiserver's /metrics, read with kubectl as the cluster's admin.
fn apiserver_metrics(cluster: &Cluster) -> Result<String> {
    let out = Command::new(cluster.bin.join("kubectl"))
        .arg("--kubeconfig")
        .arg(&cluster.kubeconfig)
        .args(["get", "--raw", "/metrics"])
        .output()
        .context("running kubectl get --raw /metrics")?;
    if !out.status.success() {
        bail!(
            "kubectl get --raw /metrics: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The bytes kube-apiserver has allocated since it started (`go_memstats_alloc_bytes_total`):
/// what it allocates decides how often its garbage collector marks its heap.
fn apiserver_allocated(cluster: &Cluster) -> Result<f64> {
    let text = apiserver_metrics(cluster)?;
    text.lines()
        .find_map(|l| l.strip_prefix("go_memstats_alloc_bytes_total "))
        .and_then(|v| v.trim().parse().ok())
        .context("go_memstats_alloc_bytes_total in kube-apiserver's /metrics")
}

/// kube-apiserver's request counters by "VERB resource[/subresource]".
fn apiserver_requests(cluster: &Cluster) -> Result<BTreeMap<String, f64>> {
    let text = apiserver_metrics(cluster)?;
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("apiserver_request_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.rsplit_once("} ") else {
            continue;
        };
        let label = |name: &str| -> String {
            labels
                .split(',')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=\"")))
                .map(|v| v.trim_end_matches('"').to_owned())
                .unwrap_or_default()
        };
        let resource = match label("subresource").as_str() {
            "" => label("resource"),
            sub => format!("{}/{sub}", label("resource")),
        };
        let key = format!("{} {}", label("verb"), resource);
        *counts.entry(key).or_insert(0.0) += value.parse::<f64>().unwrap_or(0.0);
    }
    Ok(counts)
}

/// Loads the generated cluster; returns how many objects were applied.
async fn load(cluster: &Cluster, sizes: synthetic::Sizes) -> Result<usize> {
    let mut generator = synthetic::Cluster::new(sizes);
    let mut applied = 0;
    let mut chunk = 0;
    let mut done = false;
    while !done {
        let mut documents = Vec::new();
        for _ in 0..NAMESPACES_PER_BATCH {
            let Some(chunk_documents) = generator.next_documents() else {
                done = true;
                break;
            };
            // The platform chunk (kube-system, default) would overwrite the control
            // plane's own objects.
            if chunk != 1 {
                documents.extend(chunk_documents);
            }
            chunk += 1;
        }
        applied += apply_generated(&cluster.client, documents, CONCURRENCY).await?;
        eprint!("\rloaded {applied} objects");
    }
    eprintln!();
    Ok(applied)
}

/// Samples the operator's memory every half second until told to stop.
struct Sampler {
    samples: Arc<Mutex<Vec<(Duration, u64, u64)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    fn start(pid: u32, since: Instant) -> Sampler {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let into = samples.clone();
        let task = tokio::spawn(async move {
            while let Some((rss, hwm)) = memory_kib(pid) {
                if let Ok(mut s) = into.lock() {
                    s.push((since.elapsed(), rss, hwm));
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        });
        Sampler { samples, task }
    }

    /// One line per `step` of the run: the highest VmRSS seen in it.
    fn timeline(&self, step: Duration) -> Vec<(Duration, u64)> {
        let Ok(samples) = self.samples.lock() else {
            return Vec::new();
        };
        let mut lines: Vec<(Duration, u64)> = Vec::new();
        for &(t, rss, _) in samples.iter() {
            let bucket = step * (t.as_millis() / step.as_millis()) as u32;
            match lines.last_mut() {
                Some((b, max)) if *b == bucket => *max = (*max).max(rss),
                _ => lines.push((bucket, rss)),
            }
        }
        lines
    }
}

/// Starts the release operator with its shipped defaults, under `kubeconfig`.
fn start_operator(
    kubeconfig: &std::path::Path,
    health: SocketAddr,
    log: &std::path::Path,
) -> Result<Child> {
    let bin = std::env::var_os("RAMPART_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo().join("target/release/rampart"));
    if !bin.exists() {
        bail!(
            "{} is missing: build it with `cargo build --release -p rampart`",
            bin.display()
        );
    }
    Command::new(&bin)
        .args([
            "operator",
            "--leader-election",
            "false",
            "--health-addr",
            &health.to_string(),
        ])
        .env("KUBECONFIG", kubeconfig)
        // Each pass's scope and steps are read back from the log (`one_namespace_passes`);
        // RAMPART_OPERATOR_LOG=info shows everything else too.
        .env(
            "RUST_LOG",
            std::env::var("RAMPART_OPERATOR_LOG")
                .unwrap_or_else(|_| "warn,rampart_operator::run=info".to_owned()),
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))
}

/// Waits until the operator has evaluated once and its writes have stood still for
/// [`SETTLED`]; returns when the last write was seen.
async fn first_reports(
    health: SocketAddr,
    started: Instant,
    child: &mut Child,
) -> Result<Duration> {
    let mut writes = -1.0;
    let mut last_change = started.elapsed();
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("the operator exited with {status}");
        }
        let evaluated = metric_sum_where(health, "rampart_last_evaluation_timestamp_seconds", "")
            .unwrap_or(0.0)
            > 0.0;
        let now = metric_sum_where(health, "rampart_report_writes_total", "").unwrap_or(-1.0);
        if now != writes {
            writes = now;
            last_change = started.elapsed();
        } else if evaluated && writes > 0.0 && started.elapsed() - last_change >= SETTLED {
            return Ok(last_change);
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!("no settled reports after 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A namespace report's finding count.
fn total(report: &PostureReport) -> u32 {
    let s = &report.spec.report.summary;
    s.critical + s.high + s.medium + s.low + s.info
}

/// Waits for the report's count to satisfy `want`, watching the report rather than polling
/// it: reads every few milliseconds would load the API server whose write is being timed.
async fn wait_total(reports: &Api<PostureReport>, want: impl Fn(u32) -> bool) -> Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let current = reports.get("posture").await?;
    if want(total(&current)) {
        return Ok(());
    }
    let version = current.metadata.resource_version.unwrap_or_default();
    let params = WatchParams::default().fields("metadata.name=posture");
    let mut events = reports.watch(&params, &version).await?.boxed();
    loop {
        let event = tokio::time::timeout_at(deadline, events.try_next())
            .await
            .context("the report did not move within 60 s")??;
        match event {
            Some(WatchEvent::Added(r) | WatchEvent::Modified(r)) if want(total(&r)) => {
                return Ok(());
            }
            Some(WatchEvent::Error(e)) => bail!("watching the report: {}", e.message),
            Some(_) => {}
            None => bail!("the watch of the report ended before it moved"),
        }
    }
}

/// Creates and deletes a privileged pod in `ns`, timing each change to its report.
async fn latency(cluster: &Cluster, ns: &str, rounds: usize) -> Result<Vec<Duration>> {
    let reports: Api<PostureReport> = Api::namespaced(cluster.client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), ns);
    let baseline = total(&reports.get("posture").await?);
    let mut times = Vec::new();
    for round in 0..rounds {
        let name = format!("bench-probe-{round}");
        let started = Instant::now();
        apply_yaml(
            &cluster.client,
            Some(ns),
            &format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\n\
                 spec: {{hostPID: true, containers: [{{name: c, image: 'registry.example/probe:1', \
                 securityContext: {{privileged: true}}}}]}}\n"
            ),
        )
        .await?;
        wait_total(&reports, |t| t != baseline).await?;
        times.push(started.elapsed());
        let started = Instant::now();
        pods.delete(&name, &DeleteParams::default().grace_period(0))
            .await?;
        wait_total(&reports, |t| t == baseline).await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times)
}

/// A report of no finding beside the probe's, written only by the bench.
const EMPTY_REPORT_NAME: &str = "bench-empty";

/// A PostureReport named `name` in `ns` holding `report`, as the operator applies one.
fn applied(ns: &str, name: &str, report: &serde_json::Value, hash: &str) -> serde_json::Value {
    let meta = ObjectMeta {
        name: Some(name.to_owned()),
        namespace: Some(ns.to_owned()),
        ..ObjectMeta::default()
    };
    applied_body(meta, report, hash)
}

/// How many values (strings, numbers, booleans) a JSON document holds: what the API
/// server's cost of storing a report follows (tenth round).
fn values(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(items) => items.iter().map(values).sum(),
        serde_json::Value::Object(fields) => fields.values().map(values).sum(),
        _ => 1,
    }
}

/// What one write costs the API server under this load, by how it is made: the probe
/// namespace's report applied as the operator applies one (over the report the replace
/// that follows each round has left without field ownership, so kube-apiserver first gives
/// every field to `before-first-apply`), and replaced under its resourceVersion as it
/// replaces a report written before (its field ownership reset);
/// the same report replaced keeping its field ownership (as the version before replaced
/// it), and with its folded entries' objects and fingerprints left out (what those values
/// cost), and with only the first half of its whole findings (what the other half costs),
/// in three other namespaces' reports; an empty report applied (what any report's
/// write costs) and a small ConfigMap applied (what any write costs). Each write changes
/// something, so each is stored. The operator is stopped.
async fn write_costs(
    cluster: &Cluster,
    ns: &str,
    others: [String; 3],
) -> Result<Vec<(String, Vec<Duration>)>> {
    // Forty rounds: two ways of writing the same report differ by a few milliseconds, the
    // hour by more.
    const ROUNDS: usize = 40;
    let reports: Api<PostureReport> = Api::namespaced(cluster.client.clone(), ns);
    let maps: Api<ConfigMap> = Api::namespaced(cluster.client.clone(), ns);
    let report = reports.get(POSTURE_REPORT_NAME).await?.spec.report;
    let apply = rampart_operator::apply::report_params(FIELD_MANAGER);
    let empty = serde_json::to_value(Report::default())?;
    let report_value = serde_json::to_value(&report)?;
    // The report with its folded entries' objects and fingerprints left out.
    let mut bare = report.clone();
    for fold in &mut bare.folded {
        fold.resources.clear();
        fold.fingerprints.clear();
    }
    let bare = serde_json::to_value(bare)?;
    // The report with the second half of its whole findings left out.
    let mut halved = report.clone();
    halved.findings.truncate(report.findings.len() / 2);
    let halved_findings = halved.findings.len();
    let halved = serde_json::to_value(halved)?;
    // The replaced variants, each in a namespace of its own (the report there is replaced
    // by it), from the stored metadata of that report. The one that keeps its field
    // ownership is applied first, so that it has some to keep (the operator's replaces
    // have reset it).
    let mut variants = Vec::new();
    for (other, (value, keeps)) in
        others
            .into_iter()
            .zip([(report_value.clone(), true), (bare, false), (halved, false)])
    {
        let api: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &other);
        let meta = if keeps {
            let body = applied(&other, POSTURE_REPORT_NAME, &value, "bench-owned");
            api.patch_metadata(POSTURE_REPORT_NAME, &apply, &Patch::Apply(body))
                .await?
                .metadata
        } else {
            api.get(POSTURE_REPORT_NAME).await?.metadata
        };
        variants.push((other, value, Some(replace::remembered(meta)), keeps));
    }
    let mut costs: Vec<(String, Vec<Duration>)> = [
        format!(
            "report applied over itself replaced (its ownership reset), metadata back ({} values)",
            values(&report_value)
        ),
        "report replaced under its resourceVersion, metadata back (the operator's way for a report written before)".to_owned(),
        "the report replaced keeping its field ownership (the version before)".to_owned(),
        format!(
            "the report, its folds' objects and fingerprints left out, replaced ({} values)",
            values(&variants[1].1)
        ),
        format!(
            "the report with {halved_findings} of its {} whole findings, replaced ({} values)",
            report.findings.len(),
            values(&variants[2].1)
        ),
        "an empty PostureReport applied, metadata back".to_owned(),
        "a 1 KiB ConfigMap applied".to_owned(),
    ]
    .into_iter()
    .map(|how| (how, Vec::new()))
    .collect();
    let ways = costs.len();
    // The probe's report's metadata from the last write of it: what a replace is made under.
    let mut stored = None;
    for round in 0..ROUNDS {
        for (way, (_, times)) in costs.iter_mut().enumerate() {
            let i = round * ways + way;
            let started = Instant::now();
            match way {
                0 => {
                    stored = Some(replace::remembered(
                        reports
                            .patch_metadata(
                                POSTURE_REPORT_NAME,
                                &apply,
                                &Patch::Apply(applied(
                                    ns,
                                    POSTURE_REPORT_NAME,
                                    &report_value,
                                    &format!("bench-{i}"),
                                )),
                            )
                            .await?
                            .metadata,
                    ))
                }
                1 => {
                    let meta = stored.take().context("the probe's report's metadata")?;
                    stored = replace::report(
                        &cluster.client,
                        ns,
                        &meta,
                        &report_value,
                        &format!("bench-{i}"),
                    )
                    .await?;
                }
                2..=4 => {
                    let (other, value, meta, keeps) = &mut variants[way - 2];
                    let made_under = meta.take().context("the other report's metadata")?;
                    let hash = format!("bench-{i}");
                    *meta = if *keeps {
                        // Sent without field ownership: the API server keeps what it has.
                        let body = report_body(*made_under, value, &hash);
                        Some(replace::put_report(&cluster.client, other, &body).await?)
                    } else {
                        replace::report(&cluster.client, other, &made_under, value, &hash).await?
                    };
                }
                5 => drop(
                    reports
                        .patch_metadata(
                            EMPTY_REPORT_NAME,
                            &apply,
                            &Patch::Apply(applied(
                                ns,
                                EMPTY_REPORT_NAME,
                                &empty,
                                &format!("bench-{i}"),
                            )),
                        )
                        .await?,
                ),
                _ => {
                    let map = serde_json::json!({
                        "apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": "bench-write-probe", "namespace": ns},
                        "data": {"value": format!("{i:01024}")},
                    });
                    drop(
                        maps.patch_metadata(
                            "bench-write-probe",
                            &PatchParams::apply("rampart-bench").force(),
                            &Patch::Apply(map),
                        )
                        .await?,
                    )
                }
            }
            times.push(started.elapsed());
            // Apart, as the operator's writes are: back to back, each would also pay for
            // the work the API server still does after answering the last.
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    for (_, times) in &mut costs {
        times.sort();
    }
    Ok(costs)
}

/// What kube-apiserver allocates for one write, in MB, by what is written: the probe
/// namespace's report replaced as the operator replaces it, an empty report applied, and
/// the ClusterPostureReport's totals (its score changed) applied as the operator's version
/// before applied them, then replaced as it replaces them now. Each kind is written [`ALLOCATION_WRITES`] times, 250 ms apart, between two
/// reads of the counter; a block of as many waits without a write, before and after,
/// measures what the API server allocates meanwhile on its own (and the reads themselves).
/// The operator is stopped.
async fn allocations(cluster: &Cluster, ns: &str) -> Result<Vec<(String, f64)>> {
    const ALLOCATION_WRITES: usize = 10;
    let reports: Api<PostureReport> = Api::namespaced(cluster.client.clone(), ns);
    let stored = reports.get(POSTURE_REPORT_NAME).await?;
    let report = serde_json::to_value(&stored.spec.report)?;
    let mut meta = Some(replace::remembered(stored.metadata));
    let apply = rampart_operator::apply::report_params(FIELD_MANAGER);
    let empty = serde_json::to_value(Report::default())?;
    let whole: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    let mut totals = serde_json::to_value(whole.get("cluster").await?)?;
    let score = totals["clusterScore"].as_u64().unwrap_or(50);
    let kinds = [
        "nothing (the API server on its own, and the reads of the counter)",
        "ns report replaced",
        "an empty PostureReport applied",
        "the ClusterPostureReport's totals applied (the version before)",
        "the ClusterPostureReport's totals replaced, its ownership reset (this version)",
        "nothing, again",
    ];
    let mut cluster_meta = None;
    let mut blocks = Vec::new();
    for (kind, what) in kinds.iter().enumerate() {
        let before = apiserver_allocated(cluster)?;
        for i in 0..ALLOCATION_WRITES {
            let hash = format!("bench-alloc-{kind}-{i}");
            match kind {
                1 => {
                    let made_under = meta.take().context("the probe's report's metadata")?;
                    meta =
                        replace::report(&cluster.client, ns, &made_under, &report, &hash).await?;
                }
                2 => {
                    let empty = applied(ns, EMPTY_REPORT_NAME, &empty, &hash);
                    drop(
                        reports
                            .patch_metadata(EMPTY_REPORT_NAME, &apply, &Patch::Apply(empty))
                            .await?,
                    );
                }
                3 => {
                    totals["metadata"] = serde_json::json!({"name": "cluster",
                        "annotations": {"rampart.dev/content-hash": hash}});
                    totals["clusterScore"] = (score.saturating_sub((i % 2) as u64)).into();
                    let applied = whole
                        .patch_metadata("cluster", &apply, &Patch::Apply(&totals))
                        .await?;
                    cluster_meta = Some(replace::remembered(applied.metadata));
                }
                4 => {
                    let made_under = cluster_meta
                        .take()
                        .context("the cluster report's metadata")?;
                    totals["clusterScore"] = (score.saturating_sub((i % 2) as u64)).into();
                    let body = |mut meta: ObjectMeta| {
                        meta.annotations
                            .get_or_insert_default()
                            .insert("rampart.dev/content-hash".to_owned(), hash.clone());
                        let mut sent = totals.clone();
                        sent["metadata"] = serde_json::to_value(meta)?;
                        serde_json::to_vec(&sent)
                    };
                    cluster_meta =
                        replace::replace(&cluster.client, Target::Cluster, &made_under, body)
                            .await?;
                }
                _ => {}
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        blocks.push((*what, apiserver_allocated(cluster)? - before));
    }
    let alone = (blocks[0].1 + blocks[5].1) / 2.0;
    Ok(blocks
        .iter()
        .map(|(what, bytes)| {
            let per_write = (bytes - alone) / ALLOCATION_WRITES as f64 / 1e6;
            (
                what.replace("ns report", &format!("{ns}'s report")),
                per_write,
            )
        })
        .collect())
}

/// The log of the operator whose relists [`relist`] measures, in the cluster's directory.
const RELIST_LOG: &str = "operator-bench-relist.log";

/// What an API-server restart under a settled operator costs it: every watch relists.
struct Relisted {
    /// VmRSS before the restart, settled.
    rss_before: u64,
    /// The highest VmRSS from the restart until the operator is quiet again (VmHWM, reset
    /// before the restart), and VmRSS then.
    hwm_during: u64,
    rss_after: u64,
    /// How long kube-apiserver took to come back, and the operator's relists to be applied.
    restart: Duration,
    settled: Duration,
    relists: f64,
    flaps: f64,
    passes: f64,
    /// Reports written meanwhile: nothing changed, so none should be.
    writes: f64,
}

/// Starts the operator again, waits for its reports to settle, then restarts kube-apiserver
/// under it and measures what the relists cost (see [`Relisted`]).
async fn relist(cluster: &Cluster, kubeconfig: &std::path::Path) -> Result<Relisted> {
    let health: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
    let log = cluster.dir.join(RELIST_LOG);
    let started = Instant::now();
    let mut child = start_operator(kubeconfig, health, &log)?;
    first_reports(health, started, &mut child).await?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let pid = child.id();
    let (rss_before, _) = memory_kib(pid).unwrap_or_default();
    // Resets VmHWM to the present VmRSS (proc(5), clear_refs).
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .context("resetting the operator's VmHWM")?;
    let count = |name: &str| metric_sum_where(health, name, "");
    let (relists, flaps) = (
        count("rampart_watch_relists_total")?,
        count("rampart_watch_flaps_total")?,
    );
    let writes = metric_sum_where(health, "rampart_report_writes_total", r#"result="written""#)?;
    let passes = count("rampart_evaluation_duration_seconds_count")?;
    let restarting = Instant::now();
    cluster.restart_apiserver().await?;
    let restart = restarting.elapsed();
    // Quiet: no pass for five seconds after the relists began.
    let mut last = (
        count("rampart_evaluation_duration_seconds_count")?,
        Instant::now(),
    );
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Some(status) = child.try_wait()? {
            bail!("the operator exited with {status}: see {}", log.display());
        }
        let now = count("rampart_evaluation_duration_seconds_count")?;
        let relisted = count("rampart_watch_relists_total")? + count("rampart_watch_flaps_total")?
            > relists + flaps;
        if now != last.0 {
            last = (now, Instant::now());
        } else if relisted && last.1.elapsed() >= Duration::from_secs(5) {
            break;
        }
        if restarting.elapsed() > Duration::from_secs(600) {
            bail!("the operator did not settle within 10 minutes of the restart");
        }
    }
    let settled = last.1 - restarting;
    let (rss_after, hwm_during) = memory_kib(pid).unwrap_or_default();
    let figures = Relisted {
        rss_before,
        hwm_during,
        rss_after,
        restart,
        settled,
        relists: count("rampart_watch_relists_total")? - relists,
        flaps: count("rampart_watch_flaps_total")? - flaps,
        passes: count("rampart_evaluation_duration_seconds_count")? - passes,
        writes: metric_sum_where(health, "rampart_report_writes_total", r#"result="written""#)?
            - writes,
    };
    rampart_e2e::terminate(&mut child);
    Ok(figures)
}

#[tokio::main]
async fn main() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let sizes = synthetic::Sizes::from_env();
    let rounds = latency_rounds()?;
    if sizes.namespaces < 3 {
        bail!("the write costs need three namespaces: the probe's and two neighbours'");
    }
    println!("# Rampart operator at scale: {sizes:?}");
    // With the optional /metrics grant, as a user who wants the strongest evidence of
    // encryption installs it: the scrapes once a minute are part of the load.
    let kubeconfig = install_with(
        &cluster,
        &["manifests/optional/apiserver-metrics-rbac.yaml"],
    )
    .await?;

    let loading = Instant::now();
    let applied = load(&cluster, sizes).await?;
    let loaded_in = loading.elapsed();
    println!(
        "loaded {applied} objects in {:.0} s ({:.0} objects/s)",
        loaded_in.as_secs_f64(),
        applied as f64 / loaded_in.as_secs_f64()
    );

    let health: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
    let log = cluster.dir.join("operator-bench-scale.log");
    let before = apiserver_requests(&cluster)?;
    let started = Instant::now();
    let mut child = start_operator(&kubeconfig, health, &log)?;
    let sampler = Sampler::start(child.id(), started);
    let ready = loop {
        if http_status(health, "/readyz").is_some_and(|l| l.contains(" 200 ")) {
            break started.elapsed();
        }
        if let Some(status) = child.try_wait()? {
            bail!("the operator exited with {status}: see {}", log.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let pid = child.id();
    let (rss_ready, _) = memory_kib(pid).unwrap_or_default();
    let complete = first_reports(health, started, &mut child).await?;
    let (rss_complete, hwm_complete) = memory_kib(pid).unwrap_or_default();
    let after = apiserver_requests(&cluster)?;

    // Only reports sent count: a pass that finds nothing new counts its reports as
    // `unchanged`, which costs the API server nothing.
    let written = r#"result="written""#;
    let writes_before = metric_sum_where(health, "rampart_report_writes_total", written)?;
    let passes_before = metric_sum_where(health, "rampart_evaluation_duration_seconds_count", "")?;
    let allocated_before_quiet = apiserver_allocated(&cluster)?;
    tokio::time::sleep(QUIET_WINDOW).await;
    let quiet_allocated = apiserver_allocated(&cluster)? - allocated_before_quiet;
    // Read before /metrics is: rendering every series allocates for a moment, and that
    // moment is the scrape's, not what the operator holds.
    let (rss_steady, _) = memory_kib(pid).unwrap_or_default();
    let quiet_writes =
        metric_sum_where(health, "rampart_report_writes_total", written)? - writes_before;
    let quiet_passes =
        metric_sum_where(health, "rampart_evaluation_duration_seconds_count", "")? - passes_before;
    let watched = metric_sum_where(health, "rampart_watched_objects", "")?;

    let namespaced: Api<PostureReport> = Api::all(cluster.client.clone());
    let reports = namespaced.list(&ListParams::default()).await?.items;
    let namespaces: Api<Namespace> = Api::all(cluster.client.clone());
    let namespace_count = namespaces.list(&ListParams::default()).await?.items.len();
    let whole: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    let cluster_report = whole.get("cluster").await?;
    let sizes_of: Vec<usize> = reports
        .iter()
        .map(|r| serde_json::to_vec(r).map(|v| v.len()).unwrap_or(0))
        .collect();
    let cluster_bytes = serde_json::to_vec(&cluster_report)?.len();
    let folded = reports
        .iter()
        .filter(|r| !r.spec.report.folded.is_empty())
        .count();
    let truncated = reports.iter().filter(|r| r.spec.report.truncated).count();
    let findings: u64 = reports
        .iter()
        .map(|r| &r.spec.report.summary)
        .chain(std::iter::once(&cluster_report.spec.report.summary))
        .map(|s| u64::from(s.critical + s.high + s.medium + s.low + s.info))
        .sum();

    let probe = synthetic::namespace_name(sizes.namespaces / 2);
    let passes_before = one_namespace_passes(&log).len();
    let totals_before = totals_writes(&log).len();
    let allocated_before_rounds = apiserver_allocated(&cluster)?;
    let rounds_started = Instant::now();
    let times = latency(&cluster, &probe, rounds).await?;
    let rounds_allocated = apiserver_allocated(&cluster)? - allocated_before_rounds;
    let rounds_lasted = rounds_started.elapsed();
    let (rss_end, hwm) = memory_kib(pid).unwrap_or_default();
    let scrapes = Read::ALL.map(|read| {
        metric_sum_where(
            health,
            "rampart_apiserver_scrapes_total",
            &format!("result=\"{}\"", read.as_str()),
        )
        .unwrap_or(f64::NAN)
    });
    rampart_e2e::terminate(&mut child);
    let passes = one_namespace_passes(&log).split_off(passes_before);
    let mut totals = totals_writes(&log).split_off(totals_before);
    let handed_over = totals_handed_over(&log);
    let collections = apiserver_collections(&cluster.dir);
    let report_bytes = reports
        .iter()
        .find(|r| r.metadata.namespace.as_deref() == Some(probe.as_str()))
        .map_or(0, |r| serde_json::to_vec(r).map_or(0, |v| v.len()));
    let neighbour = |k| synthetic::namespace_name((sizes.namespaces / 2 + k) % sizes.namespaces);
    let writes = write_costs(&cluster, &probe, [neighbour(1), neighbour(2), neighbour(3)]).await?;
    let allocated = allocations(&cluster, &probe).await?;
    sampler.task.abort();
    // Last, and not fatal: the figures above stand whatever becomes of it.
    let relisted = relist(&cluster, &kubeconfig).await;
    // The cluster's directory goes with it: keep the operator's logs (with
    // `_RJEM_MALLOC_CONF=stats_print:true`, the allocator's statistics at exit) where asked,
    // the relists' beside the first as `<file>.relist`.
    if let Ok(keep) = std::env::var("RAMPART_BENCH_KEEP_LOG") {
        std::fs::copy(&log, &keep).with_context(|| format!("copying the log to {keep}"))?;
        let relist_log = cluster.dir.join(RELIST_LOG);
        if relist_log.exists() {
            let kept = format!("{keep}.relist");
            std::fs::copy(&relist_log, &kept)
                .with_context(|| format!("copying the relists' log to {kept}"))?;
        }
    }

    println!();
    println!("| what | figure |");
    println!("|---|---|");
    println!("| objects the operator watches | {watched:.0} |");
    println!(
        "| ready (every initial list synced) | {:.1} s, VmRSS {:.0} MiB |",
        ready.as_secs_f64(),
        mib(rss_ready)
    );
    println!(
        "| first complete set of reports | {:.1} s after start, VmRSS {:.0} MiB, VmHWM {:.0} MiB |",
        complete.as_secs_f64(),
        mib(rss_complete),
        mib(hwm_complete)
    );
    println!(
        "| steady VmRSS ({} s later) | {:.0} MiB ({:.0} bytes per watched object) |",
        QUIET_WINDOW.as_secs(),
        mib(rss_steady),
        rss_steady as f64 * 1024.0 / watched.max(1.0)
    );
    println!(
        "| VmRSS after the latency rounds / VmHWM | {:.0} / {:.0} MiB |",
        mib(rss_end),
        mib(hwm)
    );
    println!(
        "| reports written in {} quiet seconds | {quiet_writes:.0} ({quiet_passes:.0} passes ran) |",
        QUIET_WINDOW.as_secs()
    );
    println!(
        "| reports | {} PostureReports for {namespace_count} namespaces + 1 ClusterPostureReport; {findings} findings |",
        reports.len()
    );
    println!(
        "| bytes of all reports | {:.1} MiB (largest PostureReport {:.0} KiB, ClusterPostureReport {:.0} KiB) |",
        (sizes_of.iter().sum::<usize>() + cluster_bytes) as f64 / 1048576.0,
        sizes_of.iter().copied().max().unwrap_or(0) as f64 / 1024.0,
        cluster_bytes as f64 / 1024.0
    );
    println!("| reports with folded findings / truncated | {folded} / {truncated} |");
    let [changed, unchanged, forbidden, failed] = scrapes;
    println!(
        "| reads of kube-apiserver /metrics: changed what the verdicts read / only counters ran on / forbidden / failed | {changed:.0} / {unchanged:.0} / {forbidden:.0} / {failed:.0} |"
    );
    println!(
        "| change → report ({} changes in {probe}, debounce 1 s) | p50 {:.2} s, p99 {:.2} s, max {:.2} s |",
        times.len(),
        percentile(&times, 0.5).as_secs_f64(),
        percentile(&times, 0.99).as_secs_f64(),
        times.last().copied().unwrap_or_default().as_secs_f64()
    );
    let met = Met {
        handed_over: &handed_over,
        collections: &collections,
    };
    print_passes(&passes, &mut totals, &met, &probe);
    println!(
        "| kube-apiserver allocated, quiet / during the latency rounds | {:.1} / {:.1} MB/s |",
        quiet_allocated / 1e6 / QUIET_WINDOW.as_secs_f64(),
        rounds_allocated / 1e6 / rounds_lasted.as_secs_f64()
    );
    for (what, mb) in &allocated {
        println!("| kube-apiserver allocated per write: {what} | {mb:.1} MB |");
    }
    for (how, times) in &writes {
        println!(
            "| one write in {probe} (report {:.0} KiB), operator stopped: {how} | p50 {:.1} ms, p90 {:.1} ms |",
            report_bytes as f64 / 1024.0,
            percentile(times, 0.5).as_secs_f64() * 1000.0,
            percentile(times, 0.9).as_secs_f64() * 1000.0
        );
    }

    match relisted {
        Ok(relisted) => {
            println!(
                "| kube-apiserver restarted under the settled operator (back in {:.1} s) | {:.0} relists, {:.0} watches resumed; {:.0} passes, the last {:.1} s after the restart began; {:.0} reports written |",
                relisted.restart.as_secs_f64(),
                relisted.relists,
                relisted.flaps,
                relisted.passes,
                relisted.settled.as_secs_f64(),
                relisted.writes
            );
            println!(
                "| the operator's memory across those relists: VmRSS before / highest / after | {:.0} / {:.0} / {:.0} MiB |",
                mib(relisted.rss_before),
                mib(relisted.hwm_during),
                mib(relisted.rss_after)
            );
        }
        Err(e) => {
            println!("| kube-apiserver restarted under the settled operator | failed: {e:#} |")
        }
    }

    println!();
    println!(
        "API requests from the operator's start to its complete reports (kube-apiserver counters):"
    );
    let mut deltas: Vec<(String, f64)> = after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0.0)))
        .filter(|(_, d)| *d > 0.0)
        .collect();
    deltas.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (what, n) in &deltas {
        println!("  {n:>8.0}  {what}");
    }

    println!();
    println!("VmRSS over time (highest in each 10 s):");
    for (t, rss) in sampler.timeline(Duration::from_secs(10)) {
        println!("  {:>5} s  {:>6.0} MiB", t.as_secs(), mib(rss));
    }
    Ok(())
}
