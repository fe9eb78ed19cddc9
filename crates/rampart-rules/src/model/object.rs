//! The kinds the engine reads, and their decoding from generic JSON documents.

use crate::model::apiserver_metrics::{ApiServerMetrics, ApiServerMetricsDocument};
use crate::model::apiserver_probe::ApiServerProbe;
use crate::model::encryption_config::{EncryptionConfigError, EncryptionConfiguration};
use crate::model::identity::ObjectRef;
use crate::model::kinds::{
    self, API_SERVER_METRICS, API_SERVER_PROBE, ENCRYPTION_CONFIGURATION, KindInfo, group_of,
};
use crate::model::meta::{Meta, Metadata};
use crate::model::plain_yaml;
use crate::model::yaml_as_json::{Head, decode_document};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// A Secret without its values: Rampart never keeps Secret data, even when a manifest has it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecretMeta {
    pub metadata: Meta,
    /// `type`, where the source provides it (metadata-only watches do not).
    pub type_: Option<String>,
    /// Whether the manifest carried values in `data` or `stringData` (never the values:
    /// a metadata-only watch has none).
    pub has_data: bool,
}

impl SecretMeta {
    /// A Secret known by its metadata alone, as a metadata-only watch returns it.
    pub fn from_metadata(metadata: ObjectMeta) -> SecretMeta {
        SecretMeta {
            metadata: metadata.into(),
            type_: None,
            has_data: false,
        }
    }
}

/// A Secret document as the engine reads it: metadata, `type`, and which keys `data` and
/// `stringData` hold; their values are skipped unread.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretDocument {
    #[serde(default)]
    metadata: ObjectMeta,
    #[serde(rename = "type")]
    type_: Option<String>,
    #[serde(default)]
    data: Option<BTreeMap<String, serde::de::IgnoredAny>>,
    #[serde(default)]
    string_data: Option<BTreeMap<String, serde::de::IgnoredAny>>,
}

impl From<SecretDocument> for SecretMeta {
    fn from(d: SecretDocument) -> SecretMeta {
        let has = |m: &Option<BTreeMap<String, serde::de::IgnoredAny>>| {
            m.as_ref().is_some_and(|m| !m.is_empty())
        };
        SecretMeta {
            type_: d.type_,
            has_data: has(&d.data) || has(&d.string_data),
            ..SecretMeta::from_metadata(d.metadata)
        }
    }
}

macro_rules! objects {
    ($($variant:ident: $api:ty => $kept:ty, $scope:ident $field:ident;)*) => {
        /// One object of a kind the engine reads.
        // Objects are moved once, into the inventory's maps; boxing the large variants
        // would cost an allocation per object for no gain.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone)]
        pub enum Object {
            $($variant($kept),)*
            EncryptionConfiguration(EncryptionConfiguration),
            /// kube-apiserver's `/metrics`, scraped by the operator or saved for a scan.
            ApiServerMetrics(ApiServerMetrics),
            /// What the API server answered to Rampart's probe (or a declared version).
            ApiServerProbe(ApiServerProbe),
        }

        impl Object {
            /// The kind's name, as the table of kinds lists it.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(Object::$variant(_) => stringify!($variant),)*
                    Object::EncryptionConfiguration(_) => ENCRYPTION_CONFIGURATION.kind,
                    Object::ApiServerMetrics(_) => API_SERVER_METRICS.kind,
                    Object::ApiServerProbe(_) => API_SERVER_PROBE.kind,
                }
            }

            /// The object's metadata; evidence that is not a Kubernetes object has none.
            pub fn metadata(&self) -> Option<&dyn Metadata> {
                match self {
                    $(Object::$variant(x) => Some(&x.metadata),)*
                    Object::EncryptionConfiguration(_)
                    | Object::ApiServerMetrics(_)
                    | Object::ApiServerProbe(_) => None,
                }
            }

            /// The object's metadata, to change; `None` as for [`Object::metadata`].
            pub fn metadata_mut(&mut self) -> Option<&mut dyn Metadata> {
                match self {
                    $(Object::$variant(x) => Some(&mut x.metadata),)*
                    Object::EncryptionConfiguration(_)
                    | Object::ApiServerMetrics(_)
                    | Object::ApiServerProbe(_) => None,
                }
            }
        }

        // The engine's object for each API type. Every object loses what no rule reads
        // (managed fields, the last-applied copy, ...); a projection has pruned already,
        // and pruning again finds nothing.
        $(
            impl From<$api> for Object {
                fn from(o: $api) -> Object {
                    let mut kept: $kept = o.into();
                    kept.metadata.prune();
                    Object::$variant(kept)
                }
            }
        )*

        /// Decodes a Kubernetes object of a kind the table lists.
        fn decode_kubernetes(
            kind: &str,
            name: &str,
            value: serde_json::Value,
        ) -> Result<Option<Object>, DecodeError> {
            Ok(Some(match kind {
                $(stringify!($variant) => typed::<$api>(kind, name, value)?.into(),)*
                _ => return Ok(None),
            }))
        }

        /// Decodes one YAML document of a Kubernetes kind the table lists straight into its
        /// type, read through JSON's types as [`decode`] reads it; `None` when the text
        /// does not decode as that kind, which [`decode`] then explains.
        fn decode_kubernetes_yaml(kind: &str, text: &str) -> Option<(Object, Head)> {
            let yaml = || serde_yaml_ng::Deserializer::from_str(text);
            Some(match kind {
                $(stringify!($variant) => {
                    // Most manifests are plain block YAML, read without libyaml; the rest
                    // (and whatever that reader declines) the way libyaml reads them.
                    let (api, head) = plain_yaml::read(text, |top| decode_document::<$api, _>(top))
                        .ok()
                        .or_else(|| decode_document::<$api, _>(yaml()).ok())?;
                    (api.into(), head)
                })*
                _ => return None,
            })
        }
    };
}

kinds::kubernetes_kinds!(objects);

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("document has no kind")]
    MissingKind,
    #[error("document of kind {kind} has no apiVersion")]
    MissingApiVersion { kind: String },
    #[error("{kind} has no metadata.name")]
    MissingName { kind: String },
    #[error("{kind} {name:?} does not match its schema: {source}")]
    Schema {
        kind: String,
        name: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Encryption(#[from] EncryptionConfigError),
}

/// What a document turned out to be.
#[derive(Debug)]
pub enum Decoded {
    Object(Box<Object>),
    /// A kind the engine does not read; counted and skipped.
    Unknown {
        kind: String,
    },
}

fn typed<T: serde::de::DeserializeOwned>(
    kind: &str,
    name: &str,
    value: serde_json::Value,
) -> Result<T, DecodeError> {
    serde_json::from_value(value).map_err(|source| DecodeError::Schema {
        kind: kind.to_owned(),
        name: name.to_owned(),
        source,
    })
}

/// The table's entry for a kind written with this `apiVersion`: a kind served from another
/// group is a different kind that shares a name.
fn known_kind(kind: &str, api_version: &str) -> Option<&'static KindInfo> {
    kinds::info(kind).filter(|k| group_of(k.api_version) == group_of(api_version))
}

/// Decodes one (non-list) document. `kind` and `apiVersion` decide the type.
pub fn decode(value: serde_json::Value) -> Result<Decoded, DecodeError> {
    let kind = value
        .get("kind")
        .and_then(|k| k.as_str())
        .ok_or(DecodeError::MissingKind)?
        .to_owned();
    let api_version = value
        .get("apiVersion")
        .and_then(|k| k.as_str())
        .ok_or_else(|| DecodeError::MissingApiVersion { kind: kind.clone() })?
        .to_owned();
    let Some(info) = known_kind(&kind, &api_version) else {
        return Ok(Decoded::Unknown { kind });
    };
    // Evidence that is not a Kubernetes object has a shape of its own.
    if *info == ENCRYPTION_CONFIGURATION {
        let config = EncryptionConfiguration::from_value(value)?;
        return Ok(Decoded::Object(Box::new(Object::EncryptionConfiguration(
            config,
        ))));
    }
    if *info == API_SERVER_METRICS {
        let doc: ApiServerMetricsDocument = typed(&kind, "", value)?;
        let name = doc.metadata.name;
        let metrics = match doc.unavailable {
            Some(why) => ApiServerMetrics::unavailable(&name, &why),
            None => ApiServerMetrics::parse(&name, &doc.text),
        };
        return Ok(Decoded::Object(Box::new(Object::ApiServerMetrics(metrics))));
    }
    if *info == API_SERVER_PROBE {
        let name = value
            .pointer("/metadata/name")
            .and_then(|n| n.as_str())
            .unwrap_or("apiserver")
            .to_owned();
        let mut probe: ApiServerProbe = typed(&kind, &name, value)?;
        probe.name = name;
        return Ok(Decoded::Object(Box::new(Object::ApiServerProbe(probe))));
    }
    let name = value
        .pointer("/metadata/name")
        .and_then(|n| n.as_str())
        .unwrap_or("")
        .to_owned();
    if name.is_empty() {
        return Err(DecodeError::MissingName { kind });
    }
    let Some(object) = decode_kubernetes(&kind, &name, value)? else {
        return Ok(Decoded::Unknown { kind });
    };
    Ok(Decoded::Object(Box::new(object)))
}

/// Decodes one YAML document whose `kind` and `apiVersion` were read from its text,
/// without building a value tree first: the objects [`decode`] gives for the same
/// document, and `None` for anything else (another kind, a schema mismatch, no name,
/// malformed YAML), for [`decode`] to decode or explain.
pub fn decode_yaml(kind: &str, api_version: &str, text: &str) -> Option<Object> {
    let info = known_kind(kind, api_version)?;
    // Evidence that is not a Kubernetes object has shapes of its own.
    if [
        ENCRYPTION_CONFIGURATION,
        API_SERVER_METRICS,
        API_SERVER_PROBE,
    ]
    .contains(info)
    {
        return None;
    }
    let (object, head) = decode_kubernetes_yaml(kind, text)?;
    // The kind and version the text showed must be the document's own, once each.
    let own = head.kind.as_deref() == Some(kind)
        && head.api_version.as_deref() == Some(api_version)
        && !head.repeated;
    let named = object.metadata().is_some_and(|m| !m.name().is_empty());
    (own && named).then_some(object)
}

/// The reference findings name an object by; an EncryptionConfiguration has none (its
/// file names it).
pub fn reference_of(o: &Object) -> Option<ObjectRef> {
    match o {
        Object::EncryptionConfiguration(_) => None,
        Object::ApiServerMetrics(m) => Some(apiserver_metrics_ref(&m.name)),
        Object::ApiServerProbe(p) => Some(apiserver_probe_ref(&p.name)),
        _ => {
            let meta = o.metadata()?;
            let api_version = kinds::info(o.kind()).map_or("", |k| k.api_version);
            Some(ObjectRef::new(
                api_version,
                o.kind(),
                meta.namespace(),
                meta.name(),
            ))
        }
    }
}

/// How findings name the metrics of one API server.
pub fn apiserver_metrics_ref(name: &str) -> ObjectRef {
    ObjectRef::new(
        API_SERVER_METRICS.api_version,
        API_SERVER_METRICS.kind,
        None,
        name,
    )
}

/// How findings name what one API server answered to a probe.
pub fn apiserver_probe_ref(name: &str) -> ObjectRef {
    ObjectRef::new(
        API_SERVER_PROBE.api_version,
        API_SERVER_PROBE.kind,
        None,
        name,
    )
}

/// How findings name an EncryptionConfiguration.
pub fn encryption_config_ref(name: &str) -> ObjectRef {
    ObjectRef::new(
        ENCRYPTION_CONFIGURATION.api_version,
        ENCRYPTION_CONFIGURATION.kind,
        None,
        name,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_are_dropped() {
        let d = decode(json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": "a"}, "type": "Opaque",
            "data": {"password": "aHVudGVyMg=="}}))
        .expect("decodes");
        let Decoded::Object(o) = d else {
            panic!("expected an object")
        };
        let Object::Secret(s) = *o else {
            panic!("expected a secret")
        };
        assert_eq!(s.type_.as_deref(), Some("Opaque"));
        assert!(!format!("{s:?}").contains("aHVudGVyMg"));
    }

    #[test]
    fn same_name_in_other_group_is_unknown() {
        let d = decode(
            json!({"apiVersion": "example.com/v1", "kind": "Role", "metadata": {"name": "x"}}),
        )
        .expect("decodes");
        assert!(matches!(d, Decoded::Unknown { kind } if kind == "Role"));
    }

    #[test]
    fn schema_errors_name_the_object() {
        let err = decode(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": 3}}))
            .unwrap_err();
        assert!(err.to_string().contains("Pod \"p\""), "{err}");
    }
}
