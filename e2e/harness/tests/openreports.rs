//! OpenReports on the real control plane: with `--openreports` and the optional grant, the
//! operator writes an `openreports.io/v1alpha1` Report beside each PostureReport and a
//! ClusterReport beside the ClusterPostureReport. The upstream CRDs (vendored unchanged in
//! shared/vendor/openreports) are applied only after the operator started, as a user who
//! installs Policy Reporter later would; the API server validates every copy against
//! their schema, and what is read back says what Rampart's own reports say (counts,
//! severities, rules, fingerprints; excepted findings as `skip`). A deleted copy is
//! written again.

use anyhow::{Context as _, Result, ensure};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{ApiResource, DeleteParams, DynamicObject};
use kube::{Api, Client};
use rampart_crd::{ClusterPostureReport, PostureReport, Report};
use rampart_e2e::operator::{Operator, WAIT, env_dir, install_with, repo};
use rampart_e2e::{Cluster, TestNamespace, apply_yaml, wait_for};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

fn kind(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: "openreports.io".into(),
        version: "v1alpha1".into(),
        api_version: "openreports.io/v1alpha1".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

fn privileged_pod(ns: &str, name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\n\
         spec: {{containers: [{{name: c, image: registry.example/cni:1.0, securityContext: {{privileged: true}}}}]}}\n"
    )
}

/// What a report says, in the terms both APIs share: failing results per (rule,
/// severity, fingerprint) of the findings listed whole, the total of failures, and the
/// fingerprints of the excepted ones.
#[derive(Debug, PartialEq)]
struct Said {
    listed: BTreeMap<String, (String, String)>,
    failing: u64,
    skipped: Vec<String>,
}

fn said_by_rampart(report: &Report) -> Said {
    let s = &report.summary;
    let mut skipped: Vec<String> = report
        .excepted
        .iter()
        .map(|e| e.fingerprint.clone())
        .collect();
    skipped.sort();
    Said {
        listed: report
            .findings
            .iter()
            .map(|f| {
                (
                    f.fingerprint.clone(),
                    (f.rule_id.clone(), f.severity.clone()),
                )
            })
            .collect(),
        failing: u64::from(s.critical + s.high + s.medium + s.low + s.info),
        skipped,
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn said_by_openreports(copy: &DynamicObject) -> Said {
    let results = copy.data["results"].as_array().cloned().unwrap_or_default();
    let of = |result: &'static str| {
        results
            .iter()
            .filter(move |r| r["result"] == result && r["properties"].get("fingerprint").is_some())
            .cloned()
    };
    let mut skipped: Vec<String> = of("skip")
        .map(|r| text(&r["properties"], "fingerprint"))
        .collect();
    skipped.sort();
    Said {
        listed: of("fail")
            .map(|r| {
                (
                    text(&r["properties"], "fingerprint"),
                    (text(&r, "rule"), text(&r, "severity")),
                )
            })
            .collect(),
        failing: copy.data["summary"]["fail"].as_u64().unwrap_or(u64::MAX),
        skipped,
    }
}

async fn copy_in(client: &Client, ns: &str) -> Result<Option<DynamicObject>> {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), ns, &kind("Report", "reports"));
    Ok(api.get_opt("rampart").await?)
}

#[tokio::test]
async fn every_report_has_an_openreports_copy_that_says_the_same() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let kubeconfig = install_with(&cluster, &["manifests/optional/openreports-rbac.yaml"]).await?;
    let ns = TestNamespace::create(&cluster, "openreports").await?;
    let state = env_dir("RAMPART_E2E_DIR");
    let operator = Operator::start_with(
        &kubeconfig,
        state.join("operator-openreports.log"),
        &["--leader-election", "false", "--openreports"],
    )?;
    operator.wait_ready().await?;

    // Two privileged pods; an exception accepts one of them.
    let expires = Timestamp::now() + SignedDuration::from_hours(24);
    let objects = format!(
        "{}---\n{}---\napiVersion: rampart.dev/v1alpha1\nkind: PostureException\n\
         metadata: {{name: cni, namespace: {n}}}\n\
         spec: {{rules: [POD003], resources: [{{kind: Pod, name: cni}}], reason: host networking, owner: platform, expires: '{expires}'}}\n",
        privileged_pod(&ns.name, "cni"),
        privileged_pod(&ns.name, "app"),
        n = ns.name,
    );
    apply_yaml(&cluster.client, None, &objects).await?;
    let reports: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &ns.name);
    wait_for(
        "the PostureReport with one POD003 open and one excepted",
        WAIT,
        || async {
            Ok(reports.get_opt("posture").await?.filter(|r| {
                r.spec.report.excepted_count == 1
                    && r.spec.report.findings.iter().any(|f| f.rule_id == "POD003")
            }))
        },
    )
    .await
    .with_context(|| operator.log())?;

    // OpenReports arrives after Rampart, unchanged from upstream.
    let vendor = repo().join("../shared/vendor/openreports");
    for file in [
        "openreports.io_reports.yaml",
        "openreports.io_clusterreports.yaml",
    ] {
        let path = vendor.join(file);
        let crd = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        apply_yaml(&cluster.client, None, &crd).await?;
    }

    // Each copy, once there, says what the report says; the report may still change
    // while other namespaces' pods settle, so both are read until they agree.
    let agreed = wait_for(
        "the namespace's Report to say what its PostureReport says",
        WAIT * 4,
        || async {
            let Some(copy) = copy_in(&cluster.client, &ns.name).await? else {
                return Ok(None);
            };
            let Some(report) = reports.get_opt("posture").await? else {
                return Ok(None);
            };
            let (ours, theirs) = (
                said_by_rampart(&report.spec.report),
                said_by_openreports(&copy),
            );
            Ok((ours == theirs).then_some((copy, ours)))
        },
    )
    .await
    .with_context(|| operator.log())?;
    let (copy, said) = agreed;
    ensure!(
        said.listed.values().any(|(rule, _)| rule == "POD003")
            && said.skipped.len() == 1
            && said.failing >= 1,
        "the copy lists the open POD003 and skips the excepted one: {said:?}"
    );
    ensure!(
        copy.data["source"] == "rampart" && copy.data["scope"]["name"] == ns.name.as_str(),
        "{:#}",
        copy.data
    );
    let pod003 = copy.data["results"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["rule"] == "POD003" && r["result"] == "fail")
        .context("a POD003 result")?;
    ensure!(
        pod003["resources"][0]["kind"] == "Pod"
            && pod003["resources"][0]["name"] == "app"
            && pod003["timestamp"]["seconds"]
                .as_i64()
                .is_some_and(|s| s > 0)
            && pod003["properties"]["firstSeen"].is_string(),
        "the API server kept what Rampart wrote: {pod003:#}"
    );
    ensure!(
        copy.data["summary"]["skip"] == 1,
        "one finding excepted: {:#}",
        copy.data["summary"]
    );

    // The ClusterReport says what the ClusterPostureReport lists.
    let clusters: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    let cluster_copies: Api<DynamicObject> = Api::all_with(
        cluster.client.clone(),
        &kind("ClusterReport", "clusterreports"),
    );
    wait_for(
        "the ClusterReport to say what the ClusterPostureReport says",
        WAIT * 4,
        || async {
            let (Some(copy), Some(report)) = (
                cluster_copies.get_opt("rampart").await?,
                clusters.get_opt("cluster").await?,
            ) else {
                return Ok(None);
            };
            let ours = said_by_rampart(&report.spec.report);
            Ok((ours == said_by_openreports(&copy) && !ours.listed.is_empty()).then_some(()))
        },
    )
    .await
    .with_context(|| operator.log())?;

    // A copy deleted by someone else is written again.
    let copies: Api<DynamicObject> =
        Api::namespaced_with(cluster.client.clone(), &ns.name, &kind("Report", "reports"));
    copies.delete("rampart", &DeleteParams::default()).await?;
    wait_for("the deleted copy to be back", WAIT, || async {
        Ok(copy_in(&cluster.client, &ns.name)
            .await?
            .filter(|c| c.metadata.deletion_timestamp.is_none() && said_by_openreports(c) == said))
    })
    .await
    .with_context(|| operator.log())?;

    ensure!(
        !operator.log().contains("OpenReports CRDs are not served")
            || operator.log().contains("writing the OpenReports copies"),
        "once the CRDs are served the log says the copies are written again"
    );
    ns.delete().await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(())
}
