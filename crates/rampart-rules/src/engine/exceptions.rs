//! Exceptions judged: whether each is in force at a moment, and which findings it covers.
//!
//! ```text
//! Exception --judge(now, longest allowed, catalogue)--> Active | Expired | Invalid(why)
//! Active exceptions (Settings::exceptions) --after rules run--> findings excepted, by name
//! ```
//! The engine has no clock: the caller judges exceptions at its moment and hands the
//! active ones to the evaluation, which applies whatever it is given. An expired or
//! invalid exception covers nothing, so its findings stay open (and are announced again).

use crate::engine::rule::Rule;
use crate::engine::settings::Settings;
use crate::model::exception::{Exception, glob_matches};
use crate::model::identity::ObjectRef;
use crate::model::meta::Metadata;
use crate::model::selector;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use std::fmt;

/// What an exception is at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// In force: the findings it covers are excepted.
    Active,
    /// Past its expiry: it covers nothing.
    Expired,
    /// Never in force, and why: a field that cannot be right.
    Invalid(String),
}

impl State {
    /// The word status fields, metrics and reports use.
    pub fn as_str(&self) -> &'static str {
        match self {
            State::Active => "Active",
            State::Expired => "Expired",
            State::Invalid(_) => "Invalid",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Invalid(why) => write!(f, "Invalid: {why}"),
            other => f.write_str(other.as_str()),
        }
    }
}

const SECONDS_PER_DAY: i64 = 24 * 60 * 60;

/// Judges `exception` at `now`: invalid when a field cannot be right (checked first, so
/// an invalid exception says so even once expired), expired from its expiry on, else
/// active. `rules` is the catalogue its rule names must come from.
pub fn judge(exception: &Exception, now: Timestamp, settings: &Settings, rules: &[Rule]) -> State {
    match problem(exception, now, settings, rules) {
        Some(why) => State::Invalid(why),
        None if now >= exception.spec.expires => State::Expired,
        None => State::Active,
    }
}

fn problem(e: &Exception, now: Timestamp, settings: &Settings, rules: &[Rule]) -> Option<String> {
    let spec = &e.spec;
    if spec.reason.trim().is_empty() {
        return Some("the reason is empty".to_owned());
    }
    if spec.owner.trim().is_empty() {
        return Some("the owner is empty".to_owned());
    }
    if spec.rules.is_empty() {
        return Some("it names no rule".to_owned());
    }
    if let Some(unknown) = spec.rules.iter().find(|k| {
        *k != "*"
            && !rules
                .iter()
                .any(|r| Settings::rule_matches(k, r.id, r.name))
    }) {
        return Some(format!("rule {unknown:?} is not one of Rampart's"));
    }
    if spec.resources.is_empty() {
        return Some("it names no resource".to_owned());
    }
    if let Some(own) = &e.namespace
        && let Some(other) = spec
            .resources
            .iter()
            .filter_map(|r| r.namespace.as_deref())
            .find(|ns| *ns != own)
    {
        return Some(format!(
            "it names namespace {other:?}; a PostureException covers only its own namespace \
             ({own})"
        ));
    }
    let longest =
        SignedDuration::from_secs(i64::from(settings.exception_max_days) * SECONDS_PER_DAY);
    if let Ok(latest) = now.checked_add(longest)
        && spec.expires > latest
    {
        return Some(format!(
            "it expires {}, more than {} days ahead (the settings' exceptionMaxDays)",
            spec.expires, settings.exception_max_days
        ));
    }
    None
}

/// One exception as judged at a moment, with where it came from and how many findings
/// it covers (counted after the evaluation).
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub exception: Exception,
    pub state: State,
    /// Where it was read: `file:line`, `settings`, or the cluster.
    pub origin: String,
    pub matched: usize,
}

impl Judged {
    /// One word for what it is now: `Stale` is an active exception that covers nothing.
    pub fn standing(&self) -> &'static str {
        match self.state {
            State::Active if self.matched == 0 => "Stale",
            ref s => s.as_str(),
        }
    }
}

/// Judges every exception at `now`, in the order given. A second exception with an id
/// already seen is invalid: reports and statuses name exceptions by id, so two of one
/// name could not be told apart.
pub fn judge_all(
    exceptions: impl IntoIterator<Item = (Exception, String)>,
    now: Timestamp,
    settings: &Settings,
    rules: &[Rule],
) -> Vec<Judged> {
    let mut seen = std::collections::BTreeSet::new();
    exceptions
        .into_iter()
        .map(|(exception, origin)| {
            let state = if seen.insert(exception.id()) {
                judge(&exception, now, settings, rules)
            } else {
                State::Invalid(format!(
                    "another exception is named {}; this one is ignored",
                    exception.id()
                ))
            };
            Judged {
                exception,
                state,
                origin,
                matched: 0,
            }
        })
        .collect()
}

/// The exceptions in force, for the evaluation.
pub fn in_force(judged: &[Judged]) -> Vec<Exception> {
    judged
        .iter()
        .filter(|j| j.state == State::Active)
        .map(|j| j.exception.clone())
        .collect()
}

/// Records how many findings each exception in force covers, as `covered` counts them by
/// id; the others cover none.
pub fn count_matched(judged: &mut [Judged], covered: impl Fn(&str) -> usize) {
    for j in judged.iter_mut().filter(|j| j.state == State::Active) {
        j.matched = covered(&j.exception.id());
    }
}

/// Whether `exception` covers the finding of `rule` on `resource`, whose metadata (for its
/// labels) is `meta` when the inventory holds the object.
pub fn covers(
    exception: &Exception,
    rule: &Rule,
    resource: &ObjectRef,
    meta: Option<&dyn Metadata>,
) -> bool {
    if let Some(own) = &exception.namespace
        && resource.namespace.as_deref() != Some(own.as_str())
    {
        return false;
    }
    let names_rule = exception
        .spec
        .rules
        .iter()
        .any(|k| Settings::rule_matches(k, rule.id, rule.name));
    names_rule
        && exception.spec.resources.iter().any(|m| {
            m.kind
                .as_deref()
                .is_none_or(|k| glob_matches(k, &resource.kind))
                && m.namespace.as_deref().is_none_or(|ns| {
                    resource
                        .namespace
                        .as_deref()
                        .is_some_and(|own| glob_matches(ns, own))
                })
                && m.name
                    .as_deref()
                    .is_none_or(|n| glob_matches(n, &resource.name))
                && m.selector.as_ref().is_none_or(|s| {
                    // An object the inventory does not hold has no labels to select by.
                    meta.is_some_and(|meta| selector::matches(s, Some(&LabelsOf(meta))))
                })
        })
}

/// The first of `exceptions` that covers the finding, if any.
pub fn covering<'a, 'm>(
    exceptions: &'a [Exception],
    rule: &Rule,
    resource: &ObjectRef,
    meta: impl FnOnce() -> Option<&'m dyn Metadata>,
) -> Option<&'a Exception> {
    let mut candidates = exceptions.iter().filter(|e| {
        e.spec
            .rules
            .iter()
            .any(|k| Settings::rule_matches(k, rule.id, rule.name))
    });
    let first = candidates.next()?;
    // The labels are looked up once, and only for a finding some exception names.
    let meta = meta();
    std::iter::once(first)
        .chain(candidates)
        .find(|e| covers(e, rule, resource, meta))
}

/// Labels as a selector reads them, from any kind's metadata.
struct LabelsOf<'a>(&'a dyn Metadata);

impl selector::Labels for LabelsOf<'_> {
    fn label(&self, key: &str) -> Option<&str> {
        self.0.label(key)
    }
}

#[cfg(test)]
mod tests;
