//! Rampart's rule engine: pure functions from a snapshot of cluster objects to findings.
//!
//! ```text
//!  model       what is read: kinds, identity, taxonomy, parsers          (nothing judged)
//!    ^
//!  inventory   the store: objects by kind, views, changes -> Scope
//!    ^
//!  analysis    RBAC (permissions, escalation), Pod Security, NetworkPolicy, encryption,
//!    ^         and the derived caches that outlive one evaluation
//!  engine      evaluate: Rule, Context, emitter, findings, settings, score
//!    ^
//!  rules       one file per rule, and the registry
//! ```
//! Each layer imports only the layers below it. No IO, no clients, no async: the CLI and
//! the operator feed the same engine. Rules never fail; odd or missing input becomes a
//! finding or nothing at all. This file is the surface the operator and the CLI use.

mod analysis;
mod engine;
mod inventory;
mod model;
mod rules;

pub use analysis::derived::Derived;
pub use engine::emit::{Draft, Emitter, Related};
pub use engine::evaluate::{Evaluation, Excepted, evaluate_rules, evaluate_scope};
pub use engine::finding::{Finding, Fingerprint};
pub use engine::parallel::evaluate_parallel;
pub use engine::rule::{Check, Rule};
pub use engine::score::{self, Summary};
pub use engine::settings::{Settings, SettingsError};
pub use inventory::{Change, Inventory, KindCounts};
pub use model::identity::{ObjectRef, RoleKey, Source, Subject};
pub use model::kinds::{KINDS, KindInfo};
pub use model::meta::{Meta, Metadata, Pairs};
pub use model::object::{DecodeError, Decoded, Object, SecretMeta, decode, reference_of};
pub use model::scope::Scope;
pub use model::shared::Shared;
pub use model::taxonomy::{Category, Framework, Reference, Severity, UnknownSeverity};
pub use model::{bootstrap, manifest};
pub use rules::registry;

/// Findings accepted on purpose: the documents, and how the engine judges them.
pub mod exceptions {
    pub use crate::engine::exceptions::{
        Judged, State, count_matched, covers, in_force, judge, judge_all,
    };
    /// Rampart's own Secret grant, accepted out of the box.
    pub use crate::engine::own_grant;
    pub use crate::model::exception::{
        API_VERSION, CLUSTER_KIND, Exception, ExceptionError, ExceptionSpec, NAMESPACED_KIND,
        ResourceMatch, glob_matches, id_of, is_exception,
    };
}

/// Effective RBAC: the authorizer's answers and the escalation paths they open.
pub mod rbac {
    pub use crate::analysis::rbac::escalation::{Escalations, Limits, Path};
    pub use crate::analysis::rbac::matching::{
        Permission, ResourceRequest, grants_any, rule_allows, rule_allows_non_resource,
    };
    pub use crate::analysis::rbac::permissions::{
        PRIVILEGED_GROUP, Permissions, RbacObject, Reason, SubjectKey, UserInfo,
    };
    /// The RBAC kinds as the engine keeps them.
    pub use crate::model::rbac::{ClusterRole, ClusterRoleBinding, Role, RoleBinding, Rules};
}

/// Namespaces, ServiceAccounts, NetworkPolicies and quotas as the engine keeps them.
pub mod isolation {
    pub use crate::model::isolation::{
        LimitRange, Namespace, NetworkPolicy, ResourceQuota, ServiceAccount,
    };
}

/// Encryption at rest: the evidence and the verdict.
pub mod encryption {
    pub use crate::analysis::apiserver_evidence::MetricsView;
    pub use crate::analysis::encryption::{
        Assessment, DeclaredEncryption, Evidence, State, assess,
    };
    pub use crate::model::apiserver_metrics::ApiServerMetrics;
    pub use crate::model::encryption_config::EncryptionConfiguration;
    pub use crate::model::object::apiserver_metrics_ref;
}

/// The control plane: the probe's evidence, the version table and the verdicts.
pub mod control_plane {
    pub use crate::analysis::control_plane::{
        ADMISSION_STATES, ANONYMOUS_STATES, AUDIT_STATES, AUTHORIZATION_STATES, ControlPlane,
        Evidence, Judged, VERSION_STATES, Verdict, VersionVerdict, assess,
    };
    pub use crate::model::apiserver_probe::{ANONYMOUS_PATHS, Anonymous, ApiServerProbe};
    pub use crate::model::kubernetes_version::{Releases, Support, Version};
    pub use crate::model::object::apiserver_probe_ref;
}

pub use analysis::pod_security;

/// Pods and pod controllers as the engine keeps them: the fields the rules read.
pub mod pods {
    pub use crate::model::control_plane::{CommandLine, Component};
    pub use crate::model::pod::{
        Container, Pod, PodController, PodSpec, PodTemplate, Volume, VolumeType,
    };
}

/// Nodes as the engine keeps them: their metadata and the versions their kubelet reports.
pub mod nodes {
    pub use crate::model::node::{Node, NodeVersions};
}

/// Evaluates every enabled rule of the catalogue over the whole inventory.
pub fn evaluate(inventory: &Inventory, settings: &Settings) -> Evaluation {
    evaluate_rules(inventory, settings, registry::rules())
}
