//! One whole evaluation spread over threads, for a scan that has the machine to itself.
//!
//! ```text
//! parts: the cluster-scoped part, then PART namespaces at a time
//! each thread: takes the next part -> gathers its findings -> sorts them
//! all threads' findings -> merged in order -> the evaluation a single thread gives
//! ```
//! The parts are cut as the operator's full pass cuts them (with smaller parts here): a
//! finding belongs to the part of the namespace of the object it names, or to the
//! cluster-scoped part when its rule judges the whole cluster, so the parts' findings add
//! up to the whole. The analyses every thread reads (effective permissions, the escalation
//! graph) are built once, by whichever thread asks first.

use crate::analysis::derived::Derived;
use crate::engine::evaluate::Evaluation;
use crate::engine::rule::Rule;
use crate::engine::settings::Settings;
use crate::inventory::Inventory;
use crate::model::scope::Scope;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Namespaces per part: small enough that the threads finish together, large enough
/// that the per-part work (a context, the encryption verdict) stays negligible.
const PART: usize = 16;

/// Evaluates `rules` over the whole inventory on `workers` threads: the same evaluation
/// as [`crate::evaluate_rules`] gives, in the same order.
pub fn evaluate_parallel(
    inventory: &Inventory,
    settings: &Settings,
    rules: &'static [Rule],
    workers: usize,
) -> Evaluation {
    let derived = Derived::default();
    let parts = parts(inventory);
    let next = AtomicUsize::new(0);
    let gathered: Vec<(Evaluation, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut eval = Evaluation::default();
                    let mut cluster = false;
                    while let Some(scope) = parts.get(next.fetch_add(1, Ordering::Relaxed)) {
                        cluster |= scope.covers(None);
                        eval.gather(inventory, &derived, settings, scope, rules);
                    }
                    eval.sort();
                    (eval, cluster)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut eval = Evaluation::default();
    // One allocation of the final size: growing by doubling would copy the findings and
    // hold both copies for a moment, at a large cluster's peak.
    eval.findings
        .reserve_exact(gathered.iter().map(|(e, _)| e.findings.len()).sum());
    eval.excepted
        .reserve_exact(gathered.iter().map(|(e, _)| e.excepted.len()).sum());
    for (mut part, cluster) in gathered {
        eval.findings.append(&mut part.findings);
        eval.excepted.append(&mut part.excepted);
        // The encryption verdict reads the whole inventory whatever the scope; a thread
        // that found no part left has none, so the cluster part's thread gives both.
        if cluster {
            eval.encryption = part.encryption;
            eval.control_plane = part.control_plane;
        }
    }
    eval.finish();
    eval
}

/// The cluster-scoped part first (it builds the escalation graph, the longest single
/// step), then every namespace that holds objects, a part at a time.
fn parts(inventory: &Inventory) -> Vec<Scope> {
    let names: Vec<&str> = inventory.namespace_names().collect();
    std::iter::once(Scope::cluster_part())
        .chain(
            names
                .chunks(PART)
                .map(|names| Scope::namespaces_only(names.iter().copied())),
        )
        .collect()
}
