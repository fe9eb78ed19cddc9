//! What the inventory holds per object of each kind, on the synthetic cluster of the
//! `evaluate` benchmark: printed, never asserted.
//!
//! ```sh
//! cargo bench -p rampart-rules --bench kinds                          # about 100k objects
//! RAMPART_BENCH_SCALE=0.1 cargo bench -p rampart-rules --bench kinds  # quick run
//! ```
//! jemalloc's statistics tell the bytes live at each step. The whole cluster is loaded into
//! one inventory, as the operator holds it; then each kind's objects are removed in turn
//! and the bytes that freed are that kind's: its objects, their map and index entries, and
//! what only they referred to. Strings and values shared with kinds still held (a namespace's
//! name, an interned rule list) stay counted with those; the shared string pool frees what
//! nothing holds only when it next sweeps, so a little of one kind's strings can show up
//! under a later one.

// Shared with the evaluate benchmark, which uses all of it.
#[allow(dead_code)]
mod synthetic;

use rampart_rules::{Inventory, KINDS, ObjectRef, reference_of};
use std::collections::BTreeMap;
use synthetic::{Cluster, Sizes};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Bytes allocated and not yet freed, as jemalloc's statistics count them.
fn live() -> isize {
    // The statistics are a snapshot taken when the epoch advances.
    let read = tikv_jemalloc_ctl::epoch::advance()
        .and_then(|_| tikv_jemalloc_ctl::stats::allocated::read());
    read.map_or(0, |b| b as isize)
}

/// jemalloc's options for this run: no thread cache, whose frees reach the statistics
/// only when it is flushed.
const MALLOC_CONF: &str = "tcache:false";

fn main() {
    // The options are read when the allocator starts: a run without them starts again
    // with them.
    if std::env::var_os("_RJEM_MALLOC_CONF").is_none() {
        let again = std::env::current_exe().and_then(|exe| {
            std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env("_RJEM_MALLOC_CONF", MALLOC_CONF)
                .status()
        });
        match again {
            Ok(status) => std::process::exit(status.code().unwrap_or(1)),
            Err(e) => panic!("cannot run the benchmark again with {MALLOC_CONF}: {e}"),
        }
    }
    let sizes = Sizes::from_env();
    let mut refs: BTreeMap<&'static str, Vec<ObjectRef>> = BTreeMap::new();
    let before = live();
    let mut inv = Inventory::new();
    for chunk in Cluster::new(sizes) {
        for o in chunk {
            if let Some(r) = reference_of(&o) {
                refs.entry(o.kind()).or_default().push(r);
            }
            inv.insert(o, None);
        }
    }
    inv.reindex();
    let refs_bytes: isize = refs
        .values()
        .flatten()
        .map(|r| (size_of::<ObjectRef>() + r.name.len()) as isize)
        .sum();
    let objects: usize = refs.values().map(Vec::len).sum();
    let held = live() - before - refs_bytes;

    println!();
    println!("rampart-rules kinds: bytes the inventory holds per object, by kind");
    println!(
        "  whole inventory: {objects} objects, {:.1} MiB, {} bytes per object (the benchmark's own list of references left out)",
        held as f64 / (1024.0 * 1024.0),
        held / objects.max(1) as isize
    );
    println!();
    println!(
        "  {:<24} {:>8} {:>12} {:>10}",
        "kind", "objects", "bytes", "per object"
    );
    let mut accounted = 0;
    // Pods and their controllers first: they are most of the objects and refer to the
    // namespaces and ServiceAccounts, not the other way round.
    for info in KINDS.iter().rev() {
        let Some(of_kind) = refs.remove(info.kind) else {
            continue;
        };
        let start = live();
        let removed = of_kind.iter().filter(|r| inv.remove(r)).count();
        let freed = start - live();
        assert_eq!(removed, of_kind.len(), "every {} is held", info.kind);
        accounted += freed;
        println!(
            "  {:<24} {:>8} {:>12} {:>10}",
            info.kind,
            of_kind.len(),
            freed,
            freed / of_kind.len().max(1) as isize
        );
    }
    println!(
        "  {:<24} {:>8} {:>12}",
        "left (empty maps, pool)",
        "",
        held - accounted
    );
}
