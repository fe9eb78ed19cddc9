//! Where a finding is placed: the report that holds it, the metric series that counts it,
//! and which namespaces get reports at all. The report builder, the writer, the watch of
//! written reports and the held findings all place findings the same way.

use rampart_rules::{Category, Finding, Severity, Shared};

/// The writer's key of a report: its namespace, or `/cluster` for the ClusterPostureReport.
pub fn report_key(namespace: Option<&str>) -> String {
    namespace.map_or_else(|| "/cluster".to_owned(), str::to_owned)
}

/// Where open findings are counted. `namespace` is where a finding shows on a namespace
/// dashboard: its own namespace, or for a Namespace object's finding (missing Pod Security
/// labels) the namespace it is about; empty for other cluster-scoped objects. The
/// namespace is the engine's shared copy: the held groups, the totals and the metrics
/// each keep tens of thousands of series.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpenSeries {
    pub rule: &'static str,
    pub severity: Severity,
    pub category: Category,
    pub namespace: Shared,
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
pub(crate) fn dashboard_namespace(f: &Finding) -> &str {
    match f.namespace() {
        Some(ns) => ns,
        None if f.resource.kind == "Namespace" => &f.resource.name,
        None => "",
    }
}
