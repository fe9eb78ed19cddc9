//! A rule: static metadata (the part users read in `rampart rules explain`) and its check.

use crate::engine::context::Context;
use crate::engine::emit::Emitter;
use crate::model::taxonomy::{Category, Reference, Severity};

/// The function that checks one rule: pure, never fails, reports through the emitter.
pub type Check = fn(&Context<'_>, &mut Emitter);

/// A rule: metadata plus its check. Ids are stable and never reused.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable id, e.g. `RBAC001`.
    pub id: &'static str,
    /// Kebab-case name of the bad pattern, e.g. `wildcard-verb`.
    pub name: &'static str,
    pub title: &'static str,
    pub category: Category,
    pub severity: Severity,
    /// Why the pattern is dangerous.
    pub rationale: &'static str,
    /// What to do about it.
    pub remediation: &'static str,
    pub references: &'static [Reference],
    /// Whether findings are judged from the whole cluster rather than where their object
    /// is: an escalation path starts in one namespace and ends in another, so the
    /// cluster-scoped part of an evaluation owns its findings and the ClusterPostureReport
    /// holds them.
    pub cluster_wide: bool,
    pub check: Check,
}
