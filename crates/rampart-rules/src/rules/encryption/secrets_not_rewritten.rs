//! ENC007 secrets-not-rewritten-after-encryption.

use crate::analysis::encryption::State;
use crate::rules::encryption::report_observed;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "ENC007",
    name: "secrets-not-rewritten-after-encryption",
    title: "Some Secrets are still stored in plaintext after encryption was enabled",
    category: Category::Encryption,
    severity: Severity::Medium,
    rationale: "Enabling an encryption provider encrypts what is written from then on; Secrets \
        written before stay in plaintext in etcd until they are written again. The API \
        server's metrics show it still reading plaintext Secrets (the `identity` transformer) \
        while new writes are encrypted: those old Secrets, often the longest-lived \
        credentials, are exposed to anyone who reads etcd or a backup.",
    remediation: "Rewrite every Secret so the current provider encrypts it: \
        `kubectl get secrets -A -o json | kubectl replace -f -`. Then drop `identity` from \
        the providers for `secrets` once no plaintext reads remain.",
    references: &[
        nsa("Secrets", "Encrypt Secrets at rest"),
        mitre("T1552", "Unsecured Credentials"),
    ],
    // The verdict is the cluster's (its API servers, configuration and metrics), wherever
    // the object it names is: the cluster-scoped part decides and reports it.
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_observed(ctx, emit, State::PartiallyMigrated);
}
