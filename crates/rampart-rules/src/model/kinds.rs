//! The one table of kinds the engine reads, with the facts the layers above need about
//! each: where it is served, whether it lives in a namespace, whether it carries pods, and
//! which judgements a change to it can move. Code that needs a list of kinds derives it from
//! [`KINDS`] rather than spelling it out, and code that needs a kind's types (the
//! [`Object`](super::object::Object) variant, decoding, the inventory's map) is generated
//! from [`kubernetes_kinds!`]. Adding a kind is a row in each, next to each other here; a
//! test holds the two lists to the same kinds in the same order.

/// Every Kubernetes kind the engine keeps, one row each: the type a document or the API
/// returns, the type the engine keeps (the API type itself or a projection of it), and the
/// scope and field of the inventory's map. Hands the rows to the macro named `$then`.
macro_rules! kubernetes_kinds {
    ($then:ident) => {
        $then! {
            Namespace: k8s_openapi::api::core::v1::Namespace
                => $crate::model::isolation::Namespace, cluster namespaces;
            ServiceAccount: k8s_openapi::api::core::v1::ServiceAccount
                => $crate::model::isolation::ServiceAccount, namespaced service_accounts;
            Role: k8s_openapi::api::rbac::v1::Role
                => $crate::model::rbac::Role, namespaced roles;
            ClusterRole: k8s_openapi::api::rbac::v1::ClusterRole
                => $crate::model::rbac::ClusterRole, cluster cluster_roles;
            RoleBinding: k8s_openapi::api::rbac::v1::RoleBinding
                => $crate::model::rbac::RoleBinding, namespaced role_bindings;
            ClusterRoleBinding: k8s_openapi::api::rbac::v1::ClusterRoleBinding
                => $crate::model::rbac::ClusterRoleBinding, cluster cluster_role_bindings;
            NetworkPolicy: k8s_openapi::api::networking::v1::NetworkPolicy
                => $crate::model::isolation::NetworkPolicy, namespaced network_policies;
            Pod: k8s_openapi::api::core::v1::Pod
                => $crate::model::pod::Pod, namespaced pods;
            Deployment: k8s_openapi::api::apps::v1::Deployment
                => $crate::model::pod::PodController, namespaced deployments;
            StatefulSet: k8s_openapi::api::apps::v1::StatefulSet
                => $crate::model::pod::PodController, namespaced stateful_sets;
            DaemonSet: k8s_openapi::api::apps::v1::DaemonSet
                => $crate::model::pod::PodController, namespaced daemon_sets;
            ReplicaSet: k8s_openapi::api::apps::v1::ReplicaSet
                => $crate::model::pod::PodController, namespaced replica_sets;
            Job: k8s_openapi::api::batch::v1::Job
                => $crate::model::pod::PodController, namespaced jobs;
            CronJob: k8s_openapi::api::batch::v1::CronJob
                => $crate::model::pod::PodController, namespaced cron_jobs;
            ReplicationController: k8s_openapi::api::core::v1::ReplicationController
                => $crate::model::pod::PodController, namespaced replication_controllers;
            PodTemplate: k8s_openapi::api::core::v1::PodTemplate
                => $crate::model::pod::PodController, namespaced pod_templates;
            ResourceQuota: k8s_openapi::api::core::v1::ResourceQuota
                => $crate::model::isolation::ResourceQuota, namespaced resource_quotas;
            LimitRange: k8s_openapi::api::core::v1::LimitRange
                => $crate::model::isolation::LimitRange, namespaced limit_ranges;
            ConfigMap: k8s_openapi::api::core::v1::ConfigMap
                => $crate::model::configmap::ConfigMapMeta, namespaced config_maps;
            Node: k8s_openapi::api::core::v1::Node
                => $crate::model::node::Node, cluster nodes;
            Secret: $crate::model::object::SecretDocument
                => $crate::model::object::SecretMeta, namespaced secrets;
        }
    };
}
pub(crate) use kubernetes_kinds;

/// Facts about one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub namespaced: bool,
    /// JSON path of the pod spec an object of this kind carries: its pods are judged
    /// against the Pod Security Standards through it.
    pub pod_spec: Option<&'static str>,
    /// Whether a change to an object of this kind can change cluster-scoped findings by
    /// itself: RBAC, identities, Namespaces, Nodes and encryption evidence do; workloads
    /// and namespace isolation objects are judged in their namespace (the escalation
    /// graph's reading of workloads is tracked apart, by [`KindInfo::escalation_input`]).
    pub cluster_findings: bool,
    /// Whether the escalation graph reads objects of this kind.
    pub escalation_input: bool,
}

const fn kind(kind: &'static str, api_version: &'static str, namespaced: bool) -> KindInfo {
    KindInfo {
        kind,
        api_version,
        namespaced,
        pod_spec: None,
        cluster_findings: true,
        escalation_input: true,
    }
}

/// Judged where it is, unread by the escalation graph.
const fn local(k: KindInfo) -> KindInfo {
    KindInfo {
        cluster_findings: false,
        escalation_input: false,
        ..k
    }
}

/// Carries pods: judged where it is; the escalation graph reads which ServiceAccount its
/// pods run as.
const fn workload(k: KindInfo, pod_spec: &'static str) -> KindInfo {
    KindInfo {
        pod_spec: Some(pod_spec),
        cluster_findings: false,
        ..k
    }
}

const CORE: &str = "v1";
const RBAC: &str = "rbac.authorization.k8s.io/v1";
const APPS: &str = "apps/v1";
const BATCH: &str = "batch/v1";
const TEMPLATE: &str = "spec.template.spec";

/// Every kind the engine reads, in the order reports and counts list them.
pub const KINDS: &[KindInfo] = &[
    kind("Namespace", CORE, false),
    kind("ServiceAccount", CORE, true),
    kind("Role", RBAC, true),
    kind("ClusterRole", RBAC, false),
    kind("RoleBinding", RBAC, true),
    kind("ClusterRoleBinding", RBAC, false),
    local(kind("NetworkPolicy", "networking.k8s.io/v1", true)),
    POD,
    DEPLOYMENT,
    STATEFUL_SET,
    DAEMON_SET,
    REPLICA_SET,
    JOB,
    CRON_JOB,
    REPLICATION_CONTROLLER,
    POD_TEMPLATE,
    local(kind("ResourceQuota", CORE, true)),
    local(kind("LimitRange", CORE, true)),
    local(kind("ConfigMap", CORE, true)),
    NODE,
    kind("Secret", CORE, true),
    ENCRYPTION_CONFIGURATION,
    API_SERVER_METRICS,
    API_SERVER_PROBE,
];

// The kinds that carry pods are named: the inventory builds their workloads from them.
pub const POD: KindInfo = workload(kind("Pod", CORE, true), "spec");
pub const DEPLOYMENT: KindInfo = workload(kind("Deployment", APPS, true), TEMPLATE);
pub const STATEFUL_SET: KindInfo = workload(kind("StatefulSet", APPS, true), TEMPLATE);
pub const DAEMON_SET: KindInfo = workload(kind("DaemonSet", APPS, true), TEMPLATE);
pub const REPLICA_SET: KindInfo = workload(kind("ReplicaSet", APPS, true), TEMPLATE);
pub const JOB: KindInfo = workload(kind("Job", BATCH, true), TEMPLATE);
pub const CRON_JOB: KindInfo = workload(
    kind("CronJob", BATCH, true),
    "spec.jobTemplate.spec.template.spec",
);

pub const REPLICATION_CONTROLLER: KindInfo =
    workload(kind("ReplicationController", CORE, true), TEMPLATE);
/// Runs no pods by itself, but the PodSecurity admission plugin judges its template as it
/// judges a controller's.
pub const POD_TEMPLATE: KindInfo = workload(kind("PodTemplate", CORE, true), "template.spec");

/// Judged by cluster-wide rules (the versions its kubelet reports), unread by the
/// escalation graph.
pub const NODE: KindInfo = KindInfo {
    escalation_input: false,
    ..kind("Node", CORE, false)
};

/// Evidence that is not a Kubernetes object: a file given to a scan.
pub const ENCRYPTION_CONFIGURATION: KindInfo = KindInfo {
    escalation_input: false,
    ..kind(
        "EncryptionConfiguration",
        "apiserver.config.k8s.io/v1",
        false,
    )
};

/// kube-apiserver's `/metrics`, scraped by the operator or saved for a scan.
pub const API_SERVER_METRICS: KindInfo = kind("ApiServerMetrics", "rampart.dev/v1alpha1", false);

/// What the API server answered to Rampart's probe (`/version`, anonymous requests), or a
/// version declared for a scan: read by the control-plane rules only.
pub const API_SERVER_PROBE: KindInfo = KindInfo {
    escalation_input: false,
    ..kind("ApiServerProbe", "rampart.dev/v1alpha1", false)
};

impl KindInfo {
    /// Whether the API server serves objects of this kind: evidence read from a file or
    /// scraped from `/metrics` is not.
    pub fn served(&self) -> bool {
        ![
            ENCRYPTION_CONFIGURATION.kind,
            API_SERVER_METRICS.kind,
            API_SERVER_PROBE.kind,
        ]
        .contains(&self.kind)
    }
}

/// The facts of a kind by name.
pub fn info(kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// Whether `kind` is one whose objects carry pods.
pub fn is_workload(kind: &str) -> bool {
    info(kind).is_some_and(|k| k.pod_spec.is_some())
}

/// The group part of an apiVersion (`""` for the core group).
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_listed_once() {
        let mut names: Vec<&str> = KINDS.iter().map(|k| k.kind).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len());
    }

    macro_rules! names_and_scopes {
        ($($variant:ident: $api:ty => $kept:ty, $scope:ident $field:ident;)*) => {
            [$((stringify!($variant), stringify!($scope) == "namespaced"),)*]
        };
    }

    #[test]
    fn every_kubernetes_kind_of_the_table_has_its_types_in_the_same_order() {
        let typed = kubernetes_kinds!(names_and_scopes);
        let table: Vec<(&str, bool)> = KINDS
            .iter()
            .filter(|k| k.served())
            .map(|k| (k.kind, k.namespaced))
            .collect();
        assert_eq!(typed.as_slice(), table.as_slice());
    }

    #[test]
    fn workloads_are_namespaced_and_judged_in_their_namespace() {
        for k in KINDS.iter().filter(|k| k.pod_spec.is_some()) {
            assert!(k.namespaced && !k.cluster_findings, "{k:?}");
        }
    }
}
