//! The control plane is real: controllers run, RBAC decides, audit records, and the
//! offline engine's view of the built-in roles matches the live API server's.

use anyhow::Result;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::{ConfigMap, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use rampart_e2e::{Cluster, TestNamespace, apply_yaml, wait_for};
use std::collections::BTreeSet;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn new_namespace_gets_its_default_serviceaccount() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let ns = TestNamespace::create(&cluster, "sa").await?;
    let sas: Api<ServiceAccount> = Api::namespaced(cluster.client.clone(), &ns.name);
    wait_for("the default ServiceAccount", WAIT, || async {
        Ok(sas.get_opt("default").await?)
    })
    .await?;
    ns.delete().await
}

async fn can(cluster: &Cluster, user: &str, verb: &str, resource: &str, ns: &str) -> Result<bool> {
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(user.to_owned()),
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(ns.to_owned()),
                verb: Some(verb.to_owned()),
                resource: Some(resource.to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = Api::<SubjectAccessReview>::all(cluster.client.clone())
        .create(&PostParams::default(), &review)
        .await?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

#[tokio::test]
async fn subject_access_review_follows_rbac() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let ns = TestNamespace::create(&cluster, "sar").await?;
    let other = TestNamespace::create(&cluster, "sar-other").await?;
    apply_yaml(
        &cluster.client,
        Some(&ns.name),
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader}
rules:
- {apiGroups: [""], resources: ["pods"], verbs: ["get", "list"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: jane-reads-pods}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}
"#,
    )
    .await?;
    // The authorizer reads RBAC from an informer: wait until it has seen the binding.
    wait_for("jane to be allowed to list pods", WAIT, || async {
        Ok(can(&cluster, "jane", "list", "pods", &ns.name)
            .await?
            .then_some(()))
    })
    .await?;
    assert!(!can(&cluster, "jane", "delete", "pods", &ns.name).await?);
    assert!(!can(&cluster, "jane", "get", "secrets", &ns.name).await?);
    assert!(!can(&cluster, "jane", "list", "pods", &other.name).await?);
    assert!(!can(&cluster, "john", "list", "pods", &ns.name).await?);
    ns.delete().await?;
    other.delete().await
}

#[tokio::test]
async fn secret_access_is_audited_with_request_and_response() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let ns = TestNamespace::create(&cluster, "audit").await?;
    let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), &ns.name);
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "audited"}, "stringData": {"k": "v"}
    }))?;
    secrets.create(&PostParams::default(), &secret).await?;
    secrets.get("audited").await?;
    let namespace = ns.name.as_str();
    wait_for("audit events for the Secret", WAIT, || async {
        let verbs: BTreeSet<String> = cluster
            .audit_events()?
            .into_iter()
            .filter(|e| {
                e["objectRef"]["resource"] == "secrets"
                    && e["objectRef"]["namespace"] == namespace
                    && e["level"] == "RequestResponse"
                    && e["stage"] == "ResponseComplete"
                    // RequestResponse: the body of what was read is in the log.
                    && e["responseObject"]["metadata"]["name"] == "audited"
            })
            .filter_map(|e| e["verb"].as_str().map(str::to_owned))
            .collect();
        Ok((verbs.contains("create") && verbs.contains("get")).then_some(()))
    })
    .await?;
    ns.delete().await
}

#[tokio::test]
async fn builtin_admin_role_is_aggregated() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let roles: Api<ClusterRole> = Api::all(cluster.client.clone());
    let admin = wait_for("aggregated rules in ClusterRole admin", WAIT, || async {
        let r = roles.get("admin").await?;
        Ok(r.rules.as_ref().is_some_and(|x| !x.is_empty()).then_some(r))
    })
    .await?;
    assert!(admin.aggregation_rule.is_some());
    Ok(())
}

/// The embedded bootstrap policy and the offline aggregation agree with the live cluster:
/// every built-in ClusterRole exists with the same rules, and admin/edit/view resolve to
/// the rules the controller manager aggregated into them.
#[tokio::test]
async fn offline_bootstrap_policy_matches_the_api_server() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let roles: Api<ClusterRole> = Api::all(cluster.client.clone());
    // Aggregation runs shortly after start; wait until view has its rules.
    wait_for("aggregated view role", WAIT, || async {
        let r = roles.get("view").await?;
        Ok(r.rules
            .as_ref()
            .is_some_and(|x| !x.is_empty())
            .then_some(()))
    })
    .await?;
    let live = roles
        .list(&ListParams::default().labels("kubernetes.io/bootstrapping=rbac-defaults"))
        .await?;
    let offline = rampart_rules::rbac::Permissions::new();
    let mut checked = 0;
    for role in live.items {
        let name = role.metadata.name.clone().unwrap_or_default();
        let rules = offline
            .role_rules(&rampart_rules::RoleKey::ClusterRole(
                rampart_rules::Shared::new(&name),
            ))
            .unwrap_or_else(|| panic!("ClusterRole {name} is missing from the embedded policy"));
        let norm = |rs: &[k8s_openapi::api::rbac::v1::PolicyRule]| -> BTreeSet<String> {
            rs.iter()
                .map(|r| serde_json::to_string(r).unwrap_or_default())
                .collect()
        };
        assert_eq!(
            norm(rules),
            norm(role.rules.as_deref().unwrap_or(&[])),
            "rules of ClusterRole {name} differ between the embedded policy and the API server"
        );
        checked += 1;
    }
    assert!(
        checked > 50,
        "only {checked} bootstrap ClusterRoles checked"
    );
    Ok(())
}

fn is_forbidden(result: kube::Result<impl Sized>) -> bool {
    matches!(result, Err(kube::Error::Api(status)) if status.is_forbidden())
}

/// `cluster.sh token-kubeconfig` gives a client with exactly the ServiceAccount's RBAC:
/// what the operator will get when it runs under our manifests.
#[tokio::test]
async fn service_account_token_client_has_exactly_its_rbac() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let ns = TestNamespace::create(&cluster, "token").await?;
    let other = TestNamespace::create(&cluster, "token-other").await?;
    apply_yaml(
        &cluster.client,
        Some(&ns.name),
        r#"
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: configmap-reader}
rules:
- {apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-reads-configmaps}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: configmap-reader}
subjects:
- {kind: ServiceAccount, name: reader}
"#,
    )
    .await?;
    let client: Client = cluster.service_account_client(&ns.name, "reader").await?;
    let own: Api<ConfigMap> = Api::namespaced(client.clone(), &ns.name);
    wait_for("the ServiceAccount to list ConfigMaps", WAIT, || async {
        Ok(Some(own.list(&ListParams::default()).await?))
    })
    .await?;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns.name);
    assert!(is_forbidden(secrets.list(&ListParams::default()).await));
    let elsewhere: Api<ConfigMap> = Api::namespaced(client.clone(), &other.name);
    assert!(is_forbidden(elsewhere.list(&ListParams::default()).await));
    let roles: Api<ClusterRole> = Api::all(client);
    assert!(is_forbidden(roles.get("admin").await));
    ns.delete().await?;
    other.delete().await
}

/// What etcd holds for a Secret follows `cluster.sh up --encryption`: ciphertext under the
/// provider's prefix when encrypting, the plain protobuf otherwise.
#[tokio::test]
async fn secrets_are_stored_as_the_encryption_config_says() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let ns = TestNamespace::create(&cluster, "enc").await?;
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "at-rest"}, "stringData": {"password": "plaintext-marker-7f3a"}
    }))?;
    Api::<Secret>::namespaced(cluster.client.clone(), &ns.name)
        .create(&PostParams::default(), &secret)
        .await?;
    let key = format!("/registry/secrets/{}/at-rest", ns.name);
    let stored = cluster
        .etcd_get(&key)?
        .unwrap_or_else(|| panic!("{key} is not in etcd"));
    let contains = |needle: &[u8]| stored.windows(needle.len()).any(|w| w == needle);
    match cluster.encryption().as_str() {
        "none" => {
            assert!(stored.starts_with(b"k8s\0"), "not plain protobuf");
            assert!(contains(b"plaintext-marker-7f3a"));
        }
        provider => {
            let prefix = format!("k8s:enc:{provider}:v1:e2e-key:");
            assert!(
                stored.starts_with(prefix.as_bytes()),
                "stored value does not start with {prefix}"
            );
            assert!(!contains(b"plaintext-marker-7f3a"), "plaintext in etcd");
        }
    }
    ns.delete().await
}
