//! The README's install command, run as written on a control plane of its own: a fresh
//! cluster is where it used to fail (files applied in the wrong order, and the namespace
//! controller's `default` ServiceAccount racing ours).

use anyhow::{Context as _, Result, bail, ensure};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use rampart_e2e::ExtraCluster;
use rampart_e2e::operator::repo;
use std::process::Command;

/// The `kubectl apply` line of the README's "The operator" section, as words, without
/// its comment.
fn readme_install_command() -> Result<Vec<String>> {
    let readme = std::fs::read_to_string(repo().join("README.md"))?;
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("The operator\n"))
        .context("README.md has no \"## The operator\" section")?;
    let line = section
        .lines()
        .find(|l| l.starts_with("kubectl apply "))
        .context("no `kubectl apply` line in README.md's \"The operator\" section")?;
    let command = line.split_once(" #").map_or(line, |(c, _)| c);
    // Words split on whitespace are the shell's words only without quoting or expansion.
    ensure!(
        !command.contains(['\'', '"', '$', '\\', '`', '*', '|', ';', '&']),
        "the install command needs a shell: {command}"
    );
    Ok(command.split_whitespace().map(str::to_owned).collect())
}

/// The README's commands that turn on the OpenReports copies (its `kubectl` lines that
/// change something), as words.
fn readme_openreports_commands() -> Result<Vec<Vec<String>>> {
    let readme = std::fs::read_to_string(repo().join("README.md"))?;
    let section = readme
        .split("\n### ")
        .find(|s| s.starts_with("OpenReports"))
        .context("README.md has no \"### OpenReports\" section")?;
    let commands: Vec<Vec<String>> = section
        .lines()
        .filter(|l| l.starts_with("kubectl ") && !l.starts_with("kubectl get "))
        .map(|l| {
            let command = l.split_once(" #").map_or(l, |(c, _)| c);
            command.split_whitespace().map(str::to_owned).collect()
        })
        .collect();
    ensure!(commands.len() == 2, "two commands: {commands:?}");
    Ok(commands)
}

#[tokio::test]
async fn readme_install_command_works_on_a_fresh_cluster_and_again() -> Result<()> {
    let command = readme_install_command()?;
    println!("README: {}", command.join(" "));
    let extra = ExtraCluster::start("none").await?;
    let cluster = &extra.cluster;
    let kubectl = cluster.bin.join("kubectl");
    // Twice: a fresh cluster, then an installed one (an upgrade applies the same way).
    let run_kubectl = |args: &[String]| {
        Command::new(&kubectl)
            .args(args)
            .current_dir(repo())
            .env("KUBECONFIG", &cluster.kubeconfig)
            .output()
            .context("running kubectl")
    };
    for run in ["fresh", "again"] {
        let out = run_kubectl(&command[1..])?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            bail!(
                "{run}: `{}` exited with {}:\n{stderr}{}",
                command.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout)
            );
        }
        // Warnings too: an unrecognized CRD format, a Pod Security warning.
        assert!(!stderr.contains("Warning"), "{run}: {stderr}");
    }

    let client = cluster.client.clone();
    Api::<Namespace>::all(client.clone())
        .get("rampart-system")
        .await?;
    let deployment = Api::<Deployment>::namespaced(client.clone(), "rampart-system")
        .get("rampart")
        .await?;
    assert_eq!(
        deployment
            .spec
            .template
            .spec
            .and_then(|s| s.service_account_name),
        Some("rampart".to_owned())
    );
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for name in [
        "posturereports.rampart.dev",
        "clusterposturereports.rampart.dev",
        "postureexceptions.rampart.dev",
        "clusterpostureexceptions.rampart.dev",
    ] {
        crds.get(name).await?;
    }
    // The monitoring add-on renders with the real kubectl's kustomize (its kinds are the
    // Prometheus Operator's, which this cluster does not serve).
    let rendered = Command::new(&kubectl)
        .args(["kustomize", "manifests/monitoring/"])
        .current_dir(repo())
        .output()
        .context("running kubectl kustomize")?;
    let rendered = String::from_utf8_lossy(&rendered.stdout);
    for kind in ["ServiceMonitor", "PrometheusRule", "ConfigMap"] {
        assert!(
            rendered.lines().any(|l| l == format!("kind: {kind}")),
            "{kind} in: {rendered}"
        );
    }
    // The OpenReports opt-in, as the README says it: the grant, and the flag by its
    // environment variable.
    for command in readme_openreports_commands()? {
        let out = run_kubectl(&command[1..])?;
        ensure!(
            out.status.success(),
            "`{}`: {}",
            command.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let deployment = Api::<Deployment>::namespaced(client.clone(), "rampart-system")
        .get("rampart")
        .await?;
    let env = deployment
        .spec
        .template
        .spec
        .and_then(|s| s.containers.into_iter().next())
        .and_then(|c| c.env)
        .unwrap_or_default();
    ensure!(
        env.iter()
            .any(|e| e.name == "RAMPART_OPENREPORTS" && e.value.as_deref() == Some("true")),
        "{env:?}"
    );
    Api::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>::all(client.clone())
        .get("rampart-openreports")
        .await?;
    // Ours or the controller's first, the default ServiceAccount ends up without a token.
    let default = Api::<ServiceAccount>::namespaced(client, "rampart-system")
        .get("default")
        .await?;
    assert_eq!(default.automount_service_account_token, Some(false));
    Ok(())
}
