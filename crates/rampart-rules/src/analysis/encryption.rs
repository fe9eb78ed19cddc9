//! Are Secrets encrypted at rest? Decided from the strongest evidence the inventory holds,
//! and saying which evidence that was:
//!
//! ```text
//! 1. kube-apiserver /metrics        what the storage transformers actually did
//! 2. kube-apiserver pod flags       --encryption-provider-config set or not
//! 3. the EncryptionConfiguration    provider order and coverage of Secrets
//! 4. declared in settings           a platform's promise: shown as declared, not proven
//!    none of these                  unknown, with what would decide it
//! ```
//! Weaker evidence is used only when stronger evidence is missing or undecided; the notes
//! say why a stronger one did not decide (metrics forbidden, no Secret written yet...).

use crate::inventory::Inventory;
use crate::model::apiserver_metrics::{ApiServerMetrics, Transformations};
use crate::model::encryption_config::ProviderKind;
use crate::model::identity::ObjectRef;
use crate::model::object::{apiserver_metrics_ref, encryption_config_ref};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Encrypted,
    Unencrypted,
    /// New writes are encrypted, but some Secrets are still stored in plaintext.
    PartiallyMigrated,
    Unknown,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Encrypted => "encrypted",
            State::Unencrypted => "unencrypted",
            State::PartiallyMigrated => "partially-migrated",
            State::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    #[serde(rename = "apiserver-metrics")]
    ApiServerMetrics,
    #[serde(rename = "apiserver-flags")]
    ApiServerFlags,
    EncryptionConfiguration,
    Declared,
    None,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::ApiServerMetrics => "apiserver-metrics",
            Evidence::ApiServerFlags => "apiserver-flags",
            Evidence::EncryptionConfiguration => "encryption-configuration",
            Evidence::Declared => "declared",
            Evidence::None => "none",
        }
    }
}

/// The verdict, with what it rests on. Its text carries no counts, so that a report only
/// changes when the verdict does.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub state: State,
    /// The provider Secrets are written with (`aescbc`, `kms v2`, `identity`), when known.
    pub provider: Option<String>,
    pub evidence: Evidence,
    /// One sentence a person can act on.
    pub detail: String,
    /// Why stronger evidence did not decide.
    pub notes: Vec<String>,
    /// The object the evidence came from, for findings.
    #[serde(skip)]
    pub source: Option<ObjectRef>,
}

/// Settings a user gives for platforms Rampart cannot inspect.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeclaredEncryption {
    /// e.g. `GKE (Google-managed keys)`, `EKS with KMS envelope encryption`.
    pub platform: String,
    /// The provider, as the platform documents it.
    #[serde(default)]
    pub provider: Option<String>,
}

impl Default for Assessment {
    /// The verdict without any evidence.
    fn default() -> Self {
        Assessment {
            state: State::Unknown,
            provider: None,
            evidence: Evidence::None,
            detail: "Could not determine whether Secrets are encrypted at rest".to_owned(),
            notes: Vec::new(),
            source: None,
        }
    }
}

const FLAG: &str = "encryption-provider-config";

/// Decides from the strongest evidence present; `declared` is what the settings say of a
/// platform Rampart cannot inspect.
pub fn assess(inventory: &Inventory, declared: Option<&DeclaredEncryption>) -> Assessment {
    let mut notes = Vec::new();
    if let Some(a) = from_metrics(inventory, &mut notes) {
        return Assessment { notes, ..a };
    }
    if let Some(a) = from_flags_and_config(inventory, &mut notes) {
        return Assessment { notes, ..a };
    }
    if let Some(d) = declared {
        return Assessment {
            state: State::Encrypted,
            provider: d.provider.clone(),
            evidence: Evidence::Declared,
            detail: format!(
                "Declared encrypted by the settings ({}); Rampart could not observe it",
                d.platform
            ),
            notes,
            source: None,
        };
    }
    Assessment {
        notes,
        ..Assessment::default()
    }
}

/// The provider with the most operations counted (the last of equals).
pub(crate) fn busiest(counts: &std::collections::BTreeMap<String, f64>) -> Option<String> {
    counts
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(p, _)| p.clone())
}

/// The counts of the scrapes that could be read, added up: several API servers each count
/// their own operations, and one plaintext write anywhere is a plaintext Secret in etcd.
pub(crate) fn summed<'a>(
    scrapes: impl IntoIterator<Item = &'a ApiServerMetrics>,
) -> Transformations {
    let mut sum = Transformations::default();
    for m in scrapes.into_iter().filter(|m| m.unavailable.is_none()) {
        sum.merge(&m.secrets);
    }
    sum
}

fn from_metrics(inv: &Inventory, notes: &mut Vec<String>) -> Option<Assessment> {
    let all: Vec<&ApiServerMetrics> = inv.apiserver_metrics().collect();
    if all.is_empty() {
        notes.push("kube-apiserver /metrics were not read".to_owned());
        return None;
    }
    let readable: Vec<&&ApiServerMetrics> =
        all.iter().filter(|m| m.unavailable.is_none()).collect();
    for m in all.iter().filter(|m| m.unavailable.is_some()) {
        notes.push(format!(
            "kube-apiserver /metrics of {} could not be read: {}",
            m.name,
            m.unavailable.as_deref().unwrap_or_default()
        ));
    }
    for m in &readable {
        if m.config_reload_failures > 0.0 {
            notes.push(format!(
                "{} failed to reload its encryption configuration; it keeps using the last one it loaded",
                m.name
            ));
        }
    }
    let first = readable.first()?;
    let sum = summed(all.iter().copied());
    // The finding names the server that showed the evidence, so its owner knows which
    // replica to fix; the first server read when they all agree.
    let showing = |shows: fn(&Transformations) -> bool| {
        let m = readable.iter().find(|m| shows(&m.secrets)).unwrap_or(first);
        Some(apiserver_metrics_ref(&m.name))
    };
    let servers = readable.len();
    let scope = if readable.iter().all(|m| m.per_resource) {
        "Secret"
    } else {
        "stored-object (this API server does not break them down by resource)"
    };
    let metrics = |state, provider, detail, source| Assessment {
        state,
        provider,
        evidence: Evidence::ApiServerMetrics,
        detail,
        notes: Vec::new(),
        source,
    };
    if sum.plaintext_writes > 0.0 {
        let also = busiest(&sum.encrypted_writes)
            .map(|p| format!("; other writes were encrypted with {p}, so the API servers are configured differently"))
            .unwrap_or_default();
        return Some(metrics(
            State::Unencrypted,
            Some("identity".to_owned()),
            format!(
                "kube-apiserver metrics ({servers} server(s) read) show {scope} writes stored in plaintext: identity is the first provider, or Secrets are not covered{also}"
            ),
            showing(|t| t.plaintext_writes > 0.0),
        ));
    }
    let provider = busiest(&sum.encrypted_writes).or_else(|| busiest(&sum.encrypted_reads));
    if let Some(p) = provider {
        if sum.plaintext_reads > 0.0 {
            return Some(metrics(
                State::PartiallyMigrated,
                Some(p.clone()),
                format!(
                    "kube-apiserver metrics show {scope} writes encrypted with {p}, but also reads of {scope}s stored in plaintext: some were written before encryption was enabled and never rewritten"
                ),
                showing(|t| t.plaintext_reads > 0.0),
            ));
        }
        return Some(metrics(
            State::Encrypted,
            Some(p.clone()),
            format!("kube-apiserver metrics show {scope}s written and read encrypted with {p}"),
            showing(|_| true),
        ));
    }
    if readable.iter().all(|m| !m.config_loaded) && sum.plaintext_reads == 0.0 {
        return Some(metrics(
            State::Unencrypted,
            Some("identity".to_owned()),
            "kube-apiserver metrics show no encryption configuration loaded: the API server runs without --encryption-provider-config, so Secrets are stored in plaintext".to_owned(),
            showing(|_| true),
        ));
    }
    notes.push(
        "kube-apiserver metrics show an encryption configuration but no encrypted Secret traffic yet (nothing written since the API server started)".to_owned(),
    );
    None
}

fn from_flags_and_config(inv: &Inventory, notes: &mut Vec<String>) -> Option<Assessment> {
    if let Some(api) = inv
        .api_servers()
        .find(|a| a.flags.get(FLAG).is_none_or(|v| v.is_empty()))
    {
        return Some(Assessment {
            state: State::Unencrypted,
            provider: Some("identity".to_owned()),
            evidence: Evidence::ApiServerFlags,
            detail: format!(
                "{} runs without --{FLAG}, so Secrets are stored in plaintext",
                api.pod
            ),
            notes: Vec::new(),
            source: Some(api.pod.clone()),
        });
    }
    // Every API server pod seen sets the flag: the configuration decides.
    let mut configs = inv.encryption_configs();
    if let Some((name, config)) = configs.next() {
        let source = Some(encryption_config_ref(name));
        let config_says = |state, provider, detail| Assessment {
            state,
            provider,
            evidence: Evidence::EncryptionConfiguration,
            detail,
            notes: Vec::new(),
            source: source.clone(),
        };
        let Some(entry) = config.resources.iter().find(|r| r.covers_secrets()) else {
            return Some(config_says(
                State::Unencrypted,
                Some("identity".to_owned()),
                format!("EncryptionConfiguration {name} does not cover Secrets"),
            ));
        };
        let first = entry.providers.first().map(|p| match p.kind {
            ProviderKind::Kms => format!("kms {}", p.kms_api_version.as_deref().unwrap_or("v1")),
            other => other.as_str().to_owned(),
        });
        return Some(match first.as_deref() {
            None | Some("identity") => config_says(
                State::Unencrypted,
                Some("identity".to_owned()),
                format!(
                    "EncryptionConfiguration {name} lists identity first for Secrets: new Secrets are written in plaintext"
                ),
            ),
            Some(p) => config_says(
                State::Encrypted,
                Some(p.to_owned()),
                format!("EncryptionConfiguration {name} writes Secrets with {p}"),
            ),
        });
    }
    if inv.api_servers().next().is_some() {
        notes.push(format!(
            "kube-apiserver sets --{FLAG}, but the configuration file was not given"
        ));
    } else {
        notes.push(
            "no kube-apiserver pod in kube-system and no EncryptionConfiguration given".to_owned(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assess_yaml(yaml: &str, declared: Option<&DeclaredEncryption>) -> Assessment {
        let inv = Inventory::from_manifest("t.yaml", yaml).expect("the test manifest reads");
        assess(&inv, declared)
    }

    const POD_WITH_FLAG: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver-cp1, namespace: kube-system, labels: {component: kube-apiserver}}\nspec: {containers: [{name: kube-apiserver, image: k, command: [kube-apiserver, --encryption-provider-config=/etc/enc.yaml]}]}\n";
    const CONFIG_AESGCM: &str = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: [{resources: [secrets], providers: [{aesgcm: {keys: [{name: k, secret: c2VjcmV0}]}}, {identity: {}}]}]\n";
    const METRICS_PLAIN: &str = "apiVersion: rampart.dev/v1alpha1\nkind: ApiServerMetrics\nmetadata: {name: apiserver}\ntext: |\n  apiserver_storage_transformation_operations_total{resource=\"secrets\",status=\"OK\",transformation_type=\"to_storage\",transformer_prefix=\"\"} 1\n";

    #[test]
    fn serialized_names_match_the_strings_reports_use() {
        for e in [
            Evidence::ApiServerMetrics,
            Evidence::ApiServerFlags,
            Evidence::EncryptionConfiguration,
            Evidence::Declared,
            Evidence::None,
        ] {
            assert_eq!(serde_json::to_value(e).ok(), Some(e.as_str().into()));
        }
        for s in [
            State::Encrypted,
            State::Unencrypted,
            State::PartiallyMigrated,
            State::Unknown,
        ] {
            assert_eq!(serde_json::to_value(s).ok(), Some(s.as_str().into()));
        }
    }

    #[test]
    fn metrics_outrank_the_configuration_file() {
        let a = assess_yaml(
            &format!("{POD_WITH_FLAG}---\n{CONFIG_AESGCM}---\n{METRICS_PLAIN}"),
            None,
        );
        assert_eq!(
            (a.state, a.evidence),
            (State::Unencrypted, Evidence::ApiServerMetrics)
        );
    }

    #[test]
    fn a_failed_reload_is_noted_with_the_verdict() {
        let yaml = "apiVersion: rampart.dev/v1alpha1\nkind: ApiServerMetrics\nmetadata: {name: apiserver}\ntext: |\n  apiserver_encryption_config_controller_automatic_reloads_total{apiserver_id_hash=\"sha256:a\",status=\"failure\"} 1\n  apiserver_storage_transformation_operations_total{resource=\"secrets\",status=\"OK\",transformation_type=\"to_storage\",transformer_prefix=\"k8s:enc:aesgcm:v1:\"} 1\n";
        let a = assess_yaml(yaml, None);
        assert_eq!(a.state, State::Encrypted);
        assert!(
            a.notes.iter().any(|n| n.contains("failed to reload")),
            "{a:?}"
        );
    }

    #[test]
    fn configuration_decides_when_the_flag_points_at_it() {
        let a = assess_yaml(&format!("{POD_WITH_FLAG}---\n{CONFIG_AESGCM}"), None);
        assert_eq!(a.state, State::Encrypted);
        assert_eq!(a.provider.as_deref(), Some("aesgcm"));
        assert_eq!(a.evidence, Evidence::EncryptionConfiguration);
    }

    #[test]
    fn forbidden_metrics_fall_back_and_say_so() {
        let forbidden = "apiVersion: rampart.dev/v1alpha1\nkind: ApiServerMetrics\nmetadata: {name: apiserver}\nunavailable: forbidden\n";
        let a = assess_yaml(forbidden, None);
        assert_eq!(a.state, State::Unknown);
        assert!(a.notes.iter().any(|n| n.contains("forbidden")), "{a:?}");
        let declared = DeclaredEncryption {
            platform: "ExampleCloud".to_owned(),
            provider: Some("kms v2".to_owned()),
        };
        let a = assess_yaml(forbidden, Some(&declared));
        assert_eq!(
            (a.state, a.evidence),
            (State::Encrypted, Evidence::Declared)
        );
        assert!(a.detail.contains("ExampleCloud"));
    }
}
