//! kube-apiserver restarts and the API comes back. A test binary of its own: cargo runs
//! test binaries one after another, so no other test sees the API server go away.

use anyhow::Result;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::Api;
use kube::api::ListParams;
use rampart_e2e::{Cluster, TestNamespace, wait_for};
use std::time::Duration;

#[tokio::test]
async fn api_comes_back_after_apiserver_restart() -> Result<()> {
    let cluster = Cluster::connect().await?;
    let before = TestNamespace::create(&cluster, "before-restart").await?;
    cluster.restart_apiserver().await?;
    // The same client reconnects; state written before the restart is still there.
    let namespaces: Api<Namespace> = Api::all(cluster.client.clone());
    wait_for("the API after restart", Duration::from_secs(60), || async {
        Ok(namespaces.get_opt(&before.name).await?)
    })
    .await?;
    let after = TestNamespace::create(&cluster, "after-restart").await?;
    let sas: Api<ServiceAccount> = Api::namespaced(cluster.client.clone(), &after.name);
    wait_for(
        "controllers to act after restart",
        Duration::from_secs(60),
        || async { Ok(sas.get_opt("default").await?) },
    )
    .await?;
    assert!(
        !namespaces
            .list(&ListParams::default())
            .await?
            .items
            .is_empty()
    );
    before.delete().await?;
    after.delete().await
}
