//! The objects that set a namespace's boundaries, as the engine keeps them: Namespaces,
//! ServiceAccounts, NetworkPolicies, ResourceQuotas and LimitRanges, each with [`Meta`]
//! for its metadata and the fields the rules read as the API gives them. Status (a
//! Namespace's phase, a quota's usage) is dropped: no rule reads it, and it changes often.

use crate::model::interned::Interner;
use crate::model::meta::Meta;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::networking::v1 as networking;
use std::sync::{Arc, LazyLock};

pub use core::{LimitRangeSpec, ResourceQuotaSpec};
pub use networking::NetworkPolicySpec;

static POLICY_SPECS: LazyLock<Interner<NetworkPolicySpec>> = LazyLock::new(Interner::new);

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Namespace {
    pub metadata: Meta,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceAccount {
    pub metadata: Meta,
    pub automount_service_account_token: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkPolicy {
    pub metadata: Meta,
    /// Shared with every policy whose spec is the same: many namespaces get the same
    /// default-deny or allow-from-the-ingress policy.
    pub spec: Option<Arc<NetworkPolicySpec>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceQuota {
    pub metadata: Meta,
    pub spec: Option<ResourceQuotaSpec>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LimitRange {
    pub metadata: Meta,
    pub spec: Option<LimitRangeSpec>,
}

impl From<core::Namespace> for Namespace {
    fn from(n: core::Namespace) -> Namespace {
        Namespace {
            metadata: n.metadata.into(),
        }
    }
}

impl From<core::ServiceAccount> for ServiceAccount {
    fn from(s: core::ServiceAccount) -> ServiceAccount {
        ServiceAccount {
            metadata: s.metadata.into(),
            automount_service_account_token: s.automount_service_account_token,
        }
    }
}

impl From<networking::NetworkPolicy> for NetworkPolicy {
    fn from(p: networking::NetworkPolicy) -> NetworkPolicy {
        NetworkPolicy {
            metadata: p.metadata.into(),
            spec: p.spec.map(|s| POLICY_SPECS.intern(Arc::new(s))),
        }
    }
}

impl From<core::ResourceQuota> for ResourceQuota {
    fn from(q: core::ResourceQuota) -> ResourceQuota {
        ResourceQuota {
            metadata: q.metadata.into(),
            spec: q.spec,
        }
    }
}

impl From<core::LimitRange> for LimitRange {
    fn from(l: core::LimitRange) -> LimitRange {
        LimitRange {
            metadata: l.metadata.into(),
            spec: l.spec,
        }
    }
}
