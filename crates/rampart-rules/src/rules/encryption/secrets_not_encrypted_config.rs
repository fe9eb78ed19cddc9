//! ENC001 secrets-not-encrypted-config.

use crate::rules::encryption::configs;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "ENC001",
    name: "secrets-not-encrypted-config",
    title: "EncryptionConfiguration does not cover Secrets",
    category: Category::Encryption,
    severity: Severity::High,
    rationale: "The API server encrypts only the resources an EncryptionConfiguration entry names \
        (`secrets`, or the `*.` and `*.*` wildcards). A configuration without such an entry leaves \
        every Secret in plaintext in etcd and in its backups, where anyone with access to the \
        storage can read them.",
    remediation: "Add an entry with `resources: [secrets]` (before any wildcard entry) and a \
        strong provider first (KMS v2; otherwise secretbox, or aesgcm with automated key \
        rotation), keeping `identity` last so existing plaintext data stays readable; restart \
        every API server, then rewrite all Secrets (`kubectl get secrets -A -o json | kubectl \
        replace -f -`) so that existing ones are encrypted too.",
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
    for (config_ref, config, entry) in configs(ctx) {
        if entry.is_some() {
            continue;
        }
        let covered: Vec<String> = config
            .resources
            .iter()
            .flat_map(|r| r.resources.iter().cloned())
            .collect();
        let listed = if covered.is_empty() {
            "no resources at all".to_owned()
        } else {
            covered.join(", ")
        };
        emit.push(
            Draft::new(
                config_ref.clone(),
                format!(
                    "{config_ref} covers {listed} but not secrets: Secrets are stored in plaintext"
                ),
            )
            .path("resources"),
        );
    }
}
