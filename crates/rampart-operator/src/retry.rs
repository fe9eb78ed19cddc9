//! When to write again after a write failed (pure).
//!
//! A pass whose writes fail leaves its reports unwritten; without a schedule they would
//! wait for the next change or resync (minutes), and with an immediate one a struggling
//! API server would get the same requests again at once. The wait doubles from 1 s to a
//! minute while writes keep failing, never shorter than what the API server asked for
//! (API Priority and Fairness answers 429 with a Retry-After), and starts over after a
//! write succeeds.

use std::time::{Duration, Instant};

/// The first wait after a failure.
pub const FIRST: Duration = Duration::from_secs(1);
/// The longest wait Rampart picks itself.
pub const MAX: Duration = Duration::from_secs(60);
/// The longest wait an API server's Retry-After is honoured for: a larger one is taken as
/// this, so a wrong header cannot stop the writes for long.
pub const MAX_ASKED: Duration = Duration::from_secs(300);

#[derive(Debug, Default)]
pub struct Retry {
    failures: u32,
    due: Option<Instant>,
}

impl Retry {
    /// Notes a failed write at `now` (`asked`: the API server's Retry-After); returns how
    /// long until the next try.
    pub fn failed(&mut self, now: Instant, asked: Option<Duration>) -> Duration {
        let doubling = FIRST.saturating_mul(1 << self.failures.min(16));
        self.failures = self.failures.saturating_add(1);
        let wait = doubling
            .min(MAX)
            .max(asked.unwrap_or_default().min(MAX_ASKED));
        self.due = Some(now + wait);
        wait
    }

    /// A write went through: no retry is due, and the next failure waits the least.
    pub fn succeeded(&mut self) {
        *self = Retry::default();
    }

    /// When the writes left unwritten are tried again; `None` when nothing waits.
    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// How many writes in a row have failed.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_to_a_minute_and_starts_over_after_a_success() {
        let now = Instant::now();
        let mut r = Retry::default();
        assert_eq!(r.due(), None);
        let waits: Vec<u64> = (0..9).map(|_| r.failed(now, None).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(r.due(), Some(now + MAX));
        assert_eq!(r.failures(), 9);
        r.succeeded();
        assert_eq!(r.due(), None);
        assert_eq!(r.failed(now, None), FIRST);
    }

    #[test]
    fn the_api_servers_retry_after_is_honoured_within_bounds() {
        let now = Instant::now();
        let mut r = Retry::default();
        assert_eq!(
            r.failed(now, Some(Duration::from_secs(7))),
            Duration::from_secs(7),
            "longer than the first wait: the server's"
        );
        assert_eq!(
            r.failed(now, Some(Duration::from_secs(1))),
            Duration::from_secs(2),
            "shorter than the doubling: the doubling"
        );
        assert_eq!(
            r.failed(now, Some(Duration::from_secs(86_400))),
            MAX_ASKED,
            "a day is taken as five minutes"
        );
        for _ in 0..100 {
            r.failed(now, None);
        }
        assert_eq!(r.failed(now, None), MAX, "no overflow after many failures");
    }
}
