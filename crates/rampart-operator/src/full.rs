//! A full pass, evaluated and built a few namespaces at a time (pure).
//!
//! ```text
//! cluster-scoped part -> Held
//! for each part of PART namespaces: evaluate -> replace into Held -> build their reports
//!                                   -> release their findings
//! the cluster's report and totals, from what every part left
//! ```
//! The result is the full evaluation's (a test holds the two equal), but the findings of
//! a whole large cluster (a quarter of a million at 100k objects) are never held at once:
//! they set the operator's peak memory, and the pages they left partly used much of its
//! steady memory.

use crate::held::Held;
use crate::report::{Book, Builder, Built, Inputs, Rebuild};
use rampart_rules::{Derived, Inventory, Scope, Settings, evaluate_scope, registry};
use std::time::{Duration, Instant};

/// How many namespaces a full pass evaluates and builds at a time: enough that the rules'
/// work per evaluation is spread thin, few enough that one part's findings are a small
/// fraction of a large cluster's.
pub const PART: usize = 32;

/// What a full pass leaves.
#[derive(Debug)]
pub struct FullPass {
    /// Every namespace's findings released, as after any pass.
    pub held: Held,
    pub built: Built,
    /// The time spent evaluating (the rest was building).
    pub evaluating: Duration,
}

/// Evaluates everything in `inventory` and builds every report, `part` namespaces at a
/// time. `template` says everything a report says but the findings and the encryption
/// verdict, which come from this evaluation (its `held` and `encryption` are not read).
pub fn evaluate_and_build(
    inventory: &Inventory,
    derived: &Derived,
    settings: &Settings,
    template: &Inputs<'_>,
    part: usize,
    book: &mut Book,
) -> FullPass {
    let rules = registry::rules();
    let filter = template.filter;
    let started = Instant::now();
    let cluster_part = Scope::cluster_part();
    let mut held = Held::new(
        evaluate_scope(inventory, derived, settings, &cluster_part, rules),
        filter,
    );
    let mut evaluating = started.elapsed();
    let encryption = held.encryption.clone();
    let rebuild = Rebuild::all();
    let mut builder = Builder::start(&template.with(&held, &encryption), &rebuild, book);
    // Every namespace that holds objects, not only those with a Namespace object: each
    // finding must land in a part.
    let namespaces: Vec<&str> = inventory.namespace_names().collect();
    for names in namespaces.chunks(part.max(1)) {
        let scope = Scope::namespaces_only(names.iter().copied());
        let t = Instant::now();
        let fresh = evaluate_scope(inventory, derived, settings, &scope, rules);
        held.replace(&scope, fresh, filter);
        evaluating += t.elapsed();
        let inputs = template.with(&held, &encryption);
        for ns in names {
            if builder.reports(ns) {
                builder.namespace(&inputs, ns, book);
            }
        }
        held.release();
    }
    let built = builder.finish(&template.with(&held, &encryption), &rebuild, book);
    FullPass {
        held,
        built,
        evaluating,
    }
}

#[cfg(test)]
mod tests;
