//! What one operator pass costs, step by step, on the synthetic cluster of the engine
//! benchmark: the pure steps of a pass (no API calls), after one pod changed in one
//! namespace. Printed, never asserted. A pass should cost what its change costs, however
//! many findings the rest of the cluster holds.
//!
//! ```sh
//! cargo bench -p rampart-operator --bench pass                          # the issue's size
//! RAMPART_BENCH_SCALE=0.1 cargo bench -p rampart-operator --bench pass  # quick run
//! ```

#[allow(dead_code)]
#[path = "../../rampart-rules/benches/synthetic/mod.rs"]
mod synthetic;

use rampart_operator::apply::remember;
use rampart_operator::held::Held;
use rampart_operator::metrics::Metrics;
use rampart_operator::open::Open;
use rampart_operator::placement::NamespaceFilter;
use rampart_operator::report::{self, Book, Inputs, Rebuild, Transitions};
use rampart_rules::encryption::Assessment;
use rampart_rules::{Change, Derived, Inventory, Settings, Severity, evaluate_scope, registry};
use rampart_testkit::bench::{Timing, mib, show_mib};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::{Duration, Instant};
use synthetic::{Cluster, Sizes};

/// Times one step of a pass.
struct Steps(Vec<(&'static str, Vec<Duration>)>);

impl Steps {
    fn time<T>(&mut self, step: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = black_box(f());
        let elapsed = t.elapsed();
        match self.0.iter_mut().find(|(s, _)| *s == step) {
            Some((_, samples)) => samples.push(elapsed),
            None => self.0.push((step, vec![elapsed])),
        }
        out
    }
}

fn main() {
    let sizes = Sizes::from_env();
    let runs = rampart_testkit::bench::runs_from_env().max(3);
    let rules = registry::rules();
    let settings = Settings::default();
    let mut inv = Inventory::new();
    let mut objects = 0usize;
    for chunk in Cluster::new(sizes) {
        objects += chunk.len();
        for o in chunk {
            inv.insert(o, None);
        }
    }
    inv.reindex();
    let mut derived = Derived::default();
    let filter = NamespaceFilter::default();
    let mut held = Held::new(
        evaluate_scope(&inv, &derived, &settings, &rampart_rules::Scope::All, rules),
        &filter,
    );
    let namespaces: Vec<String> = inv
        .namespaces()
        .map(|n| n.metadata.name.to_string())
        .collect();
    let names: Vec<&str> = namespaces.iter().map(String::as_str).collect();
    let encryption = Assessment::default();
    let metrics = Metrics::new(true).expect("metrics register");
    let build = |held: &Held, open: &Open, rebuild: &Rebuild, book: &mut Book| -> report::Built {
        report::build(
            &Inputs {
                held,
                namespaces: &names,
                filter: &filter,
                encryption: &encryption,
                could_not_evaluate: &[],
                open,
                detail_from: Severity::High,
                accepted: &Default::default(),
                now: "2026-11-30T00:00:00Z",
                version: "bench",
            },
            rebuild,
            book,
        )
    };
    let mut book = Book::default();
    let mut open = Open::new();
    let first = build(&held, &open, &Rebuild::all(), &mut book);
    remember(&mut open, &first.reports);
    let rss_held = mib("VmRSS");

    let ns = synthetic::namespace_name(sizes.namespaces / 2);
    let pod = inv
        .workloads_in(&ns)
        .find(|w| w.object.kind == "Pod")
        .map(|w| w.object.name.clone())
        .unwrap_or_else(|| panic!("namespace {ns} has no bare pod"));
    let mut steps = Steps(Vec::new());
    let mut totals = Vec::new();
    for round in 0..runs {
        let started = Instant::now();
        let changed = synthetic::changed_pod(&ns, &pod, round);
        let scope = steps.time("apply the change to the inventory", || {
            derived.apply(&mut inv, vec![Change::Upsert(Box::new(changed))])
        });
        let fresh = steps.time("evaluate the scope", || {
            evaluate_scope(&inv, &derived, &settings, &scope, rules)
        });
        let replaced = steps.time("replace the scope's findings", || {
            held.replace(&scope, fresh, &filter)
        });
        let rebuild = Rebuild::of(&replaced, &BTreeSet::new());
        // Building includes each report's JSON and content hash, the writer's check.
        let built = steps.time("build reports and posture", || {
            build(&held, &open, &rebuild, &mut book)
        });
        let transitions_len = steps.time("transitions", || {
            let t = Transitions::between(&open, &built.reports);
            t.detected.len() + t.resolved.len()
        });
        black_box(transitions_len);
        steps.time("metrics", || {
            metrics.record_findings(&built.posture, &built.reports)
        });
        steps.time("remember open findings", || {
            remember(&mut open, &built.reports)
        });
        totals.push(started.elapsed());
    }

    println!();
    println!(
        "rampart-operator pass: {objects} objects, {} namespaces, {} findings; one pod changed in one namespace, {runs} runs",
        namespaces.len(),
        held.len()
    );
    println!(
        "  held (inventory, caches, evaluation, open findings): RSS {}",
        show_mib(rss_held)
    );
    println!("  {:<40} median / p95 / max", "step");
    for (step, samples) in steps.0 {
        println!("  {step:<40} {}", Timing::of(samples).show());
    }
    println!(
        "  {:<40} {}",
        "whole pass (pure steps)",
        Timing::of(totals).show()
    );
    println!("  peak RSS {}", show_mib(mib("VmHWM")));
}
