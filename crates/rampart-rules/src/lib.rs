//! Rampart's rule engine: pure functions from a snapshot of cluster objects to findings.
//!
//! ```text
//! manifests / watches --> Inventory (indexed) --+
//!                                               +--> engine::evaluate --> Evaluation
//! Settings (overrides, exceptions, system) -----+        |                 findings, summary, score
//!                                                        v
//!                                   registry: Rule { id, name, metadata, check }
//! ```
//! No IO, no clients, no async: the CLI and the operator feed the same engine.
//! Rules never fail; odd or missing input becomes a finding or nothing at all.

pub mod apiserver_metrics;
pub mod bootstrap;
pub mod context;
pub mod emit;
pub mod encryption_config;
pub mod encryption_state;
pub mod engine;
pub mod escalation;
pub mod finding;
pub mod inventory;
pub mod kinds;
pub mod manifest;
pub mod object;
pub mod permissions;
pub mod pod_security;
pub mod rbac;
pub mod registry;
pub mod rule;
pub mod rules;
pub mod score;
pub mod selector;
pub mod settings;

pub use context::{Context, Scope};
pub use emit::{Draft, Emitter};
pub use engine::{Evaluation, Summary, evaluate, evaluate_scope};
pub use finding::{Finding, Related};
pub use inventory::Inventory;
pub use kinds::Object;
pub use object::{ObjectRef, Source, Subject};
pub use rule::{Category, Rule, Severity};
pub use settings::Settings;
