//! Full and scoped evaluation of a synthetic cluster: time and memory, printed, never asserted.
//!
//! ```sh
//! cargo bench -p rampart-rules --bench evaluate                          # the issue's size
//! RAMPART_BENCH_SCALE=0.1 cargo bench -p rampart-rules --bench evaluate  # quick run
//! taskset -c 0 cargo bench -p rampart-rules --bench evaluate             # one core
//! ```
//! Other knobs: `RAMPART_BENCH_RUNS` (full evaluations, default 5), `RAMPART_BENCH_NAMESPACES`,
//! `RAMPART_BENCH_PODS_PER_NAMESPACE`, `RAMPART_BENCH_CLUSTER_ROLES`.
//!
//! The engine is single-threaded by construction (no rule or step spawns a thread), so every
//! figure is one core's work; `taskset -c 0` only keeps the scheduler from moving it.
//! Every rule in `registry::rules()` runs, however many there are when this is run.

mod synthetic;

use rampart_rules::{
    Change, Derived, Finding, Inventory, Object, ObjectRef, Related, RoleKey, Rule, Scope,
    Settings, evaluate_scope, registry,
};
use rampart_testkit::bench::{self, Timing, mib, ms, proc_status, show_mib};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::{Duration, Instant};
use synthetic::{Cluster, Sizes};

// The allocator the `rampart` binary ships with, with its options (`.cargo/config.toml`):
// the engine's time and memory as the scanner and the operator have them. Before
// 2026-12-02 this benchmark ran on glibc's malloc; docs/performance.md says which rounds.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A reference's own bytes: its API version, kind and namespace are shared, held once for
/// every reference that names them.
fn ref_bytes(r: &ObjectRef) -> usize {
    r.name.len()
}

/// The bytes one finding holds: its own size and what its fields point at (without the
/// allocator's rounding, so a lower bound).
fn finding_bytes(f: &Finding) -> usize {
    std::mem::size_of::<Finding>()
        + f.message.len()
        + f.path.as_ref().map_or(0, |p| p.len())
        + ref_bytes(&f.resource)
        + f.related
            .iter()
            .map(|r| std::mem::size_of::<Related>() + ref_bytes(&r.object))
            .sum::<usize>()
}

/// Runs `f` `runs` times; returns its timing and the last result.
fn measure<T>(runs: usize, mut f: impl FnMut() -> T) -> (Timing, T) {
    let mut samples = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let out = black_box(f());
        samples.push(t.elapsed());
        last = Some(out);
    }
    let Some(last) = last else {
        unreachable!("measure runs at least once")
    };
    (Timing::of(samples), last)
}

fn row(what: &str, figure: &str, target: &str) {
    println!("  {what:<38} {figure:<44} {target}");
}

fn main() {
    let sizes = Sizes::from_env();
    let runs = bench::runs_from_env();
    let rules = registry::rules();
    let settings = Settings::default();

    // Generate one chunk (the cluster-wide objects, or one namespace) at a time and insert
    // it, so that generating and inserting are timed apart and peak memory is the inventory's.
    let mut inv = Inventory::new();
    let (mut generate, mut insert) = (Duration::ZERO, Duration::ZERO);
    let mut objects = 0usize;
    let mut chunks = Cluster::new(sizes);
    loop {
        let t = Instant::now();
        let Some(chunk) = chunks.next() else { break };
        generate += t.elapsed();
        objects += chunk.len();
        let t = Instant::now();
        for o in chunk {
            inv.insert(o, None);
        }
        insert += t.elapsed();
    }
    let t = Instant::now();
    inv.reindex();
    let first_reindex = t.elapsed();
    let rss_built = mib("VmRSS");

    // Permissions and the escalation graph are built by the first run and kept, as the
    // operator keeps them between passes.
    let mut derived = Derived::default();
    derived.permissions(&inv);
    let rss_permissions = mib("VmRSS");
    derived.escalations(&inv);
    let rss_escalations = mib("VmRSS");
    let (full, findings) = measure(runs, || {
        evaluate_scope(&inv, &derived, &settings, &Scope::All, rules)
            .findings
            .len()
    });

    // What the operator holds between passes: the inventory, the derived caches and one
    // evaluation's findings.
    let kept = evaluate_scope(&inv, &derived, &settings, &Scope::All, rules);
    let rss_kept = mib("VmRSS");
    let finding_heap: usize = kept.findings.iter().map(finding_bytes).sum();
    let per_finding = finding_heap / kept.findings.len().max(1);
    drop(kept);

    // The operator's incremental step: re-evaluate the namespaces a change touched.
    let ns = synthetic::namespace_name(sizes.namespaces / 2);
    let one_ns = Scope::Only {
        namespaces: BTreeSet::from([ns.clone()]),
        cluster: false,
    };
    let (scoped, scoped_findings) = measure(200, || {
        evaluate_scope(&inv, &derived, &settings, &one_ns, rules)
            .findings
            .len()
    });
    // A ClusterRole or ClusterRoleBinding change: the cluster-scoped part only.
    let cluster_only = Scope::Only {
        namespaces: BTreeSet::new(),
        cluster: true,
    };
    let (cluster, cluster_findings) = measure(20, || {
        evaluate_scope(&inv, &derived, &settings, &cluster_only, rules)
            .findings
            .len()
    });

    // What one change costs the operator: apply it to the live inventory (maps and the
    // indexes it touches), then evaluate the scope that returns.
    let pod = inv
        .workloads_in(&ns)
        .find(|w| w.object.kind == "Pod")
        .map(|w| w.object.name.clone())
        .unwrap_or_else(|| panic!("namespace {ns} has no bare pod"));
    let (mut t_apply, mut t_eval, mut pod_scopes, mut pod_cluster) = (vec![], vec![], 0, "");
    for round in 0..runs {
        let changed: Object = synthetic::changed_pod(&ns, &pod, round);
        let t = Instant::now();
        let scope = derived.apply(&mut inv, vec![Change::Upsert(Box::new(changed))]);
        t_apply.push(t.elapsed());
        if let Scope::Only {
            namespaces,
            cluster,
        } = &scope
        {
            pod_scopes = namespaces.len();
            pod_cluster = if *cluster { " + cluster" } else { "" };
        }
        let t = Instant::now();
        black_box(evaluate_scope(&inv, &derived, &settings, &scope, rules));
        t_eval.push(t.elapsed());
    }
    let change_total: Vec<Duration> = (0..runs).map(|i| t_apply[i] + t_eval[i]).collect();
    let (change_apply, change_eval) = (Timing::of(t_apply), Timing::of(t_eval));

    // A ClusterRole change: aggregation is resolved again and every binding to the role
    // (or to a role aggregating it) puts its namespaces in scope.
    let perms = derived.permissions(&inv);
    let mut role = inv
        .cluster_roles()
        .find(|r| {
            perms
                .bindings_to(&RoleKey::ClusterRole(rampart_rules::Shared::new(
                    &r.metadata.name,
                )))
                .next()
                .is_some()
        })
        .cloned()
        .expect("the synthetic cluster binds its ClusterRoles");
    let (mut t_role, mut role_scopes) = (vec![], 0);
    for round in 0..runs {
        let round = round.to_string();
        role.metadata.labels = (role.metadata.labels.iter())
            .filter(|(k, _)| *k != "bench-round")
            .chain([("bench-round", round.as_str())])
            .collect();
        let t = Instant::now();
        let scope = derived.apply(
            &mut inv,
            vec![Change::Upsert(Box::new(Object::ClusterRole(role.clone())))],
        );
        black_box(evaluate_scope(&inv, &derived, &settings, &scope, rules));
        t_role.push(t.elapsed());
        role_scopes = match &scope {
            Scope::Only { namespaces, .. } => namespaces.len(),
            Scope::All => sizes.namespaces,
        };
    }

    // Each rule alone over everything: which rules the full figure is made of.
    let per_rule_runs = runs.min(3);
    let mut per_rule: Vec<(&Rule, Timing, usize)> = rules
        .iter()
        .map(|r| {
            let (t, n) = measure(per_rule_runs, || {
                evaluate_scope(
                    &inv,
                    &derived,
                    &settings,
                    &Scope::All,
                    std::slice::from_ref(r),
                )
                .findings
                .len()
            });
            (r, t, n)
        })
        .collect();
    per_rule.sort_by_key(|r| std::cmp::Reverse(r.1.median));
    let rules_sum: Duration = per_rule.iter().map(|(_, t, _)| t.median).sum();

    let counts = inv.counts();
    let count = |k: &str| counts.get(k).copied().unwrap_or(0);
    let rbac =
        count("Role") + count("RoleBinding") + count("ClusterRole") + count("ClusterRoleBinding");
    let cpus = proc_status("Cpus_allowed_list").unwrap_or_else(|| "n/a".to_owned());
    // The machine's CPUs, not the ones this process may use (`taskset` narrows those).
    let nproc = std::fs::read_to_string("/proc/cpuinfo").map_or(0, |c| {
        c.lines().filter(|l| l.starts_with("processor")).count()
    });

    println!();
    println!(
        "rampart-rules evaluate: {} rules, 1 thread (the engine never spawns); CPUs allowed: {cpus} (of {nproc})",
        rules.len()
    );
    println!(
        "  cluster: {objects} objects = {} namespaces, {rbac} RBAC, {} ServiceAccounts, {} pods, {} NetworkPolicies, \
         {} Deployments, {} ReplicaSets, {} ResourceQuotas, {} LimitRanges, {} Secrets",
        count("Namespace"),
        count("ServiceAccount"),
        count("Pod"),
        count("NetworkPolicy"),
        count("Deployment"),
        count("ReplicaSet"),
        count("ResourceQuota"),
        count("LimitRange"),
        count("Secret"),
    );
    println!();
    row("what", "figure", "target");
    row("generate (benchmark only)", &ms(generate), "");
    row("insert", &ms(insert), "");
    row("reindex", &ms(first_reindex), "");
    row(
        "build inventory (insert + reindex)",
        &ms(insert + first_reindex),
        "",
    );
    row("full evaluation", &full.show(), "<= 1 s on one core");
    row("  findings", &findings.to_string(), "");
    row(
        &format!("one namespace scope ({ns})"),
        &scoped.show(),
        "<= 10 ms",
    );
    row("  findings", &scoped_findings.to_string(), "");
    row("cluster-scoped part only", &cluster.show(), "");
    row("  findings", &cluster_findings.to_string(), "");
    row(
        "one changed pod (total)",
        &Timing::of(change_total).show(),
        "<= 10 ms",
    );
    row("  apply (maps + touched indexes)", &change_apply.show(), "");
    row(
        &format!("  evaluate its scope ({pod_scopes} namespace{pod_cluster})"),
        &change_eval.show(),
        "",
    );
    row(
        &format!("one changed ClusterRole (apply + evaluate cluster + {role_scopes} namespaces)"),
        &Timing::of(t_role).show(),
        "",
    );
    row("RSS after building the inventory", &show_mib(rss_built), "");
    row("  + effective permissions", &show_mib(rss_permissions), "");
    row("  + the escalation graph", &show_mib(rss_escalations), "");
    row(
        "RSS holding inventory + derived caches + one evaluation",
        &show_mib(rss_kept),
        "",
    );
    row(
        "  bytes per object (inventory only)",
        &format!(
            "{}",
            rss_built.map_or(0.0, |m| m * 1024.0 * 1024.0 / objects as f64) as u64
        ),
        "",
    );
    row(
        "  bytes per finding (counted from their fields)",
        &per_finding.to_string(),
        "",
    );
    row("peak RSS (VmHWM)", &show_mib(mib("VmHWM")), "");
    println!();
    println!(
        "  slowest rules, each alone over everything (median of {per_rule_runs}); sum over all {} rules: {}",
        rules.len(),
        ms(rules_sum)
    );
    for (r, t, n) in per_rule.iter().take(10) {
        println!(
            "    {:<10} {:<42} {:>10}  {n} findings",
            r.id,
            r.name,
            ms(t.median)
        );
    }
    let mut silent: Vec<&str> = per_rule
        .iter()
        .filter(|(_, _, n)| *n == 0)
        .map(|(r, _, _)| r.id)
        .collect();
    silent.sort_unstable();
    println!(
        "  rules without a finding on this cluster: {}",
        if silent.is_empty() {
            "none".to_owned()
        } else {
            silent.join(", ")
        }
    );
}
