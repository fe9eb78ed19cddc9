//! Report writes refused by real admission: a ValidatingAdmissionPolicy that denies every
//! write of one resource (in one namespace, or everywhere), for the tests of what the
//! operator does while the API server refuses a report and after.

use crate::operator::{Operator, metric_sum_where};
use crate::{Cluster, apply_yaml, wait_for};
use anyhow::{Context as _, Result};
use kube::api::{DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::time::Duration;

/// A policy named `name` denying CREATE and UPDATE of rampart.dev `resource` with
/// `message`; in namespace `namespace` only, when given.
pub async fn refuse(
    cluster: &Cluster,
    name: &str,
    resource: &str,
    message: &str,
    namespace: Option<&str>,
) -> Result<()> {
    let scope = namespace
        .map(|ns| {
            format!(
                "  matchResources: {{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: {ns}}}}}}}\n"
            )
        })
        .unwrap_or_default();
    let yaml = format!(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
         metadata: {{name: {name}}}\n\
         spec:\n  failurePolicy: Fail\n  matchConstraints:\n    resourceRules:\n\
         \x20   - {{apiGroups: [rampart.dev], apiVersions: ['*'], operations: [CREATE, UPDATE], resources: [{resource}]}}\n\
         \x20 validations: [{{expression: 'false', message: '{message}'}}]\n---\n\
         apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n\
         metadata: {{name: {name}}}\n\
         spec:\n  policyName: {name}\n  validationActions: [Deny]\n{scope}"
    );
    apply_yaml(&cluster.client, None, &yaml).await?;
    Ok(())
}

/// Waits until the API server applies the policy (it loads one a moment after it is
/// created): `probe`, an object named `probe_name`, is refused with `message`. A probe
/// that lands before is deleted.
pub async fn wait_refused<K>(
    api: &Api<K>,
    probe_name: &str,
    probe: &serde_json::Value,
    message: &str,
    timeout: Duration,
) -> Result<()>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    wait_for("the policy to refuse the probe", timeout, || async {
        let sent = api
            .patch(
                probe_name,
                &PatchParams::apply("e2e").force(),
                &Patch::Apply(probe),
            )
            .await;
        Ok(match sent {
            Err(e) if e.to_string().contains(message) => Some(()),
            Ok(_) => {
                api.delete(probe_name, &DeleteParams::default()).await?;
                None
            }
            Err(_) => None,
        })
    })
    .await
}

/// Deletes the policy `name` and its binding.
pub async fn lift(cluster: &Cluster, name: &str) -> Result<()> {
    for (kind, plural) in [
        (
            "ValidatingAdmissionPolicyBinding",
            "validatingadmissionpolicybindings",
        ),
        ("ValidatingAdmissionPolicy", "validatingadmissionpolicies"),
    ] {
        let gvk = GroupVersionKind::gvk("admissionregistration.k8s.io", "v1", kind);
        let api: Api<DynamicObject> = Api::all_with(
            cluster.client.clone(),
            &ApiResource::from_gvk_with_plural(&gvk, plural),
        );
        api.delete(name, &DeleteParams::default()).await?;
    }
    Ok(())
}

/// A pod named `app` in `ns` whose container is privileged (finding POD003).
pub fn privileged_pod(ns: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: app, namespace: {ns}}}\n\
         spec: {{containers: [{{name: c, image: registry.example/app:1.0, securityContext: {{privileged: true}}}}]}}\n"
    )
}

/// Report writes the operator counted as failed (refused ones included).
pub fn failed_writes(operator: &Operator) -> Result<f64> {
    metric_sum_where(
        operator.health,
        "rampart_report_writes_total",
        "result=\"failed\"",
    )
}

/// Waits for two failed writes: refused, then tried again on its own (nothing in the
/// cluster changes meanwhile).
pub async fn refused_twice(operator: &Operator, timeout: Duration) -> Result<()> {
    wait_for("two refused writes", timeout, || async {
        Ok((failed_writes(operator)? >= 2.0).then_some(()))
    })
    .await
    .with_context(|| operator.log())
}
