//! Writes the status of declared exceptions (API): what Rampart made of each, only when it
//! changed (`excepting::statuses` decides), only while this replica leads.

use crate::apply::FIELD_MANAGER;
use crate::excepting::StatusUpdate;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use rampart_crd::{ClusterPostureException, PostureException};
use rampart_rules::exceptions::{API_VERSION, NAMESPACED_KIND};
use tracing::warn;

/// Writes each status; how many it wrote. A failure is logged and tried again at the next
/// pass, which finds the status still different.
pub async fn write(client: &Client, updates: &[StatusUpdate]) -> u64 {
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let mut written = 0;
    for u in updates {
        let body = serde_json::json!({
            "apiVersion": API_VERSION,
            "kind": u.kind,
            "status": u.status,
        });
        let patch = Patch::Apply(&body);
        let result = match (&u.namespace, u.kind) {
            (Some(ns), NAMESPACED_KIND) => {
                let api: Api<PostureException> = Api::namespaced(client.clone(), ns);
                api.patch_status(&u.name, &params, &patch).await.map(drop)
            }
            _ => {
                let api: Api<ClusterPostureException> = Api::all(client.clone());
                api.patch_status(&u.name, &params, &patch).await.map(drop)
            }
        };
        match result {
            Ok(()) => written += 1,
            // Deleted since it was judged: nothing to say about it.
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => {
                warn!(kind = u.kind, name = %u.name, error = %e, "writing an exception's status failed; retrying at the next evaluation")
            }
        }
    }
    written
}
