//! ENC003 weak-encryption-provider.

use crate::context::Context;
use crate::emit::{Draft, Emitter};
use crate::encryption_config::{Provider, ProviderKind};
use crate::rule::{Category, Rule, Severity, cis, mitre, nsa};
use crate::rules::encryption::configs;

pub const RULE: Rule = Rule {
    id: "ENC003",
    name: "weak-encryption-provider",
    title: "Secrets are encrypted with a weaker or deprecated provider",
    category: Category::Encryption,
    severity: Severity::Medium,
    rationale: "The Kubernetes documentation recommends KMS v2 for Secrets: keys stay in an \
        external key service, and a stolen etcd backup plus the API server's configuration file \
        does not decrypt them. With the local providers the key sits in a file on every control \
        plane node. Among them, `aescbc` is no longer recommended (it is vulnerable to \
        padding-oracle attacks), and KMS v1 is deprecated and disabled by default since \
        Kubernetes 1.29. `aesgcm` must have its key rotated before 2^32 writes, so a single key \
        that is never rotated is a risk; `secretbox` is strong but the key is still local.",
    remediation: "Move to KMS v2 (`kms` with `apiVersion: v2`). Until then prefer `secretbox` or \
        `aesgcm` over `aescbc`, and rotate keys: add a new key first, restart the API servers, \
        rewrite all Secrets, then remove the old key.",
    references: &[
        cis(
            "1.2.28",
            "Ensure that encryption providers are appropriately configured",
        ),
        nsa("Secrets", "Encrypt Secrets at rest with a KMS provider"),
        mitre("T1552", "Unsecured Credentials"),
    ],
    check,
};

/// Severity and wording for the provider that writes Secrets; `None` for KMS v2.
fn judge(p: &Provider) -> Option<(Severity, String)> {
    match p.kind {
        ProviderKind::Aescbc => Some((Severity::Medium, "aescbc, which is no longer recommended (padding-oracle weakness) and keeps its key on the control plane nodes".to_owned())),
        ProviderKind::Kms if !p.is_kms_v2() => Some((Severity::Medium, "KMS v1, which is deprecated and disabled by default since Kubernetes 1.29".to_owned())),
        ProviderKind::Aesgcm if p.keys <= 1 => Some((Severity::Low, "aesgcm with a single key: its key must be rotated before 2^32 writes and keeps its key on the control plane nodes".to_owned())),
        ProviderKind::Aesgcm | ProviderKind::Secretbox => Some((Severity::Info, format!("{}, whose key is kept on the control plane nodes; KMS v2 keeps it in a key service", p.kind.as_str()))),
        ProviderKind::Kms | ProviderKind::Identity => None,
    }
}

fn check(ctx: &Context<'_>, emit: &mut Emitter<'_>) {
    for (config_ref, _, entry) in configs(ctx) {
        let Some((i, entry)) = entry else { continue };
        // Only the first provider writes; identity first is ENC002's finding.
        let Some((severity, why)) = entry.providers.first().and_then(judge) else {
            continue;
        };
        emit.push(
            Draft::new(
                config_ref.clone(),
                format!("{config_ref}: Secrets are encrypted with {why}"),
            )
            .path(format!("resources[{i}].providers[0]"))
            .severity(severity),
        );
    }
}
