//! What kube-apiserver keeps of a report the operator replaced and then applies again (a
//! report gone from its writer's memory, or an operator that may not update): a replace
//! resets the report's field ownership, so none of its fields has a manager, and an
//! apply keeps every field it does not name that its manager did not apply before. The
//! operator's apply names every list the report's JSON leaves out while empty, so what a
//! replace stored does not outlive the findings it listed. Real API server, the
//! operator's own request bodies.

use anyhow::{Context as _, Result, ensure};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::Patch;
use rampart_crd::{POSTURE_REPORT_NAME, PostureReport};
use rampart_e2e::operator::install;
use rampart_e2e::{Cluster, TestNamespace};
use rampart_operator::apply::{FIELD_MANAGER, applied_body, report_body, report_params};
use rampart_operator::replace;
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
