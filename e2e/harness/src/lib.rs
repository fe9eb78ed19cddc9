//! Helpers for end-to-end tests against the real control plane that
//! `e2e/controlplane/cluster.sh up` starts (etcd, kube-apiserver and
//! kube-controller-manager built from the pinned upstream modules).
//!
//! Tests never skip: without `RAMPART_E2E_KUBECONFIG` they fail and say how to start the
//! cluster. Each test works in a namespace of its own, so tests can share one cluster.

use anyhow::{Context as _, Result, anyhow, bail};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{Discovery, Scope};
use kube::{Api, Client, Config, ResourceExt};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The running test cluster.
pub struct Cluster {
    pub client: Client,
    /// The state directory of `cluster.sh` (`RAMPART_E2E_DIR`).
    pub dir: PathBuf,
}

fn env_path(name: &str) -> PathBuf {
    match std::env::var_os(name) {
        Some(v) => PathBuf::from(v),
        None => panic!(
            "{name} is not set: end-to-end tests need the real control plane. Run \
             `bash e2e/controlplane/build.sh && bash e2e/controlplane/cluster.sh up`, then \
             `source $RAMPART_E2E_DIR/env` (or simply run scripts/test)."
        ),
    }
}

impl Cluster {
    /// Connects to the cluster named by `RAMPART_E2E_KUBECONFIG` as its admin.
    pub async fn connect() -> Result<Cluster> {
        let kubeconfig = env_path("RAMPART_E2E_KUBECONFIG");
        let dir = env_path("RAMPART_E2E_DIR");
        let client = client_from(&kubeconfig).await?;
        Ok(Cluster { client, dir })
    }

    /// The kube-apiserver audit log (Secrets at RequestResponse level).
    pub fn audit_log(&self) -> PathBuf {
        self.dir.join("audit.log")
    }

    /// Runs a `cluster.sh` subcommand against this cluster and returns its stdout.
    pub fn script(&self, args: &[&str]) -> Result<String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../controlplane/cluster.sh");
        let out = Command::new("bash")
            .arg(&script)
            .args(args)
            .env("RAMPART_E2E_DIR", &self.dir)
            .output()
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

    /// A client for a ServiceAccount, through a token from the TokenRequest API.
    pub async fn service_account_client(&self, namespace: &str, name: &str) -> Result<Client> {
        let path = self.script(&["token-kubeconfig", namespace, name])?;
        client_from(Path::new(path.trim())).await
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

/// A uniquely named namespace for one test; call [`TestNamespace::delete`] at the end.
pub struct TestNamespace {
    pub name: String,
    client: Client,
}

impl TestNamespace {
    pub async fn create(client: &Client, prefix: &str) -> Result<TestNamespace> {
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
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .with_context(|| format!("creating namespace {name}"))?;
        Ok(TestNamespace {
            name,
            client: client.clone(),
        })
    }

    pub async fn delete(self) -> Result<()> {
        Api::<Namespace>::all(self.client)
            .delete(&self.name, &DeleteParams::default())
            .await
            .with_context(|| format!("deleting namespace {}", self.name))?;
        Ok(())
    }
}

/// Server-side applies every document of a YAML stream, as field manager `rampart-e2e`.
/// Namespaced objects without a namespace go to `namespace`.
pub async fn apply_yaml(
    client: &Client,
    namespace: Option<&str>,
    yaml: &str,
) -> Result<Vec<DynamicObject>> {
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .context("API discovery")?;
    let params = PatchParams::apply("rampart-e2e").force();
    let mut applied = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(yaml) {
        let value: serde_json::Value = serde::Deserialize::deserialize(doc)?;
        if value.is_null() {
            continue;
        }
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
        let api: Api<DynamicObject> = match caps.scope {
            Scope::Cluster => Api::all_with(client.clone(), &resource),
            Scope::Namespaced => {
                let ns = obj
                    .namespace()
                    .or_else(|| namespace.map(str::to_owned))
                    .ok_or_else(|| anyhow!("{} {name} needs a namespace", gvk.kind))?;
                Api::namespaced_with(client.clone(), &ns, &resource)
            }
        };
        let result = api
            .patch(&name, &params, &Patch::Apply(&obj))
            .await
            .with_context(|| format!("applying {} {name}", gvk.kind))?;
        applied.push(result);
    }
    Ok(applied)
}

/// Polls `check` until it returns `Some`, or fails after `timeout` naming `what`.
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
