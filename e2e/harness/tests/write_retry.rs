//! A report write the API server refuses is tried again on its own, after a wait that
//! doubles, and lands once the refusal ends: no change in the cluster is needed to bring
//! it; meanwhile the other reports are written. The refusal is real admission: a
//! ValidatingAdmissionPolicy that denies every PostureReport write in one namespace.

use anyhow::{Context as _, Result, ensure};
use kube::Api;
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use rampart_crd::PostureReport;
use rampart_e2e::operator::{Operator, WAIT, env_dir, install, metric_sum_where};
use rampart_e2e::{Cluster, TestNamespace, apply_yaml, wait_for};
use std::time::{Duration, Instant};

const REFUSAL: &str = "refused by the write-retry e2e test";

fn policy(name: &str, ns: &str) -> String {
    format!(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
         metadata: {{name: {name}}}\n\
         spec:\n  failurePolicy: Fail\n  matchConstraints:\n    resourceRules:\n\
         \x20   - {{apiGroups: [rampart.dev], apiVersions: ['*'], operations: [CREATE, UPDATE], resources: [posturereports]}}\n\
         \x20 validations: [{{expression: 'false', message: '{REFUSAL}'}}]\n---\n\
         apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n\
         metadata: {{name: {name}}}\n\
         spec:\n  policyName: {name}\n  validationActions: [Deny]\n\
         \x20 matchResources: {{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {ns}}}}}}}\n"
    )
}

fn privileged_pod(ns: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: app, namespace: {ns}}}\n\
         spec: {{containers: [{{name: c, image: registry.example/app:1.0, securityContext: {{privileged: true}}}}]}}\n"
    )
}

/// The namespace's report, once it lists the privileged pod.
async fn privileged_report(reports: &Api<PostureReport>) -> Result<Option<PostureReport>> {
    Ok(reports
        .get_opt("posture")
        .await?
        .filter(|r| r.spec.report.findings.iter().any(|f| f.rule_id == "POD003")))
}

/// Deletes an admission object by kind and name.
async fn delete(cluster: &Cluster, kind: &str, plural: &str, name: &str) -> Result<()> {
    let gvk = GroupVersionKind::gvk("admissionregistration.k8s.io", "v1", kind);
    let api: Api<DynamicObject> = Api::all_with(
        cluster.client.clone(),
        &ApiResource::from_gvk_with_plural(&gvk, plural),
    );
    api.delete(name, &DeleteParams::default()).await?;
    Ok(())
}

#[tokio::test]
async fn a_refused_report_write_is_tried_again_until_it_lands() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let kubeconfig = install(&cluster).await?;
    let ns = TestNamespace::create(&cluster, "write-retry").await?;
    // Its report sorts after the refused one's ("o" after the digits): written all the
    // same, while the refused one waits.
    let other = TestNamespace::create(&cluster, "write-retry-ok").await?;
    let name = format!("refuse-{}", ns.name);
    apply_yaml(&cluster.client, None, &policy(&name, &ns.name)).await?;
    // The API server loads a policy a moment after it is created: wait until it refuses.
    let reports: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &ns.name);
    let probe = serde_json::json!({
        "apiVersion": "rampart.dev/v1alpha1", "kind": "PostureReport",
        "metadata": {"name": "probe"},
        "report": {"score": 100, "summary": {"critical": 0, "high": 0, "medium": 0, "low": 0, "info": 0},
                   "lastEvaluated": "2026-01-01T00:00:00Z", "rampartVersion": "e2e"},
    });
    wait_for(
        "the policy to refuse PostureReport writes",
        WAIT,
        || async {
            let sent = reports
                .patch(
                    "probe",
                    &PatchParams::apply("e2e").force(),
                    &Patch::Apply(&probe),
                )
                .await;
            Ok(match sent {
                Err(e) if e.to_string().contains(REFUSAL) => Some(()),
                Ok(_) => {
                    reports.delete("probe", &DeleteParams::default()).await?;
                    None
                }
                Err(_) => None,
            })
        },
    )
    .await?;

    let state = env_dir("RAMPART_E2E_DIR");
    let operator = Operator::start_with(
        &kubeconfig,
        state.join("operator-write-retry.log"),
        &["--leader-election", "false"],
    )?;
    operator.wait_ready().await?;
    let pods = format!(
        "{}---\n{}",
        privileged_pod(&ns.name),
        privileged_pod(&other.name)
    );
    apply_yaml(&cluster.client, None, &pods).await?;
    let failed = || {
        metric_sum_where(
            operator.health,
            "rampart_report_writes_total",
            "result=\"failed\"",
        )
    };
    // Refused, then tried again on its own: nothing in the cluster changes meanwhile.
    wait_for("two refused writes", WAIT * 2, || async {
        Ok((failed()? >= 2.0).then_some(()))
    })
    .await
    .with_context(|| operator.log())?;
    ensure!(
        reports.get_opt("posture").await?.is_none(),
        "the refused report is not there"
    );
    let others: Api<PostureReport> = Api::namespaced(cluster.client.clone(), &other.name);
    wait_for(
        "the other namespace's report, while the first is refused",
        WAIT,
        || privileged_report(&others),
    )
    .await
    .with_context(|| operator.log())?;
    ensure!(
        operator.log().contains(REFUSAL) && operator.log().contains("retry_in_s"),
        "the log names the refusal and when it tries again:\n{}",
        operator.log()
    );

    let lifted = Instant::now();
    delete(
        &cluster,
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        &name,
    )
    .await?;
    delete(
        &cluster,
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        &name,
    )
    .await?;
    // The next try (at most a minute away; a few seconds here) writes it.
    let report = wait_for(
        "the report once the refusal is lifted",
        Duration::from_secs(75),
        || privileged_report(&reports),
    )
    .await
    .with_context(|| operator.log())?;
    eprintln!(
        "written {:?} after the refusal was lifted, after {} refused writes",
        lifted.elapsed(),
        failed()?
    );
    ensure!(report.spec.report.summary.critical >= 1);
    ns.delete().await?;
    other.delete().await?;
    Ok(())
}
