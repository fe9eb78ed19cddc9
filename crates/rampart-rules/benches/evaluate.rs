//! Full and scoped evaluation of a synthetic cluster, with time and memory.
//!
//! `cargo bench -p rampart-rules --bench evaluate` (RAMPART_BENCH_SCALE=0.1 for a quick run).
//! Default size: 1,000 namespaces, ~20,000 RBAC objects, 10,000 ServiceAccounts,
//! 60,000 pods, 3,000 NetworkPolicies. Single-threaded: the engine uses one core.

use rampart_rules::kinds::{Decoded, Object, decode};
use rampart_rules::{Inventory, Scope, Settings, evaluate, evaluate_scope, registry};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// xorshift64*: deterministic, so every run judges the same cluster.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn object(v: Value) -> Object {
    match decode(v) {
        Ok(Decoded::Object(o)) => *o,
        other => panic!("generator produced an unreadable object: {other:?}"),
    }
}

const APPS: [&str; 6] = ["web", "api", "worker", "cache", "batch", "gateway"];

fn rbac(ns: &str, i: usize, rng: &mut Rng, out: &mut Vec<Object>) {
    let rules = match rng.below(6) {
        0 => json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]),
        1 => json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
        2 => json!([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
        _ => {
            json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]},
                    {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}])
        }
    };
    out.push(object(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": format!("role-{i}"), "namespace": ns}, "rules": rules}),
    ));
    let builtin = ["edit", "view", "admin"][rng.below(3) as usize];
    let role_ref = match rng.below(4) {
        0 => {
            json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": builtin})
        }
        _ => {
            json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("role-{i}")})
        }
    };
    let subject = match rng.below(3) {
        0 => {
            json!({"kind": "User", "name": format!("user-{}", rng.below(500)), "apiGroup": "rbac.authorization.k8s.io"})
        }
        1 => {
            json!({"kind": "Group", "name": format!("team-{}", rng.below(50)), "apiGroup": "rbac.authorization.k8s.io"})
        }
        _ => {
            json!({"kind": "ServiceAccount", "name": format!("sa-{}", rng.below(10)), "namespace": ns})
        }
    };
    out.push(object(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": format!("binding-{i}"), "namespace": ns}, "roleRef": role_ref, "subjects": [subject]})));
}

fn pod_spec(sa: &str) -> Value {
    json!({"serviceAccountName": sa, "containers": [{"name": "app", "image": "registry.example/app:1.0"}]})
}

fn namespace(n: usize, scale: f64, rng: &mut Rng, out: &mut Vec<Object>) {
    let ns = format!("ns-{n:04}");
    let psa = ["restricted", "baseline", "privileged", ""][rng.below(4) as usize];
    let labels = if psa.is_empty() {
        json!({})
    } else {
        json!({"pod-security.kubernetes.io/enforce": psa})
    };
    out.push(object(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})));
    let per = |x: f64| ((x * scale).round() as usize).max(1);
    for s in 0..per(10.0).min(10) {
        let automount = if s == 0 && rng.below(2) == 0 {
            json!(false)
        } else {
            Value::Null
        };
        out.push(object(json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": if s == 0 { "default".to_owned() } else { format!("sa-{s}") }, "namespace": ns},
            "automountServiceAccountToken": automount})));
    }
    for i in 0..per(10.0) {
        rbac(&ns, i, rng, out);
    }
    // 60 pods: 4 Deployments of 3 replicas through a ReplicaSet each, and 48 bare pods.
    for d in 0..4 {
        let app = APPS[(d + n) % APPS.len()];
        let labels = json!({"app": app, "tier": if d % 2 == 0 { "front" } else { "back" }});
        let template = json!({"metadata": {"labels": labels}, "spec": pod_spec("sa-1")});
        out.push(object(
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": format!("{app}-{d}"), "namespace": ns},
            "spec": {"selector": {"matchLabels": labels}, "template": template}}),
        ));
        out.push(object(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": format!("{app}-{d}-rs"), "namespace": ns, "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "Deployment", "name": format!("{app}-{d}"), "uid": "u", "controller": true}]},
            "spec": {"selector": {"matchLabels": labels}, "template": template}})));
        for r in 0..3 {
            out.push(object(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("{app}-{d}-rs-{r}"), "namespace": ns, "labels": labels, "ownerReferences": [
                    {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-{d}-rs"), "uid": "u", "controller": true}]},
                "spec": pod_spec("sa-1")})));
        }
    }
    for p in 0..per(48.0) {
        let app = APPS[rng.below(APPS.len() as u64) as usize];
        out.push(object(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("pod-{p}"), "namespace": ns, "labels": {"app": app, "instance": format!("i{}", p % 7)}},
            "spec": pod_spec(&format!("sa-{}", rng.below(10)))})));
    }
    let policies = [
        json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
        json!({"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}),
        json!({"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}]},
               "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}),
    ];
    for (i, spec) in policies.into_iter().enumerate().take(per(3.0)) {
        out.push(object(
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": format!("np-{i}"), "namespace": ns}, "spec": spec}),
        ));
    }
    if rng.below(2) == 0 {
        out.push(object(json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "quota", "namespace": ns},
            "spec": {"hard": {"pods": "100"}}})));
    }
    if rng.below(3) == 0 {
        out.push(object(json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
            "metadata": {"name": "legacy-token", "namespace": ns, "annotations": {"kubernetes.io/service-account.name": "sa-1"}}})));
    }
}

fn generate(scale: f64) -> Vec<Object> {
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let mut out = Vec::new();
    let namespaces = ((1000.0 * scale).round() as usize).max(1);
    for n in 0..namespaces {
        namespace(n, 1.0, &mut rng, &mut out);
    }
    for c in 0..((250.0 * scale).round() as usize).max(1) {
        let labels = if c % 25 == 0 {
            json!({"rbac.authorization.k8s.io/aggregate-to-view": "true"})
        } else {
            json!({})
        };
        out.push(object(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": format!("cr-{c}"), "labels": labels},
            "rules": [{"apiGroups": ["example.com"], "resources": [format!("widgets{c}")], "verbs": ["get", "list"]}]})));
        out.push(object(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("crb-{c}")},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": format!("cr-{c}")},
            "subjects": [{"kind": "Group", "name": format!("team-{}", c % 50), "apiGroup": "rbac.authorization.k8s.io"}]})));
    }
    out
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let scale: f64 = std::env::var("RAMPART_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let t = Instant::now();
    let objects = generate(scale);
    let generated = t.elapsed();
    let count = objects.len();

    let t = Instant::now();
    let mut inv = Inventory::new();
    for o in objects {
        inv.insert(o, None);
    }
    inv.reindex();
    let built = t.elapsed();
    let rss_built = status_kib("VmRSS:");

    let settings = Settings::default();
    let mut full = Vec::new();
    let mut findings = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let e = evaluate(&inv, &settings);
        full.push(t.elapsed());
        findings = e.findings.len();
    }

    let scope = Scope::Only {
        namespaces: BTreeSet::from(["ns-0007".to_owned()]),
        cluster: false,
    };
    let mut scoped = Vec::new();
    let mut scoped_findings = 0;
    for _ in 0..50 {
        let t = Instant::now();
        let e = evaluate_scope(&inv, &settings, &scope, registry::rules());
        scoped.push(t.elapsed());
        scoped_findings = e.findings.len();
    }

    let mut reindex = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        inv.reindex();
        reindex.push(t.elapsed());
    }

    let counts = inv.counts();
    let rbac: usize = ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]
        .iter()
        .filter_map(|k| counts.get(*k))
        .sum();
    println!(
        "rampart-rules evaluation benchmark (scale {scale}, single thread, {} rules)",
        registry::rules().len()
    );
    println!(
        "  objects               {count} ({} namespaces, {rbac} RBAC, {} ServiceAccounts, {} pods, {} NetworkPolicies)",
        counts.get("Namespace").unwrap_or(&0),
        counts.get("ServiceAccount").unwrap_or(&0),
        counts.get("Pod").unwrap_or(&0),
        counts.get("NetworkPolicy").unwrap_or(&0)
    );
    println!("  generate              {}", ms(generated));
    println!("  build inventory       {}  (insert + reindex)", ms(built));
    println!(
        "  full evaluation       {}  (median of 5; {findings} findings)",
        ms(median(full))
    );
    println!(
        "  one namespace scope   {}  (median of 50; {scoped_findings} findings)",
        ms(median(scoped))
    );
    println!(
        "  reindex               {}  (median of 3)",
        ms(median(reindex))
    );
    if let (Some(rss), Some(peak)) = (rss_built, status_kib("VmHWM:")) {
        println!("  RSS after build       {:.1} MiB", rss as f64 / 1024.0);
        println!("  peak RSS              {:.1} MiB", peak as f64 / 1024.0);
    }
}
