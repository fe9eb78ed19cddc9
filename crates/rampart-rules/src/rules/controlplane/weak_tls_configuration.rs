//! CP014 weak-tls-configuration.

use super::{on_flag, pods};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CP014",
    name: "weak-tls-configuration",
    title: "A control-plane component accepts weak TLS",
    category: Category::ControlPlane,
    severity: Severity::Medium,
    rationale: "TLS 1.0 and 1.1 are deprecated (RFC 8996), and the cipher suites Go marks \
        insecure (RC4, 3DES, CBC with SHA-256) or that exchange keys with plain RSA (no forward \
        secrecy: one leaked server key decrypts every recorded session) weaken every \
        connection to the component: credentials, Secrets and exec sessions cross them. The \
        binaries' defaults are safe; only explicit settings are reported.",
    remediation: "Remove `--tls-min-version` or set it to `VersionTLS12` or later, and limit \
        `--tls-cipher-suites` (etcd: `--cipher-suites`) to ECDHE suites with AES-GCM or \
        ChaCha20-Poly1305.",
    references: &[
        cis(
            "1.2.29",
            "Ensure that the API Server only makes use of Strong Cryptographic Ciphers",
        ),
        nsa(
            "Network separation and hardening",
            "Encrypt and authenticate traffic to the control plane",
        ),
    ],
    cluster_wide: true,
    check,
};

const OLD_VERSIONS: [&str; 2] = ["VersionTLS10", "VersionTLS11"];

/// Weak by name: Go's insecure suites and every suite without forward secrecy.
fn weak(suite: &str) -> bool {
    suite.starts_with("TLS_RSA_WITH_")
        || suite.contains("_RC4_")
        || suite.contains("_3DES_")
        || suite.ends_with("_CBC_SHA256")
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for component in Component::ALL {
        let suites_flag = if component == Component::Etcd {
            "cipher-suites"
        } else {
            "tls-cipher-suites"
        };
        for facts in pods(ctx, component) {
            let name = component.as_str();
            if component != Component::Etcd
                && let Some(v) = facts
                    .flag("tls-min-version")
                    .filter(|v| OLD_VERSIONS.contains(v))
            {
                emit.push(
                    on_flag(
                        facts,
                        "tls-min-version",
                        format!("starts {name} with --tls-min-version={v}: deprecated TLS versions are accepted"),
                    )
                    .discriminator("tls-min-version"),
                );
            }
            let bad: Vec<&str> = facts
                .list_flag(suites_flag)
                .into_iter()
                .filter(|s| weak(s))
                .collect();
            if !bad.is_empty() {
                emit.push(
                    on_flag(
                        facts,
                        suites_flag,
                        format!(
                            "starts {name} with weak cipher suites in --{suites_flag}: {}",
                            bad.join(", ")
                        ),
                    )
                    .discriminator(suites_flag),
                );
            }
        }
    }
}
