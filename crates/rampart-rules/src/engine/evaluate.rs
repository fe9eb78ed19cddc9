//! Evaluation: run the rules, apply settings, sort, summarise.
//!
//! ```text
//! Inventory + Settings + Scope --rules--> drafts --settings--> findings (sorted) + summary
//! ```

use crate::analysis::derived::Derived;
use crate::analysis::encryption::Assessment;
use crate::engine::context::Context;
use crate::engine::emit::Emitter;
use crate::engine::finding::Finding;
use crate::engine::rule::Rule;
use crate::engine::score::{self, Summary};
use crate::engine::settings::Settings;
use crate::inventory::Inventory;
use crate::model::scope::Scope;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Sorted by [`Finding::sort_key`].
    pub findings: Vec<Finding>,
    /// Findings left out by exceptions, per rule id and scope namespace
    /// ([`crate::ObjectRef::scope_namespace`]).
    pub suppressed: BTreeMap<(&'static str, Option<String>), usize>,
    pub summary: Summary,
    pub score: u8,
    /// Whether Secrets are encrypted at rest, as the ENC rules judged it: reports and
    /// metrics show this verdict rather than deciding again.
    pub encryption: Assessment,
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
    let ctx = Context::new(inventory, derived, settings, scope);
    let mut eval = Evaluation::default();
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
            if settings
                .exception_for(rule.id, rule.name, &draft.resource)
                .is_some()
            {
                let key = (rule.id, draft.resource.scope_namespace().map(str::to_owned));
                *eval.suppressed.entry(key).or_default() += 1;
                continue;
            }
            eval.findings.push(Finding::new(rule, severity, draft));
        }
    }
    eval.encryption = ctx.encryption().clone();
    eval.finish();
    eval
}

impl Evaluation {
    fn finish(&mut self) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.findings
            .dedup_by(|a, b| a.fingerprint == b.fingerprint && a.rule_id() == b.rule_id());
        self.summary = Summary::of(&self.findings);
        self.score = score::score(&self.findings);
    }

    /// Replaces what this evaluation says about `scope` with `fresh`, an evaluation of
    /// exactly that scope: the operator's incremental step.
    pub fn merge(&mut self, scope: &Scope, fresh: Evaluation) {
        self.findings.retain(|f| !scope.covers(f.scope_namespace()));
        self.suppressed
            .retain(|(_, ns), _| !scope.covers(ns.as_deref()));
        self.findings.extend(fresh.findings);
        self.suppressed.extend(fresh.suppressed);
        self.encryption = fresh.encryption;
        self.finish();
    }

    /// Findings left out by exceptions, in all.
    pub fn suppressed_total(&self) -> usize {
        self.suppressed.values().sum()
    }
}
