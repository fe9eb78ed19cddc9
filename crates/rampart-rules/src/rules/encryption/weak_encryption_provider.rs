//! ENC003 weak-encryption-provider.
//!
//! Judges the provider that writes Secrets (the first of their entry) against the
//! Kubernetes documentation ("Encrypting Confidential Data at Rest"), which rates `aescbc`
//! weak, `aesgcm` and `secretbox` strong, and recommends KMS v2:
//!
//! | first provider        | severity | why                                                  |
//! |-----------------------|----------|------------------------------------------------------|
//! | `aescbc`              | medium   | rated weak (padding oracle), no longer recommended  |
//! | `kms` v1 (or no `apiVersion`) | medium | deprecated since 1.28, off by default since 1.29 |
//! | `aesgcm`, one key     | low      | must be rotated every 200,000 writes; one key means it never was |
//! | `aesgcm`, several keys| info     | rotated at least once; key still on the nodes       |
//! | `secretbox`           | info     | strong, but the key is still on the nodes           |
//! | `kms` v2              | —        | the recommendation                                  |
//!
//! `identity` first is ENC002's finding. Later providers only read, so an `aescbc` key kept
//! behind KMS v2 during a migration is not reported.

use crate::model::encryption_config::{Provider, ProviderKind};
use crate::rules::encryption::configs;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "ENC003",
    name: "weak-encryption-provider",
    title: "Secrets are encrypted with a weaker or deprecated provider",
    category: Category::Encryption,
    severity: Severity::Medium,
    rationale: "The Kubernetes documentation recommends KMS v2 for Secrets: the key-encryption \
        key stays in an external key service, so a stolen etcd backup together with the API \
        server's configuration file does not decrypt them. With the local providers (`aescbc`, \
        `aesgcm`, `secretbox`) the key sits in the EncryptionConfiguration file on every control \
        plane node. Among them, `aescbc` is rated weak and no longer recommended (CBC with PKCS#7 \
        padding is open to padding-oracle attacks), and `aesgcm` uses random nonces, so its key \
        must be rotated every 200,000 writes and is recommended only with automated rotation; a \
        single key means it has never been rotated. KMS v1 is deprecated since Kubernetes 1.28 \
        and disabled by default since 1.29. Severity: medium for aescbc and KMS v1, low for \
        aesgcm with one key, info for secretbox and rotated aesgcm.",
    remediation: "Move to KMS v2 (`kms` with `apiVersion: v2`), which also rotates data keys \
        for you. Until then prefer `secretbox` over `aesgcm` and `aescbc`. To rotate a local \
        key without locking any API server out: add the new key as the second key on every API \
        server and restart them all; then make it the first key and restart them all again; \
        rewrite all Secrets (`kubectl get secrets -A -o json | kubectl replace -f -`); then \
        remove the old key. With `aesgcm`, automate this well before 200,000 writes.",
    references: &[
        cis(
            "1.2.28",
            "Ensure that encryption providers are appropriately configured",
        ),
        nsa("Secrets", "Encrypt Secrets at rest with a KMS provider"),
        mitre("T1552", "Unsecured Credentials"),
    ],
    // The verdict is the cluster's (its API servers, configuration and metrics), wherever
    // the object it names is: the cluster-scoped part decides and reports it.
    cluster_wide: true,
    check,
};

/// Severity and wording for the provider that writes Secrets; `None` for KMS v2 and identity.
fn judge(p: &Provider) -> Option<(Severity, String)> {
    let why = match p.kind {
        ProviderKind::Aescbc => (
            Severity::Medium,
            "aescbc, which the Kubernetes documentation rates weak (padding-oracle attacks on CBC) and no longer recommends".to_owned(),
        ),
        ProviderKind::Kms if !p.is_kms_v2() => (
            Severity::Medium,
            format!(
                "KMS v1{}, which is deprecated since Kubernetes 1.28 and disabled by default since 1.29",
                p.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
            ),
        ),
        ProviderKind::Aesgcm if p.keys <= 1 => (
            Severity::Low,
            "aesgcm with a single key: aesgcm keys must be rotated every 200,000 writes, and this one never was".to_owned(),
        ),
        ProviderKind::Aesgcm => (
            Severity::Info,
            format!("aesgcm ({} keys, so it has been rotated), whose key must be rotated every 200,000 writes and is kept on the control plane nodes", p.keys),
        ),
        ProviderKind::Secretbox => (
            Severity::Info,
            "secretbox, which is strong but keeps its key on the control plane nodes; KMS v2 keeps it in a key service".to_owned(),
        ),
        ProviderKind::Kms | ProviderKind::Identity => return None,
    };
    Some(why)
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
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
