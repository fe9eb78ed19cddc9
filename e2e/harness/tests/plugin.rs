//! The binary as the kubectl plugin `kubectl-rampart`, run by the real kubectl from PATH:
//! it reads the kubeconfig kubectl users have, and honours `--context` and `-n` as they
//! expect. The kubeconfig's current context points at nothing, so a command that ignored
//! `--context` would fail.

use anyhow::{Context as _, Result, ensure};
use rampart_e2e::Cluster;
use rampart_e2e::operator::{env_dir, rampart_bin};
use std::path::Path;
use std::process::{Command, Output};

/// `kubectl ARGS` with `bin` first on PATH and `kubeconfig` as KUBECONFIG.
fn kubectl(cluster: &Cluster, bin: &Path, kubeconfig: &Path, args: &[&str]) -> Result<Output> {
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new(cluster.bin.join("kubectl"))
        .args(args)
        .env("PATH", path)
        .env("KUBECONFIG", kubeconfig)
        .env("NO_COLOR", "1")
        .output()
        .with_context(|| format!("running kubectl {}", args.join(" ")))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test]
async fn kubectl_runs_rampart_as_a_plugin_in_the_context_it_is_given() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let dir = env_dir("RAMPART_E2E_DIR").join(format!("plugin-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::os::unix::fs::symlink(rampart_bin(), dir.join("kubectl-rampart"))?;
    // A copy of the admin kubeconfig whose current context is a cluster nobody serves.
    let kubeconfig = dir.join("kubeconfig");
    std::fs::copy(&cluster.kubeconfig, &kubeconfig)?;
    let real = text(&kubectl(
        &cluster,
        &dir,
        &kubeconfig,
        &["config", "current-context"],
    )?)
    .trim()
    .to_owned();
    let user = text(&kubectl(
        &cluster,
        &dir,
        &kubeconfig,
        &[
            "config",
            "view",
            "-o",
            "jsonpath={.contexts[0].context.user}",
        ],
    )?);
    for args in [
        vec![
            "config",
            "set-cluster",
            "nowhere",
            "--server=https://127.0.0.1:1",
        ],
        vec![
            "config",
            "set-context",
            "broken",
            "--cluster=nowhere",
            &format!("--user={user}"),
        ],
        vec!["config", "use-context", "broken"],
    ] {
        let out = kubectl(&cluster, &dir, &kubeconfig, &args)?;
        ensure!(out.status.success(), "{}", text(&out));
    }

    let listed = kubectl(&cluster, &dir, &kubeconfig, &["plugin", "list"])?;
    assert!(
        text(&listed).contains("kubectl-rampart"),
        "{}",
        text(&listed)
    );

    // The current context points nowhere: without --context the scan cannot connect.
    let broken = kubectl(
        &cluster,
        &dir,
        &kubeconfig,
        &["rampart", "scan", "--cluster"],
    )?;
    assert_eq!(broken.status.code(), Some(2), "{}", text(&broken));

    let scanned = kubectl(
        &cluster,
        &dir,
        &kubeconfig,
        &[
            "rampart",
            "--context",
            &real,
            "scan",
            "--cluster",
            "--format",
            "json",
        ],
    )?;
    ensure!(
        matches!(scanned.status.code(), Some(0 | 1)),
        "{}",
        text(&scanned)
    );
    let report: serde_json::Value = serde_json::from_slice(&scanned.stdout)?;
    assert!(
        report["scanned"]["Namespace"].as_u64() > Some(0),
        "{report}"
    );

    // Flags after the command too, and -n as kubectl has it.
    let who = kubectl(
        &cluster,
        &dir,
        &kubeconfig,
        &[
            "rampart",
            "who-can",
            "get",
            "pods",
            "-n",
            "kube-system",
            "--cluster",
            "--context",
            &real,
        ],
    )?;
    ensure!(who.status.success(), "{}", text(&who));
    let answer = String::from_utf8_lossy(&who.stdout);
    assert!(
        answer.starts_with("Who can get pods in namespace kube-system:"),
        "{answer}"
    );
    assert!(answer.contains("Group system:masters"), "{answer}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
