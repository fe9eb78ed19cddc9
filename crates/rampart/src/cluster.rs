//! Reading a live cluster once, through the current kubeconfig, for one-shot commands.

use anyhow::{Context as _, Result, bail};
use rampart_rules::Inventory;
use rampart_rules::exceptions::Exception;

/// What one read of the cluster yielded.
pub struct Read {
    pub inventory: Inventory,
    /// The exceptions declared in the cluster; an unreadable one as why.
    pub exceptions: Vec<Result<Exception, String>>,
}

/// Lists every kind the engine reads into an Inventory, and the exceptions declared in the
/// cluster. Kinds that cannot be listed are named on stderr; if none can, it is an error.
pub fn snapshot() -> Result<Inventory> {
    read(false).map(|r| r.inventory)
}

/// [`snapshot`], and the cluster's exceptions when `exceptions`.
pub fn read(exceptions: bool) -> Result<Read> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let client = kube::Client::try_default()
            .await
            .context("connecting to the cluster of the current kubeconfig")?;
        let snap = rampart_operator::snapshot::take(&client).await;
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
