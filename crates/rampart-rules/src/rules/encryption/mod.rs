//! Secrets encryption at rest, decided from the evidence the input holds: the
//! EncryptionConfiguration itself, or the kube-apiserver static pod's flags. Without
//! evidence the answer is "unknown", never a failure.

use crate::context::Context;
use crate::encryption_config::{EncryptionConfiguration, ResourceEncryption};
use crate::inventory::encryption_config_ref;
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

/// Each configuration given, with its reference and its entry for Secrets (with index),
/// when the cluster is in scope.
type ConfigView<'a> = (
    ObjectRef,
    &'a EncryptionConfiguration,
    Option<(usize, &'a ResourceEncryption)>,
);

fn configs<'a>(ctx: &Context<'a>) -> Vec<ConfigView<'a>> {
    if !ctx.cluster_in_scope() {
        return Vec::new();
    }
    ctx.inventory
        .encryption_configs()
        .map(|(name, config)| {
            let entry = config
                .resources
                .iter()
                .enumerate()
                .find(|(_, r)| r.covers_secrets());
            (encryption_config_ref(name), config, entry)
        })
        .collect()
}
