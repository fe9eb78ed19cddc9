//! ENC002 identity-first-provider.

use crate::model::encryption_config::ProviderKind;
use crate::rules::encryption::configs;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "ENC002",
    name: "identity-first-provider",
    title: "Secrets are written unencrypted: identity is the first provider",
    category: Category::Encryption,
    severity: Severity::Critical,
    rationale: "The API server writes with the first provider of the entry that covers a resource \
        and uses the others only to read. With `identity` first, every Secret written is stored in \
        plaintext even though encrypting providers are listed; the configuration looks like \
        encryption and is not. This is also the state mid-way through disabling encryption.",
    remediation: "Put the encrypting provider first and `identity` last (kept only while old \
        plaintext data remains), restart every API server, then rewrite all Secrets so that they \
        are stored encrypted.",
    references: &[
        cis(
            "1.2.28",
            "Ensure that encryption providers are appropriately configured",
        ),
        nsa("Secrets", "Encrypt Secrets at rest"),
        mitre("T1552", "Unsecured Credentials"),
    ],
    // The verdict is the cluster's (its API servers, configuration and metrics), wherever
    // the object it names is: the cluster-scoped part decides and reports it.
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for (config_ref, _, entry) in configs(ctx) {
        let Some((i, entry)) = entry else { continue };
        if entry.providers.first().map(|p| p.kind) != Some(ProviderKind::Identity) {
            continue;
        }
        let rest: Vec<&str> = entry
            .providers
            .iter()
            .skip(1)
            .map(|p| p.kind.as_str())
            .collect();
        let readers = if rest.is_empty() {
            "no other provider".to_owned()
        } else {
            format!("{} only for reading", rest.join(", "))
        };
        emit.push(
            Draft::new(
                config_ref.clone(),
                format!("{config_ref}: the entry for secrets writes with identity (plaintext) and uses {readers}"),
            )
            .path(format!("resources[{i}].providers[0]")),
        );
    }
}
