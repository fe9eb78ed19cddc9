//! Reading a live cluster once, through the current kubeconfig, for one-shot commands.

use anyhow::{Context as _, Result, bail};
use rampart_rules::Inventory;

/// Lists every kind the engine reads into an Inventory. Kinds that cannot be listed are
/// named on stderr; if none can, it is an error.
pub fn snapshot() -> Result<Inventory> {
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
        Ok(snap.inventory)
    })
}
