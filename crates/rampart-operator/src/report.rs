//! Pure report building: what each PostureReport and the ClusterPostureReport should
//! contain after an evaluation, and what changed since the last written reports. No IO;
//! the writer decides what to send.
//!
//! ```text
//! Inputs: evaluation (sorted findings) + known namespaces + namespace filter
//!         + encryption verdict + kinds not evaluated + open findings (first-seen times)
//!   -> one Report per namespace (resource namespace), one for the cluster (cluster-scoped)
//!   -> each within its share of REPORTS_BUDGET_BYTES: the most severe findings whole,
//!      the rest folded per rule and severity (counts exact) -> content hash
//!   -> Posture (score and open findings over the reported namespaces, for metrics)
//! written reports + the findings open before -> Transitions (for events and metrics)
//! ```

use rampart_crd::{
    EncryptionStatus, FoldedFindings, MAX_REPORT_BYTES, RelatedRef, Report, ReportFinding,
    ResourceRef, SeverityCounts,
};
use rampart_rules::encryption::Assessment;
use rampart_rules::{Category, Finding, ObjectRef, Severity, Summary, score};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

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

/// The room for each namespace report's findings when there are `namespaces` of them.
fn namespace_share(namespaces: usize) -> usize {
    let rest = REPORTS_BUDGET_BYTES.saturating_sub(MAX_REPORT_BYTES);
    (rest / namespaces.max(1)).clamp(MIN_SHARE_BYTES, largest_share())
}

/// What one pass hands the builder: everything a report says comes in here.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The evaluation's findings, sorted most severe first.
    pub findings: &'a [Finding],
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
    /// Findings open in the written reports, by fingerprint, whose first-seen times carry
    /// over.
    pub open: &'a HashMap<String, ReportFinding>,
    pub now: &'a str,
    pub version: &'a str,
}

/// Everything the writer should make true.
#[derive(Debug, Clone, PartialEq)]
pub struct Reports {
    pub namespaces: BTreeMap<String, Report>,
    pub cluster: Report,
    /// The cluster's score and counts over every finding of the namespaces that get
    /// reports and of cluster-scoped objects: the same findings `rampart_posture_score`
    /// covers.
    pub cluster_score: u8,
    pub cluster_summary: SeverityCounts,
    pub encryption: EncryptionStatus,
    /// The folded findings, whole: not written, but open once the reports are (see
    /// [`Reports::open`]).
    pub folded: Vec<ReportFinding>,
}

/// The cluster's posture over the namespaces that get reports, as the metrics show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Posture {
    /// Score of every finding outside the excluded namespaces, 0 to 100.
    pub score: u8,
    /// Those findings counted per rule, severity, category and namespace.
    pub open: BTreeMap<OpenSeries, u64>,
}

/// Where open findings are counted. `namespace` is where a finding shows on a namespace
/// dashboard: its own namespace, or for a Namespace object's finding (missing Pod Security
/// labels) the namespace it is about; empty for other cluster-scoped objects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpenSeries {
    pub rule: &'static str,
    pub severity: Severity,
    pub category: Category,
    pub namespace: String,
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

fn to_ref(r: &ObjectRef) -> ResourceRef {
    ResourceRef {
        api_version: r.api_version.clone(),
        kind: r.kind.clone(),
        namespace: r.namespace.clone(),
        name: r.name.clone(),
    }
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

fn to_report_finding(
    f: &Finding,
    open: &HashMap<String, ReportFinding>,
    now: &str,
) -> ReportFinding {
    let fingerprint = f.fingerprint.to_string();
    ReportFinding {
        rule_id: f.rule_id().to_owned(),
        severity: f.severity.as_str().to_owned(),
        category: f.category().as_str().to_owned(),
        title: f.title().to_owned(),
        message: f.message.to_string(),
        resource: to_ref(&f.resource),
        path: f.path.as_deref().map(str::to_owned),
        related: f
            .related
            .iter()
            .map(|r| RelatedRef {
                relation: r.relation.to_owned(),
                object: to_ref(&r.object),
            })
            .collect(),
        first_seen: open
            .get(&fingerprint)
            .map_or_else(|| now.to_owned(), |o| o.first_seen.clone()),
        fingerprint,
    }
}

/// Builds one report (a namespace's or the cluster's): score and counts over `counted`,
/// and the findings of `listed` (both sorted most severe first) within `share` bytes. The
/// findings it folds go whole to `folded`.
fn report(
    counted: &[&Finding],
    listed: &[&Finding],
    inputs: &Inputs<'_>,
    share: usize,
    folded: &mut Vec<ReportFinding>,
) -> Report {
    let summary = Summary::of(counted.iter().copied());
    let whole: Vec<ReportFinding> = listed
        .iter()
        .map(|f| to_report_finding(f, inputs.open, inputs.now))
        .collect();
    let fitted = fit(whole, share);
    folded.extend(fitted.folded_whole);
    Report {
        score: score::score(counted.iter().copied()),
        summary: counts(&summary),
        last_evaluated: inputs.now.to_owned(),
        rampart_version: inputs.version.to_owned(),
        truncated: fitted.truncated,
        could_not_evaluate: inputs.could_not_evaluate.to_vec(),
        findings: fitted.whole,
        folded: fitted.folded,
    }
}

/// A report's findings as they fit its share.
#[derive(Debug, Default)]
struct Fitted {
    whole: Vec<ReportFinding>,
    folded: Vec<FoldedFindings>,
    truncated: bool,
    /// The findings the folded entries stand for.
    folded_whole: Vec<ReportFinding>,
}

/// Bytes a value adds to a JSON list.
fn json_len<T: serde::Serialize>(v: &T) -> usize {
    serde_json::to_vec(v).map_or(usize::MAX, |v| v.len() + 1)
}

/// How a folded entry names an object.
fn object_name(r: &ResourceRef) -> String {
    match &r.namespace {
        Some(ns) => format!("{} {ns}/{}", r.kind, r.name),
        None => format!("{} {}", r.kind, r.name),
    }
}

/// Keeps every finding whole when they fit `share`. Otherwise the most severe stay whole
/// within half of it, and the rest fold into one entry per rule and severity, most severe
/// first: each with its exact count and every fingerprint, then as many object names as
/// the room left allows. What cannot be named at all is only counted (`truncated`).
fn fit(mut findings: Vec<ReportFinding>, share: usize) -> Fitted {
    // Sizes only as far as the share reaches: a report far over it costs no more to fit
    // than one just over it.
    let mut sizes = Vec::new();
    let mut total = 0usize;
    for f in &findings {
        let n = json_len(f);
        total = total.saturating_add(n);
        sizes.push(n);
        if total > share {
            break;
        }
    }
    if total <= share {
        return Fitted {
            whole: findings,
            ..Fitted::default()
        };
    }
    // Room for whole findings: half the share at most, and never the room the fingerprints
    // of the folded findings need.
    let fingerprints: usize = findings.iter().map(|f| f.fingerprint.len() + 3).sum();
    let whole_room = (share / 2).min(share.saturating_sub(fingerprints));
    let mut used = 0usize;
    let mut kept = 0usize;
    // `sizes` covers more than `whole_room`: the loop ends inside it.
    while kept < sizes.len() && used + sizes[kept] <= whole_room {
        used += sizes[kept];
        kept += 1;
    }
    let mut groups: Vec<(FoldedFindings, Vec<&ReportFinding>)> = Vec::new();
    for f in &findings[kept..] {
        let at = groups
            .iter()
            .position(|(g, _)| g.rule_id == f.rule_id && g.severity == f.severity);
        let i = at.unwrap_or_else(|| {
            let g = FoldedFindings {
                rule_id: f.rule_id.clone(),
                severity: f.severity.clone(),
                title: f.title.clone(),
                first_seen: f.first_seen.clone(),
                ..FoldedFindings::default()
            };
            groups.push((g, Vec::new()));
            groups.len() - 1
        });
        let (g, members) = &mut groups[i];
        g.count += 1;
        if f.first_seen < g.first_seen {
            g.first_seen.clone_from(&f.first_seen);
        }
        members.push(f);
    }
    let mut truncated = false;
    // Counts and fingerprints first, so that folding is never read as a fix...
    for (g, members) in &mut groups {
        let cost = json_len(g)
            + members
                .iter()
                .map(|f| f.fingerprint.len() + 3)
                .sum::<usize>();
        if used + cost > share {
            truncated = true;
            used += json_len(g);
            continue;
        }
        used += cost;
        g.fingerprints = members.iter().map(|f| f.fingerprint.clone()).collect();
    }
    // ...then the objects, most severe first, while there is room.
    for (g, members) in &mut groups {
        for f in members.iter() {
            let name = object_name(&f.resource);
            let cost = name.len() + 3;
            if used + cost > share {
                break;
            }
            used += cost;
            g.resources.push(name);
        }
        if g.resources.len() < members.len() {
            truncated = true;
        }
    }
    let folded = groups.into_iter().map(|(g, _)| g).collect();
    let folded_whole = findings.split_off(kept);
    Fitted {
        whole: findings,
        folded,
        truncated,
        folded_whole,
    }
}

/// Which namespaces get reports: all but the excluded, or only the included when any are
/// named. A trailing `*` matches a prefix.
#[derive(Debug, Clone, Default)]
pub struct NamespaceFilter {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

fn matches_pattern(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

impl NamespaceFilter {
    pub fn allows(&self, ns: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| matches_pattern(p, ns)))
            && !self.exclude.iter().any(|p| matches_pattern(p, ns))
    }
}

/// The namespace an open finding is counted under (see [`OpenSeries`]).
fn dashboard_namespace(f: &Finding) -> &str {
    match f.namespace() {
        Some(ns) => ns,
        None if f.resource.kind == "Namespace" => &f.resource.name,
        None => "",
    }
}

/// The findings the cluster's score and counts cover: all but those of excluded
/// namespaces (a Namespace object's finding belongs to the namespace it is about).
fn reported_findings<'a>(findings: &'a [Finding], filter: &NamespaceFilter) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| {
            let ns = dashboard_namespace(f);
            ns.is_empty() || filter.allows(ns)
        })
        .collect()
}

fn posture(included: &[&Finding]) -> Posture {
    let mut open: BTreeMap<(&'static str, Severity, Category, &str), u64> = BTreeMap::new();
    for f in included {
        let key = (
            f.rule_id(),
            f.severity,
            f.category(),
            dashboard_namespace(f),
        );
        *open.entry(key).or_default() += 1;
    }
    Posture {
        score: score::score(included.iter().copied()),
        open: open
            .into_iter()
            .map(|((rule, severity, category, namespace), n)| {
                let namespace = namespace.to_owned();
                let series = OpenSeries {
                    rule,
                    severity,
                    category,
                    namespace,
                };
                (series, n)
            })
            .collect(),
    }
}

/// Splits an evaluation into reports for the namespaces the filter allows and the cluster.
pub fn build(inputs: &Inputs<'_>) -> Built {
    let filter = inputs.filter;
    let mut by_ns: BTreeMap<&str, Vec<&Finding>> =
        inputs.namespaces.iter().map(|n| (*n, Vec::new())).collect();
    let mut cluster: Vec<&Finding> = Vec::new();
    for f in inputs.findings {
        match f.namespace() {
            Some(ns) => by_ns.entry(ns).or_default().push(f),
            None => cluster.push(f),
        }
    }
    let mut folded = Vec::new();
    // The cluster report's counts and score stay those of every cluster-scoped finding;
    // only its list leaves out excluded namespaces' own Namespace findings.
    let listed: Vec<&Finding> = cluster
        .iter()
        .filter(|f| {
            !(f.resource.kind == "Namespace" && f.resource.namespace.is_none())
                || filter.allows(&f.resource.name)
        })
        .copied()
        .collect();
    let cluster = report(&cluster, &listed, inputs, largest_share(), &mut folded);
    let reported: Vec<(&str, &Vec<&Finding>)> = by_ns
        .iter()
        .filter(|(ns, _)| filter.allows(ns))
        .map(|(ns, fs)| (*ns, fs))
        .collect();
    let share = namespace_share(reported.len());
    let namespaces = reported
        .into_iter()
        .map(|(ns, fs)| (ns.to_owned(), report(fs, fs, inputs, share, &mut folded)))
        .collect();
    let included = reported_findings(inputs.findings, filter);
    let posture = posture(&included);
    let reports = Reports {
        namespaces,
        cluster,
        cluster_score: posture.score,
        cluster_summary: counts(&Summary::of(included.iter().copied())),
        encryption: encryption_status(inputs.encryption),
        folded,
    };
    Built { reports, posture }
}

impl Reports {
    /// Every report, the namespaces' then the cluster's.
    pub fn all(&self) -> impl Iterator<Item = &Report> {
        self.namespaces
            .values()
            .chain(std::iter::once(&self.cluster))
    }

    /// Every finding the reports stand for, whole, the folded ones included: what is open
    /// once they are written.
    pub fn open(&self) -> impl Iterator<Item = &ReportFinding> {
        self.all()
            .flat_map(|r| r.findings.iter())
            .chain(&self.folded)
    }
}

/// Findings that appeared and findings that went in one write, relative to the findings
/// open before it (read back from the reports at start-up, so a restart sees nothing new).
/// Computed once; events announce them and metrics count them. Both lists are sorted by
/// fingerprint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transitions<'a> {
    pub detected: Vec<&'a ReportFinding>,
    pub resolved: Vec<&'a ReportFinding>,
}

impl<'a> Transitions<'a> {
    /// Findings whose severity this version cannot read (a report written by another
    /// version) are neither detected nor resolved.
    pub fn between(before: &'a HashMap<String, ReportFinding>, reports: &'a Reports) -> Self {
        let current: HashMap<&str, &ReportFinding> = reports
            .open()
            .map(|f| (f.fingerprint.as_str(), f))
            .collect();
        let mut detected: Vec<&ReportFinding> = current
            .values()
            .filter(|f| {
                !before.contains_key(&f.fingerprint) && at_least(&f.severity, Severity::Info)
            })
            .copied()
            .collect();
        let mut resolved: Vec<&ReportFinding> = before
            .values()
            .filter(|f| {
                !current.contains_key(f.fingerprint.as_str())
                    && at_least(&f.severity, Severity::Info)
            })
            .collect();
        detected.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        resolved.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
        Transitions { detected, resolved }
    }
}

/// A hash of what a report says, leaving out when it was said, so that an unchanged
/// evaluation causes no write.
pub fn content_hash<T: serde::Serialize>(report: &Report, extra: &T) -> String {
    let mut stable = report.clone();
    stable.last_evaluated.clear();
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(&stable).unwrap_or_default());
    h.update(serde_json::to_vec(extra).unwrap_or_default());
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a severity name in a report is at or above `min`.
pub fn at_least(severity: &str, min: Severity) -> bool {
    severity.parse::<Severity>().is_ok_and(|s| s >= min)
}

#[cfg(test)]
mod tests;
