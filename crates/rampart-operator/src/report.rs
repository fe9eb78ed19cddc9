//! Pure report building: what each PostureReport and the ClusterPostureReport should
//! contain after an evaluation. No IO; the writer decides what to send.
//!
//! ```text
//! Evaluation (sorted findings) + known namespaces + first-seen times
//!   -> one Report per namespace (resource namespace), one for the cluster (cluster-scoped)
//!   -> capped at MAX_REPORT_BYTES (most severe kept, counts exact) -> content hash
//! ```

use rampart_crd::{
    EncryptionStatus, MAX_REPORT_BYTES, RelatedRef, Report, ReportFinding, ResourceRef,
    SeverityCounts,
};
use rampart_rules::encryption::Assessment;
use rampart_rules::{Finding, ObjectRef, Severity, Summary, score};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// Room kept for the report's own fields and the object's metadata.
const OVERHEAD_BYTES: usize = 16 * 1024;

/// Everything the writer should make true.
#[derive(Debug, Clone, PartialEq)]
pub struct Reports {
    pub namespaces: BTreeMap<String, Report>,
    pub cluster: Report,
    pub cluster_summary: SeverityCounts,
    pub encryption: Option<EncryptionStatus>,
}

/// The encryption verdict as the ClusterPostureReport carries it.
pub fn encryption_status(a: &Assessment) -> EncryptionStatus {
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
    first_seen: &HashMap<String, String>,
    now: &str,
) -> ReportFinding {
    ReportFinding {
        rule_id: f.rule_id.to_owned(),
        severity: f.severity.as_str().to_owned(),
        category: f.category.as_str().to_owned(),
        title: f.title.to_owned(),
        message: f.message.clone(),
        resource: to_ref(&f.resource),
        path: f.path.clone(),
        related: f
            .related
            .iter()
            .map(|r| RelatedRef {
                relation: r.relation.to_owned(),
                object: to_ref(&r.object),
            })
            .collect(),
        fingerprint: f.fingerprint.clone(),
        first_seen: first_seen
            .get(&f.fingerprint)
            .cloned()
            .unwrap_or_else(|| now.to_owned()),
    }
}

/// Builds one scope's report from its findings (already sorted most severe first).
fn report(
    findings: &[&Finding],
    first_seen: &HashMap<String, String>,
    now: &str,
    version: &str,
) -> Report {
    let summary = Summary::of(findings.iter().copied());
    let mut out = Report {
        score: score::score(findings.iter().copied()),
        summary: counts(&summary),
        last_evaluated: now.to_owned(),
        rampart_version: version.to_owned(),
        truncated: false,
        could_not_evaluate: Vec::new(),
        findings: Vec::with_capacity(findings.len()),
    };
    let budget = MAX_REPORT_BYTES - OVERHEAD_BYTES;
    let mut used = 0usize;
    for f in findings {
        let rf = to_report_finding(f, first_seen, now);
        let size = serde_json::to_vec(&rf).map_or(usize::MAX, |v| v.len() + 1);
        if used.saturating_add(size) > budget {
            out.truncated = true;
            break;
        }
        used += size;
        out.findings.push(rf);
    }
    out
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

impl Reports {
    /// Drops the reports of namespaces the filter leaves out, and the cluster report's
    /// findings about them (a Namespace object's own findings).
    pub fn retain_namespaces(&mut self, filter: &NamespaceFilter) {
        self.namespaces.retain(|ns, _| filter.allows(ns));
        self.cluster.findings.retain(|f| {
            !(f.resource.kind == "Namespace" && f.resource.namespace.is_none())
                || filter.allows(&f.resource.name)
        });
    }

    /// Names, in every report, what could not be evaluated: a missing kind hides findings
    /// in every namespace, not only where its objects would be.
    pub fn set_could_not_evaluate(&mut self, missing: &[String]) {
        for r in self
            .namespaces
            .values_mut()
            .chain(std::iter::once(&mut self.cluster))
        {
            r.could_not_evaluate = missing.to_vec();
        }
    }
}

/// Splits an evaluation into reports. `namespaces` are all namespaces that should have a
/// report (a clean namespace gets an empty one, which says "evaluated, nothing found").
pub fn build<'a>(
    findings: &[Finding],
    namespaces: impl IntoIterator<Item = &'a str>,
    first_seen: &HashMap<String, String>,
    now: &str,
    version: &str,
) -> Reports {
    let mut by_ns: BTreeMap<String, Vec<&Finding>> = namespaces
        .into_iter()
        .map(|n| (n.to_owned(), Vec::new()))
        .collect();
    let mut cluster: Vec<&Finding> = Vec::new();
    for f in findings {
        match f.namespace() {
            Some(ns) => by_ns.entry(ns.to_owned()).or_default().push(f),
            None => cluster.push(f),
        }
    }
    Reports {
        namespaces: by_ns
            .iter()
            .map(|(ns, fs)| (ns.clone(), report(fs, first_seen, now, version)))
            .collect(),
        cluster: report(&cluster, first_seen, now, version),
        cluster_summary: counts(&Summary::of(findings)),
        encryption: None,
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

/// First-seen times of the findings in a report, to carry into the next evaluation.
pub fn first_seen_of(report: &Report) -> impl Iterator<Item = (String, String)> + '_ {
    report
        .findings
        .iter()
        .map(|f| (f.fingerprint.clone(), f.first_seen.clone()))
}

/// Whether a severity name in a report is at or above `min`.
pub fn at_least(severity: &str, min: Severity) -> bool {
    severity.parse::<Severity>().is_ok_and(|s| s >= min)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_rules::{Inventory, Settings, evaluate, manifest};

    fn findings(yaml: &str) -> Vec<Finding> {
        let parsed = manifest::parse("t.yaml", yaml);
        let inv = Inventory::from_objects(parsed.objects.into_iter().map(|(o, _)| o));
        evaluate(&inv, &Settings::default()).findings
    }

    const INSECURE: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: shop-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: default, namespace: shop}]\n";

    #[test]
    fn splits_namespaced_and_cluster_findings_with_exact_counts() {
        let f = findings(INSECURE);
        let r = build(
            &f,
            ["shop", "clean"],
            &HashMap::new(),
            "2026-01-01T00:00:00Z",
            "0.1.0",
        );
        assert!(r.cluster.findings.iter().any(|x| x.rule_id == "RBAC001"));
        assert!(
            r.namespaces["shop"]
                .findings
                .iter()
                .any(|x| x.rule_id == "SA001")
        );
        assert!(r.namespaces["clean"].findings.is_empty());
        assert_eq!(r.namespaces["clean"].score, 100);
        let total: u32 = [&r.cluster_summary]
            .iter()
            .map(|c| c.critical + c.high + c.medium + c.low + c.info)
            .sum();
        assert_eq!(total as usize, f.len());
    }

    #[test]
    fn namespace_filter_includes_excludes_and_prefixes() {
        let f = NamespaceFilter {
            include: vec!["team-*".into(), "shop".into()],
            exclude: vec!["team-old".into()],
        };
        assert!(f.allows("shop") && f.allows("team-a"));
        assert!(!f.allows("team-old") && !f.allows("kube-system"));
        let all = NamespaceFilter::default();
        assert!(all.allows("anything"));
        let mut r = build(
            &findings(INSECURE),
            ["shop", "other"],
            &HashMap::new(),
            "t",
            "v",
        );
        r.retain_namespaces(&NamespaceFilter {
            include: vec![],
            exclude: vec!["shop".into()],
        });
        assert!(!r.namespaces.contains_key("shop") && r.namespaces.contains_key("other"));
        assert!(
            !r.cluster
                .findings
                .iter()
                .any(|x| x.resource.kind == "Namespace" && x.resource.name == "shop")
        );
        assert!(
            r.cluster.findings.iter().any(|x| x.rule_id == "RBAC001"),
            "cluster findings stay"
        );
    }

    #[test]
    fn first_seen_is_carried_over() {
        let f = findings(INSECURE);
        let first = build(
            &f,
            ["shop"],
            &HashMap::new(),
            "2026-01-01T00:00:00Z",
            "0.1.0",
        );
        let seen: HashMap<String, String> = first_seen_of(&first.cluster).collect();
        let second = build(&f, ["shop"], &seen, "2026-02-02T00:00:00Z", "0.1.0");
        let rbac = second
            .cluster
            .findings
            .iter()
            .find(|x| x.rule_id == "RBAC001")
            .expect("RBAC001");
        assert_eq!(rbac.first_seen, "2026-01-01T00:00:00Z");
        assert_eq!(second.cluster.last_evaluated, "2026-02-02T00:00:00Z");
        assert_eq!(
            content_hash(&first.cluster, &first.cluster_summary),
            content_hash(&second.cluster, &second.cluster_summary),
            "same findings, same content, whatever the evaluation time"
        );
    }

    #[test]
    fn oversized_reports_keep_the_most_severe_and_exact_counts() {
        // 3,000 unbound roles reading Secrets (low) and one critical binding.
        let mut yaml = String::from(INSECURE);
        for i in 0..3000 {
            yaml.push_str(&format!("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: reader-with-a-long-name-{i:05}, namespace: shop}}\nrules: [{{apiGroups: [\"\"], resources: [secrets], verbs: [list]}}]\n"));
        }
        // The last role is bound, so its finding is high: it must survive truncation.
        yaml.push_str("---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: shop}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader-with-a-long-name-02999}\nsubjects: [{kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}]\n");
        let f = findings(&yaml);
        let r = build(
            &f,
            ["shop"],
            &HashMap::new(),
            "2026-01-01T00:00:00Z",
            "0.1.0",
        );
        let shop = &r.namespaces["shop"];
        assert!(shop.truncated);
        assert!(
            serde_json::to_vec(shop)
                .map(|v| v.len())
                .unwrap_or(usize::MAX)
                < MAX_REPORT_BYTES
        );
        assert!(
            shop.summary.low >= 3000,
            "counts stay exact: {:?}",
            shop.summary
        );
        assert!((shop.findings.len() as u32) < shop.summary.low + shop.summary.medium);
        assert_eq!(shop.summary.high, 1);
        assert_eq!(shop.findings[0].severity, "high");
        assert!(
            shop.findings[0]
                .message
                .contains("reader-with-a-long-name-02999")
        );
    }
}
