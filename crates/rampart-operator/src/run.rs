//! The operator's loop: wait for leadership, one pass, wait for a change; again.
//!
//! ```text
//! start      [API] every watch (a task of its own notes what changed, objects already
//!                  the engine's), the initial lists into the inventory, the reports
//!                  already written
//! loop:
//!   stand by while another replica leads (the inventory stays warm, nothing is
//!                  evaluated or written)
//!   pass:
//!     collect         [API: kube-apiserver /metrics]  -> Collected  (what changed since the last pass)
//!     update inventory                                -> Updated    (inventory, what to evaluate)
//!     evaluate                                        -> Evaluated  (findings, the scope evaluated)
//!     build reports   (pure, report.rs)               -> Decided    (reports, posture, verdicts)
//!     apply           [API: reports, then events]     -> what was written and announced
//!                     (the events, and a write of the cluster's totals alone, go in the
//!                     background; the next pass waits for them if still on their way)
//!   wait for a change (watch events, resync, /metrics due, leadership, shutdown)
//! ```
//! Changes are batched by a short debounce, and only the namespaces they can affect are
//! evaluated again (plus the cheap cluster-scoped part); only their findings are replaced
//! (`held`), only their reports built, hashed and diffed, and the cluster's totals and
//! metric series move by difference. The inventory is the operator's only
//! copy of the objects. A periodic resync evaluates all of it again, with indexes and
//! derived caches rebuilt; it also checks that the incremental results agreed, and says so
//! in the logs when they did not.

use crate::apiserver::Scraper;
use crate::apply::{ApplyError, Writer};
use crate::collect::{self, Batch, Event, Pending, Synced};
use crate::declared::{self, Declared};
use crate::events;
use crate::excepting::{self, InForce, Judgement};
use crate::exception_status;
use crate::export::Exporter;
use crate::full;
use crate::held::{Held, Replaced};
use crate::metrics::Metrics;
use crate::open::REPORT_TIME;
use crate::placement::report_key;
use crate::report::{self, Accepted, Book, Built, Inputs, Rebuild, Transitions};
use crate::retry::Retry;
use crate::watch_state::{Failure, Recovery, WatchState};
use crate::written::{self, Vanished};
use futures::StreamExt;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use rampart_crd::CLUSTER_REPORT_NAME;
use rampart_rules::control_plane::ControlPlane;
use rampart_rules::encryption::Assessment;
use rampart_rules::{Change, Derived, Inventory, Scope, Settings, evaluate_scope, registry};
use rampart_rules::{Fingerprint, Severity};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
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
    /// How long a watch of a kind that has listed may fail before the reports name it in
    /// `couldNotEvaluate`: shorter failures (an API server restart) change no report.
    pub watch_failure_grace: Duration,
    /// Findings at or above this severity are announced with Events when they appear or go.
    pub event_min_severity: Severity,
    /// Also write each report's OpenReports copy.
    pub openreports: bool,
    /// This replica's name in events (the pod name in a cluster).
    pub instance: String,
    /// Namespaces that get reports.
    pub namespaces: crate::placement::NamespaceFilter,
    /// Leadership from the Lease; `None` runs alone and always writes.
    pub leader: Option<watch::Receiver<bool>>,
    /// How often to read kube-apiserver's /metrics for encryption evidence; zero: never.
    pub apiserver_metrics_interval: Duration,
    /// A client without credentials, for the anonymous probe (what anyone who reaches the
    /// API server gets); `None` skips it.
    pub anonymous: Option<crate::apiserver::AnonymousClient>,
    /// Settings file contents (overrides, exceptions, declared encryption).
    pub settings: Settings,
    /// Registered once at start-up; also served on the health address.
    pub metrics: Arc<Metrics>,
    /// Called after each pass, once what the pass built is dropped: the binary's
    /// allocator hands the freed memory back (a library cannot know the allocator).
    pub settle: Option<fn()>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("a watch stopped before its first list")]
    WaitForInitialLists,
    #[error("reading existing reports")]
    ReadReports(#[source] ApplyError),
}

/// Runs until `shutdown` turns true.
pub async fn run(
    client: Client,
    config: Config,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), RunError> {
    match Pipeline::start(client, config, &mut shutdown).await? {
        Some(pipeline) => pipeline.run(shutdown).await,
        None => Ok(()),
    }
}

fn is_leader(leader: &Option<watch::Receiver<bool>>) -> bool {
    leader.as_ref().is_none_or(|l| *l.borrow())
}

/// Resolves when leadership may have changed; never without a Lease.
async fn leadership_changed(leader: &mut Option<watch::Receiver<bool>>) {
    match leader {
        Some(l) => {
            let _ = l.changed().await;
        }
        None => std::future::pending().await,
    }
}

fn now() -> String {
    format_time(Timestamp::now())
}

/// A moment as reports write it ([`REPORT_TIME`]).
fn format_time(t: Timestamp) -> String {
    t.strftime(REPORT_TIME).to_string()
}

/// The monotonic instant of a wall-clock moment, a little after it: a timer that fires
/// early would find the exception still in force and wait again for nothing.
fn instant_of(t: Timestamp) -> Instant {
    let ahead = t.duration_since(Timestamp::now());
    let wait = Duration::try_from(ahead).unwrap_or(Duration::ZERO);
    Instant::now() + wait + Duration::from_millis(200)
}

/// What the watch task shares with the loop.
struct Watching {
    /// Which watches fail, for `couldNotEvaluate`.
    state: Arc<WatchState>,
    /// What changed since the last pass.
    pending: Arc<Mutex<Pending>>,
    /// Which kinds have had a complete list.
    synced: Synced,
    /// Holds one signal at most: one is enough to start a pass.
    changed: mpsc::Receiver<()>,
    /// Reports that disappeared from the cluster since the last write.
    vanished: Arc<Mutex<Vanished>>,
    /// The exceptions declared in the cluster.
    declared: Arc<Mutex<Declared>>,
}

impl Watching {
    /// What changed since the last pass, to apply now.
    fn take(&self) -> Batch {
        self.pending
            .lock()
            .map(|mut p| p.take())
            .unwrap_or_default()
    }
}

/// Starts every watch (API) and a task that drives them: it notes what changed, which
/// watches fail and which kinds have listed, and signals the loop.
fn start_watches(
    client: &Client,
    metrics: Arc<Metrics>,
    grace: Duration,
    openreports: bool,
) -> Watching {
    let streams = collect::watch_all(client);
    let (changed_tx, changed) = mpsc::channel::<()>(1);
    let (listed, synced) = collect::synced();
    let mut events = futures::stream::select_all(streams);
    let state = Arc::new(WatchState::new(grace));
    let pending = Arc::new(Mutex::new(Pending::default()));
    let watching = Watching {
        state: state.clone(),
        pending: pending.clone(),
        synced,
        changed,
        vanished: written::watch_reports(client, changed_tx.clone(), openreports),
        declared: declared::watch_exceptions(client, changed_tx.clone()),
    };
    tokio::spawn(async move {
        while let Some((kind, result)) = events.next().await {
            match result {
                Ok(event) => {
                    let recovery = state.ok(kind, Instant::now());
                    let done = matches!(event, Event::InitDone);
                    if done {
                        state.listed(kind);
                    }
                    let applicable = pending
                        .lock()
                        .map(|mut p| p.note(kind, event))
                        .unwrap_or(false);
                    // After the list is in `pending`: whoever sees the kind synced must find
                    // its objects there.
                    if done {
                        listed.note(kind);
                    }
                    match recovery {
                        Recovery::None => {}
                        Recovery::Flap => {
                            info!(
                                kind,
                                "watch recovered within the grace period; no report changed"
                            );
                            metrics.record_watch_flap(kind);
                        }
                        Recovery::Reported => info!(kind, "watch recovered"),
                    }
                    // Reports that named the failure must stop naming it.
                    if applicable || recovery == Recovery::Reported {
                        // A full channel already holds a pending change; one is enough.
                        let _ = changed_tx.try_send(());
                    }
                }
                Err(e) => match state.failed(kind, &e, Instant::now()) {
                    Failure::Relist => {
                        debug!(kind, error = %e, "watch expired; relisting");
                        metrics.record_watch_relist(kind);
                    }
                    // The pass that names it comes when the grace period ends.
                    Failure::Transient => {
                        warn!(kind, error = %e, "watch failed; retrying with backoff");
                    }
                    Failure::Reported => {
                        warn!(kind, error = %e, "watch failed; retrying with backoff; reports name it");
                        metrics.record_api_error(kind);
                        let _ = changed_tx.try_send(());
                    }
                },
            }
        }
    });
    watching
}

/// The live inventory, the analyses kept beside it, and what was last concluded from them.
#[derive(Default)]
struct Live {
    inventory: Inventory,
    derived: Derived,
    /// `None` before the first evaluation and after a stand-by, whose inventory moved on
    /// without evaluating: the next pass evaluates everything.
    held: Option<Held>,
    /// What the last build of reports leaves for the next.
    book: Book,
}

/// Collect's handoff: what changed since the last pass.
struct Collected {
    /// Evaluate everything: the first pass, the first after a stand-by, or a resync.
    full: bool,
    /// Objects the watches saw change.
    batch: Batch,
    /// What a kube-apiserver /metrics read changed.
    scraped: Vec<Change>,
}

/// Update inventory's handoff: the inventory now, and what to evaluate of it.
struct Updated {
    inventory: Inventory,
    derived: Derived,
    plan: Plan,
}

enum Plan {
    /// Evaluate what the changes reach, into the last evaluation.
    Incremental { scope: Scope, last: Held },
    /// Evaluate everything, and compare with the incremental result, if there was one.
    Full {
        last: Option<Held>,
        /// Whether this pass applied changes, which explain differences from `last`.
        changed: bool,
    },
}

/// Evaluate's handoff.
struct Evaluated {
    inventory: Inventory,
    derived: Derived,
    held: Held,
    /// What the evaluation replaced; `None` when it evaluated everything.
    replaced: Option<Replaced>,
    /// What this pass evaluated, for the log.
    scope: Scope,
}

/// Build reports' handoff: what the writer should make true, and the encryption and
/// control-plane verdicts the reports carry (also metrics).
struct Decided {
    built: Built,
    encryption: Assessment,
    control_plane: ControlPlane,
}

/// What one successful apply did.
struct Done {
    written: u64,
    events: usize,
    /// When the reports were written, before the events went out.
    written_at: Instant,
    /// Whether the ClusterPostureReport's totals went to a write in the background.
    totals_in_background: bool,
}

/// How long the loop waits for what a pass left in the background (its events, a write
/// of the cluster's totals) before it drops it: the client sets no timeout on a request.
const BACKGROUND_WAIT: Duration = Duration::from_secs(10);

struct Pipeline {
    client: Client,
    config: Config,
    /// The settings the evaluation applies: the file's, with the exceptions in force now.
    settings: Settings,
    /// The exceptions in force at the last pass, what reports say of them, and when the
    /// first of them expires.
    in_force: InForce,
    accepted: BTreeMap<String, Accepted>,
    next_expiry: Option<Timestamp>,
    watching: Watching,
    writer: Writer,
    /// When writes that failed are tried again.
    retry: Retry,
    scraper: Scraper,
    live: Live,
    next_resync: tokio::time::Instant,
    /// The last pass's events, while they are being created.
    announcing: Option<tokio::task::JoinHandle<()>>,
    /// The wait ended because kube-apiserver's /metrics are due: this pass reads them.
    metrics_due: bool,
}

impl Pipeline {
    /// Starts the watches, waits for the initial lists, builds the inventory from them and
    /// reads the reports already written. `None` when shut down meanwhile.
    async fn start(
        client: Client,
        config: Config,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<Option<Pipeline>, RunError> {
        let watching = start_watches(
            &client,
            config.metrics.clone(),
            config.watch_failure_grace,
            config.openreports,
        );
        info!("waiting for the initial lists");
        tokio::select! {
            ready = tokio::time::timeout(config.initial_sync_timeout, watching.synced.wait_all()) => match ready {
                Ok(true) => config.health.set_ready(),
                Ok(false) => return Err(RunError::WaitForInitialLists),
                // Not ready: /readyz keeps saying so, and reports name what is missing.
                Err(_) => warn!(failing = ?watching.state.could_not_evaluate(Instant::now()), "not every initial list synced; evaluating what did"),
            },
            _ = shutdown.changed() => return Ok(None),
        }
        let mut live = Live::default();
        let changes = watching.take().into_changes(&live.inventory);
        reload(&mut live.inventory, changes);
        let writer = load_writer(&client, &config).await?;
        info!(objects = ?collect::counts(&live.inventory), "initial lists synced; evaluating");
        // The file's exceptions apply only once judged in force (each pass).
        let settings = Settings {
            exceptions: Vec::new(),
            ..config.settings.clone()
        };
        Ok(Some(Pipeline {
            settings,
            in_force: InForce::default(),
            accepted: BTreeMap::new(),
            next_expiry: None,
            retry: Retry::default(),
            scraper: Scraper::new(config.apiserver_metrics_interval, config.anonymous.clone()),
            next_resync: tokio::time::Instant::now() + config.resync,
            announcing: None,
            metrics_due: false,
            live,
            client,
            config,
            watching,
            writer,
        }))
    }

    async fn run(mut self, mut shutdown: watch::Receiver<bool>) -> Result<(), RunError> {
        loop {
            self.mark_ready_once_synced();
            if !is_leader(&self.config.leader) {
                if self.stand_by(&mut shutdown).await?.is_break() {
                    return Ok(());
                }
                continue;
            }
            self.pass().await;
            if let Some(settle) = self.config.settle {
                settle();
            }
            if self.wait_for_change(&mut shutdown).await.is_break() {
                return Ok(());
            }
        }
    }

    /// A watch that was forbidden at start may have recovered since.
    fn mark_ready_once_synced(&self) {
        let health = &self.config.health;
        if !health.is_ready() && self.watching.synced.all() {
            health.set_ready();
        }
    }

    /// Waits for leadership, keeping the inventory warm and evaluating and writing nothing;
    /// a new leader reads the reports the previous one wrote (API).
    async fn stand_by(
        &mut self,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<ControlFlow<()>, RunError> {
        // A standby announces nothing more: events still on their way are dropped (the
        // reports already say what they would have).
        if let Some(sending) = self.announcing.take() {
            sending.abort();
        }
        // A request already sent may still land: it ends (a while at most) before the
        // new leader's writes can follow it.
        self.finish_totals().await;
        // What was concluded as leader goes stale from here; the first pass as leader
        // evaluates everything with fresh caches, so holding them only costs memory.
        self.live.held = None;
        self.live.book = Book::default();
        self.live.derived = Derived::default();
        self.in_force = InForce::default();
        self.retry = Retry::default();
        let changed = &mut self.watching.changed;
        tokio::select! {
            Some(()) = changed.recv() => {
                tokio::time::sleep(self.config.debounce).await;
                while changed.try_recv().is_ok() {}
                // Applied as they come, so that a new leader's first pass has little left
                // to apply and pending changes do not pile up while standing by.
                let changes = self.watching.take().into_changes(&self.live.inventory);
                debug!(changes = changes.len(), "standing by; inventory updated");
                self.live.inventory.apply(changes);
            }
            _ = leadership_changed(&mut self.config.leader) => {}
            _ = shutdown.changed() => return Ok(ControlFlow::Break(())),
        }
        if is_leader(&self.config.leader) {
            info!("became leader; reading the reports the previous leader wrote");
            self.writer = load_writer(&self.client, &self.config).await?;
        }
        Ok(ControlFlow::Continue(()))
    }

    /// One pass: collect -> update inventory -> evaluate -> build reports -> apply, each
    /// step handing its result to the next.
    async fn pass(&mut self) {
        let started = Instant::now();
        let moment = Timestamp::now();
        // API: kube-apiserver /metrics, when due; the watches' changes are already here.
        let collected = self.collect().await;
        // Exceptions judged at this moment: those in force go to the evaluation, and
        // what changed in force is evaluated again.
        let (judgement, declared) = self.judge_exceptions(moment);
        // Before the inventory step takes the rest of `live`: without the book, every pass
        // would build every report again.
        let book = std::mem::take(&mut self.live.book);
        // Read once: what the plan decides and what the reports say must agree.
        let could_not_evaluate = self.watching.state.could_not_evaluate(Instant::now());
        // A write of the cluster's totals still on its way ends first (it normally has, a
        // pass ago): what it records must not undo what vanished from the cluster since.
        self.finish_totals().await;
        let mut forgotten = self.forget_vanished();
        forgotten.append(&mut self.writer.take_unwritten());
        let collected_at = Instant::now();
        let updated = self.update_inventory(
            collected,
            &book,
            &could_not_evaluate,
            &forgotten,
            judgement.reach,
        );
        let (evaluated, decided, book, evaluating) =
            self.evaluate_and_build(updated, &could_not_evaluate, &forgotten, book);
        let evaluated_at = collected_at + evaluating;
        self.record(&decided);
        let mut judged = judgement.judged;
        excepting::count(&mut judged, evaluated.held.excepted_by());
        self.config
            .metrics
            .record_exceptions(&excepting::tally(&judged, moment));
        let built_at = Instant::now();
        // API: the reports whose content changed, then events.
        let applied = self.apply(&decided.built).await;
        // API: the statuses of declared exceptions that say something new.
        let updates = excepting::statuses(&judged, &declared, &format_time(moment));
        let statuses = exception_status::write(&self.client, &updates).await;
        if let Some(done) = applied {
            info!(
                findings = evaluated.held.len(),
                reports_built = decided.built.reports.namespaces.len()
                    + usize::from(decided.built.reports.cluster_built),
                scope = %describe(&evaluated.scope),
                written = done.written,
                // The API server stores them while the next passes write: a write that
                // is slow soon after says what it met.
                totals_in_background = done.totals_in_background,
                // Handed to a task that creates them after the pass.
                events = done.events,
                exception_statuses = statuses,
                elapsed_ms = started.elapsed().as_millis() as u64,
                // Where the time went: collecting, evaluating, building (with the
                // metrics), writing the reports, then what follows the write (counting the
                // transitions, handing the events over, the exception statuses).
                steps_ms = %format_args!(
                    "{}/{}/{}/{}/{}",
                    (collected_at - started).as_millis(),
                    (evaluated_at - collected_at).as_millis(),
                    (built_at - evaluated_at).as_millis(),
                    (done.written_at - built_at).as_millis(),
                    done.written_at.elapsed().as_millis()
                ),
                "evaluated"
            );
        }
        let metrics = &self.config.metrics;
        metrics.record_watched(&collect::counts(&evaluated.inventory));
        metrics.observe_evaluation(started.elapsed());
        self.live = Live {
            inventory: evaluated.inventory,
            derived: evaluated.derived,
            held: Some(evaluated.held),
            book,
        };
    }

    /// Sends a pass's events in the background: they announce what the reports already
    /// say, and the pass need not wait for their round trips. The previous pass's events
    /// are waited for first (long sent, normally), so they never pile up.
    async fn announce(&mut self, chosen: Vec<k8s_openapi::api::events::v1::Event>) {
        self.finish_announcing().await;
        if !chosen.is_empty() {
            let sending = events::create_all(self.client.clone(), chosen);
            self.announcing = Some(tokio::spawn(sending));
        }
    }

    /// Waits for the last pass's events, a while at most: the client sets no timeout on a
    /// request, and an API server that never answers must not hold the loop or shutdown.
    async fn finish_announcing(&mut self) {
        let Some(mut sending) = self.announcing.take() else {
            return;
        };
        // A panic in a task that only logs loses nothing but its events.
        if tokio::time::timeout(BACKGROUND_WAIT, &mut sending)
            .await
            .is_err()
        {
            sending.abort();
            warn!(
                wait_s = BACKGROUND_WAIT.as_secs(),
                "the last pass's events were not all created in time; left unannounced"
            );
        }
    }

    /// The posture metrics follow the evaluation even when the write fails: they say what
    /// is open, not what was written.
    fn record(&self, decided: &Decided) {
        let metrics = &self.config.metrics;
        metrics.record_findings(&decided.built.posture, &decided.built.reports);
        let encryption = &decided.encryption;
        metrics.record_encryption(
            encryption.state,
            encryption.provider.as_deref(),
            encryption.evidence,
        );
        metrics.record_control_plane(&decided.control_plane);
    }

    /// Judges every exception at `moment` (the file's and the cluster's), puts those in
    /// force into the settings the evaluation applies, and says what changed in force.
    fn judge_exceptions(&mut self, moment: Timestamp) -> (Judgement, Declared) {
        let declared = self
            .watching
            .declared
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default();
        let judgement =
            self.in_force
                .judge(&self.config.settings, &declared, moment, registry::rules());
        self.settings.exceptions.clone_from(&judgement.in_force);
        self.accepted.clone_from(&judgement.accepted);
        self.next_expiry = judgement.next_expiry;
        (judgement, declared)
    }

    /// Collect (API: kube-apiserver /metrics, when due): what the watches saw change since
    /// the last pass, and whether this pass evaluates everything.
    async fn collect(&mut self) -> Collected {
        let full = self.live.held.is_none() || tokio::time::Instant::now() >= self.next_resync;
        let batch = self.watching.take();
        // A change's pass does not wait for kube-apiserver's /metrics (a probe and three
        // reads, once a minute): when due meanwhile, they end the next wait at once and
        // bring a pass of their own.
        let due = std::mem::take(&mut self.metrics_due);
        let scraped = if full || due || !self.scraper.is_periodic() {
            let refreshed = self.scraper.refresh(&self.client).await;
            self.config.metrics.record_scrapes(&refreshed.reads);
            refreshed.changes
        } else {
            Vec::new()
        };
        Collected {
            full,
            batch,
            scraped,
        }
    }

    /// Update inventory: applies the changes to the live inventory, keeping its indexes and
    /// the derived caches in step; for a full evaluation, rebuilds both instead. The last
    /// pass released the findings of the namespaces it built, so a report to build again
    /// (`forgotten`: deleted from the cluster, or left unwritten) has its namespace
    /// evaluated again, and a pass that must build every report (another share, a kind
    /// that cannot be read named in each) evaluates everything.
    fn update_inventory(
        &mut self,
        collected: Collected,
        book: &Book,
        could_not_evaluate: &[String],
        forgotten: &BTreeSet<String>,
        exceptions_reach: Option<Scope>,
    ) -> Updated {
        let Live {
            mut inventory,
            mut derived,
            held,
            book: _,
        } = std::mem::take(&mut self.live);
        let mut changes = collected.batch.into_changes(&inventory);
        changes.extend(collected.scraped);
        match held {
            Some(last) if !collected.full => {
                let mut scope = with_reports(derived.apply(&mut inventory, changes), forgotten);
                if let Some(reach) = exceptions_reach {
                    scope.extend(reach);
                }
                let reported = report::reported(&names_of(&inventory), &self.config.namespaces);
                if !book.carries(&reported, could_not_evaluate, |ns| scope.covers(Some(ns))) {
                    scope = Scope::All;
                }
                Updated {
                    inventory,
                    derived,
                    plan: Plan::Incremental { scope, last },
                }
            }
            last => {
                self.next_resync = tokio::time::Instant::now() + self.config.resync;
                let changed = !changes.is_empty();
                // What was last read of /metrics goes in whole, whatever the incremental
                // updates made of it.
                let scraped = self.scraper.objects().map(|o| Change::Upsert(Box::new(o)));
                reload(&mut inventory, changes.into_iter().chain(scraped));
                Updated {
                    inventory,
                    derived: Derived::default(),
                    plan: Plan::Full { last, changed },
                }
            }
        }
    }

    /// Evaluate, then build reports: an incremental pass evaluates what its changes reach
    /// and builds those reports; a full pass does both a few namespaces at a time
    /// ([`Pipeline::full_in_parts`]). Either way the namespaces' findings are released once
    /// their reports are built: they are not needed before they are evaluated again.
    /// Returns how long evaluating took.
    fn evaluate_and_build(
        &self,
        updated: Updated,
        could_not_evaluate: &[String],
        forgotten: &BTreeSet<String>,
        book: Book,
    ) -> (Evaluated, Decided, Book, Duration) {
        let Updated {
            inventory,
            derived,
            plan,
        } = updated;
        match plan {
            Plan::Incremental { scope, mut last } => {
                let started = Instant::now();
                let fresh = evaluate_scope(
                    &inventory,
                    &derived,
                    &self.settings,
                    &scope,
                    registry::rules(),
                );
                let replaced = last.replace(&scope, fresh, &self.config.namespaces);
                let evaluating = started.elapsed();
                let mut evaluated = Evaluated {
                    inventory,
                    derived,
                    held: last,
                    replaced: Some(replaced),
                    scope,
                };
                let (decided, book) =
                    self.build_reports(&mut evaluated, could_not_evaluate, forgotten, book);
                evaluated.held.release();
                (evaluated, decided, book, evaluating)
            }
            Plan::Full { last, changed } => {
                let before = last.filter(|_| !changed).map(|h| h.keys());
                let (evaluated, decided, book, evaluating) =
                    self.full_in_parts(inventory, derived, could_not_evaluate, book);
                if let Some(before) = before {
                    check_drift(&before, &evaluated.held.keys());
                }
                (evaluated, decided, book, evaluating)
            }
        }
    }

    /// A full evaluation and build, a few namespaces at a time ([`full`]).
    fn full_in_parts(
        &self,
        inventory: Inventory,
        derived: Derived,
        could_not_evaluate: &[String],
        mut book: Book,
    ) -> (Evaluated, Decided, Book, Duration) {
        let names = names_of(&inventory);
        let now = now();
        // Replaced by what the evaluation finds.
        let (none, unknown) = (Held::default(), Assessment::default());
        let template = self.inputs(&none, &names, &unknown, could_not_evaluate, &now);
        let pass = full::evaluate_and_build(
            &inventory,
            &derived,
            &self.settings,
            &template,
            full::PART,
            &mut book,
        );
        let decided = Decided {
            built: pass.built,
            encryption: pass.held.encryption.clone(),
            control_plane: pass.held.control_plane.clone(),
        };
        let evaluated = Evaluated {
            inventory,
            derived,
            held: pass.held,
            replaced: None,
            scope: Scope::All,
        };
        (evaluated, decided, book, pass.evaluating)
    }

    /// Forgets the reports that disappeared from the cluster, so that this pass builds
    /// and writes them again.
    fn forget_vanished(&mut self) -> BTreeSet<String> {
        let vanished = self
            .watching
            .vanished
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        let forgotten = self.writer.forget(&vanished);
        if !forgotten.is_empty() {
            info!(
                reports = forgotten.len(),
                "reports disappeared from the cluster; writing them again"
            );
        }
        forgotten
    }

    /// Build reports (pure): everything the reports say goes into the builder, which
    /// builds those the evaluation may have changed and those that disappeared.
    fn build_reports(
        &self,
        evaluated: &mut Evaluated,
        could_not_evaluate: &[String],
        forgotten: &BTreeSet<String>,
        mut book: Book,
    ) -> (Decided, Book) {
        let rebuild = match evaluated.replaced.take() {
            Some(replaced) => Rebuild::of(&replaced, forgotten),
            None => Rebuild::all(),
        };
        let namespaces = names_of(&evaluated.inventory);
        // The verdict the ENC rules judged: reports and metrics do not decide again.
        let encryption = evaluated.held.encryption.clone();
        let now = now();
        let built = report::build(
            &self.inputs(
                &evaluated.held,
                &namespaces,
                &encryption,
                could_not_evaluate,
                &now,
            ),
            &rebuild,
            &mut book,
        );
        let control_plane = evaluated.held.control_plane.clone();
        (
            Decided {
                built,
                encryption,
                control_plane,
            },
            book,
        )
    }

    /// Everything a report says, with the held findings it is built from.
    fn inputs<'a>(
        &'a self,
        held: &'a Held,
        namespaces: &'a [&'a str],
        encryption: &'a Assessment,
        could_not_evaluate: &'a [String],
        now: &'a str,
    ) -> Inputs<'a> {
        Inputs {
            held,
            namespaces,
            filter: &self.config.namespaces,
            encryption,
            could_not_evaluate,
            open: &self.writer.open,
            detail_from: self.config.event_min_severity,
            accepted: &self.accepted,
            now,
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// Apply (API: reports, then events): writes the reports whose content changed, then
    /// announces and counts what the write detected and resolved. `None` when the write
    /// failed: the next pass tries again, and nothing is announced or counted twice.
    async fn apply(&mut self, built: &Built) -> Option<Done> {
        let result = self.writer.apply(&self.client, &built.reports).await;
        self.note_crds(result.as_ref().is_err_and(ApplyError::is_missing_crd));
        let metrics = &self.config.metrics;
        match result {
            Ok(applied) => {
                if applied.refused.is_empty() {
                    self.retry.succeeded();
                } else {
                    let wait = self.retry.failed(Instant::now(), None);
                    warn!(
                        refused = applied.refused.len(),
                        retry_in_s = wait.as_secs_f64(),
                        failures = self.retry.failures(),
                        "reports refused by the API server; the others are written, these are tried again after a wait that doubles"
                    );
                }
                let written_at = Instant::now();
                let transitions = Transitions::between(&applied.before, &built.reports);
                metrics.record_transitions(&transitions);
                metrics.record_writes(
                    &built.reports,
                    applied.written,
                    applied.refused.len(),
                    applied.totals_in_background,
                );
                let chosen = events::chosen(
                    &transitions,
                    self.config.event_min_severity,
                    &self.config.instance,
                );
                let events = chosen.len();
                self.announce(chosen).await;
                Some(Done {
                    written: applied.written,
                    events,
                    written_at,
                    totals_in_background: applied.totals_in_background,
                })
            }
            Err(e) => {
                self.write_failed(&e);
                None
            }
        }
    }

    /// Whether the report CRDs are missing, as the last write found: health and metrics.
    fn note_crds(&self, missing: bool) {
        self.config.health.set_crds_missing(missing);
        self.config.metrics.record_crds_missing(missing);
    }

    /// A write that failed: counted, said, and tried again after a wait that doubles
    /// (or once the CRDs are back).
    fn write_failed(&mut self, e: &ApplyError) {
        self.config.metrics.record_apply_error(e);
        if e.is_missing_crd() {
            // The watch of the reports lists them again once the CRDs are back,
            // and that brings the next pass: no schedule of evaluations meanwhile.
            warn!(error = %e, "the report CRDs are not installed (kubectl apply --server-side -f crds/rampart.yaml); evaluating on, and writing every report once they exist");
        } else {
            let wait = self.retry.failed(Instant::now(), e.retry_after());
            let retry_in_s = wait.as_secs_f64();
            let failures = self.retry.failures();
            warn!(error = %e, retry_in_s, failures, "writing reports failed; trying again after a wait that doubles while writes fail");
        }
    }

    /// How the write of the cluster's totals in the background went. A failed one was
    /// forgotten by the writer: the retry's pass writes the report again.
    fn totals_written(&mut self, written: Result<Duration, ApplyError>) {
        match written {
            Ok(took) => {
                self.config.metrics.record_background_write();
                info!(
                    totals_ms = took.as_millis() as u64,
                    "the cluster's totals written"
                );
            }
            Err(e) => {
                self.note_crds(e.is_missing_crd());
                self.write_failed(&e);
            }
        }
    }

    /// Waits for a write of the cluster's totals still on its way, a while at most: the
    /// writes of one report stay in order. One that does not end in time is dropped and
    /// counted as failed; the report is written again in the pass.
    async fn finish_totals(&mut self) {
        match tokio::time::timeout(BACKGROUND_WAIT, self.writer.totals_written()).await {
            Ok(Some(written)) => self.totals_written(written),
            Ok(None) => {}
            Err(_) => {
                self.writer.drop_totals();
                self.write_failed(&ApplyError::Lost(CLUSTER_REPORT_NAME.to_owned()));
            }
        }
    }

    /// Waits for a change (then lets the burst settle), the resync, a due /metrics read,
    /// the end of a failing watch's grace period, a leadership change or shutdown.
    async fn wait_for_change(&mut self, shutdown: &mut watch::Receiver<bool>) -> ControlFlow<()> {
        loop {
            if self.wait_once(shutdown).await? {
                return ControlFlow::Continue(());
            }
        }
    }

    /// One wait of [`Pipeline::wait_for_change`]: `true` when a pass is due, `false` when
    /// what ended only needed taking in (a write in the background).
    async fn wait_once(&mut self, shutdown: &mut watch::Receiver<bool>) -> ControlFlow<(), bool> {
        let failure_due = self.watching.state.next_deadline(Instant::now());
        let totals_due = self.writer.totals_due();
        let expiry_due = self.next_expiry.map(instant_of);
        let retry_due = self.retry.due();
        let changed = &mut self.watching.changed;
        tokio::select! {
            Some(written) = self.writer.totals_written() => {
                self.totals_written(written);
                return ControlFlow::Continue(false);
            }
            Some(()) = changed.recv() => {
                tokio::time::sleep(self.config.debounce).await;
                while changed.try_recv().is_ok() {}
                debug!("changes seen");
            }
            _ = tokio::time::sleep_until(self.next_resync) => debug!("periodic resync"),
            _ = tokio::time::sleep_until(self.scraper.due()) => {
                debug!("reading kube-apiserver /metrics");
                self.metrics_due = true;
            }
            _ = sleep_until_some(failure_due) => debug!("a watch has failed for the grace period"),
            _ = sleep_until_some(totals_due) => debug!("the cluster's totals held back are due"),
            _ = sleep_until_some(expiry_due) => info!("an exception expires; evaluating what it covered"),
            _ = sleep_until_some(retry_due) => info!("writing again the reports a failed write left"),
            _ = leadership_changed(&mut self.config.leader) => {
                if !is_leader(&self.config.leader) {
                    info!("lost leadership; standing by");
                    self.config.metrics.clear_findings();
                }
            }
            _ = shutdown.changed() => {
                self.finish_announcing().await;
                self.finish_totals().await;
                info!(writes = self.writer.writes, skipped = self.writer.skipped, "shutting down");
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(true)
    }
}

/// Reads the reports already written (API). Missing CRDs are no reason to stop: the
/// operator evaluates on, says so, and writes every report once they exist.
async fn load_writer(client: &Client, config: &Config) -> Result<Writer, RunError> {
    match Writer::load(client, config.event_min_severity, config.openreports).await {
        Ok(writer) => Ok(writer),
        Err(e) if e.is_missing_crd() => {
            warn!(error = %e, "the report CRDs are not installed (kubectl apply --server-side -f crds/rampart.yaml); evaluating on, and writing every report once they exist");
            config.health.set_crds_missing(true);
            config.metrics.record_crds_missing(true);
            let mut writer = Writer::default();
            writer.export = config.openreports.then(Exporter::default);
            Ok(writer)
        }
        Err(e) => Err(RunError::ReadReports(e)),
    }
}

/// `scope`, and the scopes of the reports named by key (see
/// [`report_key`]).
fn with_reports(mut scope: Scope, keys: &BTreeSet<String>) -> Scope {
    let cluster_key = report_key(None);
    for key in keys {
        if *key == cluster_key {
            scope.include_cluster();
        } else {
            scope.include_namespace(key);
        }
    }
    scope
}

/// Every namespace in the inventory.
fn names_of(inventory: &Inventory) -> Vec<&str> {
    inventory.namespaces().map(|n| &*n.metadata.name).collect()
}

/// Sleeps until `deadline`; forever without one.
async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
        None => std::future::pending().await,
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

/// Compares the incremental result with a full evaluation at a resync, when no change came
/// in between (changes would explain differences). A difference means a change reached
/// findings the incremental step did not re-evaluate, or the incrementally kept indexes
/// or caches went wrong; the full evaluation has now corrected it.
fn check_drift(incremental: &[Fingerprint], full: &[Fingerprint]) {
    if incremental != full {
        warn!(
            missed = not_in(full, incremental),
            stale = not_in(incremental, full),
            "incremental evaluation disagreed with the periodic full evaluation; the full one is reported"
        );
    }
}

/// How many of sorted `a` sorted `b` lacks.
fn not_in(a: &[Fingerprint], b: &[Fingerprint]) -> usize {
    a.iter().filter(|k| b.binary_search(k).is_err()).count()
}

/// Brings the inventory to what the changes say and rebuilds its indexes, for the initial
/// lists and for a full evaluation: the indexes are rebuilt from the objects rather than
/// kept in step one change at a time, so a full evaluation trusts nothing incremental.
fn reload(inventory: &mut Inventory, changes: impl IntoIterator<Item = Change>) {
    for change in changes {
        match change {
            Change::Upsert(o) => inventory.insert(*o, None),
            Change::Delete(r) => {
                inventory.remove(&r);
            }
        }
    }
    inventory.reindex();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_to_build_again_bring_their_scopes() {
        let keys = BTreeSet::from(["shop".to_owned(), report_key(None)]);
        let only = Scope::Only {
            namespaces: BTreeSet::from(["blog".to_owned()]),
            cluster: false,
        };
        assert_eq!(
            with_reports(only, &keys),
            Scope::Only {
                namespaces: BTreeSet::from(["blog".to_owned(), "shop".to_owned()]),
                cluster: true,
            }
        );
        assert_eq!(with_reports(Scope::All, &keys), Scope::All);
        let none = Scope::Only {
            namespaces: BTreeSet::new(),
            cluster: false,
        };
        assert_eq!(with_reports(none.clone(), &BTreeSet::new()), none);
    }
}
