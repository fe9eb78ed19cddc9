//! Pure report building: what each PostureReport and the ClusterPostureReport should
//! contain after an evaluation, and what changed since the last written reports. No IO;
//! the writer decides what to send.
//!
//! ```text
//! Inputs: held findings (by scope, with the cluster's totals and the control-plane
//!         verdicts) + known namespaces
//!         + namespace filter + encryption verdict + kinds not evaluated
//!         + open findings per report (first-seen times)
//!   + Rebuild (all, or the namespaces a change reached and whether the cluster part)
//!   + Book (what the last build left: namespaces, couldNotEvaluate, cluster report)
//!   -> the reports to build: one per namespace (resource namespace), one for the cluster
//!      (cluster-scoped); all of them when the book cannot carry the others over
//!   -> each within its share of REPORTS_BUDGET_BYTES: the most severe findings whole,
//!      the rest folded per rule and severity (counts exact) -> content hash
//!   -> Posture (score from the held totals; every metric series, or those that changed)
//! built reports + the findings open in them before -> Transitions (events, metrics)
//! ```
//! An incremental pass builds, hashes and diffs only the reports its change reached, so
//! it costs what the change costs, however many findings the rest of the cluster holds.

use crate::held::{Held, Replaced};
use crate::open::{Open, OpenFinding, OpenFindings, Seen, resource_ref};
use crate::placement::{NamespaceFilter, OpenSeries, report_key};
use rampart_crd::{
    ApiServerVersion, ControlPlaneCheck, ControlPlaneStatus, EncryptionStatus, ExceptedFinding,
    FoldedFindings, KubeletStates, KubeletVersion, KubeletVersions, MAX_KUBELET_VERSIONS,
    MAX_REPORT_BYTES, OBJECT_SEPARATOR, RelatedRef, Report, ReportFinding, SeverityCounts,
    VersionStatus,
};
use rampart_rules::control_plane::{ControlPlane, Judged, Support, Verdict};
use rampart_rules::encryption::Assessment;
use rampart_rules::{Excepted, Finding, ObjectRef, Severity, Shared, Summary, score};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

/// Room kept for the report's own fields and the object's metadata.
const OVERHEAD_BYTES: usize = 16 * 1024;

/// What all reports together may hold, so a large cluster's reports cannot bloat etcd:
/// the ClusterPostureReport may use a whole report's room, and the namespaces share the
/// rest equally (a share depends only on how many reports there are, so a change in one
/// namespace never reshapes another's report).
pub const REPORTS_BUDGET_BYTES: usize = 32 * 1024 * 1024;

/// No namespace's share is smaller, however many namespaces there are.
const MIN_SHARE_BYTES: usize = 8 * 1024;

/// The room for one report's findings.
fn largest_share() -> usize {
    MAX_REPORT_BYTES - OVERHEAD_BYTES
}

/// The room for each namespace report's findings when there are `namespaces` of them:
/// the budget shared as if there were [`room_for`] of them, so that a namespace created or
/// deleted seldom changes the shares (and with them every report).
fn namespace_share(namespaces: usize) -> usize {
    let rest = REPORTS_BUDGET_BYTES.saturating_sub(MAX_REPORT_BYTES);
    (rest / room_for(namespaces)).clamp(MIN_SHARE_BYTES, largest_share())
}

/// `namespaces` rounded up to a step of an eighth of the power of two above it (16 at
/// least): 1,000 namespaces share as 1,024 do, and so do 897 to 1,024 of them. Never
/// fewer than there are, so the reports stay within the budget.
fn room_for(namespaces: usize) -> usize {
    let n = namespaces.max(1);
    let step = (n.next_power_of_two() / 8).max(16);
    n.div_ceil(step) * step
}

/// What one pass hands the builder: everything a report says comes in here.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The last evaluation's findings, by scope, with the cluster's totals.
    pub held: &'a Held,
    /// Every namespace in the inventory: a clean one gets an empty report, which says
    /// "evaluated, nothing found".
    pub namespaces: &'a [&'a str],
    /// Which namespaces get reports.
    pub filter: &'a NamespaceFilter,
    /// The engine's verdict on Secrets encryption at rest.
    pub encryption: &'a Assessment,
    /// One line per kind that could not be read. Every report names them: a missing kind
    /// hides findings in every namespace, not only where its objects would be.
    pub could_not_evaluate: &'a [String],
    /// Findings open in the written reports, whose first-seen times carry over.
    pub open: &'a Open,
    /// The events' threshold: what an event says is kept of open findings at or above it.
    pub detail_from: Severity,
    /// The exceptions in force, by id: what an excepted finding says of its exception.
    pub accepted: &'a BTreeMap<String, Accepted>,
    pub now: &'a str,
    pub version: &'a str,
}

impl<'a> Inputs<'a> {
    /// The same inputs over other held findings and encryption verdict.
    pub fn with<'b>(&self, held: &'b Held, encryption: &'b Assessment) -> Inputs<'b>
    where
        'a: 'b,
    {
        let shorter: Inputs<'b> = *self;
        Inputs {
            held,
            encryption,
            ..shorter
        }
    }
}

/// What a report says of the exception that accepted a finding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    pub owner: String,
    /// RFC 3339.
    pub expires: String,
}

/// Which reports a pass builds: all of them, or those whose findings may have changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rebuild {
    pub all: bool,
    pub namespaces: BTreeSet<String>,
    pub cluster: bool,
    /// Metric series whose counts changed, with their new counts (0: gone).
    pub series: BTreeMap<OpenSeries, u64>,
    /// The same for excepted findings.
    pub excepted_series: BTreeMap<OpenSeries, u64>,
}

impl Rebuild {
    pub fn all() -> Rebuild {
        Rebuild {
            all: true,
            ..Rebuild::default()
        }
    }

    /// The reports of what a replacement of findings changed, and those the writer forgot
    /// (deleted from the cluster: they must be written again).
    pub fn of(replaced: &Replaced, forgotten: &BTreeSet<String>) -> Rebuild {
        let cluster_key = report_key(None);
        let mut namespaces = replaced.namespaces.clone();
        namespaces.extend(forgotten.iter().filter(|k| **k != cluster_key).cloned());
        Rebuild {
            all: false,
            namespaces,
            cluster: replaced.cluster || forgotten.contains(&cluster_key),
            series: replaced.series.clone(),
            excepted_series: replaced.excepted_series.clone(),
        }
    }
}

/// What a build leaves for the next one: an incremental build needs the same share for
/// each namespace's report, every newly reported namespace among those it builds, and the
/// same `couldNotEvaluate` (every report carries it); it sends the last
/// ClusterPostureReport again when only the cluster's totals changed.
#[derive(Debug, Default)]
pub struct Book {
    namespaces: Vec<String>,
    share: usize,
    could_not_evaluate: Vec<String>,
    cluster: Option<(Arc<Report>, String)>,
    truncated: BTreeSet<String>,
}

impl Book {
    /// Whether a build for the `reported` namespaces (see [`reported`]) with
    /// `could_not_evaluate`, that builds the namespaces `builds` says it does, can carry
    /// the other reports over, or must build every one.
    pub fn carries(
        &self,
        reported: &[String],
        could_not_evaluate: &[String],
        builds: impl Fn(&str) -> bool,
    ) -> bool {
        self.cluster.is_some()
            && self.share == namespace_share(reported.len())
            && self.could_not_evaluate == could_not_evaluate
            && reported
                .iter()
                .all(|ns| self.namespaces.binary_search(ns).is_ok() || builds(ns))
    }
}

/// The namespaces that get reports, sorted: those of `namespaces` the filter allows.
pub fn reported(namespaces: &[&str], filter: &NamespaceFilter) -> Vec<String> {
    let mut reported: Vec<String> = namespaces
        .iter()
        .filter(|ns| filter.allows(ns))
        .map(|ns| (*ns).to_owned())
        .collect();
    reported.sort();
    reported.dedup();
    reported
}

/// Everything the writer should make true: the reports built this pass (every one in a
/// full build), and what stands from earlier passes.
#[derive(Debug, Clone, PartialEq)]
pub struct Reports {
    /// The namespace reports built this pass.
    pub namespaces: BTreeMap<String, BuiltReport>,
    /// Namespaces that had a report and no longer get one.
    pub gone: Vec<String>,
    /// Namespace reports not built this pass: nothing in their scope changed.
    pub kept: usize,
    /// Shared with the book, which carries it over, and with a write of it in the
    /// background: the largest report, it is not copied each pass.
    pub cluster: Arc<Report>,
    /// The hash of the cluster report's own content (without the cluster's totals).
    pub cluster_hash: String,
    /// Whether the cluster report was built this pass (else it is the last one, sent
    /// again only if the cluster's totals changed).
    pub cluster_built: bool,
    /// The cluster's score and counts over every finding of the namespaces that get
    /// reports and of cluster-scoped objects: the same findings `rampart_posture_score`
    /// covers.
    pub cluster_score: u8,
    pub cluster_summary: SeverityCounts,
    /// Findings exceptions accept, over what `cluster_summary` covers.
    pub cluster_excepted: u32,
    pub encryption: EncryptionStatus,
    pub control_plane: ControlPlaneStatus,
    /// What each report built this pass stands for, its folded findings included, by
    /// report key: open once the reports are written.
    pub open: BTreeMap<String, OpenFindings>,
    /// The findings exceptions accept in the reports built this pass, by fingerprint,
    /// with the exception's id: a finding that leaves `open` for here was accepted, not
    /// fixed.
    pub excepted: HashMap<u64, Shared>,
    /// How many reports are truncated, built this pass or before.
    pub truncated: usize,
}

/// A namespace report as built: its JSON as the writer sends it, its content hash and
/// what the metrics and the book read of it. A full pass builds a thousand reports before
/// it writes the first; as `Report` values, every field an owned string, they took about
/// five times the room of their JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltReport {
    json: Box<[u8]>,
    /// [`content_hash`] of the report.
    pub hash: String,
    pub score: u8,
    pub truncated: bool,
}

impl BuiltReport {
    fn new(mut report: Report) -> BuiltReport {
        // The content hash leaves the evaluation time out ([`content_hash`], without the
        // copy it makes of a report it may not change).
        let evaluated = std::mem::take(&mut report.last_evaluated);
        let hash = stable_hash(&report, &());
        report.last_evaluated = evaluated;
        BuiltReport {
            // Serializing a report (strings, numbers and maps with string keys) cannot fail.
            json: serde_json::to_vec(&report).unwrap_or_default().into(),
            hash,
            score: report.score,
            truncated: report.truncated,
        }
    }

    /// The report as JSON, to send.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.json)
    }

    /// The report, read back from its JSON.
    pub fn report(&self) -> Result<Report, serde_json::Error> {
        serde_json::from_slice(&self.json)
    }
}

/// The cluster's posture over the namespaces that get reports, as the metrics show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Posture {
    /// Score of every finding outside the excluded namespaces, 0 to 100.
    pub score: u8,
    /// Those findings counted per rule, severity, category and namespace: every series
    /// when `all`, else the series that changed (0: gone).
    pub open: BTreeMap<OpenSeries, u64>,
    /// Excepted findings counted the same way, every series or those that changed.
    pub excepted: BTreeMap<OpenSeries, u64>,
    pub all: bool,
}

/// What one pass built.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    pub reports: Reports,
    pub posture: Posture,
}

/// The encryption verdict as the ClusterPostureReport carries it.
fn encryption_status(a: &Assessment) -> EncryptionStatus {
    EncryptionStatus {
        state: a.state.as_str().to_owned(),
        provider: a.provider.clone(),
        evidence: a.evidence.as_str().to_owned(),
        detail: a.detail.clone(),
        notes: a.notes.clone(),
    }
}

/// The control plane's verdicts as the ClusterPostureReport (and `rampart scan`'s JSON)
/// carries them: the kubelets summarised by distinct version, so that a cluster of
/// thousands of Nodes adds a few lines, not one per Node.
pub fn control_plane_status(cp: &ControlPlane) -> ControlPlaneStatus {
    let check = |v: &Verdict| ControlPlaneCheck {
        state: v.state.to_owned(),
        evidence: v.evidence.as_str().to_owned(),
        detail: v.detail.clone(),
    };
    let version = &cp.version;
    let apiserver = version.state("apiserver");
    let kubelet = version.state("kubelet");
    let worse = if badness(kubelet) > badness(apiserver) {
        kubelet
    } else {
        apiserver
    };
    ControlPlaneStatus {
        anonymous: check(&cp.anonymous),
        authorization: check(&cp.authorization),
        audit_logging: check(&cp.audit),
        admission: check(&cp.admission),
        version: VersionStatus {
            state: worse.to_owned(),
            api_server: ApiServerVersion {
                version: version.apiserver.as_ref().map(|j| j.version.text.clone()),
                state: apiserver.to_owned(),
                evidence: version.apiserver_evidence.as_str().to_owned(),
            },
            kubelets: kubelet_versions(&version.kubelets, kubelet),
            release_table: version.table.to_string(),
        },
    }
}

/// How far a version state is from current, as `VersionVerdict::state` ranks them:
/// `unknown` says nothing, so it ranks below `current`.
fn badness(state: &str) -> u8 {
    match state {
        "end-of-life" => 3,
        "patch-behind" => 2,
        "current" => 1,
        _ => 0,
    }
}

/// Distinct kubelet versions with their Node counts, worst standing first and oldest
/// first within one, at most [`MAX_KUBELET_VERSIONS`]: which versions are named never
/// depends on how many Nodes run them, so Nodes coming and going change counts only.
fn kubelet_versions(judged: &[Judged], worst: &str) -> KubeletVersions {
    let mut by_state = KubeletStates::default();
    let mut distinct: BTreeMap<(u32, u32, u32, &str), (&'static str, u32)> = BTreeMap::new();
    for j in judged {
        let n = match j.support {
            Support::Current => &mut by_state.current,
            Support::PatchBehind { .. } => &mut by_state.patch_behind,
            Support::EndOfLife => &mut by_state.end_of_life,
            Support::Unknown => &mut by_state.unknown,
        };
        *n = n.saturating_add(1);
        let v = &j.version;
        let entry = distinct
            .entry((v.major, v.minor, v.patch, v.text.as_str()))
            .or_insert((j.support.as_str(), 0));
        entry.1 = entry.1.saturating_add(1);
    }
    let mut versions: Vec<KubeletVersion> = distinct
        .into_iter()
        .map(|((.., text), (state, nodes))| KubeletVersion {
            version: text.to_owned(),
            state: state.to_owned(),
            nodes,
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(badness(&v.state)));
    let omitted = versions.len().saturating_sub(MAX_KUBELET_VERSIONS);
    versions.truncate(MAX_KUBELET_VERSIONS);
    KubeletVersions {
        state: worst.to_owned(),
        nodes: u32::try_from(judged.len()).unwrap_or(u32::MAX),
        by_state,
        versions,
        omitted_versions: u32::try_from(omitted).unwrap_or(u32::MAX),
    }
}

/// The control-plane status without its Node counts: what decides whether the
/// ClusterPostureReport changed at once, while counts alone move at the pace of the
/// cluster's totals (an autoscaler adding Nodes is not a new verdict).
pub fn control_plane_verdicts(status: &ControlPlaneStatus) -> ControlPlaneStatus {
    let mut verdicts = status.clone();
    let kubelets = &mut verdicts.version.kubelets;
    kubelets.nodes = 0;
    kubelets.by_state = KubeletStates::default();
    for v in &mut kubelets.versions {
        v.nodes = 0;
    }
    verdicts
}

fn counts(s: &Summary) -> SeverityCounts {
    let c = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    SeverityCounts {
        critical: c(s.critical),
        high: c(s.high),
        medium: c(s.medium),
        low: c(s.low),
        info: c(s.info),
    }
}

fn to_report_finding(f: &Finding, first_seen: Seen) -> ReportFinding {
    ReportFinding {
        rule_id: f.rule_id().to_owned(),
        severity: f.severity.as_str().to_owned(),
        category: f.category().as_str().to_owned(),
        title: f.title().to_owned(),
        message: f.message.to_string(),
        resource: resource_ref(&f.resource),
        path: f.path.as_deref().map(str::to_owned),
        related: f
            .related
            .iter()
            .map(|r| RelatedRef {
                relation: r.relation.to_owned(),
                object: resource_ref(&r.object),
            })
            .collect(),
        first_seen: first_seen.to_string(),
        fingerprint: f.fingerprint.to_string(),
    }
}

/// A listed finding and when it was first seen.
type Listed<'a> = (&'a Finding, Seen);

/// The findings exceptions accept, as a report lists them: most severe first, within
/// `room` bytes; and the bytes they take.
fn excepted_entries(
    excepted: &[&Excepted],
    accepted: &BTreeMap<String, Accepted>,
    room: usize,
) -> (Vec<ExceptedFinding>, usize) {
    let mut used = 0usize;
    let mut out = Vec::new();
    for x in excepted {
        let f = &x.finding;
        let a = accepted.get(x.exception.as_str());
        let entry = ExceptedFinding {
            rule_id: f.rule_id().to_owned(),
            severity: f.severity.as_str().to_owned(),
            resource: resource_ref(&f.resource),
            exception: x.exception.to_string(),
            owner: a.map(|a| a.owner.clone()).unwrap_or_default(),
            expires: a.map(|a| a.expires.clone()).unwrap_or_default(),
            fingerprint: f.fingerprint.to_string(),
        };
        let n = json_len(&entry);
        if used + n > room {
            break;
        }
        used += n;
        out.push(entry);
    }
    (out, used)
}

/// Builds one report (a namespace's or the cluster's, `key` as the writer names it):
/// score and counts over `counted`, the findings of `listed` (both sorted most severe
/// first) within `share` bytes, and the `excepted` ones within their room. What it stands
/// for, folded findings included, goes to `open`.
#[allow(clippy::too_many_arguments)]
fn report(
    key: &str,
    counted: &[&Finding],
    listed: &[&Finding],
    excepted: &[&Excepted],
    inputs: &Inputs<'_>,
    share: usize,
    now: Seen,
    open: &mut BTreeMap<String, OpenFindings>,
) -> Report {
    let summary = Summary::of(counted.iter().copied());
    let was = inputs.open.get(key);
    let listed: Vec<Listed<'_>> = listed
        .iter()
        .map(|f| {
            let seen = was
                .and_then(|o| o.get(&f.fingerprint.value()))
                .map_or(now, |o| o.first_seen);
            (*f, seen)
        })
        .collect();
    let stands_for: OpenFindings = listed
        .iter()
        .map(|(f, seen)| {
            let noted = OpenFinding::of(f, *seen, inputs.detail_from);
            (f.fingerprint.value(), noted)
        })
        .collect();
    open.insert(key.to_owned(), stands_for);
    // Excepted findings take at most an eighth of the share, and only what they use.
    let (excepted_listed, used) = excepted_entries(excepted, inputs.accepted, share / 8);
    let fitted = fit(&listed, share - used);
    Report {
        score: score::score(counted.iter().copied()),
        summary: counts(&summary),
        last_evaluated: inputs.now.to_owned(),
        rampart_version: inputs.version.to_owned(),
        truncated: fitted.truncated,
        could_not_evaluate: inputs.could_not_evaluate.to_vec(),
        findings: fitted.whole,
        folded: fitted.folded,
        excepted_count: u32::try_from(excepted.len()).unwrap_or(u32::MAX),
        excepted: excepted_listed,
    }
}

/// A report's findings as they fit its share.
#[derive(Debug, Default)]
struct Fitted {
    whole: Vec<ReportFinding>,
    folded: Vec<FoldedFindings>,
    truncated: bool,
}

/// Bytes a value adds to a JSON list.
fn json_len<T: serde::Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |v| v.len() + 1)
}

/// How a folded entry names an object.
fn object_name(r: &ObjectRef) -> String {
    match &r.namespace {
        Some(ns) => format!("{} {ns}/{}", r.kind, r.name),
        None => format!("{} {}", r.kind, r.name),
    }
}

/// Bytes a fingerprint adds to a folded entry's `fingerprints` (one string): 16 hex
/// digits and a space.
const FINGERPRINT_BYTES: usize = 16 + 1;

/// Bytes a folded entry's `fingerprints` and `resources` add around their one string (left
/// out while empty).
const FINGERPRINTS_LIST_BYTES: usize = r#","fingerprints":[""]"#.len();
const RESOURCES_LIST_BYTES: usize = r#","resources":[""]"#.len();

/// The part of a share that a report which folds keeps for whole findings. The API server
/// pays for each value it stores: a finding kept whole (some 14 fields in nested maps)
/// costs it about a quarter of a millisecond, a folded one (its name and fingerprint added
/// to two strings) next to nothing. A quarter keeps the evidence of the most severe and
/// leaves the rest of the share to naming the others.
const WHOLE_PART: usize = 4;

/// Keeps every finding whole when they fit `share`. Otherwise the most severe stay whole
/// within a quarter of it ([`WHOLE_PART`]), and the rest fold into one entry per rule and
/// severity, most severe first: each with its exact count and every fingerprint, then as
/// many object names as the room left allows. What cannot be named at all is only counted (`truncated`).
/// Only the findings kept whole are rendered, and only as far as the share reaches: a
/// report far over it costs no more to fit than one just over it.
fn fit(listed: &[Listed<'_>], share: usize) -> Fitted {
    let mut whole = Vec::new();
    let mut sizes = Vec::new();
    let mut total = 0usize;
    for (f, seen) in listed {
        let rendered = to_report_finding(f, *seen);
        let n = json_len(&rendered);
        total = total.saturating_add(n);
        sizes.push(n);
        whole.push(rendered);
        if total > share {
            break;
        }
    }
    if total <= share {
        return Fitted {
            whole,
            ..Fitted::default()
        };
    }
    // Room for whole findings: its part of the share at most, and never the room the
    // folded entries need to carry every fingerprint.
    let fingerprints = listed.len().saturating_mul(FINGERPRINT_BYTES);
    let reserved = fingerprints.saturating_add(entries_len(listed));
    let whole_room = (share / WHOLE_PART).min(share.saturating_sub(reserved));
    let mut used = 0usize;
    let mut kept = 0usize;
    // `sizes` covers more than `whole_room`: the loop ends inside it.
    while kept < sizes.len() && used + sizes[kept] <= whole_room {
        used += sizes[kept];
        kept += 1;
    }
    whole.truncate(kept);
    // Each group with the earliest time one of its findings was first seen.
    let mut groups: Vec<(FoldedFindings, Seen, Vec<&Finding>)> = Vec::new();
    for (f, seen) in &listed[kept..] {
        let at = groups
            .iter()
            .position(|(g, _, _)| g.rule_id == f.rule_id() && g.severity == f.severity.as_str());
        let i = at.unwrap_or_else(|| {
            let g = FoldedFindings {
                rule_id: f.rule_id().to_owned(),
                severity: f.severity.as_str().to_owned(),
                title: f.title().to_owned(),
                first_seen: seen.to_string(),
                ..FoldedFindings::default()
            };
            groups.push((g, *seen, Vec::new()));
            groups.len() - 1
        });
        let (g, earliest, members) = &mut groups[i];
        g.count += 1;
        if seen < earliest {
            *earliest = *seen;
            g.first_seen = seen.to_string();
        }
        members.push(f);
    }
    let mut truncated = false;
    // Counts and fingerprints first, so that folding is never read as a fix...
    for (g, _, members) in &mut groups {
        let cost = json_len(g) + FINGERPRINTS_LIST_BYTES + members.len() * FINGERPRINT_BYTES;
        if used + cost > share {
            truncated = true;
            used += json_len(g);
            continue;
        }
        used += cost;
        let mut list = String::with_capacity(members.len() * FINGERPRINT_BYTES);
        for f in members.iter() {
            if !list.is_empty() {
                list.push(' ');
            }
            // Writing to a String cannot fail.
            let _ = write!(list, "{}", f.fingerprint);
        }
        g.fingerprints = vec![list];
    }
    // ...then the objects, most severe first, while there is room.
    for (g, _, members) in &mut groups {
        let mut objects = String::new();
        let mut named = 0;
        for f in members.iter() {
            let name = object_name(&f.resource);
            let list = if named == 0 { RESOURCES_LIST_BYTES } else { 0 };
            let cost = list + name.len() + OBJECT_SEPARATOR.len();
            if used + cost > share {
                break;
            }
            used += cost;
            if named > 0 {
                objects.push_str(OBJECT_SEPARATOR);
            }
            objects.push_str(&name);
            named += 1;
        }
        if named > 0 {
            g.resources = vec![objects];
        }
        if named < members.len() {
            truncated = true;
        }
    }
    Fitted {
        whole,
        folded: groups.into_iter().map(|(g, _, _)| g).collect(),
        truncated,
    }
}

/// Bytes the folded entries of `listed` would take before their lists' items, were every
/// rule and severity among them to fold: what a folding report reserves for them, with
/// the fingerprints, before it keeps any finding whole. A report of many rules in a small
/// share would otherwise fill the room with whole findings and leave the last entries
/// without their fingerprints, which reads as a fix at the next start.
fn entries_len(listed: &[Listed<'_>]) -> usize {
    let count = u32::try_from(listed.len()).unwrap_or(u32::MAX);
    let mut seen = HashSet::new();
    let mut bytes = 0usize;
    for (f, first_seen) in listed {
        if seen.insert((f.rule_id(), f.severity)) {
            let entry = FoldedFindings {
                rule_id: f.rule_id().to_owned(),
                severity: f.severity.as_str().to_owned(),
                title: f.title().to_owned(),
                count,
                first_seen: first_seen.to_string(),
                ..FoldedFindings::default()
            };
            bytes = bytes.saturating_add(json_len(&entry) + FINGERPRINTS_LIST_BYTES);
        }
    }
    bytes
}

/// Builds the reports `rebuild` names (all of them when `book` cannot carry the others
/// over), and the cluster's posture from the totals `inputs.held` keeps.
pub fn build(inputs: &Inputs<'_>, rebuild: &Rebuild, book: &mut Book) -> Built {
    let mut builder = Builder::start(inputs, rebuild, book);
    // Every report is built from the held findings: none may have been released.
    debug_assert!(
        !(builder.all && inputs.held.is_released()),
        "a full build of released findings"
    );
    for ns in builder.to_build(rebuild) {
        builder.namespace(inputs, &ns, book);
    }
    builder.finish(inputs, rebuild, book)
}

/// One build, made in steps: which reports, each namespace's, then the cluster's and the
/// totals. A full pass builds namespace by namespace, each right after it is evaluated,
/// so that only a few namespaces' findings are ever held at once; the held findings may
/// change between steps, so each step takes its own [`Inputs`].
#[derive(Debug)]
pub struct Builder {
    reported: Vec<String>,
    /// Whether every report is built.
    all: bool,
    share: usize,
    now: Seen,
    open: BTreeMap<String, OpenFindings>,
    namespaces: BTreeMap<String, BuiltReport>,
    /// The excepted findings of the reports built, by fingerprint, with the exception.
    excepted: HashMap<u64, Shared>,
    gone: Vec<String>,
}

impl Builder {
    /// Decides what the build covers: every report when `rebuild` says so or `book`
    /// cannot carry the others over.
    pub fn start(inputs: &Inputs<'_>, rebuild: &Rebuild, book: &mut Book) -> Builder {
        let reported = reported(inputs.namespaces, inputs.filter);
        let all = rebuild.all
            || !book.carries(&reported, inputs.could_not_evaluate, |ns| {
                rebuild.namespaces.contains(ns)
            });
        let gone: Vec<String> = book
            .namespaces
            .iter()
            .filter(|ns| reported.binary_search(ns).is_err())
            .cloned()
            .collect();
        if all {
            book.truncated.clear();
        } else {
            for ns in &gone {
                book.truncated.remove(ns);
            }
        }
        Builder {
            share: namespace_share(reported.len()),
            reported,
            all,
            now: Seen::read(inputs.now).unwrap_or_else(Seen::now),
            open: BTreeMap::new(),
            namespaces: BTreeMap::new(),
            excepted: HashMap::new(),
            gone,
        }
    }

    /// Whether `ns` gets a report.
    pub fn reports(&self, ns: &str) -> bool {
        self.reported
            .binary_search_by(|r| r.as_str().cmp(ns))
            .is_ok()
    }

    /// The namespaces whose reports this build makes.
    pub fn to_build(&self, rebuild: &Rebuild) -> Vec<String> {
        if self.all {
            self.reported.clone()
        } else {
            rebuild
                .namespaces
                .iter()
                .filter(|ns| self.reports(ns))
                .cloned()
                .collect()
        }
    }

    /// Builds one namespace's report from the findings `inputs.held` has of it.
    pub fn namespace(&mut self, inputs: &Inputs<'_>, ns: &str, book: &mut Book) {
        let held = inputs.held;
        let fs = held.namespace_findings(ns);
        let excepted = held.namespace_excepted(ns);
        for x in &excepted {
            self.excepted
                .insert(x.finding.fingerprint.value(), x.exception.clone());
        }
        let built = BuiltReport::new(report(
            ns,
            &fs,
            &fs,
            &excepted,
            inputs,
            self.share,
            self.now,
            &mut self.open,
        ));
        if built.truncated {
            book.truncated.insert(ns.to_owned());
        } else {
            book.truncated.remove(ns);
        }
        self.namespaces.insert(ns.to_owned(), built);
    }

    /// Builds the cluster's report (or keeps the last) and the posture from the totals
    /// `inputs.held` keeps, and leaves in `book` what the next build needs.
    pub fn finish(self, inputs: &Inputs<'_>, rebuild: &Rebuild, book: &mut Book) -> Built {
        let Builder {
            reported,
            all,
            share,
            now,
            mut open,
            namespaces,
            mut excepted,
            gone,
        } = self;
        let filter = inputs.filter;
        let held = inputs.held;
        let cluster_key = report_key(None);
        let cluster_built = all || rebuild.cluster;
        let (cluster, cluster_hash) = match book.cluster.take() {
            Some(kept) if !cluster_built => kept,
            _ => {
                let counted = held.cluster_findings();
                // The cluster report's counts and score stay those of every cluster-scoped
                // finding; only its list leaves out excluded namespaces' own Namespace
                // findings.
                let listed: Vec<&Finding> = counted
                    .iter()
                    .filter(|f| {
                        !(f.resource.kind == "Namespace" && f.resource.namespace.is_none())
                            || filter.allows(&f.resource.name)
                    })
                    .copied()
                    .collect();
                let cluster_excepted = held.cluster_excepted();
                for x in &cluster_excepted {
                    excepted.insert(x.finding.fingerprint.value(), x.exception.clone());
                }
                let r = report(
                    &cluster_key,
                    &counted,
                    &listed,
                    &cluster_excepted,
                    inputs,
                    largest_share(),
                    now,
                    &mut open,
                );
                let hash = content_hash(&r, &());
                (Arc::new(r), hash)
            }
        };
        // Sent only when its hash changes; then it says when. The last pass's reports are
        // gone by now, so this copies it only while a write of it is still on its way.
        let mut cluster = cluster;
        Arc::make_mut(&mut cluster).last_evaluated = inputs.now.to_owned();
        if cluster.truncated {
            book.truncated.insert(cluster_key);
        } else {
            book.truncated.remove(&cluster_key);
        }
        book.cluster = Some((Arc::clone(&cluster), cluster_hash.clone()));
        book.share = share;
        book.could_not_evaluate = inputs.could_not_evaluate.to_vec();
        let score = score::of_summary(held.summary());
        let (series, excepted_series) = if all {
            (held.series().clone(), held.excepted_series().clone())
        } else {
            (rebuild.series.clone(), rebuild.excepted_series.clone())
        };
        let kept = reported.len() - namespaces.len();
        book.namespaces = reported;
        let reports = Reports {
            namespaces,
            gone,
            kept,
            cluster,
            cluster_hash,
            cluster_built,
            cluster_score: score,
            cluster_summary: counts(held.summary()),
            cluster_excepted: u32::try_from(held.excepted_total()).unwrap_or(u32::MAX),
            encryption: encryption_status(inputs.encryption),
            control_plane: control_plane_status(&held.control_plane),
            open,
            excepted,
            truncated: book.truncated.len(),
        };
        Built {
            reports,
            posture: Posture {
                score,
                open: series,
                excepted: excepted_series,
                all,
            },
        }
    }
}

impl Reports {
    /// The writer's keys of the reports built this pass: the namespaces' then the
    /// cluster's.
    pub fn built(&self) -> impl Iterator<Item = String> + '_ {
        let cluster = self.cluster_built.then(|| report_key(None));
        self.namespaces.keys().cloned().chain(cluster)
    }

    /// The reports built this pass, by the writer's key, read back from their JSON.
    pub fn built_reports(&self) -> Result<Vec<(String, Report)>, serde_json::Error> {
        let mut out = Vec::with_capacity(self.namespaces.len() + 1);
        for (ns, r) in &self.namespaces {
            out.push((ns.clone(), r.report()?));
        }
        if self.cluster_built {
            out.push((report_key(None), Report::clone(&self.cluster)));
        }
        Ok(out)
    }

    /// Every finding the reports built this pass stand for, by fingerprint.
    pub fn open(&self) -> impl Iterator<Item = (u64, &OpenFinding)> {
        self.open
            .values()
            .flat_map(|o| o.iter().map(|(fp, f)| (*fp, f)))
    }
}

/// An open finding that a write made appear or go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Noted<'a> {
    pub fingerprint: u64,
    pub finding: &'a OpenFinding,
    /// The exception that accepted a finding that went: it was not fixed.
    pub excepted_by: Option<&'a str>,
    /// Where dashboards count it (see [`OpenSeries`]): its report's namespace, or the
    /// namespace a Namespace object's finding is about; empty for other cluster-scoped
    /// objects.
    pub namespace: &'a str,
}

/// The dashboard namespace of a finding of the report of `report_ns` (`None`: the
/// ClusterPostureReport).
fn noted_namespace<'a>(report_ns: Option<&'a str>, f: &'a OpenFinding) -> &'a str {
    match report_ns {
        Some(ns) => ns,
        None => f
            .detail
            .as_ref()
            .filter(|d| d.resource.kind == "Namespace")
            .map_or("", |d| d.resource.name.as_str()),
    }
}

/// Findings that appeared and findings that went in one write, relative to the findings
/// open before it (read back from the reports at start-up, so a restart sees nothing new).
/// Computed once; events announce them and metrics count them. Both lists are sorted by
/// fingerprint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transitions<'a> {
    pub detected: Vec<Noted<'a>>,
    pub resolved: Vec<Noted<'a>>,
}

impl<'a> Transitions<'a> {
    /// Compares each report built this pass with what was open in it before, and counts
    /// what was open in reports that are gone as resolved. Findings whose severity this
    /// version cannot read (a report written by another version) are neither detected nor
    /// resolved.
    pub fn between(before: &'a Open, reports: &'a Reports) -> Self {
        let mut detected: Vec<Noted<'a>> = Vec::new();
        let mut resolved: Vec<Noted<'a>> = Vec::new();
        let absent = |from: Option<&'a OpenFindings>,
                      to: Option<&'a OpenFindings>,
                      report_ns: Option<&'a str>| {
            from.into_iter().flatten().filter_map(move |(fp, f)| {
                let gone = !to.is_some_and(|t| t.contains_key(fp));
                (gone && f.severity.is_some()).then_some(Noted {
                    fingerprint: *fp,
                    finding: f,
                    excepted_by: reports.excepted.get(fp).map(Shared::as_str),
                    namespace: noted_namespace(report_ns, f),
                })
            })
        };
        for key in reports.built() {
            let was = before.get(&key);
            let now = reports.open.get(&key);
            let ns = reports
                .namespaces
                .get_key_value(&key)
                .map(|(k, _)| k.as_str());
            detected.extend(absent(now, was, ns));
            resolved.extend(absent(was, now, ns));
        }
        for key in &reports.gone {
            resolved.extend(absent(before.get(key), None, Some(key.as_str())));
        }
        detected.sort_by_key(|n| n.fingerprint);
        resolved.sort_by_key(|n| n.fingerprint);
        Transitions { detected, resolved }
    }
}

/// A hash of what a report says, leaving out when it was said, so that an unchanged
/// evaluation causes no write.
pub fn content_hash<T: serde::Serialize>(report: &Report, extra: &T) -> String {
    let mut stable = report.clone();
    stable.last_evaluated.clear();
    stable_hash(&stable, extra)
}

/// [`content_hash`] of a report whose `lastEvaluated` is already empty.
fn stable_hash<T: serde::Serialize>(stable: &Report, extra: &T) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(stable).unwrap_or_default());
    h.update(serde_json::to_vec(extra).unwrap_or_default());
    short(h)
}

/// A hash of a value's JSON, as short as [`content_hash`]'s.
pub fn json_hash<T: serde::Serialize>(value: &T) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(value).unwrap_or_default());
    short(h)
}

fn short(h: Sha256) -> String {
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
