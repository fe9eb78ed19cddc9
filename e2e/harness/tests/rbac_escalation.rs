//! An escalation path Rampart reports is one the API server lets an attacker walk: a user
//! who may only request tokens for one ServiceAccount, which is bound to cluster-admin, is
//! reported as able to make itself cluster-admin, and then really does so, step by step.

use anyhow::{Context as _, Result, bail};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::config::{AuthInfo, KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use rampart_e2e::{Cluster, TestNamespace, apply_yaml, wait_for};
use rampart_rules::Subject;
use rampart_rules::rbac::ResourceRequest;
use rampart_rules::rbac::{Escalations, Limits};
use rampart_rules::rbac::{Permissions, UserInfo};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

async fn config(cluster: &Cluster) -> Result<Config> {
    let kc = Kubeconfig::read_from(&cluster.kubeconfig)?;
    Ok(Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?)
}

/// The admin's connection, acting as `user` (the API server checks `impersonate` for the admin
/// and then authorizes every request as `user`).
async fn as_user(cluster: &Cluster, user: &str) -> Result<Client> {
    let mut c = config(cluster).await?;
    c.auth_info.impersonate = Some(user.to_owned());
    Ok(Client::try_from(c)?)
}

/// A connection that authenticates with a bearer token only.
async fn with_token(cluster: &Cluster, token: String) -> Result<Client> {
    let mut c = config(cluster).await?;
    c.auth_info = AuthInfo {
        token: Some(token.into()),
        ..AuthInfo::default()
    };
    Ok(Client::try_from(c)?)
}

#[tokio::test]
async fn reported_token_path_to_cluster_admin_is_walkable() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let ns = TestNamespace::create(&cluster, "rbac-esc").await?;
    let crb = format!("{}-deployer-admin", ns.name);
    let bob = format!("{}-bob", ns.name);
    let result = walk(&cluster, &ns.name, &crb, &bob).await;
    let _ = Api::<ClusterRoleBinding>::all(cluster.client.clone())
        .delete(&crb, &DeleteParams::default())
        .await;
    ns.delete().await?;
    result
}

async fn walk(cluster: &Cluster, ns: &str, crb: &str, bob: &str) -> Result<()> {
    apply_yaml(
        &cluster.client,
        Some(ns),
        &format!(
            r#"
apiVersion: v1
kind: ServiceAccount
metadata: {{name: deployer}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {crb}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
subjects: [{{kind: ServiceAccount, name: deployer, namespace: {ns}}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: token-minter}}
rules:
- {{apiGroups: [""], resources: [serviceaccounts/token], resourceNames: [deployer], verbs: [create]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: bob-token-minter}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: token-minter}}
subjects: [{{kind: User, name: {bob}}}]
"#
        ),
    )
    .await?;

    // Rampart, from a snapshot of the live cluster: bob can make himself cluster-admin.
    let snap = rampart_operator::snapshot::take(&cluster.client).await;
    if !snap.skipped.is_empty() {
        bail!("the snapshot could not list {:?}", snap.skipped);
    }
    let perms = Permissions::from_inventory(&snap.inventory);
    let esc = Escalations::build(&snap.inventory, &perms, Limits::default());
    let path = esc
        .path_to_cluster_admin(&Subject::User(bob.to_owned()))
        .context("Rampart finds no path from bob to cluster-admin")?;
    println!("rbac_escalation: {}", path.describe());
    assert_eq!(path.steps.len(), 2, "{}", path.describe());
    assert!(
        path.steps[0]
            .0
            .action
            .contains("request a token for ServiceAccount")
    );
    assert!(path.steps[1].0.direct);
    // And bob alone cannot read Secrets in kube-system.
    let read_system_secrets = ResourceRequest {
        verb: "list",
        resource: "secrets",
        namespace: "kube-system",
        ..ResourceRequest::default()
    };
    assert!(!perms.allowed(&UserInfo::new(bob, &[]), &read_system_secrets));

    // The API server: bob is refused the Secrets, but gets the token, and the token gets them.
    let as_bob = as_user(cluster, bob).await?;
    let token = wait_for(
        "bob to be allowed to request deployer's token",
        WAIT,
        || async {
            let request = TokenRequest {
                spec: Some(TokenRequestSpec {
                    expiration_seconds: Some(600),
                    ..TokenRequestSpec::default()
                }),
                ..TokenRequest::default()
            };
            match Api::<ServiceAccount>::namespaced(as_bob.clone(), ns)
                .create_token_request("deployer", &PostParams::default(), &request)
                .await
            {
                Ok(t) => Ok(t.status.and_then(|s| s.token)),
                Err(kube::Error::Api(e)) if e.code == 403 => Ok(None),
                Err(e) => Err(e.into()),
            }
        },
    )
    .await?;
    let refused = Api::<Secret>::namespaced(as_bob, "kube-system")
        .list(&ListParams::default())
        .await;
    assert!(
        matches!(refused, Err(kube::Error::Api(ref e)) if e.code == 403),
        "bob himself must not list kube-system Secrets: {refused:?}"
    );
    let as_deployer = with_token(cluster, token).await?;
    Api::<Secret>::namespaced(as_deployer, "kube-system")
        .list(&ListParams::default())
        .await
        .context("the token bob minted should list kube-system Secrets")?;
    Ok(())
}
