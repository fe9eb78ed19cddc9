//! Helpers that Rampart's tests, benchmarks and end-to-end tests share, written once.
//!
//! - [`Rng`]: the one seeded generator (splitmix64) behind every randomised test and the
//!   synthetic benchmark cluster; [`seed_from_env`] picks a run's seed.
//! - [`yaml`]: YAML text in, JSON documents or an [`Inventory`](rampart_rules::Inventory) out.
//! - [`repo`]: files of the repository (manifests, docs) by their path from its root.
//! - [`bench`]: timings and memory figures the benchmarks print.
//!
//! A dev-dependency only, and free of kube, tokio and hyper, so that depending on it never
//! makes the engine look impure.

pub mod bench;
pub mod repo;
mod rng;
pub mod yaml;

pub use rng::{Rng, seed_from_env};
