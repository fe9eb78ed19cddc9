//! Leader election through the Lease `rampart`, and handing it back on shutdown.
//!
//! ```text
//! start ──> follow task: LeaseManager::changed() ──> watch channel ──> the operator's loop
//! shutdown: loop returned ──> abort follow ──> release (bounded) ──> runtime shuts down
//! ```
//!
//! The Lease is released explicitly, after the loop stopped writing and before the runtime
//! goes: releasing it from a task the runtime's shutdown cancels lost the request half the
//! time, and the next replica then waited for the Lease to lapse.

use anyhow::{Context as _, Result};
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// How long shutdown waits for the Lease to be released; past it the Lease lapses instead.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);
/// Retry delays after a failed Lease request, doubling from the first to the last.
const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_LAST: Duration = Duration::from_secs(8);

/// This replica's part in the election: the task that takes and renews the Lease.
pub struct Leadership {
    manager: Arc<LeaseManager>,
    follow: JoinHandle<()>,
    identity: String,
}

impl Leadership {
    /// Joins the election for Lease `rampart` in `namespace`; the receiver says whether this
    /// replica leads.
    pub async fn start(
        client: kube::Client,
        namespace: &str,
        identity: String,
        duration_seconds: u64,
    ) -> Result<(Leadership, watch::Receiver<bool>)> {
        // One field manager per replica: server-side apply detects a conflict only between
        // different managers, so a shared one would let two replicas both take the lease.
        let manager = LeaseManagerBuilder::new(client, "rampart")
            .with_namespace(namespace)
            .with_identity(&identity)
            .with_duration(duration_seconds)
            .with_grace(2)
            .with_field_manager(format!("rampart-lease-{identity}"))
            .build()
            .await
            .context("setting up leader election")?;
        let manager = Arc::new(manager);
        let (leading, receiver) = watch::channel(false);
        let follow = tokio::spawn(follow(manager.clone(), leading));
        Ok((
            Leadership {
                manager,
                follow,
                identity,
            },
            receiver,
        ))
    }

    /// Stops renewing and hands the Lease back, so that a standby takes over at once. Call
    /// it only once the loop no longer writes: a standby may lead from here on.
    pub async fn release(self) {
        self.follow.abort();
        // Waits for the abort: a renewal in flight is dropped before the release is sent.
        let _ = self.follow.await;
        match tokio::time::timeout(RELEASE_TIMEOUT, self.manager.release()).await {
            Ok(Ok(())) => info!(identity = %self.identity, "released the lease"),
            Ok(Err(e)) => warn!(
                identity = %self.identity,
                error = %e,
                "could not release the lease; the next leader waits for it to lapse"
            ),
            Err(_) => warn!(
                identity = %self.identity,
                "releasing the lease took longer than {RELEASE_TIMEOUT:?}; the next leader waits for it to lapse"
            ),
        }
    }
}

/// Takes the Lease when it is free, renews it while held, and tells the loop each change;
/// runs until aborted. A failed request is retried: the API server may be restarting.
async fn follow(manager: Arc<LeaseManager>, leading: watch::Sender<bool>) {
    let mut retry = RETRY_FIRST;
    loop {
        match manager.changed().await {
            Ok(is_leader) => {
                retry = RETRY_FIRST;
                leading.send_replace(is_leader);
            }
            Err(e) => {
                warn!(error = %e, "leader election: a Lease request failed; retrying in {retry:?}");
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(RETRY_LAST);
            }
        }
    }
}
