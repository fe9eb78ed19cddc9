//! The operator's incremental step must agree with a full evaluation: after any batch of
//! changes, applying the batch to a live inventory, evaluating the scope it returns and
//! merging that into the previous evaluation gives exactly the findings of evaluating a
//! freshly built inventory. Changes are random (seeded, printed) edits of real manifests:
//! every fixture and the demo cluster. The scan's evaluation on several threads, a few
//! namespaces at a time each, must give the full evaluation too.

use rampart_rules::{
    Change, Decoded, Derived, Evaluation, Finding, Inventory, Object, ObjectRef, Scope, Settings,
    decode, evaluate, evaluate_parallel, evaluate_scope, registry,
};
use rampart_testkit::{Rng, yaml};
use serde_json::Value;
use std::collections::BTreeMap;

/// Every document of the fixtures and the demo that decodes to an object with a name.
fn corpus() -> Vec<Value> {
    let mut docs = Vec::new();
    for f in rampart_testkit::repo::manifest_corpus() {
        let text = std::fs::read_to_string(&f).expect("fixture is readable");
        docs.extend(
            yaml::documents(&text)
                .into_iter()
                .filter(|v| object_of(v).is_some()),
        );
    }
    assert!(docs.len() > 200, "corpus too small: {}", docs.len());
    docs
}

fn object_of(v: &Value) -> Option<(Object, ObjectRef)> {
    match decode(v.clone()) {
        Ok(Decoded::Object(o)) => {
            let r = rampart_rules::reference_of(&o)?;
            Some((*o, r))
        }
        _ => None,
    }
}

/// Strings the corpus uses, so edits produce meaningful values (role names, label values,
/// verbs, namespaces) rather than noise.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() < 64 => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Paths to every node below the top level, except those that would rename the object.
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let children: Vec<(String, &Value)> = match v {
        Value::Object(m) => m.iter().map(|(k, x)| (k.clone(), x)).collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| (i.to_string(), x))
            .collect(),
        _ => return,
    };
    for (k, child) in children {
        prefix.push(k);
        let identity = matches!(
            prefix
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
            ["kind"] | ["apiVersion"] | ["metadata", "name"] | ["metadata", "namespace"]
        );
        if !identity {
            out.push(prefix.clone());
            paths(child, prefix, out);
        }
        prefix.pop();
    }
}

fn node_mut<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |node, k| match node {
        Value::Object(m) => m.get_mut(k),
        Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
        _ => None,
    })
}

/// One random edit of a document: delete a node, replace a string, or duplicate an element.
fn edit(v: &mut Value, rng: &mut Rng, pool: &[String]) {
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return;
    }
    let path = rng.pick(&all).clone();
    let (last, parent_path) = path.split_last().expect("paths are never empty");
    let Some(parent) = node_mut(v, parent_path) else {
        return;
    };
    match (rng.below(3), parent) {
        (0, Value::Object(m)) => {
            m.remove(last);
        }
        (0, Value::Array(a)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < a.len()
            {
                a.remove(i);
            }
        }
        (1, parent) => {
            if let Some(node) = node_mut(parent, std::slice::from_ref(last))
                && node.is_string()
            {
                *node = Value::String(rng.pick(pool).clone());
            }
        }
        (_, Value::Array(a)) => {
            if let Ok(i) = last.parse::<usize>()
                && let Some(x) = a.get(i).cloned()
            {
                a.push(x);
            }
        }
        _ => {}
    }
}

/// Moves a namespaced document to another namespace, subjects and all.
fn relocate(v: &mut Value, ns: &str) {
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut)
        && m.contains_key("namespace")
    {
        m.insert("namespace".into(), Value::String(ns.to_owned()));
    }
}

fn describe(f: &Finding) -> String {
    format!(
        "{} {:?} {} {}/{} {:?} {} related {:?}",
        f.rule_id(),
        f.severity,
        f.resource.kind,
        f.resource.namespace.as_deref().unwrap_or("-"),
        f.resource.name,
        f.path,
        f.message,
        f.related
    )
}

fn diff(merged: &Evaluation, full: &Evaluation) -> String {
    let a: Vec<String> = merged.findings.iter().map(describe).collect();
    let b: Vec<String> = full.findings.iter().map(describe).collect();
    let missing: Vec<&String> = b.iter().filter(|x| !a.contains(x)).collect();
    let extra: Vec<&String> = a.iter().filter(|x| !b.contains(x)).collect();
    format!(
        "missing from incremental: {missing:#?}\nextra in incremental: {extra:#?}\n\
         ({} findings incremental, {} full)",
        a.len(),
        b.len()
    )
}

fn assert_parallel_is_full(parallel: &Evaluation, full: &Evaluation, seed: u64, step: usize) {
    assert!(
        (
            &parallel.findings,
            &parallel.excepted,
            &parallel.summary,
            parallel.score
        ) == (&full.findings, &full.excepted, &full.summary, full.score),
        "seed {seed}, step {step}: the parallel evaluation differs from a full one\n{}",
        diff(parallel, full)
    );
    assert_eq!(
        (&parallel.encryption, &parallel.control_plane),
        (&full.encryption, &full.control_plane),
        "seed {seed}, step {step}: the parallel evaluation's verdicts"
    );
}

fn run(seed: u64, steps: usize) {
    let docs = corpus();
    let mut pool = Vec::new();
    docs.iter().for_each(|d| strings(d, &mut pool));
    let namespaces: Vec<String> = docs
        .iter()
        .filter_map(|d| {
            d.pointer("/metadata/namespace")?
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let settings = Settings::default();
    let rules = registry::rules();
    let mut rng = Rng::new(seed);

    // The state as the API server would hold it, by reference.
    let mut truth: BTreeMap<ObjectRef, Value> = BTreeMap::new();
    for d in &docs {
        if rng.below(2) == 0
            && let Some((_, r)) = object_of(d)
        {
            truth.insert(r, d.clone());
        }
    }
    let build = |truth: &BTreeMap<ObjectRef, Value>| {
        Inventory::from_objects(truth.values().filter_map(|v| object_of(v).map(|(o, _)| o)))
    };
    let mut live = build(&truth);
    // The analyses the operator keeps between passes, built by the first evaluation.
    let mut derived = Derived::default();
    let mut merged = evaluate_scope(&live, &derived, &settings, &Scope::All, rules);
    let mut partial_scopes = 0;
    let mut without_cluster = 0;

    for step in 0..steps {
        let mut changes = Vec::new();
        let mut log = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let keys: Vec<ObjectRef> = truth.keys().cloned().collect();
            match rng.below(3) {
                0 if !keys.is_empty() => {
                    let r = rng.pick(&keys).clone();
                    truth.remove(&r);
                    log.push(format!("delete {r:?}"));
                    changes.push(Change::Delete(r));
                }
                1 => {
                    let mut v = rng.pick(&docs).clone();
                    if rng.below(2) == 0 && !namespaces.is_empty() {
                        let ns = rng.pick(&namespaces).clone();
                        relocate(&mut v, &ns);
                    }
                    if let Some((o, r)) = object_of(&v) {
                        log.push(format!("create {r:?}"));
                        truth.insert(r, v);
                        changes.push(Change::Upsert(Box::new(o)));
                    }
                }
                _ if !keys.is_empty() => {
                    let r = rng.pick(&keys).clone();
                    let mut v = truth[&r].clone();
                    edit(&mut v, &mut rng, &pool);
                    // An edit the API server would reject leaves the object as it was.
                    if let Some((o, r2)) = object_of(&v) {
                        assert_eq!(r, r2, "edits keep the identity");
                        log.push(format!("edit {r:?}: {v}"));
                        truth.insert(r, v);
                        changes.push(Change::Upsert(Box::new(o)));
                    }
                }
                _ => {}
            }
        }
        let scope = derived.apply(&mut live, changes);
        if scope != Scope::All {
            partial_scopes += 1;
        }
        if matches!(scope, Scope::Only { cluster: false, .. }) {
            without_cluster += 1;
        }
        merged.merge(
            &scope,
            evaluate_scope(&live, &derived, &settings, &scope, rules),
        );
        let built = build(&truth);
        let full = evaluate(&built, &settings);
        // Every fourth step: a full evaluation more per step would double the test's time.
        if step % 4 == 0 {
            assert_parallel_is_full(
                &evaluate_parallel(&built, &settings, rules, 3),
                &full,
                seed,
                step,
            );
        }
        assert!(
            merged.findings == full.findings,
            "seed {seed}, step {step}: incremental evaluation differs from a full one\n\
             changes:\n{}\nscope: {scope:?}\n{}",
            log.join("\n"),
            diff(&merged, &full)
        );
        // The verdicts reports and metrics show are carried through merges, whatever the
        // scope: a batch that skips the cluster part must not leave a stale one.
        assert_eq!(
            (&merged.encryption, &merged.control_plane),
            (&full.encryption, &full.control_plane),
            "seed {seed}, step {step}: verdicts after\n{}",
            log.join("\n")
        );
        assert!(
            live.index_is_consistent(),
            "seed {seed}, step {step}: indexes differ from a rebuild after\n{}",
            log.join("\n")
        );
    }
    // Most batches must stay partial, or the test would prove nothing about scoping.
    assert!(
        partial_scopes * 2 > steps,
        "only {partial_scopes} of {steps} batches had a partial scope"
    );
    assert!(
        without_cluster > 0,
        "no batch skipped the cluster-scoped part, so skipping it went untested"
    );
    println!(
        "seed {seed}: {steps} batches agreed, {partial_scopes} evaluated a partial scope, \
         {without_cluster} of them without the cluster-scoped part"
    );
}

#[test]
fn incremental_evaluation_equals_full_evaluation() {
    // RAMPART_INCREMENTAL_SEED replays one run; otherwise a few fixed seeds.
    match std::env::var("RAMPART_INCREMENTAL_SEED") {
        Ok(s) => run(
            s.parse().expect("RAMPART_INCREMENTAL_SEED is a number"),
            300,
        ),
        Err(_) => {
            for seed in [0x5eed_1234_abcd_0001, 17] {
                run(seed, 300);
            }
        }
    }
}

fn pod(name: &str) -> Change {
    pod_as(name, "app")
}

fn pod_as(name: &str, account: &str) -> Change {
    let text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop}}\n\
         spec: {{serviceAccountName: {account}, containers: [{{name: c, image: nginx}}]}}\n"
    );
    let v = yaml::documents(&text).remove(0);
    let (o, _) = object_of(&v).expect("a pod");
    Change::Upsert(Box::new(o))
}

#[test]
fn a_workload_reaches_the_escalation_paths_only_when_it_changes_what_they_read() {
    // eve can exec into pods through the kubelet API; ServiceAccount shop/app is
    // cluster-admin, so eve's path goes through the first workload that runs as app.
    let cluster = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n\
        ---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: shop}\n\
        ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n\
        metadata: {name: cluster-admin}\n\
        rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}, {nonResourceURLs: ['*'], verbs: ['*']}]\n\
        ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
        metadata: {name: app-admin}\n\
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n\
        subjects: [{kind: ServiceAccount, name: app, namespace: shop}]\n\
        ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n\
        metadata: {name: node-proxy}\n\
        rules: [{apiGroups: [''], resources: [nodes/proxy], verbs: [get, create]}]\n\
        ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
        metadata: {name: eve-proxy}\n\
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-proxy}\n\
        subjects: [{kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}]\n";
    let settings = Settings::default();
    let rules = registry::rules();
    let mut objects: Vec<Object> = yaml::documents(cluster)
        .iter()
        .filter_map(|v| object_of(v).map(|(o, _)| o))
        .collect();
    assert_eq!(objects.len(), 6);
    let mut live = Inventory::from_objects(objects.iter().cloned());
    let mut derived = Derived::default();
    let mut merged = evaluate_scope(&live, &derived, &settings, &Scope::All, rules);
    let names_pod = |e: &Evaluation, pod: &str| {
        e.findings
            .iter()
            .any(|f| f.message.contains(&format!("into Pod shop/{pod}")))
    };
    // (change, whether the cluster-scoped part is evaluated again, the pod paths name)
    let steps: [(Change, bool, &str); 6] = [
        (pod("b-pod"), true, "b-pod"),
        // Another pod as the same account, after b-pod: no path changes.
        (pod("c-pod"), false, "b-pod"),
        // One before it: the paths now go through a-pod.
        (pod("a-pod"), true, "a-pod"),
        (
            Change::Delete(ObjectRef::new("v1", "Pod", Some("shop"), "a-pod")),
            true,
            "b-pod",
        ),
        // A workload as an account no binding names: no path can go through it.
        (pod_as("d-pod", "nobody"), false, "b-pod"),
        (
            Change::Delete(ObjectRef::new("v1", "Pod", Some("shop"), "b-pod")),
            true,
            "c-pod",
        ),
    ];
    for (change, cluster_again, through) in steps {
        match &change {
            Change::Upsert(o) => objects.push((**o).clone()),
            Change::Delete(r) => {
                objects.retain(|o| rampart_rules::reference_of(o).as_ref() != Some(r))
            }
        }
        let scope = derived.apply(&mut live, vec![change]);
        let Scope::Only { cluster, .. } = &scope else {
            panic!("a pod's change evaluates everything: {scope:?}");
        };
        assert_eq!(*cluster, cluster_again, "{through}: {scope:?}");
        merged.merge(
            &scope,
            evaluate_scope(&live, &derived, &settings, &scope, rules),
        );
        let full = evaluate(&Inventory::from_objects(objects.iter().cloned()), &settings);
        assert!(
            merged.findings == full.findings,
            "{through}: {}",
            diff(&merged, &full)
        );
        assert!(names_pod(&full, through), "no path goes through {through}");
    }
}

/// Every object of the corpus once, by reference (a later document of the same name wins,
/// as it would in the API server).
fn corpus_objects() -> Vec<Object> {
    let by_ref: BTreeMap<ObjectRef, Object> = corpus()
        .iter()
        .filter_map(object_of)
        .map(|(o, r)| (r, o))
        .collect();
    by_ref.into_values().collect()
}

#[test]
fn objects_passed_on_as_they_are_stored_reach_nothing() {
    // What a relist after an API-server restart brings: every object again, unchanged.
    let mut objects = corpus_objects();
    let mut live = Inventory::from_objects(objects.iter().cloned());
    // Not the evidence read from kube-apiserver's endpoints (rampart.dev kinds): no watch
    // passes it on, and each read of it is new evidence.
    objects.retain(|o| {
        rampart_rules::reference_of(o).is_some_and(|r| !r.api_version.starts_with("rampart.dev/"))
    });
    let mut derived = Derived::default();
    let settings = Settings::default();
    let before = evaluate_scope(&live, &derived, &settings, &Scope::All, registry::rules());
    assert!(
        before
            .findings
            .iter()
            .any(|f| f.rule_id().starts_with("RBAC")),
        "the corpus has RBAC findings, so the permissions and the graph were built"
    );
    let scope = derived.apply(
        &mut live,
        objects
            .iter()
            .map(|o| Change::Upsert(Box::new(o.clone())))
            .collect(),
    );
    assert_eq!(
        scope,
        Scope::Only {
            namespaces: Default::default(),
            cluster: false,
        },
        "{} objects passed on unchanged evaluate nothing again, and keep the escalation graph",
        objects.len()
    );
}

#[test]
fn an_object_changed_and_changed_back_in_one_batch_ends_as_it_was() {
    let mut live = Inventory::from_objects([pod("b-pod")].into_iter().filter_map(|c| match c {
        Change::Upsert(o) => Some(*o),
        Change::Delete(_) => None,
    }));
    let mut derived = Derived::default();
    // The second upsert equals what the store held before the batch, not what the first
    // left: it is applied.
    let scope = derived.apply(&mut live, vec![pod_as("b-pod", "other"), pod("b-pod")]);
    assert!(scope.covers(Some("shop")), "{scope:?}");
    assert!(
        live.without_held(vec![pod("b-pod")]).is_empty(),
        "the pod is stored as the batch's last change left it"
    );
    assert_eq!(
        live.without_held(vec![pod_as("b-pod", "other")]).len(),
        1,
        "and not as its first"
    );
}
