//! Prometheus metrics, registered once at start-up and handed to the pipeline.
//!
//! ```text
//! specs (the one table) -> registry (registered at start-up) -> record (each pass)
//!                       -> `rampart docs metrics` (docs/metrics.md)
//! ```
//! Every metric is declared in [`SPECS`]; the registry is built from that table and
//! `docs/metrics.md` is generated from it, so the documentation cannot name a metric the
//! binary does not serve. Labels come from bounded sets only (rule, severity, category,
//! namespace, kind, and the fixed sets of [`label_values`]): never object names or error
//! text.
//!
//! Findings gauges follow the current evaluation: a series whose finding resolved, or
//! whose namespace went away, is removed rather than left at zero, so the number of series
//! tracks what is open now.

mod record;
mod registry;
mod series;
mod specs;
#[cfg(test)]
mod tests;

pub use registry::{Metrics, MetricsError};
pub use specs::{LabelValues, MetricType, SPECS, Spec, label_values};
