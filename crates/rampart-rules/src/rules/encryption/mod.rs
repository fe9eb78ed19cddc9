//! Secrets encryption at rest, decided from the evidence the input holds: the
//! EncryptionConfiguration itself, or the kube-apiserver static pod's flags. Without
//! evidence the answer is "unknown", never a failure.

use crate::context::Context;
use crate::encryption_config::{EncryptionConfiguration, ResourceEncryption};
use crate::object::ObjectRef;
use crate::rule::Rule;

mod apiserver_without_encryption_config;
mod encryption_at_rest_unknown;
mod identity_first_provider;
mod secrets_not_encrypted_config;
mod weak_encryption_provider;

pub const RULES: &[Rule] = &[
    secrets_not_encrypted_config::RULE,
    identity_first_provider::RULE,
    weak_encryption_provider::RULE,
    apiserver_without_encryption_config::RULE,
    encryption_at_rest_unknown::RULE,
];

/// The name findings give the EncryptionConfiguration, which has no metadata of its own.
pub const CONFIG_NAME: &str = "encryption-config";

pub fn config_ref() -> ObjectRef {
    ObjectRef::new(
        "apiserver.config.k8s.io/v1",
        "EncryptionConfiguration",
        None,
        CONFIG_NAME,
    )
}

/// The configuration and its entry for Secrets (with index), when the cluster is in scope.
fn secrets_entry<'a>(
    ctx: &Context<'a>,
) -> Option<(
    &'a EncryptionConfiguration,
    Option<(usize, &'a ResourceEncryption)>,
)> {
    if !ctx.cluster_in_scope() {
        return None;
    }
    let config = ctx.inventory.encryption_config()?;
    let entry = config
        .resources
        .iter()
        .enumerate()
        .find(|(_, r)| r.covers_secrets());
    Some((config, entry))
}
