//! Settings the engine applies after rules run: what counts as the platform's own,
//! severity overrides, disabled rules and exceptions. Rules never read severities from here.

use crate::model::exception::Exception;
use crate::model::identity::ObjectRef;
use crate::model::taxonomy::Severity;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// Namespaces that belong to the platform; findings in them are capped at `system_max_severity`.
    pub system_namespaces: BTreeSet<String>,
    /// Name prefixes of built-in roles, bindings and identities (`system:`).
    pub system_name_prefixes: Vec<String>,
    /// Highest severity a finding on the platform's own objects may have.
    pub system_max_severity: Severity,
    /// Rule id or name -> severity that replaces the rule's.
    pub severity_overrides: BTreeMap<String, Severity>,
    /// Rule ids or names that do not run.
    pub disabled_rules: BTreeSet<String>,
    /// Findings accepted on purpose: `PostureException` and `ClusterPostureException`
    /// documents, as the cluster and `rampart scan` read them. An evaluation applies
    /// every one given here; callers keep only those in force (`exceptions::judge`).
    pub exceptions: Vec<Exception>,
    /// The furthest ahead an exception may expire, in days: one that expires later is
    /// invalid, so every accepted risk is looked at again.
    pub exception_max_days: u32,
    /// Workloads that belong in the system namespaces (the platform's add-ons), by name; a
    /// trailing `*` matches a prefix. The default lists the usual ones; a list in the
    /// settings replaces it.
    pub system_workloads: Vec<String>,
    /// Registries (or paths in them, `ghcr.io/acme`) images may come from; empty: any.
    pub allowed_registries: Vec<String>,
    /// Encryption at rest a managed platform provides, where Rampart cannot observe it.
    /// Reported as declared, never as proven.
    pub declared_encryption: Option<crate::analysis::encryption::DeclaredEncryption>,
    /// What a managed platform's control plane does where Rampart cannot observe it
    /// (audit logging, anonymous authentication). Reported as declared, never as proven.
    pub declared_control_plane: Option<crate::analysis::control_plane::DeclaredControlPlane>,
    /// The ServiceAccount Rampart runs as (namespace, name), whose Secret list and watch
    /// are accepted (`engine::own_grant`). Not read from a settings file: the operator
    /// knows who it runs as, and `rampart scan` assumes the shipped install.
    #[serde(skip)]
    pub own_service_account: Option<(String, String)>,
    /// The day versions are judged on (end of life); the release table's date when unset,
    /// so that tests do not change with the calendar. The binary sets today's date.
    #[serde(skip)]
    pub today: Option<k8s_openapi::jiff::civil::Date>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            system_namespaces: ["kube-system", "kube-public", "kube-node-lease"]
                .into_iter()
                .map(String::from)
                .collect(),
            system_name_prefixes: vec!["system:".to_owned()],
            system_max_severity: Severity::Info,
            severity_overrides: BTreeMap::new(),
            disabled_rules: BTreeSet::new(),
            exceptions: Vec::new(),
            exception_max_days: 180,
            system_workloads: DEFAULT_SYSTEM_WORKLOADS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            allowed_registries: Vec::new(),
            declared_encryption: None,
            declared_control_plane: None,
            own_service_account: Some(("rampart-system".to_owned(), "rampart".to_owned())),
            today: None,
        }
    }
}

/// The control plane's static pods and the add-ons that kubeadm, the managed platforms
/// (EKS, GKE, AKS) and the common network, storage and DNS projects install into
/// kube-system.
const DEFAULT_SYSTEM_WORKLOADS: &[&str] = &[
    "etcd*",
    "kube-apiserver*",
    "kube-controller-manager*",
    "kube-scheduler*",
    "cloud-controller-manager*",
    "kube-proxy*",
    "coredns*",
    "kube-dns*",
    "node-local-dns*",
    "nodelocaldns*",
    "metrics-server*",
    "konnectivity-agent*",
    "kube-vip*",
    "calico-*",
    "cilium*",
    "hubble-*",
    "kube-flannel*",
    "canal*",
    "weave-net*",
    "antrea-*",
    "kube-router*",
    "aws-node*",
    "aws-load-balancer-controller*",
    "ebs-csi-*",
    "efs-csi-*",
    "eks-pod-identity-agent*",
    "csi-*",
    "snapshot-controller*",
    "cluster-autoscaler*",
    "azure-*",
    "cloud-node-manager*",
    "ama-*",
    "gke-*",
    "pdcsi-*",
    "fluentbit-gke*",
    "event-exporter-gke*",
    "l7-default-backend*",
];

/// Identities that everyone, or every ServiceAccount, has.
pub fn is_public_identity(name: &str) -> bool {
    matches!(
        name,
        "system:anonymous"
            | "system:unauthenticated"
            | "system:authenticated"
            | "system:serviceaccounts"
    ) || name.starts_with("system:serviceaccounts:")
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("could not parse settings: {0}")]
    Parse(#[from] serde_yaml_ng::Error),
    #[error("{0} names no namespace: in the settings, a PostureException must")]
    Unplaced(String),
}

impl Settings {
    pub fn from_yaml(text: &str) -> Result<Settings, SettingsError> {
        let settings: Settings = serde_yaml_ng::from_str(text)?;
        if let Some(e) = settings
            .exceptions
            .iter()
            .find(|e| e.namespace.as_deref() == Some(""))
        {
            return Err(SettingsError::Unplaced(e.name.clone()));
        }
        Ok(settings)
    }

    /// Whether a workload of this name belongs in a system namespace.
    pub fn is_system_workload(&self, name: &str) -> bool {
        self.system_workloads
            .iter()
            .any(|p| match p.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == p,
            })
    }

    pub fn is_system_namespace(&self, namespace: &str) -> bool {
        self.system_namespaces.contains(namespace)
    }

    pub fn is_system_name(&self, name: &str) -> bool {
        self.system_name_prefixes
            .iter()
            .any(|p| name.starts_with(p.as_str()))
    }

    /// Whether an object is the platform's own: in a system namespace, or a built-in name.
    pub fn is_system_object(&self, object: &ObjectRef) -> bool {
        object
            .namespace
            .as_deref()
            .is_some_and(|ns| self.is_system_namespace(ns))
            || (object.namespace.is_none() && self.is_system_name(&object.name))
            || (object.kind == "Namespace" && self.is_system_namespace(&object.name))
    }

    /// Whether a subject is one of the platform's own identities (`system:masters`, controller
    /// ServiceAccounts in kube-system, nodes). The public groups (`system:authenticated`,
    /// `system:unauthenticated`, `system:serviceaccounts*`) and `system:anonymous` are not:
    /// they stand for everyone, and grants to them are judged, never waved through.
    pub fn is_system_subject(&self, subject: &crate::model::identity::Subject) -> bool {
        use crate::model::identity::Subject;
        match subject {
            Subject::User(n) | Subject::Group(n) => {
                self.is_system_name(n) && !is_public_identity(n)
            }
            Subject::ServiceAccount { namespace, .. } => self.is_system_namespace(namespace),
        }
    }

    pub(crate) fn rule_matches(key: &str, id: &str, name: &str) -> bool {
        key == "*" || key.eq_ignore_ascii_case(id) || key == name
    }

    pub fn is_disabled(&self, id: &str, name: &str) -> bool {
        self.disabled_rules
            .iter()
            .any(|k| k != "*" && Settings::rule_matches(k, id, name))
    }

    pub fn severity_override(&self, id: &str, name: &str) -> Option<Severity> {
        self.severity_overrides
            .iter()
            .find(|(k, _)| k.as_str() != "*" && Settings::rule_matches(k, id, name))
            .map(|(_, s)| *s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_overrides_and_exception_documents() {
        let s = Settings::from_yaml(
            "severityOverrides: {RBAC002: low}\nexceptionMaxDays: 30\nexceptions:\n- apiVersion: rampart.dev/v1alpha1\n  kind: ClusterPostureException\n  metadata: {name: ci-deployer}\n  spec:\n    rules: [wildcard-verb]\n    resources: [{namespace: ci, name: 'deployer*'}]\n    reason: reviewed in SEC-12\n    owner: ci-team\n    expires: '2027-01-31T00:00:00Z'\n",
        )
        .expect("valid settings");
        assert_eq!(s.severity_override("RBAC002", "x"), Some(Severity::Low));
        assert_eq!(s.exception_max_days, 30);
        assert_eq!(s.exceptions.len(), 1);
        assert_eq!(s.exceptions[0].id(), "ci-deployer");
        assert_eq!(s.exceptions[0].spec.owner, "ci-team");
    }

    #[test]
    fn rejects_malformed_and_unplaced_exceptions() {
        let err = Settings::from_yaml(
            "exceptions: [{apiVersion: rampart.dev/v1alpha1, kind: ClusterPostureException, metadata: {name: x}, spec: {rules: ['*'], resources: [{}], reason: r, expires: '2027-01-01T00:00:00Z'}}]",
        )
        .unwrap_err();
        assert!(err.to_string().contains("missing field `owner`"), "{err}");
        let err = Settings::from_yaml(
            "exceptions: [{apiVersion: rampart.dev/v1alpha1, kind: PostureException, metadata: {name: x}, spec: {rules: ['*'], resources: [{}], reason: r, owner: o, expires: '2027-01-01T00:00:00Z'}}]",
        )
        .unwrap_err();
        assert!(
            matches!(err, SettingsError::Unplaced(ref n) if n == "x"),
            "{err}"
        );
    }

    #[test]
    fn rejects_unknown_fields() {
        assert!(Settings::from_yaml("severityOverride: {}").is_err());
    }

    #[test]
    fn system_objects_by_namespace_and_prefix() {
        let s = Settings::default();
        assert!(s.is_system_object(&ObjectRef::role("kube-system", "x")));
        assert!(s.is_system_object(&ObjectRef::cluster_role("system:node")));
        assert!(!s.is_system_object(&ObjectRef::cluster_role("admin-ish")));
        assert!(s.is_system_object(&ObjectRef::namespace("kube-public")));
    }
}
