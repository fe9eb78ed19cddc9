//! Cheap views of stored objects that rules read the same way whatever their kind: a
//! binding (RoleBinding or ClusterRoleBinding) and a workload (a pod or the top-level
//! controller that owns its template).

use crate::model::identity::{ObjectRef, RBAC_V1, RoleKey, Subject};
use crate::model::meta::{Meta, Pairs};
use crate::model::pod::PodSpec;
use crate::model::rbac::{RoleRef, Subject as BindingSubject};

/// A RoleBinding or ClusterRoleBinding, seen the same way.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub metadata: &'a Meta,
    /// `None` for a ClusterRoleBinding.
    pub namespace: Option<&'a str>,
    pub name: &'a str,
    pub role_ref: &'a RoleRef,
    pub subjects: &'a [BindingSubject],
}

impl<'a> Binding<'a> {
    pub fn to_ref(self) -> ObjectRef {
        let kind = if self.namespace.is_some() {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        };
        ObjectRef::new(RBAC_V1, kind, self.namespace, self.name)
    }

    pub fn role_key(&self) -> Option<RoleKey> {
        RoleKey::from_ref(self.role_ref, self.namespace)
    }

    /// Subjects the authorizer would recognise (unknown kinds are left out).
    pub fn subjects(&self) -> impl Iterator<Item = Subject> + '_ {
        self.subjects
            .iter()
            .filter_map(|s| Subject::from_rbac(s, self.namespace))
    }
}

/// A pod or the top-level controller that owns its template.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    pub object: ObjectRef,
    pub metadata: &'a Meta,
    /// Labels its pods carry (the pod's own, or the template's).
    pub pod_labels: Option<&'a Pairs>,
    /// Metadata of its pods (the pod's own, or the template's): Pod Security reads the
    /// AppArmor annotations there.
    pub pod_metadata: Option<&'a Meta>,
    pub spec: &'a PodSpec,
    /// JSON path of the pod spec within the object, e.g. `spec.template.spec`.
    pub spec_path: &'static str,
}

impl<'a> Workload<'a> {
    pub fn namespace(&self) -> &str {
        self.object.namespace.as_deref().unwrap_or("")
    }

    /// The ServiceAccount its pods run as (`default` when unset).
    pub fn service_account_name(&self) -> &'a str {
        self.spec
            .service_account_name
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }
}
