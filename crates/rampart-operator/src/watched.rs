//! The kinds the operator reads from the API server, listed once. The list starts the
//! watches (`collect`) and the one-shot lists (`snapshot`), and says how an object of each
//! kind becomes the engine's [`Object`]: adding a kind is one line here (and the RBAC to
//! read it in `manifests/`).
//!
//! Secrets are read as `PartialObjectMeta<Secret>`: `Api<PartialObjectMeta<_>>` makes
//! metadata-only requests, so Secret data never leaves the API server, and a legacy token
//! Secret is recognised by its ServiceAccount annotation alone.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, Namespace, Node, Pod, PodTemplate, ReplicationController, ResourceQuota,
    Secret, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::Resource;
use kube::core::PartialObjectMeta;
use rampart_rules::{Object, SecretMeta};
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// A kind the operator reads: the type the API returns, its name and its engine object.
pub trait Watched:
    Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
    /// The kind's name in logs, metrics and `couldNotEvaluate`.
    const KIND: &'static str;

    fn into_object(self) -> Object;
}

/// Something done once per watched kind, with the kind's type.
pub trait KindVisitor {
    fn visit<K: Watched>(&mut self);
}

fn secret_object(s: PartialObjectMeta<Secret>) -> Object {
    Object::Secret(SecretMeta::from_metadata(s.metadata))
}

macro_rules! watched_kinds {
    ($($ty:ty => $kind:literal, $into:path;)*) => {
        $(
            impl Watched for $ty {
                const KIND: &'static str = $kind;

                fn into_object(self) -> Object {
                    $into(self)
                }
            }
        )*

        /// Visits every watched kind in one fixed order: the order of lists, watches and
        /// counts.
        pub fn visit_kinds(visitor: &mut impl KindVisitor) {
            $(visitor.visit::<$ty>();)*
        }
    };
}

watched_kinds! {
    Namespace => "Namespace", Object::from;
    ServiceAccount => "ServiceAccount", Object::from;
    Role => "Role", Object::from;
    ClusterRole => "ClusterRole", Object::from;
    RoleBinding => "RoleBinding", Object::from;
    ClusterRoleBinding => "ClusterRoleBinding", Object::from;
    NetworkPolicy => "NetworkPolicy", Object::from;
    Pod => "Pod", Object::from;
    Deployment => "Deployment", Object::from;
    StatefulSet => "StatefulSet", Object::from;
    DaemonSet => "DaemonSet", Object::from;
    ReplicaSet => "ReplicaSet", Object::from;
    Job => "Job", Object::from;
    CronJob => "CronJob", Object::from;
    ReplicationController => "ReplicationController", Object::from;
    PodTemplate => "PodTemplate", Object::from;
    ResourceQuota => "ResourceQuota", Object::from;
    LimitRange => "LimitRange", Object::from;
    ConfigMap => "ConfigMap", Object::from;
    Node => "Node", Object::from;
    PartialObjectMeta<Secret> => "Secret", secret_object;
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Names(Vec<&'static str>);

    impl KindVisitor for Names {
        fn visit<K: Watched>(&mut self) {
            assert_eq!(K::KIND, K::kind(&()));
            self.0.push(K::KIND);
        }
    }

    #[test]
    fn every_kind_is_named_once_as_the_api_names_it() {
        let mut names = Names(Vec::new());
        visit_kinds(&mut names);
        // Every kind the engine reads from the API server, in the engine's order.
        let served: Vec<&str> = rampart_rules::KINDS
            .iter()
            .filter(|k| k.served())
            .map(|k| k.kind)
            .collect();
        assert_eq!(names.0, served);
        assert_eq!(names.0.first(), Some(&"Namespace"));
        assert_eq!(names.0.last(), Some(&"Secret"));
    }

    #[test]
    fn secrets_become_metadata_only_objects() {
        let mut s = PartialObjectMeta::<Secret>::default();
        s.metadata.name = Some("token".to_owned());
        s.metadata.namespace = Some("shop".to_owned());
        match s.into_object() {
            Object::Secret(m) => {
                assert_eq!(&*m.metadata.name, "token");
                assert_eq!(m.type_, None);
            }
            other => panic!("not a Secret: {other:?}"),
        }
    }
}
