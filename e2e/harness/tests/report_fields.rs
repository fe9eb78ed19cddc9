//! What kube-apiserver keeps of a report the operator replaced and then applies again (a
//! report gone from its writer's memory, or an operator that may not update): a replace
//! resets the report's field ownership, so none of its fields has a manager, and an
//! apply keeps every field it does not name that its manager did not apply before. The
//! operator's apply names every list the report's JSON leaves out while empty (and, for
//! the ClusterPostureReport, every field beside its report that it leaves out), so what a
//! replace stored does not outlive the findings it listed. Real API server, the
//! operator's own request bodies.

use anyhow::{Context as _, Result, ensure};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::Patch;
use rampart_crd::{
    CLUSTER_REPORT_NAME, ClusterPostureReport, ClusterPostureReportFields, ControlPlaneStatus,
    EncryptionStatus, KubeletVersion, POSTURE_REPORT_NAME, PostureReport, Report,
};
use rampart_e2e::operator::install;
use rampart_e2e::{Cluster, TestNamespace};
use rampart_operator::apply::{
    FIELD_MANAGER, applied_body, name_left_out_of_cluster, report_body, report_params,
};
use rampart_operator::replace::{self, Target};
use serde_json::json;

/// A report whose findings an exception accepts (its `excepted` list is not empty).
fn with_excepted() -> serde_json::Value {
    json!({
        "score": 100, "summary": {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0},
        "lastEvaluated": "2026-12-03T00:00:00Z", "rampartVersion": "e2e", "truncated": false,
        "findings": [], "exceptedCount": 1,
        "excepted": [{
            "ruleId": "POD003", "severity": "critical",
            "resource": {"apiVersion": "v1", "kind": "Pod", "name": "app", "namespace": "x"},
            "exception": "x/accept-app", "owner": "platform", "expires": "2027-01-01T00:00:00Z",
            "fingerprint": "0123456789abcdef"
        }]
    })
}

/// The same report once the exception is gone and so is the finding: no `excepted`.
fn without() -> serde_json::Value {
    let mut report = with_excepted();
    if let Some(fields) = report.as_object_mut() {
        fields.remove("excepted");
        fields.insert("exceptedCount".to_owned(), json!(0));
    }
    report
}

/// Applies `report` as namespace `ns`'s report (created if missing), replaces it with
/// [`with_excepted`] as the operator replaces a report it wrote before, then applies
/// [`without`] with `body`; returns how many accepted findings the stored report lists.
async fn excepted_left(
    cluster: &Cluster,
    ns: &str,
    body: fn(ObjectMeta, &serde_json::Value, &str) -> serde_json::Value,
) -> Result<usize> {
    let api: Api<PostureReport> = Api::namespaced(cluster.client.clone(), ns);
    let params = report_params(FIELD_MANAGER);
    let meta = || ObjectMeta {
        name: Some(POSTURE_REPORT_NAME.to_owned()),
        namespace: Some(ns.to_owned()),
        ..ObjectMeta::default()
    };
    let created = api
        .patch_metadata(
            POSTURE_REPORT_NAME,
            &params,
            &Patch::Apply(applied_body(meta(), &without(), "first")),
        )
        .await?;
    let stored = replace::report(
        &cluster.client,
        ns,
        &replace::remembered(created.metadata),
        &with_excepted(),
        "second",
    )
    .await?
    .context("the report was not in the cluster to replace")?;
    let replaced = api.get(POSTURE_REPORT_NAME).await?;
    ensure!(
        replaced.spec.report.excepted.len() == 1,
        "the replace did not store the accepted finding: {:?}",
        replaced.spec.report
    );
    ensure!(
        replaced.metadata.managed_fields.iter().flatten().count() == 0,
        "the replace left field ownership: {:?} (stored {stored:?})",
        replaced.metadata.managed_fields
    );
    api.patch_metadata(
        POSTURE_REPORT_NAME,
        &params,
        &Patch::Apply(body(meta(), &without(), "third")),
    )
    .await?;
    Ok(api
        .get(POSTURE_REPORT_NAME)
        .await?
        .spec
        .report
        .excepted
        .len())
}

#[tokio::test]
async fn an_apply_over_a_replaced_report_leaves_nothing_of_it_behind() -> Result<()> {
    let cluster = Cluster::connect().await?;
    install(&cluster).await?;
    // The operator's apply: the list it names empty is emptied.
    let ns = TestNamespace::create(&cluster, "report-fields").await?;
    let left = excepted_left(&cluster, &ns.name, applied_body).await?;
    ensure!(
        left == 0,
        "the operator's apply kept {left} accepted finding(s) of the replaced report"
    );
    // The report as a replace writes it, applied: the list it leaves out stays (what the
    // operator's apply guards against, and what makes this test able to fail).
    let other = TestNamespace::create(&cluster, "report-fields").await?;
    let left = excepted_left(&cluster, &other.name, report_body).await?;
    ensure!(
        left == 1,
        "an apply leaving the list out removed it: the API server no longer keeps unowned fields ({left} left)"
    );
    ns.delete().await?;
    other.delete().await?;
    Ok(())
}

/// A ClusterPostureReport that names what it may leave out: an encryption provider and
/// notes, the API server's version, kubelet versions and some omitted.
fn cluster_full() -> ClusterPostureReportFields {
    let mut control_plane = ControlPlaneStatus::default();
    control_plane.version.api_server.version = Some("v1.37.2".to_owned());
    control_plane.version.kubelets.versions = vec![KubeletVersion {
        version: "v1.37.2".to_owned(),
        state: "current".to_owned(),
        nodes: 3,
    }];
    control_plane.version.kubelets.omitted_versions = 2;
    ClusterPostureReportFields {
        report: Report::default(),
        cluster_score: 90,
        cluster_summary: Default::default(),
        cluster_excepted: 0,
        encryption: Some(EncryptionStatus {
            state: "encrypted".to_owned(),
            provider: Some("aescbc".to_owned()),
            evidence: "apiserver-flags".to_owned(),
            detail: "Secrets are encrypted with aescbc.".to_owned(),
            notes: vec!["metrics were forbidden".to_owned()],
        }),
        control_plane: Some(control_plane),
    }
}

/// The same report once none of that is known: every one of those fields left out.
fn cluster_least() -> ClusterPostureReportFields {
    ClusterPostureReportFields {
        encryption: Some(EncryptionStatus {
            state: "unknown".to_owned(),
            ..EncryptionStatus::default()
        }),
        control_plane: Some(ControlPlaneStatus::default()),
        ..cluster_full()
    }
}

/// Applies [`cluster_full`] as the ClusterPostureReport, replaces it with the same as the
/// operator replaces it, then applies [`cluster_least`], its left-out fields named as the
/// operator's apply names them or not (`named`); returns what is stored.
async fn cluster_left(cluster: &Cluster, named: bool) -> Result<ClusterPostureReportFields> {
    let api: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    let params = report_params(FIELD_MANAGER);
    let body = |fields: ClusterPostureReportFields| {
        serde_json::to_value(ClusterPostureReport::new(CLUSTER_REPORT_NAME, fields))
    };
    let created = api
        .patch_metadata(
            CLUSTER_REPORT_NAME,
            &params,
            &Patch::Apply(body(cluster_full())?),
        )
        .await?;
    replace::replace(
        &cluster.client,
        Target::Cluster,
        &replace::remembered(created.metadata),
        |metadata| {
            let mut full = ClusterPostureReport::new(CLUSTER_REPORT_NAME, cluster_full());
            full.metadata = metadata;
            serde_json::to_vec(&full)
        },
    )
    .await?
    .context("the ClusterPostureReport was not in the cluster to replace")?;
    let replaced = api.get(CLUSTER_REPORT_NAME).await?;
    ensure!(
        replaced.metadata.managed_fields.iter().flatten().count() == 0,
        "the replace left field ownership: {:?}",
        replaced.metadata.managed_fields
    );
    let mut least = body(cluster_least())?;
    if named {
        name_left_out_of_cluster(&mut least);
    }
    api.patch_metadata(CLUSTER_REPORT_NAME, &params, &Patch::Apply(least))
        .await?;
    Ok(api.get(CLUSTER_REPORT_NAME).await?.spec)
}

/// The ClusterPostureReport the same way: the fields beside its report that its JSON leaves
/// out (null or empty) are named by the operator's apply, so an encryption provider or a
/// kubelet version that a replace stored does not outlive it.
#[tokio::test]
async fn an_apply_over_a_replaced_cluster_report_leaves_nothing_of_it_behind() -> Result<()> {
    let cluster = Cluster::connect().await?;
    install(&cluster).await?;
    let left = cluster_left(&cluster, true).await?;
    let least = cluster_least();
    ensure!(
        left.encryption == least.encryption && left.control_plane == least.control_plane,
        "the operator's apply kept fields of the replaced report: {:?} {:?}",
        left.encryption,
        left.control_plane
    );
    // Left out, they stay (what the naming guards against, and what lets this test fail).
    let left = cluster_left(&cluster, false).await?;
    ensure!(
        left.encryption.and_then(|e| e.provider).as_deref() == Some("aescbc"),
        "an apply leaving the provider out removed it: the API server no longer keeps unowned fields"
    );
    // The shared cluster's report is the operators' of the later tests: they write it anew.
    let api: Api<ClusterPostureReport> = Api::all(cluster.client.clone());
    api.delete(CLUSTER_REPORT_NAME, &Default::default()).await?;
    Ok(())
}
