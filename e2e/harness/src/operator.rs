//! `rampart operator` as a local child process against the test cluster, under the RBAC
//! that `manifests/` grants its ServiceAccount, and plain HTTP to its health port.

use crate::{Cluster, apply_yaml, wait_for};
use anyhow::{Context as _, Result, bail, ensure};
use kube::Api;
use rampart_crd::PostureReport;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long the helpers wait for the API or the operator.
pub const WAIT: Duration = Duration::from_secs(15);

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A directory named by an environment variable that `cluster.sh up` sets.
pub fn env_dir(name: &str) -> PathBuf {
    PathBuf::from(std::env::var_os(name).unwrap_or_else(|| {
        panic!("{name} is not set: run e2e/controlplane/cluster.sh up and source its env")
    }))
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Status code and body of a plain HTTP GET. HTTP/1.0, so that the server closes the
/// connection after a body it sends unchunked.
pub fn http_get(addr: SocketAddr, path: &str) -> Result<(u16, String)> {
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nhost: localhost\r\n\r\n").as_bytes())?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let text = String::from_utf8_lossy(&out);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("no HTTP status line in {head:?}"))?;
    Ok((status, body.to_owned()))
}

/// The status line of a plain HTTP GET.
pub fn http_status(addr: SocketAddr, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: localhost\r\n\r\n").as_bytes())
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    out.lines().next().map(str::to_owned)
}

/// The `rampart` binary the tests run: `$RAMPART_BIN`, else the workspace's debug build.
pub fn rampart_bin() -> PathBuf {
    std::env::var_os("RAMPART_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/debug/rampart"))
}

/// What `rampart scan --cluster --format json` reports with `kubeconfig`. Exit code 1
/// (findings at or above `--fail-on`) is a report too.
pub fn scan_cluster(kubeconfig: &Path) -> Result<serde_json::Value> {
    let bin = rampart_bin();
    let out = Command::new(&bin)
        .args(["scan", "--cluster", "--format", "json"])
        .env("KUBECONFIG", kubeconfig)
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    ensure!(
        matches!(out.status.code(), Some(0 | 1)),
        "rampart scan --cluster failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// `rampart operator` as a child process, stopped when dropped.
pub struct Operator {
    pub child: Child,
    pub log: PathBuf,
    /// Where it serves /healthz, /readyz and /metrics.
    pub health: SocketAddr,
}

impl Operator {
    pub fn start(kubeconfig: &Path, log: PathBuf) -> Result<Operator> {
        Operator::start_with(kubeconfig, log, &[])
    }

    pub fn start_with(kubeconfig: &Path, log: PathBuf, extra: &[&str]) -> Result<Operator> {
        let health: SocketAddr = format!("127.0.0.1:{}", free_port()?).parse()?;
        Operator::start_at(kubeconfig, log, extra, health)
    }

    /// Serving health and metrics on `health`: a restarted operator at the address of the
    /// one before, where a scraper already looks.
    pub fn start_at(
        kubeconfig: &Path,
        log: PathBuf,
        extra: &[&str],
        health: SocketAddr,
    ) -> Result<Operator> {
        let bin = rampart_bin();
        if !bin.exists() {
            bail!(
                "{} is missing: build it with `cargo build -p rampart`",
                bin.display()
            );
        }
        let out = std::fs::File::create(&log)?;
        let child = Command::new(bin)
            .args([
                "operator",
                "--debounce-ms",
                "300",
                "--health-addr",
                &health.to_string(),
            ])
            .args(extra)
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", "info,kube=warn")
            // No NO_COLOR: a log written to a file has no colour codes by itself, and the
            // tests check that it has none.
            .env_remove("NO_COLOR")
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .context("starting rampart operator")?;
        Ok(Operator { child, log, health })
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `/readyz` answers 200: every initial list has synced.
    pub async fn wait_ready(&self) -> Result<()> {
        wait_for(
            "/readyz to answer 200 once the initial lists synced",
            WAIT,
            || async { Ok(http_status(self.health, "/readyz").filter(|l| l.contains(" 200 "))) },
        )
        .await
        .with_context(|| self.log())?;
        Ok(())
    }

    pub fn stop(&mut self) {
        // SIGTERM first: that is how Kubernetes stops it, and it must shut down cleanly.
        crate::terminate(&mut self.child);
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The sum of every sample of metric `name` the operator serves.
pub fn metric_sum(health: SocketAddr, name: &str) -> Result<f64> {
    metric_sum_where(health, name, "")
}

/// The sum of the samples of metric `name` whose line contains `filter`, a label such as
/// `result="written"`.
pub fn metric_sum_where(health: SocketAddr, name: &str, filter: &str) -> Result<f64> {
    let (status, body) = http_get(health, "/metrics")?;
    ensure!(status == 200, "/metrics answered {status}");
    Ok(body
        .lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|l| l.contains(filter))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum())
}

/// `VmRSS` and `VmHWM` of a process, in KiB: what the benchmarks report.
pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The `p` quantile (0 to 1) of sorted durations; zero for none.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted
        .get(i.min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// Waits until the operator has written nothing for `quiet`: the cluster has settled.
pub async fn wait_quiet(health: SocketAddr, quiet: Duration) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut last = metric_sum(health, "rampart_report_writes_total")?;
    loop {
        tokio::time::sleep(quiet).await;
        let now = metric_sum(health, "rampart_report_writes_total")?;
        if now == last {
            return Ok(());
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "the operator kept writing for 60 s"
        );
        last = now;
    }
}

/// A kubeconfig with the token of ServiceAccount `namespace/sa`.
pub fn token_kubeconfig(namespace: &str, sa: &str) -> Result<PathBuf> {
    let out = Command::new("bash")
        .arg(repo().join("e2e/controlplane/cluster.sh"))
        .args(["token-kubeconfig", namespace, sa])
        .env("RAMPART_E2E_DIR", env_dir("RAMPART_E2E_DIR"))
        .output()?;
    if !out.status.success() {
        bail!(
            "token-kubeconfig failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

/// Applies the CRDs and the install manifests; returns a kubeconfig of the operator's
/// ServiceAccount, so the operator runs with exactly the rights the manifests grant.
pub async fn install(cluster: &Cluster) -> Result<PathBuf> {
    install_with(cluster, &[]).await
}

/// [`install`] plus `extra` files of the repository (opt-in manifests, say), on any
/// cluster: the shared one or an [`crate::ExtraCluster`].
pub async fn install_with(cluster: &Cluster, extra: &[&str]) -> Result<PathBuf> {
    // The files `kubectl apply -k manifests/` applies (crds/ and manifests/), in their
    // numbered order.
    let mut files = yaml_files("crds")?;
    files.extend(yaml_files("manifests")?);
    files.extend(extra.iter().map(|f| repo().join(f)));
    for file in &files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        apply_yaml(&cluster.client, None, &text)
            .await
            .with_context(|| format!("applying {}", file.display()))?;
    }
    // The CRDs must be served before the operator lists reports.
    let reports: Api<PostureReport> = Api::all(cluster.client.clone());
    wait_for("the PostureReport CRD to be served", WAIT, || async {
        Ok(reports.list(&Default::default()).await.ok().map(|_| ()))
    })
    .await?;
    let path = cluster
        .script(&["token-kubeconfig", "rampart-system", "rampart"])
        .await?;
    Ok(PathBuf::from(path.trim()))
}

/// The operator under the `rampart` ServiceAccount, without leader election, reading
/// kube-apiserver's /metrics (and probing the API server) every 2 s: with the opt-in
/// /metrics grant when `metrics_grant`. Its log is `operator-NAME.log` in the cluster's
/// directory.
pub async fn start_reading_apiserver(
    cluster: &Cluster,
    metrics_grant: bool,
    name: &str,
) -> Result<Operator> {
    let extra: &[&str] = if metrics_grant {
        &["manifests/optional/apiserver-metrics-rbac.yaml"]
    } else {
        &[]
    };
    let kubeconfig = install_with(cluster, extra).await?;
    Operator::start_with(
        &kubeconfig,
        cluster.dir.join(format!("operator-{name}.log")),
        &[
            "--leader-election",
            "false",
            "--apiserver-metrics-interval-seconds",
            "2",
        ],
    )
}

/// The manifests (`.yaml`, `.yml`, `.json`) directly in the repository's directory `dir`,
/// in lexical order, but for `kustomization.yaml`: the objects `kubectl apply -k DIR/`
/// applies (not subdirectories), in the order of their numbered names.
pub fn yaml_files(dir: &str) -> Result<Vec<PathBuf>> {
    let path = repo().join(dir);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&path).with_context(|| format!("listing {}", path.display()))? {
        let file = entry?.path();
        // kustomize's own file lists the others; it is not an object to apply.
        let yaml = file
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
            && file.file_name().is_some_and(|n| n != "kustomization.yaml");
        if yaml && file.is_file() {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}
