//! Effective permissions and escalation paths on the synthetic cluster (20,500 RBAC objects
//! at the default size): time and memory, printed, never asserted.
//!
//! ```sh
//! cargo bench -p rampart-rules --bench rbac                          # the issue's size
//! RAMPART_BENCH_SCALE=0.1 cargo bench -p rampart-rules --bench rbac  # quick run
//! ```
//! Same knobs as the `evaluate` benchmark (`RAMPART_BENCH_SCALE`, `RAMPART_BENCH_RUNS`, ...).

// Shared with the evaluate benchmark, which uses all of it.
#[allow(dead_code)]
mod synthetic;

use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rampart_rules::rbac::ResourceRequest;
use rampart_rules::rbac::{Escalations, Limits};
use rampart_rules::rbac::{Permissions, RbacObject, UserInfo};
use rampart_rules::{Inventory, ObjectRef};
use rampart_testkit::bench::{self, Timing, mib, ms, show_mib};
use std::hint::black_box;
use std::time::Instant;
use synthetic::{Cluster, Sizes};

fn row(what: &str, figure: &str) {
    println!("  {what:<44} {figure}");
}

fn binding(ns: &str, round: usize) -> RoleBinding {
    RoleBinding {
        metadata: ObjectMeta {
            namespace: Some(ns.to_owned()),
            name: Some("bench-change".to_owned()),
            ..ObjectMeta::default()
        },
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: if round.is_multiple_of(2) {
                "edit"
            } else {
                "view"
            }
            .into(),
        },
        subjects: Some(vec![Subject {
            kind: "User".into(),
            name: format!("bench-user-{round}"),
            ..Subject::default()
        }]),
    }
}

fn main() {
    let sizes = Sizes::from_env();
    let runs = bench::runs_from_env();
    let mut inv = Inventory::new();
    for chunk in Cluster::new(sizes) {
        for o in chunk {
            inv.insert(o, None);
        }
    }
    inv.reindex();
    let counts = inv.counts();
    let count = |k: &str| counts.get(k).copied().unwrap_or(0);
    let rbac =
        count("Role") + count("RoleBinding") + count("ClusterRole") + count("ClusterRoleBinding");
    let rss_inventory = mib("VmRSS");

    // Full build of effective permissions.
    let mut builds = Vec::new();
    let mut perms = Permissions::new();
    for _ in 0..runs {
        let t = Instant::now();
        perms = black_box(Permissions::from_inventory(&inv));
        builds.push(t.elapsed());
    }
    let rss_perms = mib("VmRSS");

    // Incremental: one RoleBinding added/changed, one ClusterRole changed, one removed.
    let ns = synthetic::namespace_name(sizes.namespaces / 2);
    let mut upserts = Vec::new();
    for round in 0..200 {
        let b = rampart_rules::rbac::RoleBinding::from(binding(&ns, round));
        let t = Instant::now();
        perms.upsert(RbacObject::RoleBinding(&b));
        upserts.push(t.elapsed());
    }
    let edit = rampart_rules::bootstrap::policy()
        .cluster_roles
        .get("view")
        .cloned();
    let mut role_changes = Vec::new();
    if let Some(mut view) = edit {
        for round in 0..50 {
            let round = round.to_string();
            view.metadata.labels = (view.metadata.labels.iter())
                .filter(|(k, _)| *k != "bench")
                .chain([("bench", round.as_str())])
                .collect();
            let t = Instant::now();
            perms.upsert(RbacObject::ClusterRole(&view));
            role_changes.push(t.elapsed());
        }
    }
    let t = Instant::now();
    perms.remove(&ObjectRef::new(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        Some(&ns),
        "bench-change",
    ));
    let removal = t.elapsed();

    // Questions.
    let sa = UserInfo::service_account(&ns, "sa-1");
    let read = ResourceRequest {
        verb: "get",
        resource: "secrets",
        namespace: &ns,
        name: "x",
        ..ResourceRequest::default()
    };
    let mut asks = Vec::new();
    let mut allowed = 0usize;
    for _ in 0..1000 {
        let t = Instant::now();
        allowed += usize::from(perms.allowed(&sa, &read));
        asks.push(t.elapsed());
    }
    let mut who = Vec::new();
    let mut who_n = 0;
    for _ in 0..20 {
        let t = Instant::now();
        who_n = perms.who_can(&read).len();
        who.push(t.elapsed());
    }

    // The escalation graph and every subject's shortest path to cluster-admin.
    let perms = Permissions::from_inventory(&inv);
    let mut graph = Vec::new();
    let mut esc = Escalations::default();
    for _ in 0..runs.min(3) {
        let t = Instant::now();
        esc = Escalations::build(&inv, &perms, Limits::default());
        graph.push(t.elapsed());
    }
    let t = Instant::now();
    let subjects: Vec<_> = esc.subjects().cloned().collect();
    let mut to_admin = 0;
    let mut reachable = 0;
    for s in &subjects {
        if esc.path_to_cluster_admin(s).is_some() {
            to_admin += 1;
        }
        reachable += esc.reachable(s, 64).0.len();
    }
    let paths = t.elapsed();
    let rss_graph = mib("VmRSS");

    println!();
    println!(
        "rampart-rules rbac: {rbac} RBAC objects ({} Roles, {} RoleBindings, {} ClusterRoles, {} ClusterRoleBindings), \
         {} ServiceAccounts, {} Secrets, {} pods; 1 thread",
        count("Role"),
        count("RoleBinding"),
        count("ClusterRole"),
        count("ClusterRoleBinding"),
        count("ServiceAccount"),
        count("Secret"),
        count("Pod"),
    );
    println!();
    row(
        "effective permissions, full build",
        &Timing::of(builds).show(),
    );
    row("  bindings indexed", &perms.binding_count().to_string());
    row("  subjects", &perms.subjects().count().to_string());
    row(
        "incremental: upsert one RoleBinding",
        &Timing::of(upserts).show(),
    );
    row(
        "incremental: relabel ClusterRole view",
        &Timing::of(role_changes).show(),
    );
    row("incremental: remove one RoleBinding", &ms(removal));
    row("allowed() for one ServiceAccount", &Timing::of(asks).show());
    row("  allowed", &format!("{allowed} of 1000"));
    row(
        "who_can(get secrets in one namespace)",
        &Timing::of(who).show(),
    );
    row("  bindings that allow it", &who_n.to_string());
    row("escalation graph build", &Timing::of(graph).show());
    row("  authorizer checks", &esc.checks().to_string());
    row("  edges", &esc.edge_count().to_string());
    row("  work bound hit", &esc.truncated.to_string());
    row(
        &format!("shortest paths for all {} subjects", subjects.len()),
        &ms(paths),
    );
    row(
        "  subjects with a path to cluster-admin",
        &to_admin.to_string(),
    );
    row(
        "  (subject, reachable identity) pairs",
        &reachable.to_string(),
    );
    row("RSS: inventory", &show_mib(rss_inventory));
    row("RSS: + effective permissions", &show_mib(rss_perms));
    row("RSS: + escalation graph", &show_mib(rss_graph));
    row("peak RSS (VmHWM)", &show_mib(mib("VmHWM")));
}
