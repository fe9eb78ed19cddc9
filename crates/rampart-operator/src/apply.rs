//! Apply: the one writer. Sends a report only when its content hash differs from what is
//! in the cluster, under one field manager: server-side apply for a report's first write,
//! a replace after ([`crate::replace`]); and counts what it did.

use crate::export::Exporter;
use crate::open::{Open, Seen, read_back};
use crate::placement::report_key;
use crate::replace::Target;
use crate::report::{BuiltReport, Reports, control_plane_verdicts, json_hash};
use crate::written::Vanished;
use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client, Resource};
use rampart_crd::{
    CLUSTER_REPORT_NAME, ClusterPostureReport, ControlPlaneStatus, EncryptionStatus,
    POSTURE_REPORT_NAME, PostureReport, Report, SeverityCounts,
};
use rampart_rules::Severity;
use serde::{Serialize, Serializer};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tracing::warn;

pub const FIELD_MANAGER: &str = "rampart";
const HASH_ANNOTATION: &str = "rampart.dev/content-hash";

/// How every report and every OpenReports copy is applied: forced, under `field_manager`,
/// and without the API server looking for unknown and duplicate fields in it. By default
/// it looks (to warn of them), which costs a report's write a tenth of its time (a 15 KiB
/// report on an idle control plane: 19.0 ms p50 looked through, 16.9 ms not); the reports
/// are serialized from the CRD's own types, so there is nothing to find, and a field that an
/// older installed CRD lacks is pruned all the same.
pub fn report_params(field_manager: &str) -> PatchParams {
    PatchParams::apply(field_manager)
        .force()
        .validation_ignore()
}

/// The ClusterPostureReport's cluster-wide score and counts move with every finding in
/// any namespace (and its kubelet counts with every Node that comes or goes), and the
/// report is the largest there is (up to 1.5 MiB, every byte stored again in etcd at each
/// write). While changes keep coming, a write that would change only them waits until
/// this long after the last one; then the latest are sent.
pub const TOTALS_INTERVAL: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("reading existing reports: {0}")]
    Read(#[source] kube::Error),
    #[error("writing report {name}: {source}")]
    Write {
        name: String,
        #[source]
        source: kube::Error,
    },
    /// A write sent in the background that ended without an answer (its task panicked,
    /// or it did not end in time).
    #[error("writing report {0}: the write ended without an answer")]
    Lost(String),
    /// A built report that does not read back as JSON: a bug, not the cluster's doing.
    #[error("encoding report {name}: {source}")]
    Encode {
        name: String,
        #[source]
        source: serde_json::Error,
    },
}

impl ApplyError {
    /// How long the API server asked to wait before the next request (API Priority and
    /// Fairness sends it with 429), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        let (ApplyError::Read(e) | ApplyError::Write { source: e, .. }) = self else {
            return None;
        };
        match e {
            kube::Error::Api(status) => status
                .details
                .as_ref()
                .map(|d| d.retry_after_seconds)
                .filter(|s| *s > 0)
                .map(|s| Duration::from_secs(s.into())),
            _ => None,
        }
    }

    /// Whether the report CRDs are not served (never installed, deleted, or being deleted):
    /// nothing to do but evaluate on and write once they are back.
    pub fn is_missing_crd(&self) -> bool {
        let (ApplyError::Read(e) | ApplyError::Write { source: e, .. }) = self else {
            return false;
        };
        match e {
            kube::Error::Api(status) => {
                status.code == 404 || (status.code == 405 && status.message.contains("terminating"))
            }
            _ => false,
        }
    }
}

/// Replaces what `open` holds of the reports built (or gone) in `reports` with what they
/// stand for now; returns what they held before. Only what is open now is remembered: a
/// finding that resolves and comes back is new again.
pub fn remember(open: &mut Open, reports: &Reports) -> Open {
    let mut before = Open::new();
    for (key, now) in &reports.open {
        if let Some(was) = open.insert(key.clone(), now.clone()) {
            before.insert(key.clone(), was);
        }
    }
    for key in &reports.gone {
        if let Some(was) = open.remove(key) {
            before.insert(key.clone(), was);
        }
    }
    before
}

/// Whether a failed write says the one report was refused (admission, validation, size),
/// rather than that the API server is failing or throttling (5xx, 429), after which no
/// further request should follow at once (only those already on their way).
/// A conflict (409) is one report that someone kept changing while it was replaced.
fn refuses_one_report(code: u16) -> bool {
    matches!(code, 400 | 403 | 409 | 413 | 422)
}

/// How a pass writes the ClusterPostureReport.
#[derive(Debug, PartialEq, Eq)]
enum ClusterWrite {
    Unchanged,
    /// Only its totals changed, within [`TOTALS_INTERVAL`] of the last write: they wait
    /// until then.
    HeldBack(Instant),
    /// Only its totals changed, and they are due: written in the background.
    Totals,
    /// What it lists changed, it is not in the cluster, or nothing was sent since the
    /// start: written in the pass.
    Now,
}

/// How the ClusterPostureReport is written, given the hash of the one in the cluster
/// (`written`), what the last write said apart from its totals and when (`sent`), and
/// this pass's hashes ([`cluster_hashes`]). Only a report that is in the cluster may wait
/// or go in the background: one deleted (forgotten), never written, or whose last write
/// failed goes now.
fn cluster_write(
    written: Option<&String>,
    sent: Option<&(String, Instant)>,
    (hash, content): (&str, &str),
    now: Instant,
) -> ClusterWrite {
    match (written, sent) {
        (Some(w), _) if w == hash => ClusterWrite::Unchanged,
        (Some(_), Some((last, at))) if last == content => {
            let due = *at + TOTALS_INTERVAL;
            if now < due {
                ClusterWrite::HeldBack(due)
            } else {
                ClusterWrite::Totals
            }
        }
        _ => ClusterWrite::Now,
    }
}

/// The ClusterPostureReport's hashes: of everything it says, which decides whether it is
/// written; and of what it says but its totals (the cluster's score and counts, the Node
/// counts of the kubelet versions), which decides whether that write may wait. The
/// report's own hash was taken when it was built; the totals change more often than what
/// it lists.
fn cluster_hashes(reports: &Reports) -> (String, String) {
    let hash = json_hash(&(
        &reports.cluster_hash,
        &reports.cluster_score,
        &reports.cluster_summary,
        &reports.encryption,
        &reports.cluster_excepted,
        &reports.control_plane,
    ));
    let content = json_hash(&(
        &reports.cluster_hash,
        &reports.encryption,
        control_plane_verdicts(&reports.control_plane),
    ));
    (hash, content)
}

/// What the ClusterPostureReport says, as written: owned, so that its write can go on after
/// the pass that decided it, and serialized only when sent (the report is shared, not
/// copied).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterBody {
    #[serde(skip)]
    hash: String,
    #[serde(serialize_with = "shared")]
    report: Arc<Report>,
    cluster_score: u8,
    cluster_summary: SeverityCounts,
    cluster_excepted: u32,
    encryption: EncryptionStatus,
    control_plane: ControlPlaneStatus,
}

fn shared<S: Serializer>(report: &Arc<Report>, s: S) -> Result<S::Ok, S::Error> {
    report.as_ref().serialize(s)
}

/// The ClusterPostureReport as sent: its fields under `metadata`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterSent<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: ObjectMeta,
    #[serde(flatten)]
    fields: &'a ClusterBody,
}

impl ClusterBody {
    /// The report as sent under `meta`, with its content hash among the annotations.
    fn under(&self, mut meta: ObjectMeta) -> ClusterSent<'_> {
        meta.annotations
            .get_or_insert_default()
            .insert(HASH_ANNOTATION.to_owned(), self.hash.clone());
        ClusterSent {
            api_version: "rampart.dev/v1alpha1",
            kind: "ClusterPostureReport",
            metadata: meta,
            fields: self,
        }
    }
}

/// What the ClusterPostureReport says, under its hash.
fn cluster_body(reports: &Reports, hash: &str) -> ClusterBody {
    ClusterBody {
        hash: hash.to_owned(),
        report: Arc::clone(&reports.cluster),
        cluster_score: reports.cluster_score,
        cluster_summary: reports.cluster_summary,
        cluster_excepted: reports.cluster_excepted,
        encryption: reports.encryption.clone(),
        control_plane: reports.control_plane.clone(),
    }
}

/// Sends the ClusterPostureReport (API), as a namespace's report is sent: replaced under
/// `stored`, the metadata its last write returned, or applied (every list named, see
/// [`applied_body`]) when there is none, the report is not in the cluster, or the operator
/// may not update it (`update_forbidden`, set by the first write that finds it). Returns
/// the metadata stored.
async fn send_cluster(
    client: &Client,
    params: &PatchParams,
    body: &ClusterBody,
    (stored, update_forbidden): (Option<&ObjectMeta>, &AtomicBool),
) -> Result<Box<ObjectMeta>, kube::Error> {
    if let Some(meta) = stored.filter(|_| !update_forbidden.load(Ordering::Relaxed)) {
        let replaced = crate::replace::replace(client, Target::Cluster, meta, |meta| {
            serde_json::to_vec(&body.under(meta))
        })
        .await;
        match replaced {
            Ok(Some(meta)) => return Ok(meta),
            // Deleted since: applied anew.
            Ok(None) => {}
            Err(kube::Error::Api(e)) if forbids_update(&e) => {
                note_update_forbidden(update_forbidden, &e, "clusterposturereports")
            }
            Err(e) => return Err(e),
        }
    }
    let applied = cluster_applied(body).map_err(kube::Error::SerdeError)?;
    let api: Api<ClusterPostureReport> = Api::all(client.clone());
    let stored = api
        .patch_metadata(CLUSTER_REPORT_NAME, params, &Patch::Apply(&applied))
        .await?;
    Ok(crate::replace::remembered(stored.metadata))
}

/// The ClusterPostureReport as applied: under its name alone, every field its JSON may
/// leave out named ([`name_left_out_of_cluster`]).
fn cluster_applied(body: &ClusterBody) -> serde_json::Result<serde_json::Value> {
    let meta = ObjectMeta {
        name: Some(CLUSTER_REPORT_NAME.to_owned()),
        ..ObjectMeta::default()
    };
    let mut applied = serde_json::to_value(body.under(meta))?;
    name_left_out_of_cluster(&mut applied);
    Ok(applied)
}

/// The ClusterPostureReport's fields beside its report that its JSON leaves out while empty
/// or unknown, by path, with what an apply names each as: null (the schema lets them be) or
/// empty.
fn cluster_fields_left_out() -> [(&'static [&'static str], serde_json::Value); 5] {
    use serde_json::Value;
    [
        (&["encryption", "provider"], Value::Null),
        (&["encryption", "notes"], json!([])),
        (
            &["controlPlane", "version", "apiServer", "version"],
            Value::Null,
        ),
        (
            &["controlPlane", "version", "kubelets", "versions"],
            json!([]),
        ),
        (
            &["controlPlane", "version", "kubelets", "omittedVersions"],
            json!(0),
        ),
    ]
}

/// Names every field a ClusterPostureReport's JSON (`body`) may leave out, as
/// [`applied_body`] does a namespace's report's lists: an apply over a replaced report,
/// whose fields have no owner, keeps those it does not name (an encryption provider, or a
/// kubelet version, that are no more).
pub fn name_left_out_of_cluster(body: &mut serde_json::Value) {
    name_empty_lists(body);
    for (path, empty) in cluster_fields_left_out() {
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let parent = parents.iter().try_fold(&mut *body, |v, k| v.get_mut(*k));
        if let Some(fields) = parent.and_then(serde_json::Value::as_object_mut) {
            fields.entry(*last).or_insert(empty);
        }
    }
}

/// Whether a refused replace says the operator was granted `patch` and not `update` (RBAC
/// of one's own, or an install older than this operator).
fn forbids_update(e: &kube::core::Status) -> bool {
    e.code == 403 && e.message.contains("cannot update resource")
}

/// Remembers that the operator may not update reports of one kind (`plural`), saying so
/// the first time. Each kind has its own: an install one version behind grants `update` on
/// posturereports and not on clusterposturereports.
fn note_update_forbidden(update_forbidden: &AtomicBool, e: &kube::core::Status, plural: &str) {
    if !update_forbidden.swap(true, Ordering::Relaxed) {
        warn!(error = %e.message, "the operator may not update {plural}: applying them instead (the install grants `update` on {plural})");
    }
}

/// How many namespace reports are on their way at once: a first pass writes a thousand,
/// and one at a time leaves the API server idle during each round trip.
const WRITES_IN_FLIGHT: usize = 4;

/// What became of one namespace's report.
enum Sent {
    /// Stored: its metadata as the cluster returned it.
    Written(Box<ObjectMeta>),
    /// Not in the cluster: its namespace is gone (or going), or the CRDs are.
    Gone,
    /// Refused by the API server (admission, validation, size), with why.
    Refused(String),
}

/// Sends one namespace's report (API): replaced under `stored`, the metadata its last write
/// returned (see [`crate::replace`]), or applied when there is none or the report is not
/// in the cluster. `update_forbidden`: the operator found it may not update reports, only
/// apply them (set by the first write that finds it). Only a failure of the API server, not
/// of this report, is an error.
async fn send_report(
    client: &Client,
    params: &PatchParams,
    ns: &str,
    built: &BuiltReport,
    (stored, update_forbidden): (Option<&ObjectMeta>, &AtomicBool),
) -> Result<Sent, ApplyError> {
    let report = built.json().map_err(|source| ApplyError::Encode {
        name: format!("{ns}/{POSTURE_REPORT_NAME}"),
        source,
    })?;
    let sent = match stored.filter(|_| !update_forbidden.load(Ordering::Relaxed)) {
        Some(meta) => match crate::replace::report(client, ns, meta, &report, &built.hash).await {
            // Applied as before, every list named (`applied_body`), since a report
            // replaced before (by this run or an earlier one) has fields nobody owns.
            Err(kube::Error::Api(e)) if forbids_update(&e) => {
                note_update_forbidden(update_forbidden, &e, "posturereports");
                Ok(None)
            }
            replaced => replaced,
        },
        None => Ok(None),
    };
    let sent = match sent {
        Ok(Some(meta)) => Ok(meta),
        Ok(None) => {
            let meta = ObjectMeta {
                name: Some(POSTURE_REPORT_NAME.to_owned()),
                namespace: Some(ns.to_owned()),
                ..ObjectMeta::default()
            };
            let body = applied_body(meta, &report, &built.hash);
            let api: Api<PostureReport> = Api::namespaced(client.clone(), ns);
            api.patch_metadata(POSTURE_REPORT_NAME, params, &Patch::Apply(&body))
                .await
                .map(|applied| crate::replace::remembered(applied.metadata))
        }
        Err(e) => Err(e),
    };
    match sent {
        Ok(meta) => Ok(Sent::Written(meta)),
        Err(kube::Error::Api(e))
            if e.code == 404
                || (e.code == 403
                    && e.reason == "Forbidden"
                    && e.message.contains("being terminated")) =>
        {
            Ok(Sent::Gone)
        }
        Err(kube::Error::Api(e)) if refuses_one_report(e.code) => Ok(Sent::Refused(e.message)),
        Err(source) => Err(ApplyError::Write {
            name: format!("{ns}/{POSTURE_REPORT_NAME}"),
            source,
        }),
    }
}

/// A namespace's report as it is applied: as [`report_body`] writes it, with every list
/// the report's JSON leaves out while empty named, empty. An apply keeps the fields it
/// does not name that its field manager did not apply before, and a replaced report's
/// fields have no manager ([`crate::replace`]): an apply over one (the report went from
/// the writer's memory, or it may not update) would otherwise keep, say, the folded
/// entries of findings that are gone.
pub fn applied_body(meta: ObjectMeta, report: &serde_json::Value, hash: &str) -> serde_json::Value {
    let mut body = report_body(meta, report, hash);
    name_empty_lists(&mut body);
    body
}

/// Names, empty, every list a report's JSON leaves out while empty, in `body`'s report.
fn name_empty_lists(body: &mut serde_json::Value) {
    if let Some(fields) = body["report"].as_object_mut() {
        for list in Report::LISTS_LEFT_OUT_EMPTY {
            fields
                .entry(list)
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
        }
    }
}

/// A namespace's report as written, applied or replaced: `report` under `meta`, with its
/// content hash among the annotations.
pub fn report_body(
    mut meta: ObjectMeta,
    report: &serde_json::Value,
    hash: &str,
) -> serde_json::Value {
    meta.annotations
        .get_or_insert_default()
        .insert(HASH_ANNOTATION.to_owned(), hash.to_owned());
    json!({
        "apiVersion": PostureReport::api_version(&()),
        "kind": PostureReport::kind(&()),
        "metadata": meta,
        "report": report,
    })
}

/// How a write of the cluster's totals in the background ended: what the cluster stored,
/// how long the request took (the loop may take in its end a debounce later), and whether
/// the operator found it may not update reports.
type TotalsEnd = (Result<Box<ObjectMeta>, kube::Error>, Duration, bool);

/// A write of the ClusterPostureReport whose totals alone changed, on its way.
#[derive(Debug)]
struct TotalsWrite {
    task: JoinHandle<TotalsEnd>,
    hash: String,
}

/// What one successful write did.
#[derive(Debug)]
pub struct Applied {
    /// Reports sent; the others were unchanged or refused.
    pub written: u64,
    /// Reports the API server refused (admission, validation, size), by key: left to
    /// write again, while the others were written.
    pub refused: Vec<String>,
    /// Whether the ClusterPostureReport, its totals alone changed, was handed to a write
    /// in the background ([`Writer::totals_written`] says how it went).
    pub totals_in_background: bool,
    /// The findings open before the write in the reports it built or dropped, to tell
    /// what it detected and resolved ([`crate::report::Transitions`]).
    pub before: Open,
}

/// What the writer knows of the cluster's reports: their content hashes, and every open
/// finding in each by fingerprint (for first-seen times and for telling new from resolved).
#[derive(Debug, Default)]
pub struct Writer {
    hashes: HashMap<String, String>,
    /// The metadata of each report (a namespace's, and the ClusterPostureReport's under
    /// `/cluster`) as the cluster last returned it, to replace it under next time
    /// ([`crate::replace`]); one missing is applied. Kept when a report vanishes: a replace
    /// of a deleted report is refused and it is applied, one written again since (by
    /// another replica) is read back and replaced; an apply over a report that was
    /// replaced would leave behind the optional fields it omits. A namespace's is dropped
    /// with the namespace's report.
    stored: HashMap<String, Box<ObjectMeta>>,
    /// Whether the operator may not update namespaces' reports (RBAC), so applies them all.
    update_forbidden: bool,
    /// The same of the ClusterPostureReport.
    cluster_update_forbidden: bool,
    pub open: Open,
    pub writes: u64,
    pub skipped: u64,
    /// What the last ClusterPostureReport written said apart from its totals, and when
    /// it was written: a write that would change only the totals may wait.
    cluster_sent: Option<(String, Instant)>,
    /// When the totals held back are due.
    totals_due: Option<Instant>,
    /// The write of the cluster's totals on its way, if one is.
    totals_writing: Option<TotalsWrite>,
    /// Reports built but not written: skipped as not found (the namespace went away, or
    /// the CRDs did), or left by a write that failed. The next pass builds them again.
    unwritten: BTreeSet<String>,
    /// The OpenReports copies, with `--openreports`.
    pub export: Option<Exporter>,
}

fn hash_of(meta: &ObjectMeta) -> Option<String> {
    meta.annotations.as_ref()?.get(HASH_ANNOTATION).cloned()
}

impl Writer {
    fn remember(&mut self, key: String, report: &Report, detail_from: Severity, read_at: Seen) {
        self.open
            .entry(key)
            .or_default()
            .extend(read_back(report, detail_from, read_at));
    }

    /// Forgets the reports that are gone from the cluster, so the next apply writes them
    /// again; returns their keys.
    pub fn forget(&mut self, vanished: &Vanished) -> BTreeSet<String> {
        let mut forgotten = BTreeSet::new();
        if let Some(export) = self.export.as_mut() {
            forgotten.extend(export.forget(&vanished.exported, self.hashes.keys()));
        }
        let vanished = &vanished.reports;
        for k in &vanished.deleted {
            if self.hashes.remove(k).is_some() {
                forgotten.insert(k.clone());
            }
        }
        let cluster_key = report_key(None);
        for l in &vanished.listed {
            self.hashes.retain(|k, _| {
                let kept = (*k == cluster_key) != l.cluster || l.present.contains(k);
                if !kept {
                    forgotten.insert(k.clone());
                }
                kept
            });
        }
        forgotten
    }

    /// The reports writes left unwritten since the last call, to build again.
    pub fn take_unwritten(&mut self) -> BTreeSet<String> {
        std::mem::take(&mut self.unwritten)
    }

    /// When a ClusterPostureReport whose totals were held back is due (see
    /// [`TOTALS_INTERVAL`]); `None` when nothing waits.
    pub fn totals_due(&self) -> Option<Instant> {
        self.totals_due
    }

    /// Waits for the write of the cluster's totals on its way and takes in how it went:
    /// how long it took, or why it failed. `None` at once when none is on its way. After
    /// a failure the report is written again in the next pass, where failed writes are
    /// tried again. Cancel-safe: a write not yet done stays on its way.
    pub async fn totals_written(&mut self) -> Option<Result<Duration, ApplyError>> {
        let joined = (&mut self.totals_writing.as_mut()?.task).await;
        let writing = self.totals_writing.take()?;
        let key = report_key(None);
        let result = match joined {
            Ok((written, took, update_forbidden)) => {
                self.cluster_update_forbidden |= update_forbidden;
                match written {
                    Ok(meta) => {
                        self.stored.insert(key.clone(), meta);
                        self.hashes.insert(key, writing.hash);
                        self.writes += 1;
                        return Some(Ok(took));
                    }
                    Err(source) => ApplyError::Write {
                        name: CLUSTER_REPORT_NAME.to_owned(),
                        source,
                    },
                }
            }
            Err(_) => ApplyError::Lost(CLUSTER_REPORT_NAME.to_owned()),
        };
        self.forget_cluster();
        Some(Err(result))
    }

    /// Drops the write of the cluster's totals on its way, which may still land: the
    /// report is forgotten, so the next write of it is made in the pass.
    pub fn drop_totals(&mut self) {
        if let Some(writing) = self.totals_writing.take() {
            writing.task.abort();
            self.forget_cluster();
        }
    }

    /// A ClusterPostureReport not known to be in the cluster (its write failed, or may
    /// land late): the next write of it is made in the pass, not held back nor sent in
    /// the background.
    fn forget_cluster(&mut self) {
        self.hashes.remove(&report_key(None));
        self.cluster_sent = None;
    }

    /// Sends the ClusterPostureReport in the background.
    fn write_totals(&mut self, client: &Client, params: &PatchParams, body: ClusterBody) {
        let client = client.clone();
        let params = params.clone();
        let stored = self.stored.get(&report_key(None)).cloned();
        let update_forbidden = AtomicBool::new(self.cluster_update_forbidden);
        let hash = body.hash.clone();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let how = (stored.as_deref(), &update_forbidden);
            let written = send_cluster(&client, &params, &body, how).await;
            (written, started.elapsed(), update_forbidden.into_inner())
        });
        self.totals_writing = Some(TotalsWrite { task, hash });
    }

    /// Reads the reports already in the cluster, so a restart neither rewrites unchanged
    /// reports nor makes old findings new; what an event says is kept of the findings at
    /// or above `detail_from`.
    /// With `export`, the OpenReports copies are read too, and written from then on.
    pub async fn load(
        client: &Client,
        detail_from: Severity,
        export: bool,
    ) -> Result<Writer, ApplyError> {
        let mut w = Writer::default();
        let read_at = Seen::now();
        if export {
            w.export = Some(
                Exporter::load(client, HASH_ANNOTATION)
                    .await
                    .map_err(ApplyError::Read)?,
            );
        }
        let reports: Api<PostureReport> = Api::all(client.clone());
        for r in reports
            .list(&ListParams::default())
            .await
            .map_err(ApplyError::Read)?
        {
            let key = report_key(r.metadata.namespace.as_deref());
            if let Some(h) = hash_of(&r.metadata) {
                w.hashes.insert(key.clone(), h);
            }
            w.stored
                .insert(key.clone(), crate::replace::remembered(r.metadata));
            w.remember(key, &r.spec.report, detail_from, read_at);
        }
        let cluster: Api<ClusterPostureReport> = Api::all(client.clone());
        if let Some(r) = cluster
            .get_opt(CLUSTER_REPORT_NAME)
            .await
            .map_err(ApplyError::Read)?
        {
            if let Some(h) = hash_of(&r.metadata) {
                w.hashes.insert(report_key(None), h);
            }
            w.remember(report_key(None), &r.spec.report, detail_from, read_at);
            w.stored
                .insert(report_key(None), crate::replace::remembered(r.metadata));
        }
        Ok(w)
    }

    /// Writes every report whose content changed. After a failure every report built this
    /// pass is left to build again: no write starts after the first that fails (those
    /// already on their way may land, and are sent again unchanged).
    pub async fn apply(
        &mut self,
        client: &Client,
        reports: &Reports,
    ) -> Result<Applied, ApplyError> {
        let result = self.write(client, reports).await;
        if result.is_err() {
            self.unwritten.extend(reports.built());
            // Totals held back wait for the next try, which the failure schedules: a due
            // time already past would wake the loop again at once, pass after pass, for
            // as long as the API server is away.
            self.totals_due = None;
        }
        result
    }

    async fn write(&mut self, client: &Client, reports: &Reports) -> Result<Applied, ApplyError> {
        // Every write asks for the object's metadata back, not the whole report: the API
        // server would encode what it was just sent, and the operator decode it (a
        // thousand reports in a first pass), only for it to be dropped.
        let params = report_params(FIELD_MANAGER);
        let mut written = 0;
        let mut refused = Vec::new();
        // With a copy of what each was last stored under: the writes on their way must not
        // hold the map their results go to.
        let changed: Vec<(&String, &BuiltReport, Option<Box<ObjectMeta>>)> = reports
            .namespaces
            .iter()
            .filter(|(ns, built)| self.hashes.get(ns.as_str()) != Some(&built.hash))
            .map(|(ns, built)| (ns, built, self.stored.get(ns.as_str()).cloned()))
            .collect();
        self.skipped += (reports.namespaces.len() - changed.len()) as u64;
        let update_forbidden = AtomicBool::new(self.update_forbidden);
        let mut sending = futures::stream::iter(changed.into_iter().map(|(ns, built, stored)| {
            let (params, update_forbidden) = (&params, &update_forbidden);
            async move {
                let how = (stored.as_deref(), update_forbidden);
                let sent = send_report(client, params, ns, built, how).await;
                (ns, built, sent)
            }
        }))
        .buffer_unordered(WRITES_IN_FLIGHT);
        // Not in the cluster (gone, or refused): no copy of them either.
        let mut left = BTreeSet::new();
        while let Some((ns, built, sent)) = sending.next().await {
            match sent? {
                Sent::Written(meta) => {
                    self.stored.insert(ns.clone(), meta);
                    self.hashes.insert(ns.clone(), built.hash.clone());
                    written += 1;
                }
                // The namespace went away between evaluation and write, or the CRDs did:
                // the next pass builds it again, and finds out which.
                Sent::Gone => {
                    self.unwritten.insert(ns.clone());
                    left.insert(ns);
                }
                // This report refused, not the API server failing: the others go on.
                Sent::Refused(message) => {
                    if refused.is_empty() {
                        warn!(report = %ns, error = %message, "the API server refused a report; writing the others, and this one again later");
                    }
                    refused.push(ns.clone());
                    self.unwritten.insert(ns.clone());
                    left.insert(ns);
                }
            }
        }
        drop(sending);
        self.update_forbidden = update_forbidden.into_inner();
        for ns in &reports.gone {
            self.stored.remove(ns);
        }
        for (ns, built) in &reports.namespaces {
            let hash = &built.hash;
            if left.contains(ns) || !self.export.as_ref().is_some_and(|e| e.due(ns, hash)) {
                continue;
            }
            let report = built.report().map_err(|source| ApplyError::Encode {
                name: format!("{ns}/{POSTURE_REPORT_NAME}"),
                source,
            })?;
            self.write_copy(client, Some(ns), &report, hash).await?;
        }
        let (hash, content) = cluster_hashes(reports);
        let now = Instant::now();
        let how = cluster_write(
            self.hashes.get(&report_key(None)),
            self.cluster_sent.as_ref(),
            (&hash, &content),
            now,
        );
        self.totals_due = None;
        let mut totals_in_background = false;
        match how {
            ClusterWrite::Unchanged => self.skipped += 1,
            ClusterWrite::HeldBack(due) => {
                self.totals_due = Some(due);
                self.skipped += 1;
            }
            ClusterWrite::Totals => {
                // The largest report, and nothing in it new but the totals: a pass confined
                // to one namespace does not wait for the API server to store it (a third of
                // a second at 100k objects). Nothing is announced from the totals.
                self.write_totals(client, &params, cluster_body(reports, &hash));
                self.cluster_sent = Some((content, now));
                totals_in_background = true;
            }
            ClusterWrite::Now => {
                let body = cluster_body(reports, &hash);
                let key = report_key(None);
                let update_forbidden = AtomicBool::new(self.cluster_update_forbidden);
                let how = (self.stored.get(&key).map(|m| &**m), &update_forbidden);
                let sent = send_cluster(client, &params, &body, how).await;
                self.cluster_update_forbidden = update_forbidden.into_inner();
                match sent {
                    Ok(meta) => {
                        self.stored.insert(key.clone(), meta);
                        self.hashes.insert(key, hash);
                        self.cluster_sent = Some((content, now));
                        written += 1;
                    }
                    // Refused, not the API server failing (a conflict that outlasted the
                    // replace's tries, admission, size): the namespaces' reports stand,
                    // and this one is written in a later pass, as a refused namespace's is.
                    Err(kube::Error::Api(e)) if refuses_one_report(e.code) => {
                        warn!(report = CLUSTER_REPORT_NAME, error = %e.message, "the API server refused the ClusterPostureReport; writing it again later");
                        self.forget_cluster();
                        self.unwritten.insert(key.clone());
                        refused.push(key);
                    }
                    Err(source) => {
                        return Err(ApplyError::Write {
                            name: CLUSTER_REPORT_NAME.to_owned(),
                            source,
                        });
                    }
                }
            }
        }
        let cluster_copy_due = self
            .export
            .as_ref()
            .is_some_and(|e| e.due(&report_key(None), &reports.cluster_hash));
        if cluster_copy_due {
            self.write_copy(client, None, &reports.cluster, &reports.cluster_hash)
                .await?;
        }
        // A refused report's findings count as open all the same: they were detected, and
        // their first-seen times carry over to the write that lands.
        let before = remember(&mut self.open, reports);
        self.writes += written;
        Ok(Applied {
            written,
            refused,
            totals_in_background,
            before,
        })
    }

    /// Writes the OpenReports copy of a report: a namespace's, or the cluster's (`None`).
    async fn write_copy(
        &mut self,
        client: &Client,
        namespace: Option<&str>,
        report: &Report,
        hash: &str,
    ) -> Result<(), ApplyError> {
        let Some(export) = self.export.as_mut() else {
            return Ok(());
        };
        export
            .write(
                client,
                namespace,
                report,
                hash,
                (FIELD_MANAGER, HASH_ANNOTATION),
            )
            .await
            .map_err(|source| ApplyError::Write {
                name: format!(
                    "OpenReports {}/{}",
                    namespace.unwrap_or("cluster"),
                    crate::openreports::NAME
                ),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{Fixture, control_plane};
    use crate::written::{Gone, Listed};
    use kube::CustomResourceExt;
    use rampart_rules::control_plane::Support;
    use std::collections::BTreeSet;

    fn keys(w: &Writer) -> BTreeSet<&str> {
        w.hashes.keys().map(String::as_str).collect()
    }

    #[test]
    fn an_applied_report_names_every_list_it_would_leave_out_and_keeps_those_it_has() {
        let meta = ObjectMeta {
            name: Some(POSTURE_REPORT_NAME.to_owned()),
            ..ObjectMeta::default()
        };
        let report = json!({"score": 90, "excepted": [{"ruleId": "RBAC001"}]});
        let body = applied_body(meta, &report, "abc");
        assert_eq!(body["report"]["folded"], json!([]));
        assert_eq!(body["report"]["couldNotEvaluate"], json!([]));
        assert_eq!(body["report"]["excepted"], json!([{"ruleId": "RBAC001"}]));
        assert_eq!(body["report"]["score"], 90);
        assert_eq!(
            body["metadata"]["annotations"][HASH_ANNOTATION],
            json!("abc")
        );
    }

    #[test]
    fn reports_are_applied_forced_by_their_writer_and_not_searched_for_unknown_fields() {
        let params = report_params("writer");
        assert!(params.force, "another manager's fields are taken over");
        assert_eq!(params.field_manager.as_deref(), Some("writer"));
        assert!(
            matches!(
                params.field_validation,
                Some(kube::api::ValidationDirective::Ignore)
            ),
            "{:?}",
            params.field_validation
        );
    }

    #[test]
    fn only_totals_wait_then_go_in_the_background_and_only_when_in_the_cluster() {
        let t0 = Instant::now();
        let sent = ("content".to_owned(), t0);
        let soon = t0 + Duration::from_secs(1);
        let due = t0 + TOTALS_INTERVAL;
        let old = "old".to_owned();
        let write =
            |written, sent, content, now| cluster_write(written, sent, ("new", content), now);
        assert_eq!(
            cluster_write(
                Some(&"new".to_owned()),
                Some(&sent),
                ("new", "content"),
                soon
            ),
            ClusterWrite::Unchanged
        );
        assert_eq!(
            write(Some(&old), Some(&sent), "content", soon),
            ClusterWrite::HeldBack(due),
            "the totals alone changed: they wait"
        );
        assert_eq!(
            write(Some(&old), Some(&sent), "content", due),
            ClusterWrite::Totals,
            "due: written, in the background"
        );
        assert_eq!(
            write(Some(&old), Some(&sent), "other", soon),
            ClusterWrite::Now,
            "what the report lists changed: written now, totals with it"
        );
        assert_eq!(
            write(None, Some(&sent), "content", due),
            ClusterWrite::Now,
            "not in the cluster (deleted, or the last write failed): written in the pass"
        );
        assert_eq!(
            write(Some(&old), None, "content", soon),
            ClusterWrite::Now,
            "nothing sent yet (a restart): what it lists is not known to stand"
        );
    }

    /// A write of the totals on its way, which ends as `ended`, having found the operator
    /// may not update reports or not.
    fn writing(
        ended: impl Future<Output = Result<Box<ObjectMeta>, kube::Error>> + Send + 'static,
        update_forbidden: bool,
    ) -> Option<TotalsWrite> {
        Some(TotalsWrite {
            task: tokio::spawn(
                async move { (ended.await, Duration::from_millis(1), update_forbidden) },
            ),
            hash: "new".to_owned(),
        })
    }

    /// Metadata as the cluster returns it after a write, at `version`.
    fn stored_at(version: &str) -> Box<ObjectMeta> {
        Box::new(ObjectMeta {
            name: Some(CLUSTER_REPORT_NAME.to_owned()),
            resource_version: Some(version.to_owned()),
            ..ObjectMeta::default()
        })
    }

    #[tokio::test]
    async fn totals_that_land_are_in_the_cluster_and_totals_that_fail_are_written_in_the_pass() {
        let cluster = report_key(None);
        let mut w = Writer::default();
        assert!(w.totals_written().await.is_none(), "nothing on its way");
        w.hashes.insert(cluster.clone(), "old".to_owned());
        w.cluster_sent = Some(("content".to_owned(), Instant::now()));
        w.totals_writing = writing(async { Ok(stored_at("7")) }, true);
        assert_eq!(
            w.totals_written().await.map(|r| r.ok()),
            Some(Some(Duration::from_millis(1))),
            "how long the request took, as the task timed it"
        );
        assert_eq!(w.hashes.get(&cluster).map(String::as_str), Some("new"));
        assert_eq!(
            w.stored
                .get(&cluster)
                .and_then(|m| m.resource_version.as_deref()),
            Some("7"),
            "the next replace is made under what this write stored"
        );
        assert!(
            w.cluster_update_forbidden && !w.update_forbidden,
            "a write that found it may not update says so to the writes of its kind after it"
        );
        assert!(w.cluster_sent.is_some() && w.totals_writing.is_none());
        assert_eq!(w.writes, 1);

        let mut unavailable = kube::core::Status::failure("down", "ServiceUnavailable");
        unavailable.code = 503;
        w.totals_writing = writing(
            async move { Err(kube::Error::Api(Box::new(unavailable))) },
            false,
        );
        let failed = w.totals_written().await;
        assert!(
            matches!(&failed, Some(Err(ApplyError::Write { name, .. })) if name == CLUSTER_REPORT_NAME),
            "{failed:?}"
        );
        assert_eq!(w.writes, 1);
        let later = Instant::now() + TOTALS_INTERVAL;
        assert_eq!(
            cluster_write(
                w.hashes.get(&cluster),
                w.cluster_sent.as_ref(),
                ("new", "content"),
                later
            ),
            ClusterWrite::Now,
            "after a failure the report is written in the pass, where failures are retried"
        );

        // Cancel-safe: a wait given up (another branch of a select) leaves the write on its
        // way; one dropped (it did not end in time) may still land, so the report is
        // forgotten and written again in the pass.
        w.hashes.insert(cluster.clone(), "old".to_owned());
        w.cluster_sent = Some(("content".to_owned(), Instant::now()));
        w.totals_writing = writing(std::future::pending(), false);
        let waited = tokio::time::timeout(Duration::from_millis(20), w.totals_written()).await;
        assert!(waited.is_err() && w.totals_writing.is_some());
        w.drop_totals();
        assert!(w.totals_writing.is_none());
        assert!(!w.hashes.contains_key(&cluster) && w.cluster_sent.is_none());
        assert!(w.totals_written().await.is_none());
    }

    /// The cluster's reports built with this audit logging and this many Nodes.
    fn reports(audit: &'static str, nodes: usize) -> Reports {
        Fixture {
            control_plane: control_plane(audit, &[("v1.37.2", Support::Current, nodes)]),
            ..Fixture::default()
        }
        .build(&[], &["shop"])
        .reports
    }

    #[test]
    fn a_control_plane_verdict_is_written_at_once_and_node_counts_with_the_totals() {
        let (hash, content) = cluster_hashes(&reports("on", 3));
        assert_eq!(
            cluster_hashes(&reports("on", 3)),
            (hash.clone(), content.clone()),
            "nothing changed: nothing to write"
        );
        let (verdict_hash, verdict_content) = cluster_hashes(&reports("off", 3));
        assert_ne!(verdict_hash, hash);
        assert_ne!(verdict_content, content, "a new verdict does not wait");
        let (count_hash, count_content) = cluster_hashes(&reports("on", 4));
        assert_ne!(count_hash, hash, "a Node more is written");
        assert_eq!(count_content, content, "with the totals");
    }

    #[test]
    fn the_cluster_report_sends_the_control_plane_beside_the_encryption() {
        let r = reports("off", 2);
        let body = cluster_applied(&cluster_body(&r, "h")).expect("JSON");
        assert_eq!(body["metadata"]["name"], CLUSTER_REPORT_NAME);
        assert_eq!(body["metadata"]["annotations"][HASH_ANNOTATION], "h");
        for list in Report::LISTS_LEFT_OUT_EMPTY {
            assert_eq!(
                body["report"][list],
                json!([]),
                "an apply names {list}, which a replace left without an owner"
            );
        }
        assert_eq!(body["controlPlane"]["auditLogging"]["state"], "off");
        assert_eq!(body["controlPlane"]["version"]["kubelets"]["nodes"], 2);
        assert_eq!(body["encryption"]["state"], "unknown");
        let sent: ClusterPostureReport =
            serde_json::from_value(body).expect("the body is a ClusterPostureReport");
        assert_eq!(sent.spec.control_plane, Some(r.control_plane));
    }

    /// The paths of the properties `schema` declares, objects followed into and arrays not.
    fn property_paths(schema: &serde_json::Value, at: &[String], out: &mut BTreeSet<Vec<String>>) {
        let Some(properties) = schema["properties"].as_object() else {
            out.insert(at.to_vec());
            return;
        };
        for (name, property) in properties {
            let mut path = at.to_vec();
            path.push(name.clone());
            property_paths(property, &path, out);
        }
    }

    #[test]
    fn an_applied_cluster_report_names_every_field_its_json_may_leave_out() {
        let crd = serde_json::to_value(ClusterPostureReport::crd()).expect("JSON");
        let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
        let mut declared = BTreeSet::new();
        for (name, property) in schema["properties"].as_object().expect("properties") {
            if !["apiVersion", "kind", "metadata", "report"].contains(&name.as_str()) {
                property_paths(property, std::slice::from_ref(name), &mut declared);
            }
        }
        let least = ClusterBody {
            hash: "h".to_owned(),
            report: Arc::new(Report::default()),
            cluster_score: 0,
            cluster_summary: SeverityCounts::default(),
            cluster_excepted: 0,
            encryption: EncryptionStatus::default(),
            control_plane: ControlPlaneStatus::default(),
        };
        let sent = serde_json::to_value(least.under(ObjectMeta::default())).expect("JSON");
        let lacks = |body: &serde_json::Value| -> BTreeSet<Vec<String>> {
            declared
                .iter()
                .filter(|path| path.iter().try_fold(body, |v, k| v.get(k)).is_none())
                .cloned()
                .collect()
        };
        let named: BTreeSet<Vec<String>> = cluster_fields_left_out()
            .iter()
            .map(|(path, _)| path.iter().map(|k| (*k).to_owned()).collect())
            .collect();
        assert_eq!(
            lacks(&sent),
            named,
            "the fields a report may leave out, and only those"
        );
        let applied = cluster_applied(&least).expect("JSON");
        assert!(lacks(&applied).is_empty(), "{:?}", lacks(&applied));
        assert_eq!(applied["encryption"]["provider"], serde_json::Value::Null);
        assert_eq!(applied["report"]["excepted"], json!([]));
    }

    #[test]
    fn the_cluster_report_is_replaced_under_what_the_cluster_returned() {
        let r = reports("on", 1);
        let body = cluster_body(&r, "h");
        let mut meta = *stored_at("41");
        meta.labels = Some([("team".to_owned(), "platform".to_owned())].into());
        let sent = serde_json::to_value(body.under(meta)).expect("JSON");
        assert_eq!(sent["kind"], "ClusterPostureReport");
        assert_eq!(sent["metadata"]["resourceVersion"], "41");
        assert_eq!(sent["metadata"]["labels"]["team"], "platform");
        assert_eq!(sent["metadata"]["annotations"][HASH_ANNOTATION], "h");
        assert_eq!(sent["clusterScore"], r.cluster_score);
        let read: ClusterPostureReport =
            serde_json::from_value(sent).expect("the body is a ClusterPostureReport");
        assert_eq!(read.spec.report, *r.cluster);
        assert_eq!(read.spec.cluster_summary, r.cluster_summary);
    }

    #[test]
    fn forgets_what_is_gone_from_the_cluster_and_only_that() {
        let mut w = Writer::default();
        for k in ["shop", "other", "kept", "/cluster"] {
            w.hashes.insert(k.to_owned(), "h".to_owned());
        }
        // What a report is replaced under stays: a replace of a deleted report is refused
        // and it is applied, one written again since is read back and replaced.
        let stored = |w: &Writer| w.stored.keys().cloned().collect::<BTreeSet<String>>();
        for k in ["shop", "other", "kept"] {
            w.stored.insert(k.to_owned(), Box::default());
        }
        let all_stored = stored(&w);
        let deleted = Vanished {
            reports: Gone {
                deleted: BTreeSet::from(["shop".to_owned()]),
                listed: Vec::new(),
            },
            ..Vanished::default()
        };
        assert_eq!(w.forget(&deleted), BTreeSet::from(["shop".to_owned()]));
        assert_eq!(stored(&w), all_stored);
        // A list of PostureReports says nothing about the ClusterPostureReport.
        let listed = Vanished {
            reports: Gone {
                deleted: BTreeSet::new(),
                listed: vec![Listed {
                    cluster: false,
                    present: BTreeSet::from(["kept".to_owned()]),
                }],
            },
            ..Vanished::default()
        };
        assert_eq!(w.forget(&listed).len(), 1);
        assert_eq!(keys(&w), BTreeSet::from(["kept", "/cluster"]));
        assert_eq!(stored(&w), all_stored);
        // Re-created CRDs: the cluster's list is empty too.
        let recreated = Vanished {
            reports: Gone {
                deleted: BTreeSet::new(),
                listed: vec![Listed {
                    cluster: true,
                    present: BTreeSet::new(),
                }],
            },
            ..Vanished::default()
        };
        assert_eq!(w.forget(&recreated).len(), 1);
        assert_eq!(keys(&w), BTreeSet::from(["kept"]));
        assert_eq!(stored(&w), all_stored);
    }
}
