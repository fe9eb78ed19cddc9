//! Whether Secrets are encrypted at rest, as one of three states for the
//! `rampart_secrets_encryption` state set. Derived from the encryption rules' findings for
//! now; richer evidence (the API server's own view) will replace this function alone.

use rampart_rules::Finding;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncryptionState {
    Encrypted,
    Unencrypted,
    Unknown,
}

impl EncryptionState {
    pub const ALL: [EncryptionState; 3] = [
        EncryptionState::Encrypted,
        EncryptionState::Unencrypted,
        EncryptionState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EncryptionState::Encrypted => "encrypted",
            EncryptionState::Unencrypted => "unencrypted",
            EncryptionState::Unknown => "unknown",
        }
    }
}

/// Rules whose finding means Secrets are written in plaintext: no entry for Secrets
/// (ENC001), identity first (ENC002), an API server without an encryption config (ENC004).
const PLAINTEXT_RULES: [&str; 3] = ["ENC001", "ENC002", "ENC004"];
/// The engine's own "could not tell" (ENC005).
const UNKNOWN_RULE: &str = "ENC005";

/// Plaintext evidence wins over everything; without any encryption finding the engine saw
/// a configuration that encrypts Secrets (a weak provider, ENC003, still encrypts).
/// `evaluated` is false when the inputs the encryption rules read could not be listed.
pub fn from_findings(findings: &[Finding], evaluated: bool) -> EncryptionState {
    if findings
        .iter()
        .any(|f| PLAINTEXT_RULES.contains(&f.rule_id))
    {
        EncryptionState::Unencrypted
    } else if !evaluated || findings.iter().any(|f| f.rule_id == UNKNOWN_RULE) {
        EncryptionState::Unknown
    } else {
        EncryptionState::Encrypted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_rules::{Inventory, Settings, evaluate};

    fn findings_of(yaml: &str) -> Vec<Finding> {
        let mut inv = Inventory::new();
        for (o, s) in rampart_rules::manifest::parse("test.yaml", yaml).objects {
            inv.insert(o, Some(s));
        }
        inv.reindex();
        evaluate(&inv, &Settings::default()).findings
    }

    #[test]
    fn no_evidence_is_unknown() {
        assert_eq!(
            from_findings(&findings_of(""), true),
            EncryptionState::Unknown
        );
    }

    #[test]
    fn identity_first_is_unencrypted_and_aescbc_first_is_encrypted() {
        let config = |first: &str, second: &str| {
            format!(
                "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n\
                 resources:\n- resources: [secrets]\n  providers:\n  - {first}\n  - {second}\n"
            )
        };
        let aescbc =
            "aescbc: {keys: [{name: k, secret: c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTIzNDU2Nzg=}]}";
        assert_eq!(
            from_findings(&findings_of(&config("identity: {}", aescbc)), true),
            EncryptionState::Unencrypted
        );
        assert_eq!(
            from_findings(&findings_of(&config(aescbc, "identity: {}")), true),
            EncryptionState::Encrypted
        );
        assert_eq!(
            from_findings(&findings_of(&config(aescbc, "identity: {}")), false),
            EncryptionState::Unknown
        );
    }
}
