//! The exceptions of one pass, judged (pure): those of the settings file and those
//! declared in the cluster, at the pass's moment.
//!
//! ```text
//! settings' exceptions + Declared --judge at now--> Judged (Active | Expired | Invalid)
//!   -> in force (the evaluation's), what the report says of each (owner, expiry)
//!   -> what changed since the last pass's in force -> the Scope to evaluate again
//!   -> the next expiry (a pass is due then: an expired exception stops applying on time)
//! held counts per exception -> statuses to write (only those that changed), metrics
//! ```

use crate::declared::Declared;
use crate::report::Accepted;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use rampart_crd::ExceptionStatus;
use rampart_rules::exceptions::{self, Exception, ExceptionSpec, Judged, State, own_grant};
use rampart_rules::{Rule, Scope, Settings, Shared};
use std::collections::{BTreeMap, BTreeSet};

/// Where a judged exception came from.
pub const FROM_SETTINGS: &str = "settings";
pub const FROM_CLUSTER: &str = "cluster";

/// How far ahead an expiry counts as soon, for the metrics and their alert.
pub const EXPIRING_SOON: SignedDuration = SignedDuration::from_hours(7 * 24);

/// What one pass concluded of the exceptions.
#[derive(Debug, Default)]
pub struct Judgement {
    /// Every exception: the settings' first, then the cluster's by id.
    pub judged: Vec<Judged>,
    /// Those in force, for the evaluation.
    pub in_force: Vec<Exception>,
    /// What reports say of each exception in force, by id.
    pub accepted: BTreeMap<String, Accepted>,
    /// What changed in force since the last pass reaches this; `None` when nothing did.
    pub reach: Option<Scope>,
    /// When the first exception in force expires.
    pub next_expiry: Option<Timestamp>,
}

/// The exceptions in force at the last pass, by id: what the next one compares with.
#[derive(Debug, Default)]
pub struct InForce(BTreeMap<String, Exception>);

impl InForce {
    /// Judges every exception at `now` and notes those in force for the next pass.
    pub fn judge(
        &mut self,
        settings: &Settings,
        declared: &Declared,
        now: Timestamp,
        rules: &[Rule],
    ) -> Judgement {
        let mut unreadable = Vec::new();
        let from_settings = settings
            .exceptions
            .iter()
            .map(|e| (e.clone(), FROM_SETTINGS.to_owned()));
        let from_cluster = declared.by_id.values().filter_map(|d| match &d.exception {
            Ok(e) => Some((e.clone(), FROM_CLUSTER.to_owned())),
            Err(why) => {
                unreadable.push(Judged {
                    exception: Exception {
                        name: d.name.clone(),
                        namespace: d.namespace.clone(),
                        spec: ExceptionSpec::default(),
                    },
                    state: State::Invalid(why.clone()),
                    origin: FROM_CLUSTER.to_owned(),
                    matched: 0,
                });
                None
            }
        });
        let mut judged =
            exceptions::judge_all(from_settings.chain(from_cluster), now, settings, rules);
        judged.append(&mut unreadable);
        let in_force = exceptions::in_force(&judged);
        let now_in_force: BTreeMap<String, Exception> =
            in_force.iter().map(|e| (e.id(), e.clone())).collect();
        let reach = reach_of_changes(&self.0, &now_in_force);
        let accepted = in_force
            .iter()
            .map(|e| {
                let a = Accepted {
                    owner: e.spec.owner.clone(),
                    expires: e.spec.expires.to_string(),
                };
                (e.id(), a)
            })
            .chain(std::iter::once((
                own_grant::ID.to_owned(),
                Accepted {
                    owner: own_grant::OWNER.to_owned(),
                    expires: String::new(),
                },
            )))
            .collect();
        let next_expiry = in_force.iter().map(|e| e.spec.expires).min();
        self.0 = now_in_force;
        Judgement {
            judged,
            in_force,
            accepted,
            reach,
            next_expiry,
        }
    }
}

/// The part of the cluster an exception's findings can be in: a PostureException's
/// namespace, and the cluster-scoped part (whose rules judge the namespace's
/// ServiceAccounts among others); anywhere for a ClusterPostureException.
pub fn reach_of(e: &Exception) -> Scope {
    match &e.namespace {
        Some(ns) => Scope::Only {
            namespaces: BTreeSet::from([ns.clone()]),
            cluster: true,
        },
        None => Scope::All,
    }
}

/// Where exceptions that came into force, went out of it or changed reach.
fn reach_of_changes(
    before: &BTreeMap<String, Exception>,
    after: &BTreeMap<String, Exception>,
) -> Option<Scope> {
    let mut reach: Option<Scope> = None;
    let ids: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for id in ids {
        let (b, a) = (before.get(id), after.get(id));
        if b == a {
            continue;
        }
        for e in b.into_iter().chain(a) {
            let r = reach_of(e);
            match &mut reach {
                Some(all) => all.extend(r),
                None => reach = Some(r),
            }
        }
    }
    reach
}

/// Counts of exceptions by what they are now, for the metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// By standing, lower case: active, stale, expired, invalid.
    pub by_state: BTreeMap<&'static str, u64>,
    /// In force and expiring within [`EXPIRING_SOON`].
    pub expiring_soon: u64,
}

pub const STATES: [&str; 4] = ["active", "stale", "expired", "invalid"];

/// Fills in how many findings each exception covers, from the held counts.
pub fn count(judged: &mut [Judged], counts: &BTreeMap<Shared, u64>) {
    exceptions::count_matched(judged, |id| {
        counts
            .get(id)
            .map_or(0, |n| usize::try_from(*n).unwrap_or(usize::MAX))
    });
}

pub fn tally(judged: &[Judged], now: Timestamp) -> Tally {
    let mut t = Tally::default();
    for state in STATES {
        t.by_state.insert(state, 0);
    }
    for j in judged {
        let state = match j.standing() {
            "Active" => "active",
            "Stale" => "stale",
            "Expired" => "expired",
            _ => "invalid",
        };
        *t.by_state.entry(state).or_default() += 1;
        let soon = now
            .checked_add(EXPIRING_SOON)
            .is_ok_and(|limit| j.exception.spec.expires <= limit);
        if j.state == State::Active && soon {
            t.expiring_soon += 1;
        }
    }
    t
}

/// A status to write on a declared exception.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub kind: &'static str,
    pub namespace: Option<String>,
    pub name: String,
    pub status: ExceptionStatus,
}

/// The status each declared exception should carry, for those whose status says
/// something else (its time of evaluation aside): written only when it changes.
pub fn statuses(judged: &[Judged], declared: &Declared, now: &str) -> Vec<StatusUpdate> {
    let mut out = Vec::new();
    for j in judged.iter().filter(|j| j.origin == FROM_CLUSTER) {
        let id = j.exception.id();
        let Some(d) = declared.by_id.get(&id) else {
            continue;
        };
        let message = match (&j.state, j.matched) {
            (State::Invalid(why), _) => Some(format!("not in force: {why}")),
            (State::Expired, _) => Some(format!(
                "expired at {}: the findings it covered are open again",
                j.exception.spec.expires
            )),
            (State::Active, 0) => Some("in force, but covers no finding".to_owned()),
            (State::Active, _) => None,
        };
        let status = ExceptionStatus {
            state: j.standing().to_owned(),
            message,
            matched: u32::try_from(j.matched).unwrap_or(u32::MAX),
            last_evaluated: now.to_owned(),
            observed_generation: d.generation,
        };
        let unchanged = d.status.as_ref().is_some_and(|s| {
            s.state == status.state
                && s.message == status.message
                && s.matched == status.matched
                && s.observed_generation == status.observed_generation
        });
        if !unchanged {
            out.push(StatusUpdate {
                kind: d.kind,
                namespace: d.namespace.clone(),
                name: d.name.clone(),
                status,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
