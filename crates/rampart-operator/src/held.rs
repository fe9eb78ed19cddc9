//! The last evaluation as the operator holds it between passes: its findings grouped by
//! the scope that decides them (each namespace, and the cluster-scoped part), so that an
//! incremental pass replaces the groups it evaluated again and touches no other; and each
//! group's share of the posture, so that the cluster's counts, score and metric series
//! follow by difference instead of by counting every finding again.
//!
//! ```text
//! full evaluation   --partition-->        groups { None: cluster part, Some(ns): ... }
//! scoped evaluation --replace its groups--> Replaced { groups, series that changed }
//! ```
//! A namespace's group also holds the findings about its Namespace object, which the
//! ClusterPostureReport lists (a Namespace is cluster-scoped) and the namespace's
//! dashboards count.
//!
//! Once a pass has built its reports the namespaces' findings are released
//! ([`Held::release`]): what stays is what later passes read without evaluating the
//! namespace again: the findings the ClusterPostureReport lists, every finding's rule and
//! fingerprint, and the totals. A pass that must build a namespace's report evaluates that
//! namespace first, so the findings it reads are always its own (`run` evaluates everything
//! when a pass must build every report).

use crate::placement::{NamespaceFilter, OpenSeries, dashboard_namespace};
use rampart_rules::control_plane::ControlPlane;
use rampart_rules::encryption::Assessment;
use rampart_rules::{Evaluation, Excepted, Finding, Fingerprint, Scope, Shared, Summary};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A group's key: the namespace that decides its findings, `None` for the cluster part.
pub type GroupKey = Option<String>;

/// One scope's findings, in report order, and what they add to the cluster's posture.
#[derive(Debug, Default)]
struct Group {
    /// Every finding, until the reports are built ([`Held::release`]).
    findings: Vec<Finding>,
    /// The findings the ClusterPostureReport lists (no namespace of their own), for as
    /// long as the group is held.
    cluster_listed: Vec<Finding>,
    /// Every finding's fingerprint (which hashes its rule too): what a resync compares.
    keys: Box<[Fingerprint]>,
    /// Over the findings the cluster's posture covers: not those of excluded namespaces.
    summary: Summary,
    series: BTreeMap<OpenSeries, u64>,
    /// Findings exceptions cover, until the reports are built (like `findings`).
    excepted: Vec<Excepted>,
    /// Those the ClusterPostureReport lists, for as long as the group is held.
    cluster_excepted: Vec<Excepted>,
    /// How many findings each exception covers here, wherever they are.
    excepted_by: BTreeMap<Shared, u64>,
    /// Excepted findings per metric series, over what the cluster's posture covers.
    excepted_series: BTreeMap<OpenSeries, u64>,
}

/// The metric series a finding counts in, `None` when its namespace gets no report.
fn series_of(f: &Finding, filter: &NamespaceFilter) -> Option<OpenSeries> {
    let ns = dashboard_namespace(f);
    if !ns.is_empty() && !filter.allows(ns) {
        return None;
    }
    Some(OpenSeries {
        rule: f.rule_id(),
        severity: f.severity,
        category: f.category(),
        // The finding's own copy where it has one: no lookup in the pool per finding.
        namespace: match (f.namespace(), &f.resource.namespace) {
            (Some(_), Some(own)) => own.clone(),
            _ => Shared::new(ns),
        },
    })
}

impl Group {
    fn new(
        mut findings: Vec<Finding>,
        mut excepted: Vec<Excepted>,
        filter: &NamespaceFilter,
    ) -> Group {
        // Held until the scope is evaluated again: no room kept for more.
        findings.shrink_to_fit();
        excepted.shrink_to_fit();
        let mut group = Group::counting(&findings, filter);
        for x in &excepted {
            *group.excepted_by.entry(x.exception.clone()).or_default() += 1;
            if x.finding.namespace().is_none() {
                group.cluster_excepted.push(x.clone());
            }
            if let Some(series) = series_of(&x.finding, filter) {
                *group.excepted_series.entry(series).or_default() += 1;
            }
        }
        group.excepted = excepted;
        group.findings = findings;
        group
    }

    /// A group's keys, listed findings and counts of `findings`.
    fn counting(findings: &[Finding], filter: &NamespaceFilter) -> Group {
        let mut group = Group {
            keys: findings.iter().map(|f| f.fingerprint).collect(),
            ..Group::default()
        };
        for f in findings {
            if f.namespace().is_none() {
                group.cluster_listed.push(f.clone());
            }
            let Some(series) = series_of(f, filter) else {
                continue;
            };
            group.summary.add(f.severity);
            *group.series.entry(series).or_default() += 1;
        }
        group
    }

    /// What the ClusterPostureReport says of this group: its findings, excepted or not.
    fn cluster_listed(&self) -> impl Iterator<Item = &Finding> {
        self.cluster_listed
            .iter()
            .chain(self.cluster_excepted.iter().map(|x| &x.finding))
    }
}

/// The findings of the last evaluation, by scope, with the cluster's totals.
#[derive(Debug, Default)]
pub struct Held {
    groups: HashMap<GroupKey, Group>,
    summary: Summary,
    series: BTreeMap<OpenSeries, u64>,
    findings: usize,
    released: bool,
    pub encryption: Assessment,
    /// The control plane's verdicts, kept like `encryption`: each evaluation decides
    /// them again from the whole inventory.
    pub control_plane: ControlPlane,
    excepted_by: BTreeMap<Shared, u64>,
    excepted_series: BTreeMap<OpenSeries, u64>,
    /// The sum of `excepted_series`, kept as groups come and go.
    excepted_findings: u64,
}

/// What replacing a scope's groups changed.
#[derive(Debug, Default, PartialEq)]
pub struct Replaced {
    /// Namespaces whose group was evaluated again (present or now empty).
    pub namespaces: BTreeSet<String>,
    /// Whether what the ClusterPostureReport lists may have changed: the cluster part was
    /// evaluated again, or a namespace's findings about its Namespace object changed.
    pub cluster: bool,
    /// Metric series whose counts changed, with their new counts (0: gone).
    pub series: BTreeMap<OpenSeries, u64>,
    /// The same for excepted findings.
    pub excepted_series: BTreeMap<OpenSeries, u64>,
}

fn fingerprints<'a>(
    findings: impl Iterator<Item = &'a Finding>,
) -> Vec<(&'static str, Fingerprint)> {
    findings.map(|f| (f.rule_id(), f.fingerprint)).collect()
}

impl Held {
    /// Everything from a full evaluation.
    pub fn new(evaluation: Evaluation, filter: &NamespaceFilter) -> Held {
        // Each group is allocated at its size: held until the next full evaluation, a
        // vector grown by doubling would keep up to as much room again unused.
        let mut sizes: HashMap<Option<&str>, usize> = HashMap::new();
        for f in &evaluation.findings {
            *sizes.entry(f.scope_namespace()).or_default() += 1;
        }
        for x in &evaluation.excepted {
            sizes.entry(x.finding.scope_namespace()).or_default();
        }
        let mut by_scope: HashMap<GroupKey, (Vec<Finding>, Vec<Excepted>)> = sizes
            .into_iter()
            .map(|(ns, n)| (ns.map(str::to_owned), (Vec::with_capacity(n), Vec::new())))
            .collect();
        // The evaluation is in report order; each group keeps it.
        for f in evaluation.findings {
            if let Some(group) = by_scope.get_mut(&f.scope_namespace().map(str::to_owned)) {
                group.0.push(f);
            }
        }
        for x in evaluation.excepted {
            if let Some(group) = by_scope.get_mut(&x.finding.scope_namespace().map(str::to_owned)) {
                group.1.push(x);
            }
        }
        let mut held = Held {
            encryption: evaluation.encryption,
            control_plane: evaluation.control_plane,
            ..Held::default()
        };
        for (key, (findings, excepted)) in by_scope {
            let group = Group::new(findings, excepted, filter);
            held.count(&group, true);
            held.groups.insert(key, group);
        }
        held
    }

    /// Replaces what the last evaluation said about `scope` with `fresh`, an evaluation of
    /// exactly that scope (not [`Scope::All`]: a full evaluation makes a new [`Held`]).
    pub fn replace(
        &mut self,
        scope: &Scope,
        fresh: Evaluation,
        filter: &NamespaceFilter,
    ) -> Replaced {
        let Scope::Only {
            namespaces,
            cluster,
        } = scope
        else {
            let old = std::mem::replace(self, Held::new(fresh, filter));
            // Every series now, and at 0 those that went: the caller may update what it
            // serves by difference.
            return Replaced {
                namespaces: self.groups.keys().flatten().cloned().collect(),
                cluster: true,
                series: counts_of(&self.series, old.series.keys().chain(self.series.keys())),
                excepted_series: counts_of(
                    &self.excepted_series,
                    old.excepted_series
                        .keys()
                        .chain(self.excepted_series.keys()),
                ),
            };
        };
        let mut by_scope: BTreeMap<GroupKey, (Vec<Finding>, Vec<Excepted>)> = namespaces
            .iter()
            .map(|ns| (Some(ns.clone()), (Vec::new(), Vec::new())))
            .collect();
        if *cluster {
            by_scope.insert(None, (Vec::new(), Vec::new()));
        }
        for f in fresh.findings {
            let key = f.scope_namespace().map(str::to_owned);
            // The engine keeps to the scope; anything else would be lost at the next
            // replacement, so it is dropped here too.
            if let Some(group) = by_scope.get_mut(&key) {
                group.0.push(f);
            }
        }
        for x in fresh.excepted {
            if let Some(group) = by_scope.get_mut(&x.finding.scope_namespace().map(str::to_owned)) {
                group.1.push(x);
            }
        }
        self.encryption = fresh.encryption;
        // Only an evaluation of the cluster-scoped part assesses the control plane.
        if *cluster {
            self.control_plane = fresh.control_plane;
        }
        let mut replaced = Replaced {
            namespaces: namespaces.clone(),
            cluster: *cluster,
            ..Replaced::default()
        };
        let mut touched: BTreeSet<OpenSeries> = BTreeSet::new();
        let mut touched_excepted: BTreeSet<OpenSeries> = BTreeSet::new();
        for (key, (findings, excepted)) in by_scope {
            let group = Group::new(findings, excepted, filter);
            let old = self.groups.remove(&key);
            if let Some(old) = &old {
                self.count(old, false);
                touched.extend(old.series.keys().cloned());
                touched_excepted.extend(old.excepted_series.keys().cloned());
            }
            if key.is_some() && !replaced.cluster {
                let before = old
                    .as_ref()
                    .map(|g| fingerprints(g.cluster_listed()))
                    .unwrap_or_default();
                replaced.cluster = before != fingerprints(group.cluster_listed());
            }
            self.count(&group, true);
            touched.extend(group.series.keys().cloned());
            touched_excepted.extend(group.excepted_series.keys().cloned());
            if !group.keys.is_empty() || !group.excepted_by.is_empty() {
                self.groups.insert(key, group);
            }
        }
        replaced.series = counts_of(&self.series, &touched);
        replaced.excepted_series = counts_of(&self.excepted_series, &touched_excepted);
        replaced
    }

    /// Adds a group's findings to the totals, or takes them away.
    fn count(&mut self, group: &Group, add: bool) {
        if add {
            self.findings += group.keys.len();
        } else {
            self.findings -= group.keys.len();
        }
        self.summary.combine(&group.summary, add);
        tally(&mut self.series, &group.series, add);
        tally(&mut self.excepted_series, &group.excepted_series, add);
        let excepted: u64 = group.excepted_series.values().sum();
        if add {
            self.excepted_findings += excepted;
        } else {
            self.excepted_findings = self.excepted_findings.saturating_sub(excepted);
        }
        tally(&mut self.excepted_by, &group.excepted_by, add);
    }

    /// How many findings each exception covers, by its id.
    pub fn excepted_by(&self) -> &BTreeMap<Shared, u64> {
        &self.excepted_by
    }

    /// Excepted findings per metric series, over what the cluster's posture covers.
    pub fn excepted_series(&self) -> &BTreeMap<OpenSeries, u64> {
        &self.excepted_series
    }

    /// Excepted findings over what the cluster's posture covers.
    pub fn excepted_total(&self) -> u64 {
        self.excepted_findings
    }

    /// The excepted findings a namespace's report lists, in report order: none once
    /// released, until the namespace is evaluated again.
    pub fn namespace_excepted(&self, ns: &str) -> Vec<&Excepted> {
        self.groups
            .get(&Some(ns.to_owned()))
            .map(|g| {
                g.excepted
                    .iter()
                    .filter(|x| x.finding.namespace() == Some(ns))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The excepted findings the ClusterPostureReport lists, in report order.
    pub fn cluster_excepted(&self) -> Vec<&Excepted> {
        let mut out: Vec<&Excepted> = self
            .groups
            .values()
            .flat_map(|g| g.cluster_excepted.iter())
            .collect();
        out.sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
        out
    }

    /// Drops the namespaces' findings, once their reports are built: later passes read
    /// only what the group keeps of them, and evaluate a namespace again before building
    /// its report.
    pub fn release(&mut self) {
        for group in self.groups.values_mut() {
            group.findings = Vec::new();
            group.excepted = Vec::new();
        }
        self.released = true;
    }

    /// Whether [`Held::release`] dropped the namespaces' findings: only the namespaces
    /// evaluated since have theirs.
    pub fn is_released(&self) -> bool {
        self.released
    }

    /// The findings a namespace's report lists, in report order: none once released,
    /// until the namespace is evaluated again.
    pub fn namespace_findings(&self, ns: &str) -> Vec<&Finding> {
        self.groups
            .get(&Some(ns.to_owned()))
            .map(|g| {
                g.findings
                    .iter()
                    .filter(|f| f.namespace() == Some(ns))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The findings the ClusterPostureReport lists (those about cluster-scoped objects,
    /// Namespaces included), in report order.
    pub fn cluster_findings(&self) -> Vec<&Finding> {
        let mut out: Vec<&Finding> = self
            .groups
            .values()
            .flat_map(|g| g.cluster_listed.iter())
            .collect();
        out.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out
    }

    /// Counts per severity over what the cluster's posture covers.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Open findings per metric series over what the cluster's posture covers.
    pub fn series(&self) -> &BTreeMap<OpenSeries, u64> {
        &self.series
    }

    pub fn len(&self) -> usize {
        self.findings
    }

    pub fn is_empty(&self) -> bool {
        self.findings == 0
    }

    /// Every finding's fingerprint, sorted, each once: what a resync compares. A sorted
    /// vector, not a set: a large cluster has a quarter of a million, and a resync holds
    /// the last pass's while it evaluates everything again.
    pub fn keys(&self) -> Vec<Fingerprint> {
        let mut keys: Vec<Fingerprint> = self
            .groups
            .values()
            .flat_map(|g| g.keys.iter().copied())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// Each series' count in `totals`, 0 for one it no longer holds (`tally` keeps no zeros):
/// what a caller serving the series needs to update them by difference.
fn counts_of<'s>(
    totals: &BTreeMap<OpenSeries, u64>,
    series: impl IntoIterator<Item = &'s OpenSeries>,
) -> BTreeMap<OpenSeries, u64> {
    series
        .into_iter()
        .map(|s| (s.clone(), totals.get(s).copied().unwrap_or(0)))
        .collect()
}

/// Adds counts to totals, or takes them away; a total that reaches 0 goes.
fn tally<K: Ord + Clone>(totals: &mut BTreeMap<K, u64>, counts: &BTreeMap<K, u64>, add: bool) {
    for (k, n) in counts {
        let total = totals.entry(k.clone()).or_default();
        *total = if add {
            *total + n
        } else {
            total.saturating_sub(*n)
        };
        if *total == 0 {
            totals.remove(k);
        }
    }
}

#[cfg(test)]
mod tests;
