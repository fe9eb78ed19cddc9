use super::grants::Held;
use super::{Escalations, Limits};
use crate::analysis::rbac::matching::ResourceRequest;
use crate::analysis::rbac::permissions::{Permissions, UserInfo};
use crate::inventory::Inventory;
use crate::model::identity::Subject;

fn build(yaml: &str) -> Escalations {
    let inv = Inventory::from_manifest("test.yaml", yaml).expect("the test manifest reads");
    let perms = Permissions::from_inventory(&inv);
    Escalations::build(&inv, &perms, Limits::default())
}

const CHAIN: &str = r#"
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: ci}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: deployer-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: deployer, namespace: ci}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-edit, namespace: ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: User, name: alice}]
"#;

#[test]
fn pod_creation_leads_to_a_privileged_serviceaccount() {
    let e = build(CHAIN);
    let alice = Subject::User("alice".into());
    let path = e
        .path_to_cluster_admin(&alice)
        .expect("alice reaches cluster-admin");
    assert_eq!(path.steps.len(), 2, "{}", path.describe());
    assert!(path.steps[0].0.action.contains("namespace ci"));
    assert!(path.steps[1].0.direct);
    let deployer = Subject::ServiceAccount {
        namespace: "ci".into(),
        name: "deployer".into(),
    };
    assert_eq!(
        e.path_to_cluster_admin(&deployer).map(|p| p.steps.len()),
        Some(1)
    );
    assert!(!e.truncated);
}

/// The per-role caches answer exactly as the authorizer does.
#[test]
fn cached_checks_agree_with_the_authorizer() {
    let yaml = include_str!("../../../../../rampart/demo/rbac.yaml");
    let inv = Inventory::from_manifest("rbac.yaml", yaml).expect("the test manifest reads");
    let perms = Permissions::from_inventory(&inv);
    let mut e = Escalations::default();
    let verbs = [
        "get",
        "list",
        "create",
        "update",
        "impersonate",
        "bind",
        "escalate",
        "approve",
    ];
    let resources = [
        ("", "pods", ""),
        ("", "pods", "exec"),
        ("", "secrets", ""),
        ("", "serviceaccounts", "token"),
        ("", "nodes", "proxy"),
        ("", "groups", ""),
        ("", "users", ""),
        ("rbac.authorization.k8s.io", "clusterroles", ""),
        ("rbac.authorization.k8s.io", "clusterrolebindings", ""),
        ("apps", "deployments", ""),
        (
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations",
            "",
        ),
    ];
    let namespaces = ["", "ci", "web", "payments", "hardened"];
    let names = ["", "cluster-admin", "deployer", "system:masters", "x"];
    let mut asked = 0;
    let mut allowed = 0;
    for key in perms.subjects() {
        let info = UserInfo::for_subject(&key.to_subject());
        let held = Held {
            bindings: perms.bindings_for(&info),
            info: info.clone(),
        };
        for verb in verbs {
            for (group, resource, subresource) in resources {
                for namespace in namespaces {
                    for name in names {
                        let r = ResourceRequest {
                            verb,
                            group,
                            resource,
                            subresource,
                            namespace,
                            name,
                        };
                        let ours = e.check(&perms, &held, &r).is_some();
                        assert_eq!(ours, perms.allowed(&info, &r), "{key} {r:?}");
                        asked += 1;
                        allowed += usize::from(ours);
                    }
                }
            }
        }
    }
    assert!(
        asked > 10_000 && allowed > 100,
        "{asked} asked, {allowed} allowed"
    );
}

#[test]
fn depth_bound_cuts_long_paths() {
    let inv = Inventory::from_manifest("test.yaml", CHAIN).expect("the test manifest reads");
    let perms = Permissions::from_inventory(&inv);
    let limits = Limits {
        max_depth: 1,
        ..Limits::default()
    };
    let e = Escalations::build(&inv, &perms, limits);
    assert!(
        e.path_to_cluster_admin(&Subject::User("alice".into()))
            .is_none()
    );
}

#[test]
fn check_budget_marks_the_graph_truncated() {
    let inv = Inventory::from_manifest("test.yaml", CHAIN).expect("the test manifest reads");
    let perms = Permissions::from_inventory(&inv);
    let limits = Limits {
        max_checks: 1,
        ..Limits::default()
    };
    let e = Escalations::build(&inv, &perms, limits);
    assert!(e.truncated);
}

/// Steps that one grant enables cite the same binding and role: their objects are stored
/// once, and a step is small, for a large cluster's graph holds hundreds of thousands.
#[test]
fn steps_share_the_objects_they_cite() {
    let mut yaml = String::from(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n\
         metadata: {name: dev-edit, namespace: ci}\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\n\
         subjects: [{kind: User, name: alice}]\n",
    );
    let mut subjects = Vec::new();
    for i in 0..5 {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: sa-{i}, namespace: ci}}\n"
        ));
        subjects.push(format!(
            "{{kind: ServiceAccount, name: sa-{i}, namespace: ci}}"
        ));
    }
    // Each ServiceAccount holds something alice does not: a step worth taking.
    yaml.push_str(&format!(
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
         metadata: {{name: sa-nodes}}\n\
         roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node-reader}}\n\
         subjects: [{}]\n",
        subjects.join(", ")
    ));
    let e = build(&yaml);
    let alice = Subject::User("alice".into());
    let (reached, more) = e.reachable(&alice, 100);
    let names: Vec<String> = reached.iter().map(|(s, _)| s.to_string()).collect();
    for i in 0..5 {
        assert!(
            names.contains(&format!("ServiceAccount ci/sa-{i}")),
            "{names:?}"
        );
    }
    assert!(!more);
    // Every step to a ServiceAccount names the same binding and role.
    let (_, path) = &reached[0];
    assert!(
        path.steps[0].0.action.contains("RoleBinding ci/dev-edit"),
        "{}",
        path.describe()
    );
    assert!(e.edge_count() >= 5, "{}", e.edge_count());
    assert!(
        e.vias.len() < e.edge_count(),
        "{} object lists for {} steps",
        e.vias.len(),
        e.edge_count()
    );
    assert!(std::mem::size_of::<super::StoredStep>() <= 40);
    // What only building needed is gone.
    assert!(e.via_ids.is_empty() && e.object_ids.is_empty() && e.role_caps.is_empty());
}
