//! Evaluation: run the rules, apply settings, sort, summarise.
//!
//! ```text
//! Inventory + Settings + Scope --rules--> drafts --settings--> findings (sorted) + summary
//!                                                   \--exceptions--> excepted (sorted)
//! ```

use crate::analysis::control_plane::ControlPlane;
use crate::analysis::derived::Derived;
use crate::analysis::encryption::Assessment;
use crate::engine::context::Context;
use crate::engine::emit::Emitter;
use crate::engine::exceptions;
use crate::engine::finding::Finding;
use crate::engine::own_grant;
use crate::engine::rule::Rule;
use crate::engine::score::{self, Summary};
use crate::engine::settings::Settings;
use crate::inventory::Inventory;
#[cfg(doc)]
use crate::model::exception::Exception;
use crate::model::scope::Scope;
use crate::model::shared::Shared;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Sorted by [`Finding::sort_key`].
    pub findings: Vec<Finding>,
    /// Findings an exception in force covers, in the same order: kept apart from the
    /// open findings, out of the summary and the score.
    pub excepted: Vec<Excepted>,
    pub summary: Summary,
    pub score: u8,
    /// Whether Secrets are encrypted at rest, as the ENC rules judged it: reports and
    /// metrics show this verdict rather than deciding again.
    pub encryption: Assessment,
    /// The control plane's verdicts (anonymous access, authorization, audit logging,
    /// admission, versions), as the CP rules judged them, for the same reason.
    pub control_plane: ControlPlane,
}

/// Evaluates `rules` over the whole inventory, building its analyses afresh: what a scan
/// does once, and what a test of a few rules needs.
pub fn evaluate_rules(
    inventory: &Inventory,
    settings: &Settings,
    rules: &'static [Rule],
) -> Evaluation {
    evaluate_scope(inventory, &Derived::default(), settings, &Scope::All, rules)
}

/// Evaluates `rules` over a scope. Rules never fail; the result is deterministic.
/// `derived` holds the analyses of `inventory` kept between evaluations (a fresh
/// [`Derived`] builds them).
pub fn evaluate_scope(
    inventory: &Inventory,
    derived: &Derived,
    settings: &Settings,
    scope: &Scope,
    rules: &'static [Rule],
) -> Evaluation {
    let mut eval = Evaluation::default();
    eval.gather(inventory, derived, settings, scope, rules);
    eval.finish();
    eval
}

impl Evaluation {
    /// Adds what `rules` find in `scope`, unsorted ([`Evaluation::finish`] sorts), with
    /// the encryption verdict, and the control plane's when the scope holds the
    /// cluster-scoped part.
    pub(crate) fn gather(
        &mut self,
        inventory: &Inventory,
        derived: &Derived,
        settings: &Settings,
        scope: &Scope,
        rules: &'static [Rule],
    ) {
        let ctx = Context::new(inventory, derived, settings, scope);
        for rule in rules {
            if settings.is_disabled(rule.id, rule.name) {
                continue;
            }
            let mut emitter = Emitter::new(rule.severity);
            (rule.check)(&ctx, &mut emitter);
            for draft in emitter.drafts {
                let mut severity = settings
                    .severity_override(rule.id, rule.name)
                    .or(draft.severity)
                    .unwrap_or(rule.severity);
                let system = draft
                    .system
                    .unwrap_or_else(|| settings.is_system_object(&draft.resource));
                if system {
                    severity = severity.min(settings.system_max_severity);
                }
                // A rule may look beyond the scope; what it finds there is judged by the
                // evaluation of that other scope, so partial results merge exactly.
                let scope_ns = if rule.cluster_wide {
                    None
                } else {
                    draft.resource.scope_namespace()
                };
                if !scope.covers(scope_ns) {
                    continue;
                }
                let exception = if own_grant::covers(settings, inventory, rule, &draft) {
                    Some(Shared::new(own_grant::ID))
                } else {
                    exceptions::covering(&settings.exceptions, rule, &draft.resource, || {
                        inventory.metadata(&draft.resource)
                    })
                    .map(|e| Shared::new(&e.id()))
                };
                let finding = Finding::new(rule, severity, draft);
                match exception {
                    Some(exception) => self.excepted.push(Excepted { finding, exception }),
                    None => self.findings.push(finding),
                }
            }
        }
        self.encryption = ctx.encryption().clone();
        // Everything the verdicts read (kube-system's pods, Nodes, the probe, /metrics) puts
        // the cluster-scoped part in scope when it changes; the parts of a full pass that
        // judge namespaces alone need not walk every Node again.
        if ctx.cluster_in_scope() {
            self.control_plane = ctx.control_plane().clone();
        }
    }

    /// Sorts what [`Evaluation::gather`] added, drops repeats, and sums it up.
    pub(crate) fn finish(&mut self) {
        self.sort();
        self.findings
            .dedup_by(|a, b| a.fingerprint == b.fingerprint && a.rule_id() == b.rule_id());
        self.excepted.dedup_by(|a, b| {
            a.finding.fingerprint == b.finding.fingerprint
                && a.finding.rule_id() == b.finding.rule_id()
        });
        self.summary = Summary::of(&self.findings);
        self.score = score::score(&self.findings);
    }

    /// Puts the findings in report order ([`Finding::sort_key`]). Sorting runs already in
    /// that order one after the other is a merge: threads sort what they gathered.
    pub(crate) fn sort(&mut self) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.excepted
            .sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
    }

    /// Replaces what this evaluation says about `scope` with `fresh`, an evaluation of
    /// exactly that scope: the operator's incremental step.
    pub fn merge(&mut self, scope: &Scope, fresh: Evaluation) {
        self.findings.retain(|f| !scope.covers(f.scope_namespace()));
        self.excepted
            .retain(|e| !scope.covers(e.finding.scope_namespace()));
        self.findings.extend(fresh.findings);
        self.excepted.extend(fresh.excepted);
        self.encryption = fresh.encryption;
        if scope.covers(None) {
            self.control_plane = fresh.control_plane;
        }
        self.finish();
    }

    /// How many findings each exception covers, by its id ([`Exception::id`]).
    pub fn excepted_by_exception(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for e in &self.excepted {
            *counts.entry(e.exception.as_str()).or_default() += 1;
        }
        counts
    }
}

/// A finding an exception covers, and which exception ([`Exception::id`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excepted {
    pub finding: Finding,
    pub exception: Shared,
}
