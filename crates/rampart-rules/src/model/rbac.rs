//! RBAC objects as the engine keeps them: [`Meta`] for their metadata, and each distinct
//! list of policy rules held once.
//!
//! A cluster repeats its roles: every namespace a chart is installed in gets the same Role,
//! and aggregated ClusterRoles copy their parts' rules. The rule lists are shared between
//! objects whose lists are equal (see [`crate::model::interned`]), and so are bindings'
//! role references and subject lists: the bindings to one ClusterRole name it alike, and
//! the same users and groups are bound in many namespaces.

use crate::model::interned::Interner;
use crate::model::meta::Meta;
use k8s_openapi::api::rbac::v1 as rbac;
use std::sync::{Arc, LazyLock};

pub use rbac::{AggregationRule, PolicyRule, RoleRef, Subject};

/// A Role's or ClusterRole's rules, shared with every object that has the same.
pub type Rules = Arc<[PolicyRule]>;

static RULE_LISTS: LazyLock<Interner<[PolicyRule]>> = LazyLock::new(Interner::new);
static ROLE_REFS: LazyLock<Interner<RoleRef>> = LazyLock::new(Interner::new);
static SUBJECT_LISTS: LazyLock<Interner<[Subject]>> = LazyLock::new(Interner::new);

/// A binding's subjects, shared with every binding that names the same.
pub type Subjects = Arc<[Subject]>;

/// The shared copy of `rules` (absent rules are an empty list, as the API treats them).
pub fn shared_rules(rules: Option<Vec<PolicyRule>>) -> Rules {
    RULE_LISTS.intern(Arc::from(rules.unwrap_or_default()))
}

fn shared_ref(role_ref: RoleRef) -> Arc<RoleRef> {
    ROLE_REFS.intern(Arc::new(role_ref))
}

fn shared_subjects(subjects: Option<Vec<Subject>>) -> Subjects {
    SUBJECT_LISTS.intern(Arc::from(subjects.unwrap_or_default()))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub metadata: Meta,
    pub rules: Rules,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRole {
    pub metadata: Meta,
    pub rules: Rules,
    pub aggregation_rule: Option<AggregationRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleBinding {
    pub metadata: Meta,
    pub role_ref: Arc<RoleRef>,
    pub subjects: Subjects,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRoleBinding {
    pub metadata: Meta,
    pub role_ref: Arc<RoleRef>,
    pub subjects: Subjects,
}

impl From<rbac::Role> for Role {
    fn from(r: rbac::Role) -> Role {
        Role {
            metadata: r.metadata.into(),
            rules: shared_rules(r.rules),
        }
    }
}

impl From<rbac::ClusterRole> for ClusterRole {
    fn from(r: rbac::ClusterRole) -> ClusterRole {
        ClusterRole {
            metadata: r.metadata.into(),
            rules: shared_rules(r.rules),
            aggregation_rule: r.aggregation_rule,
        }
    }
}

impl From<rbac::RoleBinding> for RoleBinding {
    fn from(b: rbac::RoleBinding) -> RoleBinding {
        RoleBinding {
            metadata: b.metadata.into(),
            role_ref: shared_ref(b.role_ref),
            subjects: shared_subjects(b.subjects),
        }
    }
}

impl From<rbac::ClusterRoleBinding> for ClusterRoleBinding {
    fn from(b: rbac::ClusterRoleBinding) -> ClusterRoleBinding {
        ClusterRoleBinding {
            metadata: b.metadata.into(),
            role_ref: shared_ref(b.role_ref),
            subjects: shared_subjects(b.subjects),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn role(namespace: &str, verbs: &[&str]) -> Role {
        rbac::Role {
            metadata: ObjectMeta {
                name: Some("reader".into()),
                namespace: Some(namespace.into()),
                ..ObjectMeta::default()
            },
            rules: Some(vec![PolicyRule {
                verbs: verbs.iter().map(|v| (*v).to_owned()).collect(),
                resources: Some(vec!["pods".into()]),
                ..PolicyRule::default()
            }]),
        }
        .into()
    }

    #[test]
    fn equal_rule_lists_are_held_once() {
        let a = role("shop", &["get", "list"]);
        let b = role("billing", &["get", "list"]);
        let c = role("shop", &["get", "list", "delete"]);
        assert!(Arc::ptr_eq(&a.rules, &b.rules));
        assert!(!Arc::ptr_eq(&a.rules, &c.rules));
        assert_eq!(c.rules[0].verbs, ["get", "list", "delete"]);
        assert_eq!(&*b.metadata.name, "reader");
    }

    fn binding(namespace: &str, user: &str) -> RoleBinding {
        rbac::RoleBinding {
            metadata: ObjectMeta {
                name: Some("readers".into()),
                namespace: Some(namespace.into()),
                ..ObjectMeta::default()
            },
            role_ref: RoleRef {
                api_group: Some("rbac.authorization.k8s.io".into()),
                kind: "ClusterRole".into(),
                name: "view".into(),
            },
            subjects: Some(vec![Subject {
                kind: "User".into(),
                name: user.into(),
                ..Subject::default()
            }]),
        }
        .into()
    }

    #[test]
    fn equal_role_references_and_subject_lists_are_held_once() {
        let (a, b, c) = (
            binding("shop", "ann"),
            binding("billing", "ann"),
            binding("shop", "bob"),
        );
        assert!(Arc::ptr_eq(&a.role_ref, &c.role_ref));
        assert!(Arc::ptr_eq(&a.subjects, &b.subjects));
        assert!(!Arc::ptr_eq(&a.subjects, &c.subjects));
        assert_eq!(c.subjects[0].name, "bob");
    }

    #[test]
    fn absent_rules_and_subjects_are_empty() {
        let r: ClusterRole = rbac::ClusterRole::default().into();
        assert!(r.rules.is_empty());
        let b: RoleBinding = rbac::RoleBinding::default().into();
        assert!(b.subjects.is_empty());
    }
}
