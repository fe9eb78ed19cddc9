//! RBAC objects as the engine keeps them: [`Meta`] for their metadata, and each distinct
//! list of policy rules held once.
//!
//! A cluster repeats its roles: every namespace a chart is installed in gets the same Role,
//! and aggregated ClusterRoles copy their parts' rules. The rule lists are shared between
//! objects whose lists are equal (see [`crate::model::interned`]); a binding keeps its role
//! reference and subjects as the API gives them.

use crate::model::interned::Interner;
use crate::model::meta::Meta;
use k8s_openapi::api::rbac::v1 as rbac;
use std::sync::{Arc, LazyLock};

pub use rbac::{AggregationRule, PolicyRule, RoleRef, Subject};

/// A Role's or ClusterRole's rules, shared with every object that has the same.
pub type Rules = Arc<[PolicyRule]>;

static RULE_LISTS: LazyLock<Interner<[PolicyRule]>> = LazyLock::new(Interner::new);

/// The shared copy of `rules` (absent rules are an empty list, as the API treats them).
pub fn shared_rules(rules: Option<Vec<PolicyRule>>) -> Rules {
    RULE_LISTS.intern(Arc::from(rules.unwrap_or_default()))
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
    pub role_ref: RoleRef,
    pub subjects: Box<[Subject]>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRoleBinding {
    pub metadata: Meta,
    pub role_ref: RoleRef,
    pub subjects: Box<[Subject]>,
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
            role_ref: b.role_ref,
            subjects: b.subjects.unwrap_or_default().into(),
        }
    }
}

impl From<rbac::ClusterRoleBinding> for ClusterRoleBinding {
    fn from(b: rbac::ClusterRoleBinding) -> ClusterRoleBinding {
        ClusterRoleBinding {
            metadata: b.metadata.into(),
            role_ref: b.role_ref,
            subjects: b.subjects.unwrap_or_default().into(),
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

    #[test]
    fn absent_rules_and_subjects_are_empty() {
        let r: ClusterRole = rbac::ClusterRole::default().into();
        assert!(r.rules.is_empty());
        let b: RoleBinding = rbac::RoleBinding::default().into();
        assert!(b.subjects.is_empty());
    }
}
