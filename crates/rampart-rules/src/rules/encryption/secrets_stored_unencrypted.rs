//! ENC006 secrets-stored-unencrypted.

use crate::analysis::encryption::State;
use crate::rules::encryption::report_observed;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "ENC006",
    name: "secrets-stored-unencrypted",
    title: "kube-apiserver is observed storing Secrets in plaintext",
    category: Category::Encryption,
    severity: Severity::High,
    rationale: "The API server's own storage metrics count every value it writes to etcd with \
        the transformer that wrote it. Writes without an encrypting prefix, or no encryption \
        configuration loaded at all, mean Secrets reach etcd, its disks and its backups in \
        plaintext, whatever any configuration file says. This is observed behaviour, the \
        strongest evidence there is, and it covers managed control planes whose flags and \
        files cannot be inspected.",
    remediation: "Configure `--encryption-provider-config` on every API server with a strong \
        provider listed first for `secrets` (KMS v2 preferred, aesgcm or aescbc otherwise, \
        `identity` only last), restart the API servers, then rewrite every Secret \
        (`kubectl get secrets -A -o json | kubectl replace -f -`) so the existing ones are \
        encrypted too.",
    references: &[
        cis(
            "1.2.27",
            "Ensure that the --encryption-provider-config argument is set as appropriate",
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
    report_observed(ctx, emit, State::Unencrypted);
}
