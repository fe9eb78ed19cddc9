//! Whether a workload's pods get a ServiceAccount token, and through which field.

use crate::inventory::{Inventory, Workload};

/// Where the token gets into the pod, if it does: the field that mounts it.
pub fn token_mount(inv: &Inventory, w: &Workload<'_>) -> Option<String> {
    let projected = || {
        w.spec
            .volumes
            .iter()
            .position(|v| v.projects_service_account_token)
    };
    let explicit = w.spec.automount_service_account_token;
    let sa_setting = inv
        .service_account(w.namespace(), w.service_account_name())
        .and_then(|sa| sa.automount_service_account_token);
    // The pod's own setting wins over the ServiceAccount's; both default to mounting.
    match explicit.or(sa_setting) {
        Some(false) => projected().map(|i| format!("spec.volumes[{i}].projected")),
        _ if explicit == Some(true) => Some("spec.automountServiceAccountToken".to_owned()),
        _ => Some("spec.serviceAccountName".to_owned()),
    }
}
