//! Which watches currently work. A kind whose list or watch fails (403, a missing API) is
//! named in every report's `couldNotEvaluate`, so an empty report is never mistaken for a
//! clean one; the watch keeps retrying with backoff and the entry clears when it recovers.
//!
//! A kind that has listed before is named only once it has failed for a grace period: the
//! inventory still holds what it listed, at most that old, and an API server that restarts
//! for a few seconds must not rewrite every report twice (once to add the failure, once to
//! clear it). A kind that never listed is named at once: nothing of it was ever judged.
//! "Resource version too old" is not a failure at all: it is how the API server asks a
//! watch to relist, and the watcher does so at once.

use kube::runtime::watcher;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a failed watch request means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The API server expired the watch's resource version; the watcher relists.
    Relist,
    /// Within the grace period of a kind that listed before: reports do not change.
    Transient,
    /// Named in the reports: past the grace period, or the kind never listed.
    Reported,
}

/// What an answer from a watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing was failing.
    None,
    /// A failure ended within the grace period: no report ever named it.
    Flap,
    /// A failure the reports named ended: they should say so.
    Reported,
}

#[derive(Debug, Default)]
struct KindState {
    /// Whether a list of the kind ever completed.
    listed: bool,
    /// Since when, and the latest error.
    failing: Option<(Instant, String)>,
}

#[derive(Debug)]
pub struct WatchState {
    grace: Duration,
    kinds: Mutex<BTreeMap<&'static str, KindState>>,
}

impl Default for WatchState {
    fn default() -> Self {
        WatchState::new(Duration::from_secs(60))
    }
}

impl WatchState {
    pub fn new(grace: Duration) -> WatchState {
        WatchState {
            grace,
            kinds: Mutex::new(BTreeMap::new()),
        }
    }

    fn is_reported(&self, state: &KindState, now: Instant) -> bool {
        state.failing.as_ref().is_some_and(|(since, _)| {
            !state.listed || now.saturating_duration_since(*since) >= self.grace
        })
    }

    /// The watch answered: any failure is over.
    pub fn ok(&self, kind: &'static str, now: Instant) -> Recovery {
        let Ok(mut kinds) = self.kinds.lock() else {
            return Recovery::None;
        };
        let state = kinds.entry(kind).or_default();
        if state.failing.is_none() {
            return Recovery::None;
        }
        let reported = self.is_reported(state, now);
        state.failing = None;
        if reported {
            Recovery::Reported
        } else {
            Recovery::Flap
        }
    }

    /// A complete list of the kind arrived.
    pub fn listed(&self, kind: &'static str) {
        if let Ok(mut kinds) = self.kinds.lock() {
            kinds.entry(kind).or_default().listed = true;
        }
    }

    pub fn failed(&self, kind: &'static str, error: &watcher::Error, now: Instant) -> Failure {
        if is_expired(error) {
            return Failure::Relist;
        }
        let Ok(mut kinds) = self.kinds.lock() else {
            return Failure::Reported;
        };
        let state = kinds.entry(kind).or_default();
        let since = state.failing.as_ref().map_or(now, |(since, _)| *since);
        state.failing = Some((since, error.to_string()));
        if self.is_reported(state, now) {
            Failure::Reported
        } else {
            Failure::Transient
        }
    }

    /// When the earliest transient failure becomes reported, if one is pending: a pass is
    /// due then, so that the reports name it.
    pub fn next_deadline(&self, now: Instant) -> Option<Instant> {
        let kinds = self.kinds.lock().ok()?;
        kinds
            .values()
            .filter(|s| !self.is_reported(s, now))
            .filter_map(|s| s.failing.as_ref().map(|(since, _)| *since + self.grace))
            .min()
    }

    /// One line per reported kind, sorted, for `couldNotEvaluate`.
    pub fn could_not_evaluate(&self, now: Instant) -> Vec<String> {
        self.kinds
            .lock()
            .map(|kinds| {
                kinds
                    .iter()
                    .filter(|(_, s)| self.is_reported(s, now))
                    .filter_map(|(kind, s)| {
                        let (_, e) = s.failing.as_ref()?;
                        Some(format!(
                            "{kind}: rules that read {kind} objects could not run ({e})"
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The HTTP status the API server answered a failed watch or list with, if it answered.
pub fn status_code(error: &watcher::Error) -> Option<u16> {
    match error {
        watcher::Error::WatchError(status) => Some(status.code),
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => match e {
            kube::Error::Api(status) => Some(status.code),
            _ => None,
        },
        watcher::Error::NoResourceVersion => None,
    }
}

/// HTTP 410 Gone: the resource version the watch resumed from was compacted away.
pub fn is_expired(error: &watcher::Error) -> bool {
    status_code(error) == Some(410)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;

    fn status(code: u16, reason: &str) -> Box<Status> {
        let mut s = Status::failure(reason, reason);
        s.code = code;
        Box::new(s)
    }

    fn forbidden() -> watcher::Error {
        watcher::Error::InitialListFailed(kube::Error::Api(status(403, "Forbidden")))
    }

    fn unavailable() -> watcher::Error {
        watcher::Error::WatchStartFailed(kube::Error::Api(status(503, "ServiceUnavailable")))
    }

    #[test]
    fn a_kind_that_never_listed_is_reported_at_once() {
        let s = WatchState::new(Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(s.failed("Secret", &forbidden(), t0), Failure::Reported);
        let lines = s.could_not_evaluate(t0);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with("Secret: rules that read Secret objects could not run"));
        assert!(lines[0].contains("Forbidden"), "{}", lines[0]);
        assert_eq!(s.next_deadline(t0), None);
        assert_eq!(s.ok("Secret", t0), Recovery::Reported);
        assert!(s.could_not_evaluate(t0).is_empty());
    }

    #[test]
    fn a_listed_kind_is_reported_only_after_the_grace_period() {
        let grace = Duration::from_secs(60);
        let s = WatchState::new(grace);
        let t0 = Instant::now();
        s.listed("Pod");
        assert_eq!(s.failed("Pod", &unavailable(), t0), Failure::Transient);
        assert_eq!(
            s.failed("Pod", &unavailable(), t0 + Duration::from_secs(30)),
            Failure::Transient
        );
        assert!(
            s.could_not_evaluate(t0 + Duration::from_secs(59))
                .is_empty()
        );
        // The grace counts from the first failure, not the latest.
        assert_eq!(
            s.next_deadline(t0 + Duration::from_secs(30)),
            Some(t0 + grace)
        );
        assert_eq!(s.could_not_evaluate(t0 + grace).len(), 1);
        assert_eq!(s.next_deadline(t0 + grace), None);
        assert_eq!(
            s.failed("Pod", &unavailable(), t0 + grace),
            Failure::Reported
        );
        assert_eq!(s.ok("Pod", t0 + grace * 2), Recovery::Reported);
        assert!(s.could_not_evaluate(t0 + grace * 2).is_empty());
    }

    #[test]
    fn a_failure_that_recovers_within_the_grace_period_is_a_flap() {
        let s = WatchState::new(Duration::from_secs(60));
        let t0 = Instant::now();
        s.listed("Role");
        assert_eq!(s.ok("Role", t0), Recovery::None);
        s.failed("Role", &unavailable(), t0);
        assert_eq!(s.ok("Role", t0 + Duration::from_secs(5)), Recovery::Flap);
        assert_eq!(s.next_deadline(t0), None);
        // A later failure starts a new grace period.
        let t1 = t0 + Duration::from_secs(120);
        assert_eq!(s.failed("Role", &unavailable(), t1), Failure::Transient);
        assert_eq!(s.next_deadline(t1), Some(t1 + Duration::from_secs(60)));
    }

    #[test]
    fn an_expired_resource_version_is_a_relist_not_a_failure() {
        let s = WatchState::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let expired = watcher::Error::WatchError(status(410, "Expired"));
        assert_eq!(s.failed("Pod", &expired, t0), Failure::Relist);
        let gone = watcher::Error::WatchStartFailed(kube::Error::Api(status(410, "Gone")));
        assert_eq!(s.failed("Pod", &gone, t0), Failure::Relist);
        assert!(s.could_not_evaluate(t0).is_empty());
        assert_eq!(s.next_deadline(t0), None);
        assert_eq!(s.ok("Pod", t0), Recovery::None);
    }

    #[test]
    fn reported_kinds_are_sorted() {
        let s = WatchState::new(Duration::ZERO);
        let t0 = Instant::now();
        s.failed("Secret", &forbidden(), t0);
        s.failed("Pod", &forbidden(), t0);
        let lines = s.could_not_evaluate(t0);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("Pod:"));
    }
}
