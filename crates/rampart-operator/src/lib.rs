//! Rampart's operator: watches cluster state, evaluates the rules, writes reports.
//!
//! `collect` (watches) -> `Stores::snapshot` (Inventory) -> `rampart_rules::evaluate`
//! -> `report::build` (pure) -> `apply::Writer` (server-side apply of what changed).

pub mod apply;
pub mod collect;
pub mod events;
pub mod health;
pub mod report;
pub mod run;
pub mod snapshot;
pub mod watch_state;
