//! The operator's pipeline, one pass per batch of changes:
//!
//! ```text
//! collect (watches, API) -> changes -> Inventory::apply -> scope -> evaluate scope
//!   -> merge into the last evaluation -> build reports (pure) -> apply (API, only what changed)
//! ```
//! Changes are batched by a short debounce, and only the namespaces they can affect are
//! evaluated again (plus the cheap cluster-scoped part). A periodic resync rebuilds the
//! inventory from the caches and evaluates everything; it also checks that the incremental
//! results agreed, and says so in the logs when they did not.

use crate::apiserver::Scraper;
use crate::apply::Writer;
use crate::collect::{Pending, Stores};
use crate::events;
use crate::metrics::Metrics;
use crate::report;
use crate::watch_state::WatchState;
use anyhow::{Context as _, Result};
use futures::StreamExt;
use kube::Client;
use rampart_rules::Severity;
use rampart_rules::encryption_state::assess;
use rampart_rules::{Evaluation, Inventory, Scope, Settings, evaluate, evaluate_scope, registry};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::{debug, info, warn};

#[derive(Debug, Clone)]
pub struct Config {
    /// Quiet time after a change before evaluating, so bursts make one evaluation.
    pub debounce: Duration,
    /// Evaluate at least this often, whatever the watches say.
    pub resync: Duration,
    /// Marked ready once every initial list has synced.
    pub health: std::sync::Arc<crate::health::Health>,
    /// How long to wait for every initial list before evaluating what has synced; kinds
    /// still missing (forbidden, not served) are reported as not evaluated.
    pub initial_sync_timeout: Duration,
    /// Findings at or above this severity are announced with Events when they appear or go.
    pub event_min_severity: Severity,
    /// This replica's name in events (the pod name in a cluster).
    pub instance: String,
    /// Namespaces that get reports.
    pub namespaces: report::NamespaceFilter,
    /// Leadership from the Lease; `None` runs alone and always writes.
    pub leader: Option<watch::Receiver<bool>>,
    /// How often to read kube-apiserver's /metrics for encryption evidence; zero: never.
    pub apiserver_metrics_interval: Duration,
    /// Settings file contents (overrides, exceptions, declared encryption).
    pub settings: Settings,
    /// Registered once at start-up; also served on the health address.
    pub metrics: Arc<Metrics>,
}

fn is_leader(leader: &Option<watch::Receiver<bool>>) -> bool {
    leader.as_ref().is_none_or(|l| *l.borrow())
}

fn now() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Runs until `shutdown` turns true.
pub async fn run(
    client: Client,
    mut config: Config,
    mut shutdown: watch::Receiver<bool>,
) -> Result<()> {
    // Collect: start every watch; a task drives them and signals changes.
    let (stores, streams) = Stores::watch_all(&client);
    let (changed_tx, mut changed) = tokio::sync::mpsc::channel::<()>(1);
    let mut events = futures::stream::select_all(streams);
    let watch_state = Arc::new(WatchState::default());
    let pending = Arc::new(Mutex::new(Pending::default()));
    let state = watch_state.clone();
    let seen = pending.clone();
    let metrics = config.metrics.clone();
    tokio::spawn(async move {
        while let Some((kind, result)) = events.next().await {
            match result {
                Ok(s) => {
                    state.ok(kind);
                    if let Ok(mut p) = seen.lock() {
                        p.note(kind, s);
                    }
                    // A full channel already holds a pending change; one is enough.
                    let _ = changed_tx.try_send(());
                }
                Err(e) => {
                    warn!(kind, error = %e, "watch failed; retrying with backoff");
                    state.failed(kind, e.to_string());
                    metrics.record_api_error(kind);
                    let _ = changed_tx.try_send(());
                }
            }
        }
    });
    info!("waiting for the initial lists");
    tokio::select! {
        ready = tokio::time::timeout(config.initial_sync_timeout, stores.wait_until_ready()) => match ready {
            Ok(true) => config.health.set_ready(),
            Ok(false) => anyhow::bail!("a watch stopped before its first list"),
            // Not ready: /readyz keeps saying so, and reports name what is missing.
            Err(_) => warn!(failing = ?watch_state.could_not_evaluate(), "not every initial list synced; evaluating what did"),
        },
        _ = shutdown.changed() => return Ok(()),
    }
    let mut writer = Writer::load(&client)
        .await
        .context("reading existing reports")?;
    info!(objects = ?stores.counts(), "initial lists synced; evaluating");
    let settings = config.settings.clone();
    let mut scraper = Scraper::new(config.apiserver_metrics_interval);
    let version = env!("CARGO_PKG_VERSION");
    // The live inventory and what was last concluded from it; `None` until the first full
    // evaluation (again after a stand-by, whose caches moved on without it).
    let mut live: Option<(Inventory, Evaluation)> = None;
    let mut next_resync = tokio::time::Instant::now() + config.resync;
    loop {
        // A watch that was forbidden at start may have recovered since.
        if !config.health.is_ready()
            && tokio::time::timeout(Duration::ZERO, stores.wait_until_ready())
                .await
                .is_ok_and(|ready| ready)
        {
            config.health.set_ready();
        }
        if !is_leader(&config.leader) {
            live = None;
            // A standby keeps its caches warm and writes nothing.
            tokio::select! {
                _ = async { if let Some(l) = config.leader.as_mut() { let _ = l.changed().await; } } => {}
                _ = shutdown.changed() => return Ok(()),
            }
            if is_leader(&config.leader) {
                info!("became leader; reading the reports the previous leader wrote");
                writer = Writer::load(&client)
                    .await
                    .context("reading existing reports")?;
            }
            continue;
        }
        // Changes -> scope -> evaluate -> merge -> build -> apply.
        let started = Instant::now();
        let full = live.is_none() || tokio::time::Instant::now() >= next_resync;
        let taken = pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        let scraped = scraper.refresh(&client).await;
        let (inventory, evaluation, scope) = match live.take() {
            Some((mut inventory, mut evaluation)) if !full => {
                let mut changes = stores.changes(&taken, &inventory);
                changes.extend(scraped);
                let scope = inventory.apply(changes);
                let fresh = evaluate_scope(&inventory, &settings, &scope, registry::rules());
                evaluation.merge(&scope, fresh);
                (inventory, evaluation, scope)
            }
            previous => {
                next_resync = tokio::time::Instant::now() + config.resync;
                let mut inventory = stores.snapshot();
                for o in scraper.objects() {
                    inventory.insert(o, None);
                }
                let evaluation = evaluate(&inventory, &settings);
                if let Some((_, before)) = previous {
                    check_drift(&before, &evaluation, &taken);
                }
                (inventory, evaluation, Scope::All)
            }
        };
        let namespaces: Vec<&str> = inventory
            .namespaces()
            .filter_map(|n| n.metadata.name.as_deref())
            .collect();
        let encryption = assess(&inventory, &settings);
        let could_not_evaluate = watch_state.could_not_evaluate();
        let now = now();
        let built = report::build(&report::Inputs {
            findings: &evaluation.findings,
            namespaces: &namespaces,
            filter: &config.namespaces,
            encryption: &encryption,
            could_not_evaluate: &could_not_evaluate,
            open: &writer.open,
            now: &now,
            version,
        });
        let m = &config.metrics;
        m.record_findings(&built.posture, &built.reports);
        m.record_encryption(
            encryption.state,
            encryption.provider.as_deref(),
            encryption.evidence,
        );
        match writer.apply(&client, &built.reports).await {
            Ok(applied) => {
                let transitions = report::Transitions::between(&applied.before, &built.reports);
                m.record_transitions(&transitions);
                m.record_writes(&built.reports, applied.written);
                let announced = events::announce(
                    &client,
                    &transitions,
                    config.event_min_severity,
                    &config.instance,
                )
                .await;
                info!(
                    findings = evaluation.findings.len(),
                    scope = %describe(&scope),
                    written = applied.written,
                    announced,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "evaluated"
                );
            }
            Err(e) => {
                m.record_apply_error(&e);
                warn!(error = %e, "writing reports failed; retrying at the next evaluation");
            }
        }
        m.record_watched(&stores.counts());
        m.observe_evaluation(started.elapsed());
        live = Some((inventory, evaluation));
        // Wait for a change (then let the burst settle) or for the resync.
        tokio::select! {
            Some(()) = changed.recv() => {
                tokio::time::sleep(config.debounce).await;
                while changed.try_recv().is_ok() {}
                debug!("changes seen");
            }
            _ = tokio::time::sleep_until(next_resync) => debug!("periodic resync"),
            _ = tokio::time::sleep_until(scraper.due()) => debug!("reading kube-apiserver /metrics"),
            _ = async { if let Some(l) = config.leader.as_mut() { let _ = l.changed().await; } else { std::future::pending::<()>().await } } => {
                if !is_leader(&config.leader) {
                    info!("lost leadership; standing by");
                    config.metrics.clear_findings();
                }
            }
            _ = shutdown.changed() => {
                info!(writes = writer.writes, skipped = writer.skipped, "shutting down");
                return Ok(());
            }
        }
    }
}

fn describe(scope: &Scope) -> String {
    match scope {
        Scope::All => "all".to_owned(),
        Scope::Only {
            namespaces,
            cluster: true,
        } => format!("cluster + {} namespace(s)", namespaces.len()),
        Scope::Only { namespaces, .. } => format!("{} namespace(s)", namespaces.len()),
    }
}

/// Compares the incremental result with a full evaluation at a resync. Changes seen since
/// the last evaluation explain differences; anything else means a change reached findings
/// the incremental step did not re-evaluate, which the full evaluation has now corrected.
fn check_drift(incremental: &Evaluation, full: &Evaluation, unapplied: &Pending) {
    if !unapplied.is_empty() {
        return;
    }
    let key = |e: &Evaluation| -> std::collections::BTreeSet<(String, String)> {
        e.findings
            .iter()
            .map(|f| (f.rule_id.to_owned(), f.fingerprint.clone()))
            .collect()
    };
    let (a, b) = (key(incremental), key(full));
    if a != b {
        warn!(
            missed = b.difference(&a).count(),
            stale = a.difference(&b).count(),
            "incremental evaluation disagreed with the periodic full evaluation; the full one is reported"
        );
    }
}
