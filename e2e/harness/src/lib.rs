//! Helpers for end-to-end tests against the real control plane that
//! `e2e/controlplane/cluster.sh up` starts (etcd, kube-apiserver and
//! kube-controller-manager built from the pinned upstream modules).
//!
//! ```text
//! cluster.sh up ──writes──> $RAMPART_E2E_DIR/env ──sourced──> cargo test -p rampart-e2e
//!                                                              └─ Cluster::connect()
//!                                                                  ├─ TestNamespace (one per test)
//!                                                                  ├─ apply_yaml / wait_for
//!                                                                  └─ script("restart-apiserver")
//! ```
//!
//! Tests never skip: without `RAMPART_E2E_KUBECONFIG` they fail and say how to start the
//! cluster. Each test works in a namespace of its own, so tests can share one cluster.
//! Every `#[tokio::test]` has its own runtime, and a kube `Client` is bound to the runtime
//! that made it, so each test connects anew instead of sharing one process-wide client.

pub mod alerting;
pub mod operator;
pub mod prometheus;
pub mod refusal;
pub mod server;

use anyhow::{Context as _, Result, anyhow, bail};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{Discovery, Scope};
use kube::{Api, Client, Config, ResourceExt};
use std::future::Future;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The running test cluster, as described by the env file that `cluster.sh up` wrote.
pub struct Cluster {
    /// A client with the harness's `system:masters` credential.
    pub client: Client,
    /// The state directory of `cluster.sh` (`RAMPART_E2E_DIR`).
    pub dir: PathBuf,
    /// The admin kubeconfig (`RAMPART_E2E_KUBECONFIG`).
    pub kubeconfig: PathBuf,
    /// Where the built binaries are (`RAMPART_E2E_BIN`).
    pub bin: PathBuf,
}

fn env_var(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: end-to-end tests need the real control plane. Run \
             `bash e2e/controlplane/build.sh && bash e2e/controlplane/cluster.sh up`, then \
             `eval \"$(bash e2e/controlplane/cluster.sh env)\"` — or simply run scripts/test, \
             which does all of it."
        ),
    }
}

impl Cluster {
    /// Connects to the cluster named by `RAMPART_E2E_KUBECONFIG` as its admin.
    ///
    /// # Panics
    /// When the environment of `cluster.sh up` is missing: an e2e test that cannot reach
    /// its cluster fails loudly rather than passing without having run.
    pub async fn connect() -> Result<Cluster> {
        let kubeconfig = PathBuf::from(env_var("RAMPART_E2E_KUBECONFIG"));
        let dir = PathBuf::from(env_var("RAMPART_E2E_DIR"));
        let bin = PathBuf::from(env_var("RAMPART_E2E_BIN"));
        let client = client_from(&kubeconfig).await?;
        Ok(Cluster {
            client,
            dir,
            kubeconfig,
            bin,
        })
    }

    /// The kube-apiserver audit log (Secrets at RequestResponse level, nothing else).
    pub fn audit_log(&self) -> PathBuf {
        self.dir.join("audit.log")
    }

    /// Every complete audit event logged so far; a line still being written is skipped.
    pub fn audit_events(&self) -> Result<Vec<serde_json::Value>> {
        let path = self.audit_log();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            // The log file appears with the first event.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }

    /// The provider that encrypts Secrets at rest: `none`, `aescbc` or `aesgcm`
    /// (`cluster.sh up --encryption`).
    pub fn encryption(&self) -> String {
        std::env::var("RAMPART_E2E_ENCRYPTION").unwrap_or_else(|_| "none".to_owned())
    }

    /// Runs a `cluster.sh` subcommand against this cluster and returns its stdout.
    pub async fn script(&self, args: &[&str]) -> Result<String> {
        cluster_script(&self.dir, args).await
    }

    /// Stops and starts kube-apiserver with the same flags, and waits until it is ready.
    pub async fn restart_apiserver(&self) -> Result<()> {
        self.script(&["restart-apiserver"]).await.map(drop)
    }

    /// A client for a ServiceAccount, through a token from the TokenRequest API: it has
    /// exactly the permissions that RBAC grants that ServiceAccount.
    pub async fn service_account_client(&self, namespace: &str, name: &str) -> Result<Client> {
        let path = self.script(&["token-kubeconfig", namespace, name]).await?;
        client_from(Path::new(path.trim())).await
    }

    /// The bytes etcd holds for `key` (`/registry/secrets/NS/NAME`, ...), read through
    /// etcd's JSON gateway, so tests can look at what the API server really stored.
    pub fn etcd_get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let url = std::fs::read_to_string(self.dir.join("etcd-url"))
            .context("reading the etcd address that cluster.sh wrote")?;
        let addr = url
            .trim()
            .strip_prefix("http://")
            .ok_or_else(|| anyhow!("unexpected etcd URL {url}"))?;
        let body = serde_json::json!({ "key": k8s_openapi::ByteString(key.as_bytes().to_vec()) })
            .to_string();
        // HTTP/1.0: etcd closes the connection after the answer, so reading to the end
        // yields exactly one response.
        let mut conn =
            TcpStream::connect(addr).with_context(|| format!("connecting to etcd at {addr}"))?;
        conn.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            conn,
            "POST /v3/kv/range HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut response = String::new();
        conn.read_to_string(&mut response)?;
        let (head, payload) = response
            .split_once("\r\n\r\n")
            .ok_or_else(|| anyhow!("malformed answer from etcd: {response}"))?;
        if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
            bail!("etcd answered {head}: {payload}");
        }
        #[derive(serde::Deserialize)]
        struct Range {
            #[serde(default)]
            kvs: Vec<Kv>,
        }
        #[derive(serde::Deserialize)]
        struct Kv {
            #[serde(default)]
            value: Option<k8s_openapi::ByteString>,
        }
        let range: Range = serde_json::from_str(payload).context("parsing etcd's answer")?;
        Ok(range
            .kvs
            .into_iter()
            .next()
            .map(|kv| kv.value.map(|v| v.0).unwrap_or_default()))
    }
}

/// A client from a kubeconfig file.
pub async fn client_from(path: &Path) -> Result<Client> {
    let kubeconfig = Kubeconfig::read_from(path)
        .with_context(|| format!("reading kubeconfig {}", path.display()))?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .context("building client config")?;
    Client::try_from(config).context("building client")
}

/// A uniquely named namespace for one test.
///
/// [`TestNamespace::delete`] removes it at the end of a test; a test that fails before
/// then still gets it removed on drop (unless `RAMPART_E2E_KEEP=1`, to look at it).
pub struct TestNamespace {
    pub name: String,
    client: Client,
    kubectl: PathBuf,
    kubeconfig: PathBuf,
    deleted: bool,
}

impl TestNamespace {
    /// Creates `PREFIX-PID-N-RANDOM`, labelled `rampart.dev/e2e=true`.
    pub async fn create(cluster: &Cluster, prefix: &str) -> Result<TestNamespace> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "{prefix}-{}-{}-{:x}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            nanos % 0xfffff
        );
        let ns: Namespace = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"rampart.dev/e2e": "true"}}
        }))?;
        Api::<Namespace>::all(cluster.client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .with_context(|| format!("creating namespace {name}"))?;
        Ok(TestNamespace {
            name,
            client: cluster.client.clone(),
            kubectl: cluster.bin.join("kubectl"),
            kubeconfig: cluster.kubeconfig.clone(),
            deleted: false,
        })
    }

    /// Starts deleting the namespace; the namespace controller finishes it in the background.
    pub async fn delete(mut self) -> Result<()> {
        self.deleted = true;
        Api::<Namespace>::all(self.client.clone())
            .delete(&self.name, &DeleteParams::default())
            .await
            .with_context(|| format!("deleting namespace {}", self.name))?;
        Ok(())
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        if self.deleted {
            return;
        }
        if std::env::var("RAMPART_E2E_KEEP").is_ok_and(|v| v == "1") {
            eprintln!("keeping namespace {} (RAMPART_E2E_KEEP=1)", self.name);
            return;
        }
        // Drop cannot await, and the test's runtime may be shutting down, so the async
        // client is no use here: kubectl deletes synchronously instead.
        let status = std::process::Command::new(&self.kubectl)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args([
                "delete",
                "namespace",
                &self.name,
                "--wait=false",
                "--ignore-not-found",
            ])
            .stdout(std::process::Stdio::null())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("could not delete namespace {} on drop", self.name);
        }
    }
}

/// API discovery. Right after a CRD is created its group is listed before its version is
/// served, and discovery fails with a 404 for a moment: retry briefly.
async fn discover(client: &Client) -> Result<Discovery> {
    wait_for("API discovery", Duration::from_secs(15), || async {
        Ok(Some(Discovery::new(client.clone()).run().await?))
    })
    .await
}

/// One manifest document and the API that serves it.
struct Target {
    obj: DynamicObject,
    name: String,
    api: Api<DynamicObject>,
    /// Kind and name, for errors.
    what: String,
}

impl Target {
    /// Namespaced objects without a namespace go to `namespace`.
    fn of(
        client: &Client,
        discovery: &Discovery,
        value: serde_json::Value,
        namespace: Option<&str>,
    ) -> Result<Target> {
        let obj: DynamicObject = serde_json::from_value(value)?;
        let types = obj
            .types
            .as_ref()
            .ok_or_else(|| anyhow!("document without apiVersion/kind"))?;
        let gvk = kube::api::GroupVersionKind::try_from(types)?;
        let (resource, caps) = discovery
            .resolve_gvk(&gvk)
            .ok_or_else(|| anyhow!("the API server does not serve {gvk:?}"))?;
        let name = obj.name_any();
        let what = format!("{} {name}", gvk.kind);
        let api = match caps.scope {
            Scope::Cluster => Api::all_with(client.clone(), &resource),
            Scope::Namespaced => {
                let ns = obj
                    .namespace()
                    .or_else(|| namespace.map(str::to_owned))
                    .ok_or_else(|| anyhow!("{what} needs a namespace"))?;
                Api::namespaced_with(client.clone(), &ns, &resource)
            }
        };
        Ok(Target {
            obj,
            name,
            api,
            what,
        })
    }
}

/// Server-side applies every document of a YAML stream, as field manager `rampart-e2e`.
/// Namespaced objects without a namespace go to `namespace`.
pub async fn apply_yaml(
    client: &Client,
    namespace: Option<&str>,
    yaml: &str,
) -> Result<Vec<DynamicObject>> {
    let discovery = discover(client).await?;
    let params = PatchParams::apply("rampart-e2e").force();
    let mut applied = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(yaml) {
        let value: serde_json::Value = serde::Deserialize::deserialize(doc)?;
        if value.is_null() {
            continue;
        }
        let target = Target::of(client, &discovery, value, namespace)?;
        let result = target
            .api
            .patch(&target.name, &params, &Patch::Apply(&target.obj))
            .await
            .with_context(|| format!("applying {}", target.what))?;
        applied.push(result);
    }
    Ok(applied)
}

/// Server-side applies many objects at once, `concurrency` requests in flight, as field
/// manager `rampart-e2e`: loading a generated cluster. Every object names its namespace.
/// Returns how many were applied.
pub async fn apply_all(
    client: &Client,
    documents: Vec<serde_json::Value>,
    concurrency: usize,
) -> Result<usize> {
    let discovery = discover(client).await?;
    let mut requests = tokio::task::JoinSet::new();
    let mut applied = 0;
    for value in documents {
        let target = Target::of(client, &discovery, value, None)?;
        if requests.len() >= concurrency.max(1)
            && let Some(done) = requests.join_next().await
        {
            done??;
            applied += 1;
        }
        requests.spawn(async move {
            let params = PatchParams::apply("rampart-e2e").force();
            target
                .api
                .patch(&target.name, &params, &Patch::Apply(&target.obj))
                .await
                .map(drop)
                .with_context(|| format!("applying {}", target.what))
        });
    }
    while let Some(done) = requests.join_next().await {
        done??;
        applied += 1;
    }
    Ok(applied)
}

/// Server-side applies generated manifests so that the API server admits them as they
/// are: Namespaces first, without enforced Pod Security (which would refuse the pods the
/// rules are meant to judge); then ServiceAccounts (a pod is admitted only once its
/// ServiceAccount exists); then the rest, `concurrency` requests in flight. Returns how
/// many were applied.
pub async fn apply_generated(
    client: &Client,
    documents: Vec<serde_json::Value>,
    concurrency: usize,
) -> Result<usize> {
    let (mut namespaces, rest): (Vec<_>, Vec<_>) = documents
        .into_iter()
        .partition(|d| d["kind"] == "Namespace");
    for ns in &mut namespaces {
        if let Some(labels) = ns["metadata"]["labels"].as_object_mut() {
            labels.remove("pod-security.kubernetes.io/enforce");
            labels.remove("pod-security.kubernetes.io/enforce-version");
        }
    }
    let (accounts, rest): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|d| d["kind"] == "ServiceAccount");
    Ok(apply_all(client, namespaces, concurrency).await?
        + apply_all(client, accounts, concurrency).await?
        + apply_all(client, rest, concurrency).await?)
}

/// Polls `check` until it returns `Some`, or fails after `timeout` naming `what` and the
/// last error `check` returned (errors count as "not yet": the API may be restarting).
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let start = Instant::now();
    let mut last_error = None;
    loop {
        match check().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if start.elapsed() > timeout {
            let why = last_error
                .map(|e| format!(" (last error: {e:#})"))
                .unwrap_or_default();
            bail!("timed out after {timeout:?} waiting for {what}{why}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn cluster_sh() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../controlplane/cluster.sh")
}

/// Runs `cluster.sh ARGS` for the cluster whose state is in `dir`; returns its stdout.
async fn cluster_script(dir: &Path, args: &[&str]) -> Result<String> {
    let script = cluster_sh();
    let out = tokio::process::Command::new("bash")
        .arg(&script)
        .args(args)
        .env("RAMPART_E2E_DIR", dir)
        .output()
        .await
        .with_context(|| format!("running {}", script.display()))?;
    if !out.status.success() {
        bail!(
            "cluster.sh {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A second control plane a test starts for itself (another encryption setup, say), stopped
/// when dropped. Costs about 15 s; the shared cluster stays the default for everything else.
pub struct ExtraCluster {
    pub cluster: Cluster,
}

impl ExtraCluster {
    /// `cluster.sh up --encryption ENCRYPTION` in a new state directory.
    pub async fn start(encryption: &str) -> Result<ExtraCluster> {
        ExtraCluster::start_with(encryption, &["--encryption", encryption]).await
    }

    /// `cluster.sh up ARGS` (`--no-audit`, `--apiserver-flag --anonymous-auth=true`...) in
    /// a new state directory named after `name`.
    pub async fn start_with(name: &str, args: &[&str]) -> Result<ExtraCluster> {
        let dir = std::env::temp_dir().join(format!(
            "rampart-e2e-extra-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default()
        ));
        let mut up = vec!["up"];
        up.extend_from_slice(args);
        cluster_script(&dir, &up).await?;
        let kubeconfig = dir.join("admin.kubeconfig");
        let client = client_from(&kubeconfig).await?;
        let bin = PathBuf::from(env_var("RAMPART_E2E_BIN"));
        Ok(ExtraCluster {
            cluster: Cluster {
                client,
                dir,
                kubeconfig,
                bin,
            },
        })
    }
}

impl Drop for ExtraCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(cluster_sh())
            .arg("down")
            .env("RAMPART_E2E_DIR", &self.cluster.dir)
            .status();
    }
}

/// Stops a child process the harness started: SIGTERM (how Kubernetes stops a pod, so it
/// must shut down cleanly), then SIGKILL if it has not exited within 10 s.
pub fn terminate(child: &mut std::process::Child) {
    let _ = std::process::Command::new("kill")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}
