//! The kinds the engine reads, and their decoding from generic JSON documents.

use crate::model::apiserver_metrics::{ApiServerMetrics, ApiServerMetricsDocument};
use crate::model::encryption_config::{EncryptionConfigError, EncryptionConfiguration};
use crate::model::identity::ObjectRef;
use crate::model::kinds::{self, API_SERVER_METRICS, ENCRYPTION_CONFIGURATION, group_of};
use crate::model::pod::{Pod, PodController, prune_metadata};
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::core::v1::{LimitRange, Namespace, ResourceQuota, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// A Secret without its values: Rampart never keeps Secret data, even when a manifest has it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecretMeta {
    pub metadata: ObjectMeta,
    /// `type`, where the source provides it (metadata-only watches do not).
    pub type_: Option<String>,
}

impl SecretMeta {
    /// A Secret known by its metadata alone, as a metadata-only watch returns it.
    pub fn from_metadata(mut metadata: ObjectMeta) -> SecretMeta {
        prune_metadata(&mut metadata);
        SecretMeta {
            metadata,
            type_: None,
        }
    }
}

/// One object of a kind the engine reads.
// Objects are moved once, into the inventory's maps; boxing the large variants would
// cost an allocation per object for no gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Object {
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    Role(Role),
    ClusterRole(ClusterRole),
    RoleBinding(RoleBinding),
    ClusterRoleBinding(ClusterRoleBinding),
    NetworkPolicy(NetworkPolicy),
    Pod(Pod),
    Deployment(PodController),
    StatefulSet(PodController),
    DaemonSet(PodController),
    ReplicaSet(PodController),
    Job(PodController),
    CronJob(PodController),
    ResourceQuota(ResourceQuota),
    LimitRange(LimitRange),
    Secret(SecretMeta),
    EncryptionConfiguration(EncryptionConfiguration),
    /// kube-apiserver's `/metrics`, scraped by the operator or saved for a scan.
    ApiServerMetrics(ApiServerMetrics),
}

impl Object {
    /// The kind's name, as the table of kinds lists it.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Namespace(_) => "Namespace",
            Object::ServiceAccount(_) => "ServiceAccount",
            Object::Role(_) => "Role",
            Object::ClusterRole(_) => "ClusterRole",
            Object::RoleBinding(_) => "RoleBinding",
            Object::ClusterRoleBinding(_) => "ClusterRoleBinding",
            Object::NetworkPolicy(_) => "NetworkPolicy",
            Object::Pod(_) => "Pod",
            Object::Deployment(_) => "Deployment",
            Object::StatefulSet(_) => "StatefulSet",
            Object::DaemonSet(_) => "DaemonSet",
            Object::ReplicaSet(_) => "ReplicaSet",
            Object::Job(_) => "Job",
            Object::CronJob(_) => "CronJob",
            Object::ResourceQuota(_) => "ResourceQuota",
            Object::LimitRange(_) => "LimitRange",
            Object::Secret(_) => "Secret",
            Object::EncryptionConfiguration(_) => "EncryptionConfiguration",
            Object::ApiServerMetrics(_) => "ApiServerMetrics",
        }
    }

    /// The object's metadata; evidence that is not a Kubernetes object has none.
    pub fn metadata(&self) -> Option<&ObjectMeta> {
        Some(match self {
            Object::Namespace(x) => &x.metadata,
            Object::ServiceAccount(x) => &x.metadata,
            Object::Role(x) => &x.metadata,
            Object::ClusterRole(x) => &x.metadata,
            Object::RoleBinding(x) => &x.metadata,
            Object::ClusterRoleBinding(x) => &x.metadata,
            Object::NetworkPolicy(x) => &x.metadata,
            Object::Pod(x) => &x.metadata,
            Object::Deployment(x) => &x.metadata,
            Object::StatefulSet(x) => &x.metadata,
            Object::DaemonSet(x) => &x.metadata,
            Object::ReplicaSet(x) => &x.metadata,
            Object::Job(x) => &x.metadata,
            Object::CronJob(x) => &x.metadata,
            Object::ResourceQuota(x) => &x.metadata,
            Object::LimitRange(x) => &x.metadata,
            Object::Secret(x) => &x.metadata,
            Object::EncryptionConfiguration(_) | Object::ApiServerMetrics(_) => return None,
        })
    }
}

/// The engine's object for each API type. Every object loses what no rule reads (managed
/// fields, the last-applied copy, ...): kinds kept as they are here, pods and controllers
/// in their projection, which prunes the metadata it keeps.
macro_rules! from_api {
    (kept: $($ty:ty => $variant:ident;)*) => {
        $(
            impl From<$ty> for Object {
                fn from(mut o: $ty) -> Object {
                    prune_metadata(&mut o.metadata);
                    Object::$variant(o)
                }
            }
        )*
    };
    (projected: $($ty:ty => $variant:ident;)*) => {
        $(
            impl From<$ty> for Object {
                fn from(o: $ty) -> Object {
                    Object::$variant(o.into())
                }
            }
        )*
    };
}

from_api! { kept:
    Namespace => Namespace;
    ServiceAccount => ServiceAccount;
    Role => Role;
    ClusterRole => ClusterRole;
    RoleBinding => RoleBinding;
    ClusterRoleBinding => ClusterRoleBinding;
    NetworkPolicy => NetworkPolicy;
    ResourceQuota => ResourceQuota;
    LimitRange => LimitRange;
}

from_api! { projected:
    core::Pod => Pod;
    Deployment => Deployment;
    StatefulSet => StatefulSet;
    DaemonSet => DaemonSet;
    ReplicaSet => ReplicaSet;
    Job => Job;
    CronJob => CronJob;
}

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
    // A kind served from another group is a different kind that shares a name.
    let group = group_of(&api_version);
    let Some(info) = kinds::info(&kind).filter(|k| group_of(k.api_version) == group) else {
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
    let name = value
        .pointer("/metadata/name")
        .and_then(|n| n.as_str())
        .unwrap_or("")
        .to_owned();
    if name.is_empty() {
        return Err(DecodeError::MissingName { kind });
    }
    let object = match kind.as_str() {
        "Namespace" => typed::<Namespace>(&kind, &name, value)?.into(),
        "ServiceAccount" => typed::<ServiceAccount>(&kind, &name, value)?.into(),
        "Pod" => typed::<core::Pod>(&kind, &name, value)?.into(),
        "ResourceQuota" => typed::<ResourceQuota>(&kind, &name, value)?.into(),
        "LimitRange" => typed::<LimitRange>(&kind, &name, value)?.into(),
        "Secret" => Object::Secret(secret_meta(&kind, &name, value)?),
        "Role" => typed::<Role>(&kind, &name, value)?.into(),
        "ClusterRole" => typed::<ClusterRole>(&kind, &name, value)?.into(),
        "RoleBinding" => typed::<RoleBinding>(&kind, &name, value)?.into(),
        "ClusterRoleBinding" => typed::<ClusterRoleBinding>(&kind, &name, value)?.into(),
        "NetworkPolicy" => typed::<NetworkPolicy>(&kind, &name, value)?.into(),
        "Deployment" => typed::<Deployment>(&kind, &name, value)?.into(),
        "StatefulSet" => typed::<StatefulSet>(&kind, &name, value)?.into(),
        "DaemonSet" => typed::<DaemonSet>(&kind, &name, value)?.into(),
        "ReplicaSet" => typed::<ReplicaSet>(&kind, &name, value)?.into(),
        "Job" => typed::<Job>(&kind, &name, value)?.into(),
        "CronJob" => typed::<CronJob>(&kind, &name, value)?.into(),
        _ => return Ok(Decoded::Unknown { kind }),
    };
    Ok(Decoded::Object(Box::new(object)))
}

/// Keeps only what a metadata-only request would return, plus `type`.
fn secret_meta(
    kind: &str,
    name: &str,
    mut value: serde_json::Value,
) -> Result<SecretMeta, DecodeError> {
    let type_ = value
        .get("type")
        .and_then(|t| t.as_str())
        .map(str::to_owned);
    let metadata = value
        .get_mut("metadata")
        .map(serde_json::Value::take)
        .unwrap_or_default();
    let mut metadata: ObjectMeta = typed(kind, name, metadata)?;
    prune_metadata(&mut metadata);
    Ok(SecretMeta { metadata, type_ })
}

/// The reference findings name an object by; an EncryptionConfiguration has none (its
/// file names it).
pub fn reference_of(o: &Object) -> Option<ObjectRef> {
    match o {
        Object::EncryptionConfiguration(_) => None,
        Object::ApiServerMetrics(m) => Some(apiserver_metrics_ref(&m.name)),
        _ => {
            let meta = o.metadata()?;
            let api_version = kinds::info(o.kind()).map_or("", |k| k.api_version);
            Some(ObjectRef::new(
                api_version,
                o.kind(),
                meta.namespace.as_deref(),
                meta.name.as_deref().unwrap_or(""),
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
