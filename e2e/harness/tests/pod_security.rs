//! Rampart's Pod Security Standards against the real PodSecurity admission plugin.
//!
//! Random pods (and Deployments, ReplicationControllers and PodTemplates with random pod
//! templates) are submitted as server-side
//! dry-run creates into two namespaces that only *warn*, one at `baseline` and one at
//! `restricted`. The plugin's warnings name the controls a pod fails; Rampart's
//! `pod_security::check` must name the same controls, level by level, for every object.
//! Rampart judges the object the API server returns, which is what the plugin saw
//! (defaulted, with AppArmor annotations and fields synchronised).
//!
//! `RAMPART_PSS_SEED` replays a run; the seed is printed either way.

use anyhow::{Context as _, Result, bail};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{Patch, PatchParams, PostParams};
use kube::client::Body;
use kube::{Api, Client};
use rampart_e2e::{Cluster, TestNamespace, wait_for};
use rampart_rules::pod_security::{self, Control, Level};
use rampart_rules::{Decoded, Object};
use rampart_testkit::{Rng, seed_from_env};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const PODS: usize = 1200;
/// Of each kind that carries a pod template.
const TEMPLATES: usize = 150;
const WORKERS: usize = 12;

/// What the generator decided about a pod as a whole; containers follow it.
struct Shape {
    windows: bool,
    user_namespaced: bool,
    host_network: bool,
    host_ipc: bool,
    /// Start from a pod that passes restricted, so that single deviations are exercised.
    hardened: bool,
    /// AppArmor through annotations (else through fields): the API server rejects a pod
    /// whose annotation and field disagree.
    apparmor_annotations: bool,
}

/// A random pod: (metadata, spec).
fn random_pod(rng: &mut Rng) -> (Value, Value) {
    let windows = rng.chance(10);
    let user_namespaced = !windows && rng.chance(12);
    let shape = Shape {
        windows,
        user_namespaced,
        // Windows pods need the host network for HostProcess, so they get it more often.
        host_network: !user_namespaced && rng.chance(if windows { 40 } else { 8 }),
        host_ipc: !windows && !user_namespaced && rng.chance(6),
        hardened: rng.chance(60),
        apparmor_annotations: rng.chance(50),
    };
    let mut spec = json!({});
    let mut annotations = serde_json::Map::new();
    if shape.windows {
        spec["os"] = json!({"name": "windows"});
    } else if rng.chance(15) {
        spec["os"] = json!({"name": "linux"});
    }
    if shape.user_namespaced {
        spec["hostUsers"] = json!(false);
    }
    if shape.host_network {
        spec["hostNetwork"] = json!(true);
    }
    if shape.host_ipc {
        spec["hostIPC"] = json!(true);
    }
    if !shape.windows && !shape.user_namespaced && rng.chance(6) {
        spec["hostPID"] = json!(true);
    }
    spec["securityContext"] = pod_security_context(rng, &shape);
    let mut used_ports = BTreeSet::new();
    let n = 1 + rng.below(2);
    let containers: Vec<Value> = (0..n)
        .map(|i| container(rng, &shape, &format!("c{i}"), true, &mut used_ports))
        .collect();
    let init: Vec<Value> = (0..rng.below(2))
        .map(|i| container(rng, &shape, &format!("i{i}"), false, &mut used_ports))
        .collect();
    // A Windows HostProcess pod must be one as a whole, and on the host network.
    if shape.windows && shape.host_network && rng.chance(50) {
        spec["securityContext"]["windowsOptions"] = json!({"hostProcess": true});
    }
    if !shape.windows && !shape.hardened || rng.chance(10) {
        let names: Vec<String> = containers
            .iter()
            .chain(&init)
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect();
        if shape.apparmor_annotations && !shape.windows && rng.chance(25) {
            let name = rng.pick(&names).clone();
            let value = rng.pick(&["runtime/default", "localhost/custom", "unconfined"]);
            annotations.insert(
                format!("container.apparmor.security.beta.kubernetes.io/{name}"),
                json!(value),
            );
        }
    }
    spec["containers"] = Value::Array(containers);
    if !init.is_empty() {
        spec["initContainers"] = Value::Array(init);
    }
    let volumes = volumes(rng, &shape);
    if !volumes.is_empty() {
        spec["volumes"] = Value::Array(volumes);
    }
    (json!({"annotations": annotations}), spec)
}

fn pod_security_context(rng: &mut Rng, shape: &Shape) -> Value {
    let mut sc = json!({});
    let hardened = shape.hardened;
    let run_as_non_root = if hardened && rng.chance(85) {
        Some(true)
    } else {
        *rng.pick(&[None, None, Some(true), Some(false)])
    };
    if let Some(v) = run_as_non_root {
        sc["runAsNonRoot"] = json!(v);
    }
    if shape.windows {
        return sc;
    }
    if rng.chance(if hardened { 5 } else { 20 }) {
        sc["runAsUser"] = json!(rng.pick(&[0, 1000]));
    }
    let seccomp = if hardened && rng.chance(85) {
        Some("RuntimeDefault")
    } else {
        *rng.pick(&[
            None,
            None,
            Some("RuntimeDefault"),
            Some("Localhost"),
            Some("Unconfined"),
        ])
    };
    if let Some(t) = seccomp {
        sc["seccompProfile"] = seccomp_profile(t);
    }
    if !shape.apparmor_annotations && rng.chance(if hardened { 5 } else { 15 }) {
        sc["appArmorProfile"] = apparmor_profile(rng);
    }
    if rng.chance(if hardened { 5 } else { 15 }) {
        sc["seLinuxOptions"] = selinux_options(rng);
    }
    if rng.chance(if hardened { 5 } else { 20 }) {
        let mut names: Vec<&str> = vec![
            "kernel.shm_rmid_forced",
            "net.ipv4.tcp_notsent_lowat",
            "net.ipv4.tcp_keepalive_time",
            "net.core.somaxconn",
            "kernel.msgmax",
            "vm.swappiness",
        ];
        // The API server refuses network sysctls on the host network and IPC ones on host IPC.
        names.retain(|n| !(shape.host_network && n.starts_with("net.")));
        names.retain(|n| !(shape.host_ipc && n.starts_with("kernel.")));
        let mut chosen = BTreeSet::new();
        for _ in 0..1 + rng.below(2) {
            chosen.insert(*rng.pick(&names));
        }
        sc["sysctls"] = Value::Array(
            chosen
                .into_iter()
                .map(|n| json!({"name": n, "value": "1"}))
                .collect(),
        );
    }
    sc
}

fn seccomp_profile(t: &str) -> Value {
    if t == "Localhost" {
        json!({"type": t, "localhostProfile": "profiles/audit.json"})
    } else {
        json!({"type": t})
    }
}

fn apparmor_profile(rng: &mut Rng) -> Value {
    match *rng.pick(&["RuntimeDefault", "Localhost", "Unconfined"]) {
        "Localhost" => json!({"type": "Localhost", "localhostProfile": "custom"}),
        t => json!({"type": t}),
    }
}

fn selinux_options(rng: &mut Rng) -> Value {
    let mut o = json!({"level": "s0:c1,c2"});
    let t = *rng.pick(&[
        "",
        "container_t",
        "container_engine_t",
        "spc_t",
        "unconfined_t",
    ]);
    if !t.is_empty() {
        o["type"] = json!(t);
    }
    if rng.chance(20) {
        o["user"] = json!("system_u");
    }
    if rng.chance(20) {
        o["role"] = json!("system_r");
    }
    o
}

fn container(
    rng: &mut Rng,
    shape: &Shape,
    name: &str,
    regular: bool,
    used_ports: &mut BTreeSet<i64>,
) -> Value {
    let mut c = json!({"name": name, "image": "registry.example/app:1"});
    let hardened = shape.hardened;
    let mut sc = json!({});
    if !shape.windows {
        let privileged = rng.chance(if hardened { 2 } else { 12 });
        if privileged {
            sc["privileged"] = json!(true);
        }
        // `privileged` with allowPrivilegeEscalation=false is rejected as contradictory.
        let ape = if privileged {
            *rng.pick(&[None, Some(true)])
        } else if hardened && rng.chance(90) {
            Some(false)
        } else {
            *rng.pick(&[None, Some(true), Some(false)])
        };
        if let Some(v) = ape {
            sc["allowPrivilegeEscalation"] = json!(v);
        }
        let drop: Option<Vec<&str>> = if hardened && rng.chance(90) {
            Some(vec!["ALL"])
        } else {
            rng.pick(&[None, Some(vec!["ALL"]), Some(vec!["NET_RAW"])])
                .clone()
        };
        let add: Vec<&str> = if rng.chance(if hardened { 10 } else { 30 }) {
            let mut set = BTreeSet::new();
            for _ in 0..1 + rng.below(2) {
                set.insert(*rng.pick(&[
                    "NET_BIND_SERVICE",
                    "CHOWN",
                    "NET_RAW",
                    "SYS_ADMIN",
                    "SYS_PTRACE",
                    "KILL",
                ]));
            }
            set.into_iter().collect()
        } else {
            Vec::new()
        };
        if drop.is_some() || !add.is_empty() {
            let mut caps = json!({});
            if let Some(d) = drop {
                caps["drop"] = json!(d);
            }
            if !add.is_empty() {
                caps["add"] = json!(add);
            }
            sc["capabilities"] = caps;
        }
        if rng.chance(if hardened { 5 } else { 15 }) {
            sc["runAsUser"] = json!(rng.pick(&[0, 1000]));
        }
        if rng.chance(15) {
            let t = *rng.pick(&["RuntimeDefault", "Localhost", "Unconfined"]);
            sc["seccompProfile"] = seccomp_profile(t);
        }
        if !shape.apparmor_annotations && rng.chance(if hardened { 5 } else { 15 }) {
            sc["appArmorProfile"] = apparmor_profile(rng);
        }
        if rng.chance(if hardened { 3 } else { 10 }) {
            sc["seLinuxOptions"] = selinux_options(rng);
        }
        // `Unmasked` needs a user namespace; the API server rejects it otherwise.
        if rng.chance(15) {
            let unmasked = shape.user_namespaced && rng.chance(70);
            sc["procMount"] = json!(if unmasked { "Unmasked" } else { "Default" });
        }
    }
    if rng.chance(if hardened { 5 } else { 15 }) {
        sc["runAsNonRoot"] = json!(rng.chance(50));
    }
    if sc.as_object().is_some_and(|o| !o.is_empty()) {
        c["securityContext"] = sc;
    }
    let mut ports = Vec::new();
    for _ in 0..rng.below(3) {
        let port = 1024 + rng.below(60000) as i64;
        if !used_ports.insert(port) {
            continue;
        }
        let mut p = json!({"containerPort": port});
        // On the host network a host port must equal the container port; the API server
        // also fills it in for pods, so it is always set explicitly here.
        if shape.host_network || rng.chance(if hardened { 3 } else { 12 }) {
            p["hostPort"] = json!(port);
        }
        ports.push(p);
    }
    if !ports.is_empty() {
        c["ports"] = Value::Array(ports);
    }
    // Init containers may not have probes or lifecycle hooks.
    if regular && rng.chance(30) {
        let host = if hardened && rng.chance(90) {
            ""
        } else {
            *rng.pick(&["", "", "10.0.0.1", "metadata.internal"])
        };
        let mut probe = if rng.chance(50) {
            json!({"httpGet": {"path": "/healthz", "port": 8080}})
        } else {
            json!({"tcpSocket": {"port": 8080}})
        };
        if !host.is_empty() {
            let action = if probe.get("httpGet").is_some() {
                "httpGet"
            } else {
                "tcpSocket"
            };
            probe[action]["host"] = json!(host);
        }
        let kind = *rng.pick(&["livenessProbe", "readinessProbe", "startupProbe"]);
        c[kind] = probe;
    }
    if regular && rng.chance(10) {
        let host = *rng.pick(&["", "169.254.169.254"]);
        let mut get = json!({"path": "/hook", "port": 80});
        if !host.is_empty() {
            get["host"] = json!(host);
        }
        c["lifecycle"] = json!({"preStop": {"httpGet": get}});
    }
    if shape.windows && rng.chance(10) {
        c["securityContext"]["windowsOptions"] = json!({"runAsUserName": "ContainerUser"});
    }
    c
}

fn volumes(rng: &mut Rng, shape: &Shape) -> Vec<Value> {
    let kinds: &[(&str, Value)] = &[
        ("emptyDir", json!({})),
        ("configMap", json!({"name": "settings"})),
        ("secret", json!({"secretName": "creds"})),
        (
            "projected",
            json!({"sources": [{"serviceAccountToken": {"path": "token"}}]}),
        ),
        (
            "downwardAPI",
            json!({"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}),
        ),
        ("persistentVolumeClaim", json!({"claimName": "data"})),
        ("csi", json!({"driver": "inline.csi.example.com"})),
        ("hostPath", json!({"path": "/var/log"})),
        (
            "hostPath",
            json!({"path": "/var/run/docker.sock", "type": "Socket"}),
        ),
        ("nfs", json!({"server": "nfs.example", "path": "/exports"})),
        (
            "iscsi",
            json!({"targetPortal": "10.0.0.2:3260", "iqn": "iqn.2001-04.com.example:storage", "lun": 0}),
        ),
        ("flexVolume", json!({"driver": "example.com/flex"})),
        ("cephfs", json!({"monitors": ["10.0.0.3:6789"]})),
    ];
    let count = if shape.hardened && rng.chance(70) {
        rng.below(2)
    } else {
        rng.below(3)
    };
    (0..count)
        .map(|i| {
            let (kind, source) = if shape.hardened && rng.chance(80) {
                &kinds[rng.below(7)]
            } else {
                rng.pick(kinds)
            };
            let mut v = json!({"name": format!("v{i}")});
            v[*kind] = source.clone();
            v
        })
        .collect()
}

/// The controls a PodSecurity warning names, or `None` when the plugin did not warn.
fn warned_controls(warnings: &[String], level: Level) -> Result<Option<BTreeSet<Control>>> {
    let prefix = format!("would violate PodSecurity \"{}:latest\": ", level.as_str());
    let Some(text) = warnings.iter().find_map(|w| w.strip_prefix(&prefix)) else {
        return Ok(None);
    };
    let mut controls = BTreeSet::new();
    for reason in top_level_reasons(text) {
        let control = Control::from_admission_reason(&reason, level)
            .with_context(|| format!("unknown reason {reason:?} in {text:?}"))?;
        controls.insert(control);
    }
    Ok(Some(controls))
}

/// Splits `reason (detail), reason (detail)` at the commas outside parentheses and quotes,
/// and drops the details.
fn top_level_reasons(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    let mut current = String::new();
    for ch in text.chars() {
        if quoted {
            match (escaped, ch) {
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => escaped = false,
            }
            continue;
        }
        match ch {
            '"' => quoted = true,
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(current.trim().to_owned());
                current.clear();
            }
            _ if depth == 0 => current.push(ch),
            _ => {}
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// `299 - "text"`: the text, unquoted.
fn warning_text(header: &str) -> Option<String> {
    let start = header.find('"')?;
    let end = header.rfind('"')?;
    if end <= start {
        return None;
    }
    let inner = &header[start + 1..end];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// The answer to one dry-run create.
struct DryRun {
    object: Value,
    warnings: Vec<String>,
}

/// Creates `body` at `collection` with `dryRun=All`; `None` when the API server refuses the
/// object as invalid.
async fn dry_run_create(client: &Client, collection: &str, body: &Value) -> Result<Option<DryRun>> {
    let pp = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let request = kube::core::Request::new(collection)
        .create(&pp, serde_json::to_vec(body)?)?
        .map(Body::from);
    let response = client.send(request).await?;
    let status = response.status().as_u16();
    let warnings: Vec<String> = response
        .headers()
        .get_all("warning")
        .iter()
        .filter_map(|h| h.to_str().ok())
        .filter_map(warning_text)
        .collect();
    let bytes = response.into_body().collect_bytes().await?;
    match status {
        200 | 201 => Ok(Some(DryRun {
            object: serde_json::from_slice(&bytes)?,
            warnings,
        })),
        422 => Ok(None),
        other => bail!(
            "dry-run create at {collection} answered {other}: {}",
            String::from_utf8_lossy(&bytes)
        ),
    }
}

/// What one object produced: Rampart's controls and the plugin's, per level.
struct Compared {
    submitted: Value,
    /// Per level: (Rampart's controls, the plugin's controls).
    verdicts: Vec<(Level, BTreeSet<Control>, BTreeSet<Control>)>,
}

impl Compared {
    fn agrees(&self) -> bool {
        self.verdicts.iter().all(|(_, ours, theirs)| ours == theirs)
    }

    fn describe(&self) -> String {
        let mut s = format!(
            "object: {}\n",
            serde_json::to_string_pretty(&self.submitted).unwrap_or_default()
        );
        for (level, ours, theirs) in &self.verdicts {
            s.push_str(&format!(
                "  {level}: rampart {ours:?}\n  {level}: admission {theirs:?}\n"
            ));
        }
        s
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Pod,
    Deployment,
    ReplicationController,
    PodTemplate,
}

/// The kinds whose pod template the plugin judges as it judges a pod.
const TEMPLATE_KINDS: [Kind; 3] = [
    Kind::Deployment,
    Kind::ReplicationController,
    Kind::PodTemplate,
];

fn wrap(kind: Kind, name: &str, metadata: &Value, spec: &Value) -> Value {
    let template = json!({
        "metadata": {"labels": {"app": name}, "annotations": metadata["annotations"]},
        "spec": spec,
    });
    match kind {
        Kind::Pod => json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "annotations": metadata["annotations"]},
            "spec": spec,
        }),
        Kind::Deployment => json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": template},
        }),
        Kind::ReplicationController => json!({
            "apiVersion": "v1", "kind": "ReplicationController",
            "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "template": template},
        }),
        Kind::PodTemplate => json!({
            "apiVersion": "v1", "kind": "PodTemplate",
            "metadata": {"name": name},
            "template": template,
        }),
    }
}

fn collection(kind: Kind, ns: &str) -> String {
    match kind {
        Kind::Pod => format!("/api/v1/namespaces/{ns}/pods"),
        Kind::Deployment => format!("/apis/apps/v1/namespaces/{ns}/deployments"),
        Kind::ReplicationController => format!("/api/v1/namespaces/{ns}/replicationcontrollers"),
        Kind::PodTemplate => format!("/api/v1/namespaces/{ns}/podtemplates"),
    }
}

/// Rampart's controls for the object the API server returned.
fn rampart_controls(kind: Kind, returned: &Value, level: Level) -> Result<BTreeSet<Control>> {
    // Through the engine's own decoding, as a scan or the operator reads objects.
    let object = match rampart_rules::decode(returned.clone())? {
        Decoded::Object(o) => *o,
        Decoded::Unknown { kind } => bail!("the engine does not read {kind}"),
    };
    let (meta, spec) = match (kind, object) {
        (Kind::Pod, Object::Pod(pod)) => {
            (Some(pod.metadata), pod.spec.context("pod without spec")?)
        }
        (Kind::Deployment, Object::Deployment(c))
        | (Kind::ReplicationController, Object::ReplicationController(c))
        | (Kind::PodTemplate, Object::PodTemplate(c)) => {
            let t = c.template.context("no pod template")?;
            (t.metadata, t.spec.context("template without spec")?)
        }
        (_, other) => bail!("decoded as {}", other.kind()),
    };
    Ok(pod_security::check(level, meta.as_ref(), &spec)
        .into_iter()
        .map(|v| v.control)
        .collect())
}

/// Submits one object to both namespaces and compares; `None` when it was refused.
async fn compare(
    client: &Client,
    namespaces: &[(Level, String)],
    kind: Kind,
    object: Value,
) -> Result<Option<Compared>> {
    let mut verdicts = Vec::new();
    for (level, ns) in namespaces {
        let Some(answer) = dry_run_create(client, &collection(kind, ns), &object).await? else {
            return Ok(None);
        };
        let theirs = warned_controls(&answer.warnings, *level)?.unwrap_or_default();
        let ours = rampart_controls(kind, &answer.object, *level)?;
        verdicts.push((*level, ours, theirs));
    }
    Ok(Some(Compared {
        submitted: object,
        verdicts,
    }))
}

/// Totals of one run over one kind.
#[derive(Default)]
struct Tally {
    compared: usize,
    refused: usize,
    fail_baseline: usize,
    fail_restricted: usize,
    controls_seen: BTreeSet<Control>,
    disagreements: Vec<String>,
}

async fn run(
    client: &Client,
    namespaces: &[(Level, String)],
    kind: Kind,
    objects: Vec<Value>,
) -> Result<Tally> {
    let mut chunks: Vec<Vec<Value>> = (0..WORKERS).map(|_| Vec::new()).collect();
    for (i, o) in objects.into_iter().enumerate() {
        chunks[i % WORKERS].push(o);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in chunks {
        let client = client.clone();
        let namespaces = namespaces.to_vec();
        tasks.spawn(async move {
            let mut results = Vec::new();
            for o in chunk {
                results.push(compare(&client, &namespaces, kind, o).await?);
            }
            anyhow::Ok(results)
        });
    }
    let mut tally = Tally::default();
    while let Some(done) = tasks.join_next().await {
        for result in done?? {
            let Some(c) = result else {
                tally.refused += 1;
                continue;
            };
            tally.compared += 1;
            for (level, _, theirs) in &c.verdicts {
                tally.controls_seen.extend(theirs.iter().copied());
                if !theirs.is_empty() {
                    match level {
                        Level::Baseline => tally.fail_baseline += 1,
                        Level::Restricted => tally.fail_restricted += 1,
                    }
                }
            }
            if !c.agrees() {
                tally.disagreements.push(c.describe());
            }
        }
    }
    Ok(tally)
}

async fn warn_namespace(cluster: &Cluster, level: Level) -> Result<TestNamespace> {
    let ns = TestNamespace::create(cluster, &format!("pss-{}", level.as_str())).await?;
    let patch = json!({"metadata": {"labels": {
        "pod-security.kubernetes.io/warn": level.as_str(),
        "pod-security.kubernetes.io/warn-version": "latest",
    }}});
    Api::<Namespace>::all(cluster.client.clone())
        .patch(&ns.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await?;
    // Pods need the namespace's default ServiceAccount, even in a dry run.
    let sas: Api<ServiceAccount> = Api::namespaced(cluster.client.clone(), &ns.name);
    wait_for(
        "the default ServiceAccount",
        Duration::from_secs(30),
        || async { Ok(sas.get_opt("default").await?) },
    )
    .await?;
    // The plugin reads namespace labels from an informer: wait until it sees the new one.
    let probe = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe"},
        "spec": {"hostPID": true, "containers": [{"name": "c", "image": "x"}]}});
    let client = cluster.client.clone();
    let path = collection(Kind::Pod, &ns.name);
    wait_for(
        "the PodSecurity plugin to see the warn label",
        Duration::from_secs(30),
        || async {
            let answer = dry_run_create(&client, &path, &probe)
                .await?
                .context("probe pod refused")?;
            Ok(warned_controls(&answer.warnings, level)?.map(|_| ()))
        },
    )
    .await?;
    Ok(ns)
}

fn report(kind: &str, t: &Tally) {
    println!(
        "{kind}: compared {} (refused as invalid: {}), failing baseline {}, failing restricted {}, \
         controls the plugin named: {}",
        t.compared,
        t.refused,
        t.fail_baseline,
        t.fail_restricted,
        t.controls_seen.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rampart_agrees_with_pod_security_admission() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let seed = seed_from_env("RAMPART_PSS_SEED");
    println!("RAMPART_PSS_SEED={seed}");
    let started = Instant::now();
    let baseline = warn_namespace(&cluster, Level::Baseline).await?;
    let restricted = warn_namespace(&cluster, Level::Restricted).await?;
    let namespaces = vec![
        (Level::Baseline, baseline.name.clone()),
        (Level::Restricted, restricted.name.clone()),
    ];

    let mut rng = Rng::new(seed);
    let pods: Vec<Value> = (0..PODS)
        .map(|i| {
            let (meta, spec) = random_pod(&mut rng);
            wrap(Kind::Pod, &format!("p{i}"), &meta, &spec)
        })
        .collect();
    let pod_tally = run(&cluster.client, &namespaces, Kind::Pod, pods).await?;
    report("pods", &pod_tally);
    let mut tallies = vec![pod_tally];
    for kind in TEMPLATE_KINDS {
        let objects: Vec<Value> = (0..TEMPLATES)
            .map(|i| {
                let (meta, spec) = random_pod(&mut rng);
                wrap(kind, &format!("t{i}"), &meta, &spec)
            })
            .collect();
        let tally = run(&cluster.client, &namespaces, kind, objects).await?;
        report(&format!("{kind:?} templates"), &tally);
        tallies.push(tally);
    }
    println!(
        "compared {} objects at both levels in {:.1?}",
        tallies.iter().map(|t| t.compared).sum::<usize>(),
        started.elapsed()
    );

    let disagreements: Vec<&String> = tallies.iter().flat_map(|t| &t.disagreements).collect();
    if let Some(first) = disagreements.first() {
        bail!(
            "{} disagreement(s) with the admission plugin (seed {seed}); the first:\n{first}",
            disagreements.len()
        );
    }
    let pod_tally = &tallies[0];
    assert!(
        pod_tally.compared >= 1000,
        "only {} pods were accepted and compared (seed {seed})",
        pod_tally.compared
    );
    for (kind, t) in TEMPLATE_KINDS.iter().zip(&tallies[1..]) {
        assert!(
            t.compared >= TEMPLATES * 2 / 3,
            "only {} {kind:?} templates were accepted and compared (seed {seed})",
            t.compared
        );
    }
    // The comparison means something only if both verdicts occur often.
    for t in &tallies {
        assert!(
            t.fail_baseline > t.compared / 10,
            "too few baseline failures"
        );
        assert!(
            t.fail_restricted < t.compared,
            "no pod passed restricted: the generator is broken"
        );
    }
    let seen = &pod_tally.controls_seen;
    let missing: Vec<Control> = Control::at(Level::Restricted)
        .into_iter()
        .chain(Control::BASELINE)
        .filter(|c| !seen.contains(c))
        .collect();
    // Baseline's procMount control cannot fail at admission: the API server accepts
    // `Unmasked` only with `hostUsers: false`, which the control exempts. Every other
    // control must have been named by the plugin, or the comparison proves little.
    assert_eq!(
        missing,
        vec![Control::ProcMount],
        "controls the generated pods never exercised (seed {seed})"
    );
    baseline.delete().await?;
    restricted.delete().await?;
    Ok(())
}

#[test]
fn reasons_are_split_outside_details() {
    let text = r#"host namespaces (hostNetwork=true, hostPID=true), forbidden AppArmor profiles (annotations must not set AppArmor profile type to "a(b), c"), seccompProfile"#;
    assert_eq!(
        top_level_reasons(text),
        vec![
            "host namespaces",
            "forbidden AppArmor profiles",
            "seccompProfile"
        ]
    );
    assert_eq!(
        warning_text(r#"299 - "would violate PodSecurity \"baseline:latest\": privileged""#)
            .as_deref(),
        Some(r#"would violate PodSecurity "baseline:latest": privileged"#)
    );
}
