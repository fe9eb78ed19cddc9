//! Identity of Kubernetes objects and RBAC subjects, independent of their content.

use crate::model::shared::Shared;
use k8s_openapi::api::rbac::v1::RoleRef;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Points at one object: what a finding asks the user to fix, or a link in its evidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: Shared,
    pub kind: Shared,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Shared>,
    pub name: String,
}

impl ObjectRef {
    pub fn new(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Self {
        ObjectRef {
            api_version: Shared::new(api_version),
            kind: Shared::new(kind),
            namespace: namespace.map(Shared::new),
            name: name.to_owned(),
        }
    }

    /// The namespace whose objects decide findings about this object: its own, or for a
    /// Namespace (a cluster-scoped object) the namespace it names. `None`: the cluster.
    pub fn scope_namespace(&self) -> Option<&str> {
        match (&self.namespace, self.kind.as_str()) {
            (None, "Namespace") => Some(&self.name),
            (ns, _) => ns.as_deref(),
        }
    }

    /// How many bytes its `Display` writes: room for a message that starts with it, made
    /// once at its size rather than grown and copied a few times per finding.
    pub fn display_len(&self) -> usize {
        let namespace = self.namespace.as_ref().map_or(0, |ns| ns.len() + 1);
        self.kind.len() + 1 + namespace + self.name.len()
    }

    pub fn namespace(name: &str) -> Self {
        ObjectRef::new("v1", "Namespace", None, name)
    }

    pub fn service_account(namespace: &str, name: &str) -> Self {
        ObjectRef::new("v1", "ServiceAccount", Some(namespace), name)
    }

    pub fn cluster_role(name: &str) -> Self {
        ObjectRef::new(RBAC_V1, "ClusterRole", None, name)
    }

    pub fn role(namespace: &str, name: &str) -> Self {
        ObjectRef::new(RBAC_V1, "Role", Some(namespace), name)
    }
}

pub const RBAC_V1: &str = "rbac.authorization.k8s.io/v1";

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// Where an object came from, so that SARIF and error messages can point at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub file: String,
    /// 1-based line of the document (or list item) that holds the object.
    pub line: usize,
}

/// An RBAC subject as the authorizer sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    User(String),
    Group(String),
    ServiceAccount { namespace: String, name: String },
}

impl Subject {
    /// Reads a binding's subject; `binding_ns` is where a ServiceAccount subject without a
    /// namespace lives (only meaningful for RoleBindings).
    pub fn from_rbac(
        s: &k8s_openapi::api::rbac::v1::Subject,
        binding_ns: Option<&str>,
    ) -> Option<Subject> {
        match s.kind.as_str() {
            "User" => Some(Subject::User(s.name.clone())),
            "Group" => Some(Subject::Group(s.name.clone())),
            "ServiceAccount" => {
                let namespace = s.namespace.as_deref().or(binding_ns)?;
                Some(Subject::ServiceAccount {
                    namespace: namespace.to_owned(),
                    name: s.name.clone(),
                })
            }
            _ => None,
        }
    }

    /// The user name the API server authenticates this subject as (ServiceAccounts
    /// become `system:serviceaccount:<ns>:<name>`).
    pub fn user_name(&self) -> String {
        match self {
            Subject::User(n) | Subject::Group(n) => n.clone(),
            Subject::ServiceAccount { namespace, name } => service_account_user(namespace, name),
        }
    }

    pub fn to_ref(&self) -> ObjectRef {
        match self {
            Subject::User(n) => ObjectRef::new(RBAC_V1, "User", None, n),
            Subject::Group(n) => ObjectRef::new(RBAC_V1, "Group", None, n),
            Subject::ServiceAccount { namespace, name } => {
                ObjectRef::service_account(namespace, name)
            }
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User(n) => write!(f, "User {n}"),
            Subject::Group(n) => write!(f, "Group {n}"),
            Subject::ServiceAccount { namespace, name } => {
                write!(f, "ServiceAccount {namespace}/{name}")
            }
        }
    }
}

/// A Role or ClusterRole a binding points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleKey {
    ClusterRole(Shared),
    Role { namespace: Shared, name: Shared },
}

impl RoleKey {
    /// `namespace` is the binding's: a RoleBinding's `Role` reference lives there.
    pub fn from_ref(role_ref: &RoleRef, namespace: Option<&str>) -> Option<RoleKey> {
        match (role_ref.kind.as_str(), namespace) {
            ("ClusterRole", _) => Some(RoleKey::ClusterRole(Shared::new(&role_ref.name))),
            ("Role", Some(ns)) => Some(RoleKey::Role {
                namespace: Shared::new(ns),
                name: Shared::new(&role_ref.name),
            }),
            _ => None,
        }
    }

    pub fn to_ref(&self) -> ObjectRef {
        match self {
            RoleKey::ClusterRole(n) => ObjectRef::cluster_role(n),
            RoleKey::Role { namespace, name } => ObjectRef::role(namespace, name),
        }
    }
}

/// How a ServiceAccount authenticates: the user `system:serviceaccount:<ns>:<name>`.
pub const SA_USER_PREFIX: &str = "system:serviceaccount:";

/// The user name a ServiceAccount's token authenticates as.
pub fn service_account_user(namespace: &str, name: &str) -> String {
    format!("{SA_USER_PREFIX}{namespace}:{name}")
}

/// An identity as the authorizer matches it: bindings name users and groups.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectKey {
    User(Shared),
    Group(Shared),
}

impl SubjectKey {
    /// A ServiceAccount's user name, split back, or `None` for other users and groups.
    pub fn service_account(&self) -> Option<(&str, &str)> {
        match self {
            SubjectKey::User(u) => u.strip_prefix(SA_USER_PREFIX)?.split_once(':'),
            SubjectKey::Group(_) => None,
        }
    }

    /// The user a ServiceAccount authenticates as.
    pub fn of_service_account(namespace: &str, name: &str) -> SubjectKey {
        SubjectKey::User(service_account_user(namespace, name).into())
    }

    /// Whether this is the user of the ServiceAccount `namespace/name`: compared in place,
    /// with no user name built.
    pub fn is_service_account(&self, namespace: &str, name: &str) -> bool {
        self.service_account() == Some((namespace, name))
    }

    /// The subject as findings and the CLI name it.
    pub fn to_subject(&self) -> Subject {
        if let Some((namespace, name)) = self.service_account() {
            return Subject::ServiceAccount {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            };
        }
        match self {
            SubjectKey::User(u) => Subject::User(u.to_string()),
            SubjectKey::Group(g) => Subject::Group(g.to_string()),
        }
    }

    pub fn from_subject(s: &Subject) -> SubjectKey {
        match s {
            Subject::Group(g) => SubjectKey::Group(Shared::new(g)),
            other => SubjectKey::User(Shared::new(&other.user_name())),
        }
    }
}

impl fmt::Display for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_subject().fmt(f)
    }
}

/// A RoleBinding (with its namespace) or a ClusterRoleBinding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BindingId {
    Cluster(Shared),
    Namespaced { namespace: Shared, name: Shared },
}

impl BindingId {
    /// The binding an object reference names; `None` for other kinds.
    pub fn of(r: &ObjectRef) -> Option<BindingId> {
        match r.kind.as_str() {
            "RoleBinding" => Some(BindingId::Namespaced {
                namespace: r.namespace.clone().unwrap_or_default(),
                name: Shared::new(&r.name),
            }),
            "ClusterRoleBinding" => Some(BindingId::Cluster(Shared::new(&r.name))),
            _ => None,
        }
    }

    pub fn namespace(&self) -> Option<&str> {
        match self {
            BindingId::Cluster(_) => None,
            BindingId::Namespaced { namespace, .. } => Some(namespace),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            BindingId::Cluster(n) | BindingId::Namespaced { name: n, .. } => n,
        }
    }

    pub fn to_ref(&self) -> ObjectRef {
        match self {
            BindingId::Cluster(n) => ObjectRef::new(RBAC_V1, "ClusterRoleBinding", None, n),
            BindingId::Namespaced { namespace, name } => {
                ObjectRef::new(RBAC_V1, "RoleBinding", Some(namespace), name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_account_key_round_trips_and_is_told_apart_from_its_neighbours() {
        let key = SubjectKey::of_service_account("team-a", "builder");
        assert_eq!(
            key,
            SubjectKey::User(Shared::new("system:serviceaccount:team-a:builder"))
        );
        assert_eq!(key.service_account(), Some(("team-a", "builder")));
        assert!(key.is_service_account("team-a", "builder"));
        assert!(!key.is_service_account("team-a", "build"));
        assert!(!key.is_service_account("team", "a:builder"));
        let group = SubjectKey::Group(Shared::new("system:serviceaccount:team-a:builder"));
        assert!(!group.is_service_account("team-a", "builder"));
        let sa = Subject::ServiceAccount {
            namespace: "team-a".into(),
            name: "builder".into(),
        };
        assert_eq!(SubjectKey::from_subject(&sa), key);
    }

    #[test]
    fn display_len_is_what_display_writes() {
        for r in [
            ObjectRef::role("team-a", "reader"),
            ObjectRef::cluster_role("cluster-admin"),
            ObjectRef::namespace("ns-0500"),
            ObjectRef::new("apps/v1", "Deployment", Some("shop"), "web-ünïcode"),
        ] {
            assert_eq!(r.display_len(), r.to_string().len(), "{r}");
        }
    }
}
