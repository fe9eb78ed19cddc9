//! A deterministic synthetic cluster for the evaluation benchmark.
//!
//! ```text
//! chunk 0        cluster-wide: ClusterRoles (benign, aggregated into view/edit, aggregating,
//!                dangerous) and one ClusterRoleBinding each, a few to cluster-admin
//! chunk 1        the platform: kube-system with the kube-apiserver static pod and its
//!                EncryptionConfiguration, and `default` with two stray pods
//! chunk 2..      one namespace each: Namespace (varied PSA labels), ServiceAccounts, Roles and
//!                RoleBindings, Deployments -> ReplicaSets -> pods, bare pods, NetworkPolicies,
//!                sometimes a ResourceQuota, a LimitRange, a legacy token Secret (metadata only)
//! ```
//! Chunks are handed out one at a time so the benchmark can time generation and insertion
//! apart and never holds a second copy of the cluster (peak memory is the inventory's).
//! Default sizes are the issue's (plus `kube-system` and `default`); `RAMPART_BENCH_SCALE`
//! scales the number of namespaces and ClusterRoles while each namespace keeps the same mix.

use rampart_rules::{Decoded, Object, decode};
use rampart_testkit::Rng;
use serde_json::{Map, Value, json};

/// How big the cluster is. Defaults: 1,000 namespaces x (10 ServiceAccounts, 10 Roles +
/// 10 RoleBindings, 60 pods, 3 NetworkPolicies) + 250 ClusterRoles and their bindings.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub namespaces: usize,
    pub service_accounts_per_namespace: usize,
    /// Roles per namespace; each has a RoleBinding too.
    pub roles_per_namespace: usize,
    /// Pods per namespace; up to 4 Deployments of 3 replicas, the rest bare pods.
    pub pods_per_namespace: usize,
    pub network_policies_per_namespace: usize,
    /// ClusterRoles; each has a ClusterRoleBinding too.
    pub cluster_roles: usize,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            namespaces: 1000,
            service_accounts_per_namespace: 10,
            roles_per_namespace: 10,
            pods_per_namespace: 60,
            network_policies_per_namespace: 3,
            cluster_roles: 250,
        }
    }
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    let raw = std::env::var(name).ok()?;
    match raw.parse() {
        Ok(v) => Some(v),
        Err(_) => panic!("{name}={raw:?} is not a valid value"),
    }
}

impl Sizes {
    /// The defaults, scaled by `RAMPART_BENCH_SCALE` and overridden by `RAMPART_BENCH_NAMESPACES`,
    /// `RAMPART_BENCH_PODS_PER_NAMESPACE` and `RAMPART_BENCH_CLUSTER_ROLES`.
    pub fn from_env() -> Sizes {
        let d = Sizes::default();
        let scale: f64 = env("RAMPART_BENCH_SCALE").unwrap_or(1.0);
        let scaled = |n: usize| ((n as f64 * scale).round() as usize).max(1);
        Sizes {
            namespaces: env("RAMPART_BENCH_NAMESPACES").unwrap_or(scaled(d.namespaces)),
            pods_per_namespace: env("RAMPART_BENCH_PODS_PER_NAMESPACE")
                .unwrap_or(d.pods_per_namespace),
            cluster_roles: env("RAMPART_BENCH_CLUSTER_ROLES").unwrap_or(scaled(d.cluster_roles)),
            ..d
        }
    }
}

/// The name of namespace `n`.
pub fn namespace_name(n: usize) -> String {
    format!("ns-{n:04}")
}

fn object(v: Value) -> Object {
    match decode(v) {
        Ok(Decoded::Object(o)) => *o,
        other => panic!("the generator wrote an object the engine cannot read: {other:?}"),
    }
}

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const APPS: [&str; 8] = [
    "web", "api", "worker", "cache", "batch", "gateway", "search", "billing",
];

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

/// What a custom Role or ClusterRole grants, from harmless to dangerous; weights are percent.
fn role_rules(rng: &mut Rng) -> Value {
    let read = ["get", "list", "watch"];
    match rng.below(100) {
        0..=24 => json!([
            rule(&[""], &["configmaps"], &read),
            rule(&["apps"], &["deployments"], &["get", "list"])
        ]),
        25..=39 => json!([rule(&[""], &["pods", "services", "endpoints"], &read)]),
        40..=54 => json!([rule(
            &["coordination.k8s.io"],
            &["leases"],
            &["get", "create", "update"]
        )]),
        55..=64 => json!([rule(&[""], &["secrets"], &read)]),
        65..=68 => json!([rule(&["*"], &["*"], &["*"])]),
        69..=76 => json!([
            rule(&[""], &["pods"], &["get", "list"]),
            rule(&[""], &["pods/exec"], &["create"])
        ]),
        77..=81 => json!([rule(&["apps"], &["deployments", "statefulsets"], &["*"])]),
        82..=85 => json!([rule(&[""], &["serviceaccounts/token"], &["create"])]),
        86..=90 => json!([rule(&["", "apps"], &["pods", "deployments"], &["create"])]),
        91..=94 => json!([rule(
            &[RBAC_GROUP],
            &["roles", "rolebindings"],
            &["escalate", "bind"]
        )]),
        _ => json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"],
                     "resourceNames": ["app-tls"]}]),
    }
}

/// ClusterRole-only grants: the cluster-wide dangerous permissions.
fn dangerous_cluster_rules(rng: &mut Rng) -> Value {
    match rng.below(9) {
        0 => json!([rule(&["*"], &["*"], &["*"])]),
        1 => json!([rule(&[""], &["secrets"], &["get", "list", "watch"])]),
        2 => json!([rule(
            &[""],
            &["users", "groups", "serviceaccounts"],
            &["impersonate"]
        )]),
        3 => json!([rule(&[""], &["nodes/proxy"], &["get", "create"])]),
        4 => json!([rule(
            &[RBAC_GROUP],
            &["clusterroles"],
            &["escalate", "bind"]
        )]),
        5 => json!([
            rule(
                &["certificates.k8s.io"],
                &["certificatesigningrequests/approval"],
                &["update"]
            ),
            rule(&["certificates.k8s.io"], &["signers"], &["approve"])
        ]),
        6 => json!([rule(
            &["admissionregistration.k8s.io"],
            &[
                "mutatingwebhookconfigurations",
                "validatingwebhookconfigurations"
            ],
            &["create", "update", "patch"]
        )]),
        7 => json!([rule(&[""], &["persistentvolumes"], &["create"])]),
        _ => json!([rule(&[""], &["pods/exec", "pods/attach"], &["create"])]),
    }
}

/// The generator: an iterator of chunks of objects, see the module doc.
pub struct Cluster {
    sizes: Sizes,
    /// Seeded with a constant: the same cluster on every run and machine.
    rng: Rng,
    chunk: usize,
}

impl Cluster {
    pub fn new(sizes: Sizes) -> Self {
        Cluster {
            sizes,
            rng: Rng::new(0x7261_6d70_6172_7431),
            chunk: 0,
        }
    }

    fn subject_user(&mut self) -> Value {
        json!({"kind": "User", "apiGroup": RBAC_GROUP,
               "name": format!("user-{}@example.com", self.rng.below(2000))})
    }

    fn subject_group(&mut self) -> Value {
        json!({"kind": "Group", "apiGroup": RBAC_GROUP, "name": format!("team-{}", self.rng.below(50))})
    }

    fn cluster_wide(&mut self) -> Vec<Value> {
        let n = self.sizes.cluster_roles;
        let mut out = Vec::with_capacity(2 * n + 4);
        for c in 0..n {
            let name = format!("cr-{c:03}");
            let mut labels = Map::new();
            let mut aggregation = Value::Null;
            let rules = match c % 50 {
                0 | 25 => {
                    labels.insert(
                        "rbac.authorization.k8s.io/aggregate-to-view".into(),
                        "true".into(),
                    );
                    // An operator that aggregates its Secret reads into `view`: a mistake
                    // seen in the wild, one in fifty roles.
                    let resource = if c % 50 == 25 {
                        "secrets".to_owned()
                    } else {
                        format!("widgets{c}")
                    };
                    let group = if c % 50 == 25 { "" } else { "example.com" };
                    json!([rule(&[group], &[&resource], &["get", "list", "watch"])])
                }
                1 | 26 => {
                    labels.insert(
                        "rbac.authorization.k8s.io/aggregate-to-edit".into(),
                        "true".into(),
                    );
                    json!([rule(
                        &["example.com"],
                        &[&format!("widgets{c}")],
                        &["create", "update", "delete"]
                    )])
                }
                2 => {
                    aggregation = json!({"clusterRoleSelectors": [
                        {"matchLabels": {"example.com/aggregate-to-platform": "true"}}]});
                    Value::Null
                }
                _ if self.rng.chance(12) => {
                    if c % 3 == 0 {
                        labels.insert("example.com/aggregate-to-platform".into(), "true".into());
                    }
                    dangerous_cluster_rules(&mut self.rng)
                }
                _ => {
                    if c % 10 == 3 {
                        labels.insert("example.com/aggregate-to-platform".into(), "true".into());
                    }
                    json!([rule(
                        &["example.com"],
                        &[&format!("widgets{c}")],
                        &["get", "list"]
                    )])
                }
            };
            let mut role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": name, "labels": labels}});
            if !rules.is_null() {
                role["rules"] = rules;
            }
            if !aggregation.is_null() {
                role["aggregationRule"] = aggregation;
            }
            out.push(role);

            // Mostly the role's own; now and then the most powerful built-in.
            let role_ref = match c {
                0 | 100 | 200 => "cluster-admin".to_owned(),
                17 => "view".to_owned(),
                _ => name,
            };
            let subject = match (c, self.rng.below(3)) {
                (17, _) => {
                    json!({"kind": "Group", "apiGroup": RBAC_GROUP, "name": "system:authenticated"})
                }
                (_, 0) => self.subject_user(),
                (_, 1) => self.subject_group(),
                _ => {
                    let ns = namespace_name(self.rng.below(self.sizes.namespaces));
                    json!({"kind": "ServiceAccount", "name": format!("sa-{}", 1 + self.rng.below(3)), "namespace": ns})
                }
            };
            out.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": format!("crb-{c:03}")},
                "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": role_ref},
                "subjects": [subject]}),
            );
        }
        out
    }

    fn platform(&mut self) -> Vec<Value> {
        let ns = "kube-system";
        let command = [
            "kube-apiserver",
            "--authorization-mode=Node,RBAC",
            "--encryption-provider-config=/etc/kubernetes/encryption.yaml",
            "--anonymous-auth=false",
        ];
        vec![
            json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}}}),
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": ns}}),
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "kube-apiserver-cp-0", "namespace": ns,
                             "labels": {"component": "kube-apiserver", "tier": "control-plane"}},
                "spec": {"hostNetwork": true, "containers": [{"name": "kube-apiserver",
                         "image": "registry.k8s.io/kube-apiserver:v1.37.2", "command": command}]}}),
            json!({"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
                "resources": [{"resources": ["secrets"], "providers": [
                    {"aescbc": {"keys": [{"name": "key1", "secret": "c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/"}]}},
                    {"identity": {}}]}]}),
            json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "default", "labels": {"kubernetes.io/metadata.name": "default"}}}),
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "default", "namespace": "default"}}),
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "debug", "namespace": "default", "labels": {"run": "debug"}},
                "spec": {"containers": [{"name": "debug", "image": "busybox:1.37", "command": ["sleep", "infinity"]}]}}),
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "nginx", "namespace": "default", "labels": {"run": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.29"}]}}),
        ]
    }

    fn namespace_object(&mut self, ns: &str, n: usize) -> Value {
        let mut labels = Map::new();
        labels.insert("kubernetes.io/metadata.name".into(), ns.into());
        labels.insert("team".into(), format!("team-{}", n % 50).into());
        let psa = "pod-security.kubernetes.io";
        let enforce = match self.rng.below(10) {
            0..=3 => Some("restricted"),
            4 | 5 => Some("baseline"),
            6 => Some("privileged"),
            _ => None,
        };
        if let Some(level) = enforce {
            labels.insert(format!("{psa}/enforce"), level.into());
            if self.rng.chance(50) {
                labels.insert(format!("{psa}/enforce-version"), "v1.37".into());
            }
        }
        if self.rng.chance(40) {
            labels.insert(format!("{psa}/warn"), "restricted".into());
        }
        if self.rng.chance(30) {
            labels.insert(format!("{psa}/audit"), "restricted".into());
        }
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}})
    }

    /// A ServiceAccount name of this namespace (`default` included).
    fn service_account(&mut self) -> String {
        match self.rng.below(self.sizes.service_accounts_per_namespace) {
            0 => "default".to_owned(),
            s => format!("sa-{s}"),
        }
    }

    fn rbac(&mut self, ns: &str, out: &mut Vec<Value>) {
        for i in 0..self.sizes.roles_per_namespace {
            let role = format!("role-{i}");
            let rules = role_rules(&mut self.rng);
            out.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": role, "namespace": ns}, "rules": rules}),
            );

            let (kind, target) = match self.rng.below(100) {
                0..=59 => ("Role", role),
                60..=84 => (
                    "ClusterRole",
                    self.rng.pick(&["edit", "view", "admin"]).to_string(),
                ),
                85..=94 => (
                    "ClusterRole",
                    format!("cr-{:03}", self.rng.below(self.sizes.cluster_roles)),
                ),
                95..=97 => ("Role", format!("removed-role-{i}")),
                _ => ("ClusterRole", "removed-cluster-role".to_owned()),
            };
            let count = match self.rng.below(10) {
                0..=6 => 1,
                7 | 8 => 2,
                _ => 3,
            };
            let subjects: Vec<Value> = (0..count)
                .map(|_| match self.rng.below(20) {
                    0..=9 => json!({"kind": "ServiceAccount", "name": self.service_account(), "namespace": ns}),
                    10 => json!({"kind": "ServiceAccount", "name": "deleted-sa", "namespace": ns}),
                    11 => {
                        let other = namespace_name(self.rng.below(self.sizes.namespaces));
                        json!({"kind": "ServiceAccount", "name": "sa-1", "namespace": other})
                    }
                    12..=15 => self.subject_user(),
                    _ => self.subject_group(),
                })
                .collect();
            out.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": format!("binding-{i}"), "namespace": ns},
                "roleRef": {"apiGroup": RBAC_GROUP, "kind": kind, "name": target},
                "subjects": subjects}),
            );
        }
    }

    /// A pod spec with the variety pod-level rules look at.
    fn pod_spec(&mut self, app: &str, sa: Option<&str>) -> Value {
        let mut container = json!({"name": app, "image": format!("registry.example.com/{app}:1.{}", self.rng.below(20)),
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}});
        match self.rng.below(20) {
            0 => container["securityContext"] = json!({"privileged": true}),
            1..=9 => {
                container["securityContext"] = json!({"runAsNonRoot": true, "allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true, "capabilities": {"drop": ["ALL"]}})
            }
            _ => {}
        }
        let mut spec = json!({"containers": [container]});
        if let Some(sa) = sa {
            spec["serviceAccountName"] = sa.into();
        }
        if self.rng.chance(30) {
            spec["automountServiceAccountToken"] = false.into();
        }
        if self.rng.chance(2) {
            spec["hostNetwork"] = true.into();
        }
        spec
    }

    fn workloads(&mut self, ns: &str, n: usize, out: &mut Vec<Value>) {
        let pods = self.sizes.pods_per_namespace;
        let deployments = (pods / 3).min(4);
        for d in 0..deployments {
            let app = APPS[(n + d) % APPS.len()];
            let name = format!("{app}-{d}");
            let labels = json!({"app": app, "tier": if d % 2 == 0 { "front" } else { "back" },
                                "version": format!("v{}", self.rng.below(3))});
            let sa = match self.rng.below(4) {
                0 => None,
                _ => Some(self.service_account()),
            };
            let template =
                json!({"metadata": {"labels": labels}, "spec": self.pod_spec(app, sa.as_deref())});
            let hash = format!("{:x}", 0x6d00_0000 + n * 16 + d);
            let rs = format!("{name}-{hash}");
            out.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": ns, "labels": labels},
                "spec": {"replicas": 3, "selector": {"matchLabels": labels}, "template": template}}));
            let mut pod_labels = labels.clone();
            pod_labels["pod-template-hash"] = hash.into();
            out.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": rs, "namespace": ns, "labels": pod_labels, "ownerReferences": [
                    {"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": format!("uid-{ns}-{name}"), "controller": true}]},
                "spec": {"replicas": 3, "selector": {"matchLabels": pod_labels},
                         "template": {"metadata": {"labels": pod_labels}, "spec": template["spec"]}}}));
            for r in 0..3 {
                out.push(json!({"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("{rs}-{r:05}"), "namespace": ns, "labels": pod_labels, "ownerReferences": [
                        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": format!("uid-{ns}-{rs}"), "controller": true}]},
                    "spec": template["spec"]}));
            }
        }
        for p in 0..pods - 3 * deployments {
            let app = *self.rng.pick(&APPS);
            let mut labels = json!({"app": app, "instance": format!("i{}", p % 7)});
            if self.rng.chance(50) {
                labels["tier"] = (*self.rng.pick(&["front", "back", "data"])).into();
            }
            let sa = match self.rng.below(3) {
                0 => None,
                _ => Some(self.service_account()),
            };
            let spec = self.pod_spec(app, sa.as_deref());
            out.push(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("{app}-job-{p}"), "namespace": ns, "labels": labels}, "spec": spec}));
        }
    }

    fn network_policies(&mut self, ns: &str, n: usize, out: &mut Vec<Value>) {
        // One namespace in ten has none and another has twice as many: same total.
        let count = match n % 10 {
            9 => 0,
            4 => 2 * self.sizes.network_policies_per_namespace,
            _ => self.sizes.network_policies_per_namespace,
        };
        for i in 0..count {
            let spec = match (i % 3, self.rng.below(10)) {
                (0, 0) => json!({"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]}),
                (0, 1) => {
                    json!({"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
                                 "ingress": [{"ports": [{"port": 8080}]}]})
                }
                (0, _) => json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
                (1, _) => {
                    json!({"podSelector": {"matchLabels": {"app": APPS[(n + i) % APPS.len()]}},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [
                        {"namespaceSelector": {"matchLabels": {"team": format!("team-{}", n % 50)}}},
                        {"podSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}}]}]})
                }
                (_, 0..=3) => json!({"podSelector": {}, "policyTypes": ["Egress"],
                    "egress": [{"ports": [{"protocol": "UDP", "port": 53}]}]}),
                (_, _) => json!({"podSelector": {"matchExpressions": [
                        {"key": "tier", "operator": "In", "values": ["front", "back"]},
                        {"key": "app", "operator": "NotIn", "values": ["batch"]},
                        {"key": "version", "operator": "Exists"}]},
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.96.0.0/12"]}}]}]}),
            };
            out.push(
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": format!("np-{i}"), "namespace": ns}, "spec": spec}),
            );
        }
    }

    fn namespace(&mut self, n: usize) -> Vec<Value> {
        let ns = namespace_name(n);
        let mut out = Vec::with_capacity(128);
        out.push(self.namespace_object(&ns, n));
        for s in 0..self.sizes.service_accounts_per_namespace {
            let name = if s == 0 {
                "default".to_owned()
            } else {
                format!("sa-{s}")
            };
            let mut sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}});
            if self.rng.chance(if s == 0 { 30 } else { 50 }) {
                sa["automountServiceAccountToken"] = false.into();
            }
            out.push(sa);
        }
        self.rbac(&ns, &mut out);
        self.workloads(&ns, n, &mut out);
        self.network_policies(&ns, n, &mut out);
        if self.rng.chance(50) {
            out.push(json!({"apiVersion": "v1", "kind": "ResourceQuota",
                "metadata": {"name": "compute", "namespace": ns},
                "spec": {"hard": {"pods": "200", "requests.cpu": "40", "requests.memory": "80Gi"}}}));
        }
        if self.rng.chance(35) {
            out.push(json!({"apiVersion": "v1", "kind": "LimitRange",
                "metadata": {"name": "defaults", "namespace": ns},
                "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "256Mi"},
                                     "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]}}));
        }
        if self.rng.chance(30) {
            out.push(json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                "metadata": {"name": "sa-1-token", "namespace": ns,
                             "annotations": {"kubernetes.io/service-account.name": "sa-1"}}}));
        }
        out
    }
}

impl Cluster {
    /// The next chunk as manifest documents, before the engine reads them: what a YAML
    /// file of the same objects holds. Chunks come in the module doc's order.
    pub fn next_documents(&mut self) -> Option<Vec<Value>> {
        let chunk = self.chunk;
        self.chunk += 1;
        match chunk {
            0 => Some(self.cluster_wide()),
            1 => Some(self.platform()),
            c if c - 2 < self.sizes.namespaces => Some(self.namespace(c - 2)),
            _ => None,
        }
    }
}

impl Iterator for Cluster {
    type Item = Vec<Object>;

    fn next(&mut self) -> Option<Vec<Object>> {
        let documents = self.next_documents()?;
        Some(documents.into_iter().map(object).collect())
    }
}

/// Pod `name` of namespace `ns` as a controller would rewrite it: new labels each `round`.
pub fn changed_pod(ns: &str, name: &str, round: usize) -> Object {
    object(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns,
                     "labels": {"app": APPS[round % APPS.len()], "instance": format!("i{round}")}},
        "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:2.0"}]}}))
}
