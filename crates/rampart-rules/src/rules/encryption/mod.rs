//! Secrets encryption at rest, decided from the evidence the input holds: the
//! EncryptionConfiguration itself, or the kube-apiserver static pod's flags. Without
//! evidence the answer is "unknown", never a failure.

use crate::analysis::encryption::{Evidence, State};
use crate::model::control_plane::ComponentFacts;
use crate::model::encryption_config::{EncryptionConfiguration, ResourceEncryption};
use crate::model::identity::ObjectRef;
use crate::model::object::encryption_config_ref;
use crate::rules::prelude::*;

mod apiserver_without_encryption_config;
mod encryption_at_rest_unknown;
mod identity_first_provider;
mod secrets_not_encrypted_config;
mod secrets_not_rewritten;
mod secrets_stored_unencrypted;
mod weak_encryption_provider;

pub const RULES: &[Rule] = &[
    secrets_not_encrypted_config::RULE,
    identity_first_provider::RULE,
    weak_encryption_provider::RULE,
    apiserver_without_encryption_config::RULE,
    encryption_at_rest_unknown::RULE,
    secrets_stored_unencrypted::RULE,
    secrets_not_rewritten::RULE,
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

/// Reports the API server's metrics when they show `state`: what ENC006 and ENC007 say is
/// observed behaviour, so only that evidence counts.
fn report_observed(ctx: &Context<'_>, emit: &mut Emitter, state: State) {
    if !ctx.cluster_in_scope() {
        return;
    }
    let verdict = ctx.encryption();
    if verdict.evidence != Evidence::ApiServerMetrics || verdict.state != state {
        return;
    }
    if let Some(source) = &verdict.source {
        emit.push(Draft::new(source.clone(), verdict.detail.clone()));
    }
}

/// The flag that points the API server at its EncryptionConfiguration.
const FLAG: &str = "encryption-provider-config";

/// Where `--encryption-provider-config` is in the API server's pod.
fn flag_path(api: &ComponentFacts) -> String {
    api.flag_path(FLAG)
}
