//! What is read, nothing judged: the kinds and their decoding, object identity, the
//! taxonomy findings are described in, and the parsers for evidence that is not a
//! Kubernetes object (EncryptionConfiguration, kube-apiserver metrics, the control plane's flags).

pub mod apiserver_metrics;
pub mod apiserver_probe;
pub mod bootstrap;
pub mod configmap;
pub mod control_plane;
pub mod credentials;
pub mod encryption_config;
pub mod exception;
pub mod identity;
pub mod image;
pub mod interned;
pub mod isolation;
pub mod json_documents;
pub mod kinds;
pub mod kubernetes_version;
pub mod list_items;
pub mod manifest;
pub mod meta;
pub mod node;
pub mod object;
pub mod plain_yaml;
pub mod pod;
pub mod rbac;
pub mod scope;
pub mod selector;
pub mod shared;
pub mod taxonomy;
pub mod yaml_as_json;
