//! Secrets encryption at rest, decided from the evidence the input holds: the
//! EncryptionConfiguration itself, or the kube-apiserver static pod's flags. Without
//! evidence the answer is "unknown", never a failure.

use crate::analysis::encryption::{Evidence, State};
use crate::model::apiserver_flags::ApiServerFacts;
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

/// Where `--encryption-provider-config` is in the API server's pod: the argument that sets
/// it (the last one, which wins), or the list that would hold it.
fn flag_path(ctx: &Context<'_>, api: &ApiServerFacts) -> String {
    let ns = api.pod.namespace.as_deref().unwrap_or_default();
    // The same container the inventory read the flags from.
    let Some(c) = ctx
        .inventory
        .pod(ns, &api.pod.name)
        .and_then(|p| p.apiserver.as_deref())
    else {
        return "spec.containers".to_owned();
    };
    let i = c.container;
    let bare = format!("--{FLAG}");
    let with_value = format!("--{FLAG}=");
    // `args` follow `command` on the command line, so a setting there is the later one.
    for (field, list) in [("args", &c.args), ("command", &c.command)] {
        if let Some(j) = list
            .iter()
            .rposition(|a| *a == bare || a.starts_with(&with_value))
        {
            return format!("spec.containers[{i}].{field}[{j}]");
        }
    }
    let field = if c.command.is_empty() {
        "args"
    } else {
        "command"
    };
    format!("spec.containers[{i}].{field}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::settings::Settings;
    use crate::inventory::Inventory;

    use crate::model::scope::Scope;

    fn api_server(command: &str, args: &str) -> Inventory {
        let text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver-cp1\n  namespace: kube-system\n  labels: {{component: kube-apiserver}}\nspec:\n  containers:\n  - {{name: proxy, image: proxy}}\n  - {{name: kube-apiserver, image: kas, command: {command}, args: {args}}}\n"
        );
        Inventory::from_manifest("pod.yaml", &text).expect("the test manifest reads")
    }

    fn path_of(inv: &Inventory) -> String {
        let settings = Settings::default();
        let derived = crate::Derived::default();
        let ctx = Context::new(inv, &derived, &settings, &Scope::All);
        let api = inv.api_servers().first().expect("an API server");
        flag_path(&ctx, api)
    }

    #[test]
    fn flag_path_points_at_the_last_setting_argument() {
        let inv = api_server(
            "[kube-apiserver, --encryption-provider-config=/a, --v=2]",
            "[--encryption-provider-config, /b]",
        );
        assert_eq!(path_of(&inv), "spec.containers[1].args[0]");
        let inv = api_server(
            "[kube-apiserver]",
            "[--v=2, --encryption-provider-config, /b]",
        );
        assert_eq!(path_of(&inv), "spec.containers[1].args[1]");
        let inv = api_server(
            "[kube-apiserver, --encryption-provider-config=/a, --encryption-provider-config=/c]",
            "[]",
        );
        assert_eq!(path_of(&inv), "spec.containers[1].command[2]");
    }

    #[test]
    fn flag_path_without_the_flag_points_at_the_list_that_holds_flags() {
        let inv = api_server("[kube-apiserver, --v=2]", "[]");
        assert_eq!(path_of(&inv), "spec.containers[1].command");
        let inv = api_server("[]", "[--v=2]");
        assert_eq!(path_of(&inv), "spec.containers[1].args");
    }
}
