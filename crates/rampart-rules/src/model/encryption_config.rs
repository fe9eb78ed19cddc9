//! The API server's `EncryptionConfiguration` (apiserver.config.k8s.io/v1), which
//! k8s-openapi does not model. Only what the encryption rules judge is kept; key
//! material is read only to count keys and never stored.

use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncryptionConfiguration {
    pub resources: Vec<ResourceEncryption>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceEncryption {
    /// Resources as written: `secrets`, `*.*`, `*.apps`, `configmaps`, ...
    pub resources: Vec<String>,
    /// In order: the first one encrypts new writes.
    pub providers: Vec<Provider>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub kind: ProviderKind,
    /// Number of keys the provider holds (aescbc, aesgcm, secretbox); 0 for the others.
    pub keys: usize,
    /// `kms` only: the KMS API version, `v1` when unset (the API server's default).
    pub kms_api_version: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Identity,
    Aescbc,
    Aesgcm,
    Secretbox,
    Kms,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Identity => "identity",
            ProviderKind::Aescbc => "aescbc",
            ProviderKind::Aesgcm => "aesgcm",
            ProviderKind::Secretbox => "secretbox",
            ProviderKind::Kms => "kms",
        }
    }
}

impl Provider {
    /// Whether the provider is KMS v2, the one the Kubernetes docs recommend.
    pub fn is_kms_v2(&self) -> bool {
        self.kind == ProviderKind::Kms && self.kms_api_version.as_deref() == Some("v2")
    }
}

impl ResourceEncryption {
    /// Whether this entry applies to Secrets: `secrets`, `secrets.` (core group), `*.` or `*.*`.
    pub fn covers_secrets(&self) -> bool {
        self.resources
            .iter()
            .any(|r| matches!(r.as_str(), "secrets" | "secrets." | "*." | "*.*"))
    }
}

impl EncryptionConfiguration {
    /// The first entry that names Secrets decides how they are written, as in the API server.
    pub fn for_secrets(&self) -> Option<&ResourceEncryption> {
        self.resources.iter().find(|r| r.covers_secrets())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EncryptionConfigError {
    #[error("EncryptionConfiguration is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("provider entry {index} in resources[{entry}] names no known provider")]
    UnknownProvider { entry: usize, index: usize },
}

// The wire shape, private: keys are counted here and dropped.
#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    resources: Vec<WireResource>,
}

#[derive(Deserialize)]
struct WireResource {
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    providers: Vec<WireProvider>,
}

#[derive(Deserialize)]
struct WireProvider {
    identity: Option<serde_json::Value>,
    aescbc: Option<WireKeys>,
    aesgcm: Option<WireKeys>,
    secretbox: Option<WireKeys>,
    kms: Option<WireKms>,
}

#[derive(Deserialize)]
struct WireKeys {
    #[serde(default)]
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireKms {
    name: Option<String>,
    api_version: Option<String>,
}

impl EncryptionConfiguration {
    pub fn from_value(value: serde_json::Value) -> Result<Self, EncryptionConfigError> {
        let wire: Wire = serde_json::from_value(value)?;
        let mut resources = Vec::with_capacity(wire.resources.len());
        for (entry, r) in wire.resources.into_iter().enumerate() {
            let mut providers = Vec::with_capacity(r.providers.len());
            for (index, p) in r.providers.into_iter().enumerate() {
                let keyed = |kind, k: WireKeys| Provider {
                    kind,
                    keys: k.keys.len(),
                    kms_api_version: None,
                    name: None,
                };
                let provider = if let Some(k) = p.aesgcm {
                    keyed(ProviderKind::Aesgcm, k)
                } else if let Some(k) = p.aescbc {
                    keyed(ProviderKind::Aescbc, k)
                } else if let Some(k) = p.secretbox {
                    keyed(ProviderKind::Secretbox, k)
                } else if let Some(kms) = p.kms {
                    Provider {
                        kind: ProviderKind::Kms,
                        keys: 0,
                        kms_api_version: Some(kms.api_version.unwrap_or_else(|| "v1".into())),
                        name: kms.name,
                    }
                } else if p.identity.is_some() {
                    Provider {
                        kind: ProviderKind::Identity,
                        keys: 0,
                        kms_api_version: None,
                        name: None,
                    }
                } else {
                    return Err(EncryptionConfigError::UnknownProvider { entry, index });
                };
                providers.push(provider);
            }
            resources.push(ResourceEncryption {
                resources: r.resources,
                providers,
            });
        }
        Ok(EncryptionConfiguration { resources })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_providers_in_order_and_counts_keys() {
        let v = serde_json::json!({"resources": [{"resources": ["secrets"], "providers": [
            {"aesgcm": {"keys": [{"name": "k1", "secret": "x"}, {"name": "k2", "secret": "y"}]}},
            {"identity": {}}]}]});
        let c = EncryptionConfiguration::from_value(v).expect("valid");
        let s = c.for_secrets().expect("covers secrets");
        assert_eq!(s.providers[0].kind, ProviderKind::Aesgcm);
        assert_eq!(s.providers[0].keys, 2);
        assert_eq!(s.providers[1].kind, ProviderKind::Identity);
    }

    #[test]
    fn wildcard_covers_secrets_and_kms_defaults_to_v1() {
        let v = serde_json::json!({"resources": [{"resources": ["*.*"], "providers": [{"kms": {"name": "vault"}}]}]});
        let c = EncryptionConfiguration::from_value(v).expect("valid");
        let p = &c.for_secrets().expect("covers").providers[0];
        assert!(!p.is_kms_v2());
        assert_eq!(p.kms_api_version.as_deref(), Some("v1"));
    }

    #[test]
    fn unknown_provider_is_an_error() {
        let v = serde_json::json!({"resources": [{"resources": ["secrets"], "providers": [{"rot13": {}}]}]});
        assert!(EncryptionConfiguration::from_value(v).is_err());
    }
}
