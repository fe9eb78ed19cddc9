//! Rampart's operator: watches cluster state, evaluates the rules, writes reports.
//!
//! ```text
//! `watched` (the kinds, listed once)
//!   -> `collect` (watches [API], `apiserver` /metrics [API]) -> Inventory
//!   -> `rampart_rules::evaluate` -> `held` (findings by scope) -> `report::build` (pure)
//!   -> `apply::Writer` (server-side
//!      apply of what changed, `replace` of a report written before [API]) -> `report::Transitions` -> `events` [API], `metrics`
//! ```
//! `open` is the writer's compact memory of the findings open in what it wrote (first-seen
//! times, what resolved). `written` watches the reports themselves, so one that
//! disappears is written again.
//! `run` drives it, one pass per batch of changes; `metrics` counts what each step saw and
//! did, for Prometheus. `snapshot` lists the same kinds once, for one-shot commands.
//! With `--openreports`, `export` writes each report's OpenReports copy beside it
//! (`openreports` says what the copy contains).
//! `access` lists the verbs all of this needs, which the install grants and no more.

pub mod access;
pub mod apiserver;
pub mod apply;
pub mod collect;
pub mod declared;
pub mod events;
pub mod excepting;
pub mod exception_status;
pub mod export;
#[cfg(test)]
mod fixture;
pub mod full;
pub mod health;
pub mod held;
pub mod metrics;
pub mod open;
pub mod openreports;
pub mod placement;
pub mod replace;
pub mod report;
pub mod retry;
pub mod run;
pub mod snapshot;
pub mod watch_state;
pub mod watched;
pub mod written;
