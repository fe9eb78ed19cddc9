//! Reading a live cluster once, through the current kubeconfig, for one-shot commands.

use crate::cli::KubeArgs;
use anyhow::{Context as _, Result, bail};
use kube::Config;
use kube::config::{KubeConfigOptions, Kubeconfig};
use rampart_operator::apiserver::AnonymousClient;
use rampart_rules::Inventory;
use rampart_rules::exceptions::Exception;

/// What one read of the cluster yielded.
pub struct Read {
    pub inventory: Inventory,
    /// The exceptions declared in the cluster; an unreadable one as why.
    pub exceptions: Vec<Result<Exception, String>>,
}

/// A client for the cluster `kube` names: its kubeconfig and context, else the current
/// context of $KUBECONFIG or ~/.kube/config, else the in-cluster configuration.
pub async fn client(kube: &KubeArgs) -> Result<kube::Client> {
    kube::Client::try_from(config(kube).await?).context("creating the Kubernetes client")
}

/// A client for the same API server that sends no credentials at all (no token, no client
/// certificate), for the anonymous probe: it trusts the same CA, so it reaches the server
/// as anyone on the network would.
pub async fn anonymous_client(kube: &KubeArgs) -> Result<AnonymousClient> {
    let mut config = config(kube).await?;
    config.auth_info = kube::config::AuthInfo::default();
    let client = kube::Client::try_from(config).context("creating the anonymous probe's client")?;
    Ok(AnonymousClient(client))
}

async fn config(kube: &KubeArgs) -> Result<Config> {
    let options = KubeConfigOptions {
        context: kube.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = match (&kube.kubeconfig, &kube.context) {
        (Some(path), _) => {
            let file = Kubeconfig::read_from(path)
                .with_context(|| format!("reading kubeconfig {}", path.display()))?;
            Config::from_custom_kubeconfig(file, &options)
                .await
                .map_err(anyhow::Error::from)
        }
        (None, Some(_)) => Config::from_kubeconfig(&options)
            .await
            .map_err(anyhow::Error::from),
        (None, None) => Config::infer().await.map_err(anyhow::Error::from),
    };
    config.with_context(|| match &kube.context {
        Some(context) => format!("loading kubeconfig context {context:?}"),
        None => "loading the kubeconfig (or in-cluster configuration)".to_owned(),
    })
}

/// Lists every kind the engine reads into an Inventory, and the exceptions declared in the
/// cluster. Kinds that cannot be listed are named on stderr; if none can, it is an error.
pub fn snapshot(kube: &KubeArgs) -> Result<Inventory> {
    read(kube, false).map(|r| r.inventory)
}

/// [`snapshot`], and the cluster's exceptions when `exceptions`.
pub fn read(kube: &KubeArgs, exceptions: bool) -> Result<Read> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let client = client(kube).await?;
        let anonymous = anonymous_client(kube).await?;
        let snap = rampart_operator::snapshot::take_probing(&client, Some(anonymous)).await;
        for (kind, why) in &snap.skipped {
            eprintln!("warning: could not list {kind}: {why}");
        }
        if snap.inventory.counts().is_empty() && !snap.skipped.is_empty() {
            bail!("could not list any kind from the cluster");
        }
        let mut declared = Vec::new();
        if exceptions {
            let (found, failed) = rampart_operator::declared::list_once(&client).await;
            for (kind, why) in failed {
                eprintln!("warning: could not list {kind}: {why}");
            }
            declared = found.by_id.into_values().map(|d| d.exception).collect();
        }
        Ok(Read {
            inventory: snap.inventory,
            exceptions: declared,
        })
    })
}
