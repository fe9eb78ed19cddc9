//! Evaluation: run the rules, apply settings, sort, summarise.
//!
//! ```text
//! Inventory + Settings + Scope --rules--> drafts --settings--> findings (sorted) + summary
//! ```

use crate::context::{Context, Scope};
use crate::emit::Emitter;
use crate::finding::Finding;
use crate::inventory::Inventory;
use crate::registry;
use crate::rule::{Rule, Severity};
use crate::score;
use crate::settings::Settings;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts of findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            *s.slot(f.severity) += 1;
        }
        s
    }

    fn slot(&mut self, sev: Severity) -> &mut usize {
        match sev {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }

    pub fn get(&self, sev: Severity) -> usize {
        match sev {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low + self.info
    }
}

#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Sorted by [`Finding::sort_key`].
    pub findings: Vec<Finding>,
    /// Findings left out by exceptions, per rule id.
    pub suppressed: BTreeMap<&'static str, usize>,
    pub summary: Summary,
    pub score: u8,
}

/// Evaluates every enabled rule over the whole inventory.
pub fn evaluate(inventory: &Inventory, settings: &Settings) -> Evaluation {
    evaluate_scope(inventory, settings, &Scope::All, registry::rules())
}

/// Evaluates `rules` over a scope. Rules never fail; the result is deterministic.
pub fn evaluate_scope(
    inventory: &Inventory,
    settings: &Settings,
    scope: &Scope,
    rules: &[Rule],
) -> Evaluation {
    let ctx = Context::new(inventory, settings, scope);
    let mut eval = Evaluation::default();
    for rule in rules {
        if settings.is_disabled(rule.id, rule.name) {
            continue;
        }
        let mut emitter = Emitter::new(rule);
        (rule.check)(&ctx, &mut emitter);
        for draft in emitter.drafts {
            let mut severity = settings
                .severity_override(rule.id, rule.name)
                .or(draft.requested_severity())
                .unwrap_or(rule.severity);
            let system = draft
                .system_hint()
                .unwrap_or_else(|| settings.is_system_object(draft.resource()));
            if system {
                severity = severity.min(settings.system_max_severity);
            }
            if settings
                .exception_for(rule.id, rule.name, draft.resource())
                .is_some()
            {
                *eval.suppressed.entry(rule.id).or_default() += 1;
                continue;
            }
            eval.findings.push(draft.into_finding(rule, severity));
        }
    }
    eval.findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    eval.findings
        .dedup_by(|a, b| a.fingerprint == b.fingerprint && a.rule_id == b.rule_id);
    eval.summary = Summary::of(&eval.findings);
    eval.score = score::score(&eval.findings);
    eval
}
