//! Inventory indexing and RBAC resolution, offline.

use rampart_rules::RoleKey;
use rampart_rules::rbac::{Permission, Permissions, SubjectKey, grants_any};
use rampart_rules::{Change, Inventory, Object, ObjectRef, Scope, Subject};
use rampart_testkit::yaml::inventory;

/// Effective rules of a ClusterRole, as the one RBAC index resolves them.
fn cluster_role_rules(
    inv: &Inventory,
    name: &str,
) -> Option<Vec<k8s_openapi::api::rbac::v1::PolicyRule>> {
    Permissions::from_inventory(inv)
        .role_rules(&RoleKey::ClusterRole(rampart_rules::Shared::new(name)))
        .map(<[_]>::to_vec)
}

fn allows(
    rules: &[k8s_openapi::api::rbac::v1::PolicyRule],
    verb: &str,
    group: &str,
    resource: &str,
) -> bool {
    let perm = Permission {
        verbs: &[verb],
        group,
        resource,
        subresource: None,
    };
    grants_any(rules, &perm).is_some()
}

#[test]
fn builtin_roles_aggregate_through_each_other() {
    let inv = Inventory::from_objects(Vec::new());
    let admin = cluster_role_rules(&inv, "admin").expect("admin is built in");
    // Own aggregate-to-admin rules, and edit's and view's through nested aggregation.
    assert!(allows(
        &admin,
        "create",
        "rbac.authorization.k8s.io",
        "rolebindings"
    ));
    assert!(allows(&admin, "create", "apps", "deployments"));
    assert!(allows(&admin, "list", "", "configmaps"));
    let view = cluster_role_rules(&inv, "view").expect("view is built in");
    assert!(
        !allows(&view, "get", "", "secrets"),
        "view must not read Secrets"
    );
}

#[test]
fn custom_role_aggregated_into_view_reaches_edit_and_admin() {
    let inv = inventory(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: widgets-view\n  labels: {rbac.authorization.k8s.io/aggregate-to-view: \"true\"}\nrules:\n- {apiGroups: [example.com], resources: [widgets], verbs: [get]}\n",
    );
    for role in ["view", "edit", "admin"] {
        let rules = cluster_role_rules(&inv, role).expect("built in");
        assert!(
            allows(&rules, "get", "example.com", "widgets"),
            "{role} lacks widgets"
        );
    }
    let cluster_admin = cluster_role_rules(&inv, "cluster-admin").expect("built in");
    assert!(allows(&cluster_admin, "get", "example.com", "widgets"));
}

#[test]
fn aggregation_cycles_terminate() {
    let inv = inventory(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: a, labels: {x: a}}\naggregationRule: {clusterRoleSelectors: [{matchLabels: {x: b}}]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: b, labels: {x: b}}\naggregationRule: {clusterRoleSelectors: [{matchLabels: {x: a}}]}\n",
    );
    assert!(cluster_role_rules(&inv, "a").is_some());
}

#[test]
fn bindings_are_indexed_by_subject_and_role() {
    let inv = inventory(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: app}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects:\n- {kind: ServiceAccount, name: web}\n",
    );
    let sa = Subject::ServiceAccount {
        namespace: "app".into(),
        name: "web".into(),
    };
    let perms = Permissions::from_inventory(&inv);
    let by_subject: Vec<_> = perms
        .bindings_naming(&SubjectKey::from_subject(&sa))
        .map(|b| b.to_ref())
        .collect();
    assert_eq!(
        by_subject,
        vec![ObjectRef::new(
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            Some("app"),
            "b"
        )]
    );
    assert_eq!(
        perms
            .bindings_to(&RoleKey::ClusterRole("view".into()))
            .count(),
        1
    );
    assert!(inv.has_namespace("app"));
}

#[test]
fn pods_are_attributed_to_their_top_level_controller() {
    let inv = inventory(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: app}\nspec:\n  selector: {matchLabels: {app: web}}\n  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: i}]}}\n---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-1\n  namespace: app\n  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u1, controller: true}]\nspec:\n  selector: {matchLabels: {app: web}}\n  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: i}]}}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1-abc\n  namespace: app\n  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: u2, controller: true}]\nspec: {containers: [{name: c, image: i}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: orphan, namespace: app, ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: gone, uid: u3, controller: true}]}\nspec: {containers: [{name: c, image: i}]}\n",
    );
    let workloads: Vec<String> = inv
        .workloads_in("app")
        .map(|w| w.object.to_string())
        .collect();
    assert_eq!(workloads, vec!["Pod app/orphan", "Deployment app/web"]);
}

#[test]
fn controlled_objects_are_hidden_behind_their_controller_of_every_kind() {
    let template =
        "template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: i}]}}";
    let owned = |kind: &str, owner: &str| {
        format!(
            "ownerReferences: [{{apiVersion: v1, kind: {kind}, name: {owner}, uid: u, controller: true}}]"
        )
    };
    let yaml = [
        "apiVersion: v1\nkind: Pod\nmetadata: {name: b-pod, namespace: app}\nspec: {containers: [{name: c, image: i}]}".to_owned(),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a-pod, namespace: app}\nspec: {containers: [{name: c, image: i}]}".to_owned(),
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: ds-x, namespace: app, {}}}\nspec: {{containers: [{{name: c, image: i}}]}}", owned("DaemonSet", "ds")),
        format!("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: ds, namespace: app}}\nspec:\n  selector: {{}}\n  {template}"),
        format!("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: db, namespace: app}}\nspec:\n  selector: {{}}\n  {template}"),
        format!("apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: nightly, namespace: app}}\nspec:\n  schedule: '@daily'\n  jobTemplate: {{spec: {{{template}}}}}"),
        format!("apiVersion: batch/v1\nkind: Job\nmetadata: {{name: nightly-1, namespace: app, {}}}\nspec: {{{template}}}", owned("CronJob", "nightly")),
        format!("apiVersion: batch/v1\nkind: Job\nmetadata: {{name: once, namespace: app}}\nspec: {{{template}}}"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: elsewhere, namespace: other}\nspec: {containers: [{name: c, image: i}]}".to_owned(),
        format!("apiVersion: v1\nkind: ReplicationController\nmetadata: {{name: legacy, namespace: app}}\nspec:\n  selector: {{app: a}}\n  {template}"),
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: legacy-x, namespace: app, {}}}\nspec: {{containers: [{{name: c, image: i}}]}}", owned("ReplicationController", "legacy")),
        format!("apiVersion: v1\nkind: PodTemplate\nmetadata: {{name: tmpl, namespace: app}}\n{template}"),
    ]
    .join("\n---\n");
    let mut inv = inventory(&yaml);
    let listed = |inv: &Inventory| -> Vec<String> {
        inv.workloads_in("app")
            .map(|w| format!("{} {}", w.object, w.spec_path))
            .collect()
    };
    assert_eq!(
        listed(&inv),
        vec![
            "Pod app/a-pod spec",
            "Pod app/b-pod spec",
            "StatefulSet app/db spec.template.spec",
            "DaemonSet app/ds spec.template.spec",
            "Job app/once spec.template.spec",
            "CronJob app/nightly spec.jobTemplate.spec.template.spec",
            "ReplicationController app/legacy spec.template.spec",
            "PodTemplate app/tmpl template.spec",
        ]
    );
    assert!(inv.remove(&ObjectRef::new("v1", "Pod", Some("app"), "a-pod")));
    assert!(inv.remove(&ObjectRef::new("batch/v1", "Job", Some("app"), "once")));
    // Without its ReplicationController, the pod it controlled is a workload of its own,
    // once the change has reached the indexes.
    inv.apply(vec![Change::Delete(ObjectRef::new(
        "v1",
        "ReplicationController",
        Some("app"),
        "legacy",
    ))]);
    assert!(inv.index_is_consistent());
    assert_eq!(
        listed(&inv),
        vec![
            "Pod app/b-pod spec",
            "Pod app/legacy-x spec",
            "StatefulSet app/db spec.template.spec",
            "DaemonSet app/ds spec.template.spec",
            "CronJob app/nightly spec.jobTemplate.spec.template.spec",
            "PodTemplate app/tmpl template.spec",
        ]
    );
}

#[test]
fn nodes_are_held_cluster_wide_by_name_with_their_kubelet_versions() {
    let node = |name: &str, kubelet: &str| {
        format!(
            "apiVersion: v1\nkind: Node\nmetadata: {{name: {name}}}\nspec: {{podCIDR: 10.244.0.0/24}}\nstatus:\n  nodeInfo: {{kubeletVersion: {kubelet}, containerRuntimeVersion: \"containerd://2.1.3\", kernelVersion: 6.8.0, osImage: Debian, operatingSystem: linux, architecture: arm64, machineID: m, systemUUID: u, bootID: b}}\n  images: [{{names: [\"registry.example/app:1\"], sizeBytes: 1}}]\n"
        )
    };
    let text = format!(
        "{}---\n{}",
        node("worker-2", "v1.32.4"),
        node("control-plane", "v1.33.2")
    );
    let mut inv = Inventory::from_manifest("nodes.yaml", &text).expect("the nodes read");
    let held: Vec<(&str, Option<&str>, &str)> = inv
        .nodes()
        .map(|n| {
            let info = n.info.as_ref().expect("nodeInfo is kept");
            (
                &*n.metadata.name,
                n.metadata.namespace.as_deref(),
                info.kubelet_version.as_str(),
            )
        })
        .collect();
    assert_eq!(
        held,
        [
            ("control-plane", None, "v1.33.2"),
            ("worker-2", None, "v1.32.4")
        ]
    );
    assert_eq!(inv.counts().get("Node"), Some(&2));
    assert!(inv.remove(&ObjectRef::new("v1", "Node", None, "worker-2")));
    assert_eq!(inv.nodes().count(), 1);
}

#[test]
fn an_update_that_changes_nothing_the_rules_read_reaches_nothing() {
    let pod = |phase: &str| {
        let text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: web, namespace: shop}}\nspec:\n  containers:\n  - {{name: app, image: app:1}}\nstatus: {{phase: {phase}}}\n"
        );
        let inv = Inventory::from_manifest("pod.yaml", &text).expect("reads");
        inv.pod("shop", "web").cloned().expect("held")
    };
    let nothing = || Scope::Only {
        namespaces: Default::default(),
        cluster: false,
    };
    let mut inv = Inventory::default();
    let first = inv.apply(vec![Change::Upsert(Box::new(Object::Pod(pod("Pending"))))]);
    assert_ne!(
        first.reach.into_scope(),
        nothing(),
        "a new pod reaches its namespace"
    );
    // The status is not kept, so the running pod is the same pod to the rules.
    let again = inv.apply(vec![Change::Upsert(Box::new(Object::Pod(pod("Running"))))]);
    assert_eq!(again.reach.into_scope(), nothing());
    let mut changed = pod("Running");
    changed.metadata.labels = [("app".to_owned(), "web".to_owned())].into_iter().collect();
    let relabelled = inv.apply(vec![Change::Upsert(Box::new(Object::Pod(changed)))]);
    assert_ne!(
        relabelled.reach.into_scope(),
        nothing(),
        "a new label is a change"
    );
    assert!(inv.index_is_consistent());
}
