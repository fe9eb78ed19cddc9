//! Rampart's operator: watches cluster state, evaluates the rules, writes reports.
//!
//! `collect` (watches, `apiserver` /metrics) -> Inventory -> `rampart_rules::evaluate`
//! -> `report::build` (pure) -> `apply::Writer` (server-side apply of what changed);
//! `metrics` counts what each step saw and did, for Prometheus.

pub mod apiserver;
pub mod apply;
pub mod collect;
pub mod events;
#[cfg(test)]
mod fixture;
pub mod health;
pub mod metrics;
pub mod report;
pub mod run;
pub mod snapshot;
pub mod watch_state;
pub mod watched;
