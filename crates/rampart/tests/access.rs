//! `rampart who-can` and `rampart can` end to end, through the real binary.

mod common;

use common::*;

const TEAM: &str = r#"
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
subjects: [{kind: User, name: alice}, {kind: Group, name: dev}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: one-secret, namespace: ci}
rules:
- {apiGroups: [""], resources: [secrets], resourceNames: [db], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-db, namespace: ci}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: one-secret}
subjects: [{kind: User, name: bob}]
"#;

fn lines_with(out: &str, needle: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

#[test]
fn who_can_lists_subjects_with_binding_and_role() {
    let dir = TempDir::new("whocan");
    let f = dir.write("team.yaml", TEAM);
    let out = rampart(&[
        "who-can",
        "create",
        "pods/exec",
        "-n",
        "ci",
        "-f",
        f.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let alice = lines_with(&text, "User alice");
    assert_eq!(alice.len(), 1, "{text}");
    assert!(alice[0].contains("RoleBinding ci/dev-edit") && alice[0].contains("ClusterRole edit"));
    assert_eq!(lines_with(&text, "Group dev").len(), 1, "{text}");
    assert_eq!(
        lines_with(&text, "ServiceAccount ci/deployer").len(),
        1,
        "{text}"
    );
    assert!(lines_with(&text, "User bob").is_empty(), "{text}");
    // Another namespace: only the cluster-wide grant is left.
    let other = stdout(&rampart(&[
        "who-can",
        "create",
        "pods/exec",
        "-n",
        "prod",
        "-f",
        f.to_str().expect("path"),
    ]));
    assert!(lines_with(&other, "User alice").is_empty(), "{other}");
    assert_eq!(
        lines_with(&other, "ServiceAccount ci/deployer").len(),
        1,
        "{other}"
    );
}

#[test]
fn who_can_respects_resource_names() {
    let dir = TempDir::new("whocan-names");
    let f = dir.write("team.yaml", TEAM);
    let path = f.to_str().expect("path");
    let named = stdout(&rampart(&[
        "who-can", "get", "secrets", "-n", "ci", "--name", "db", "-f", path,
    ]));
    assert_eq!(lines_with(&named, "User bob").len(), 1, "{named}");
    let other = stdout(&rampart(&[
        "who-can", "get", "secrets", "-n", "ci", "--name", "api", "-f", path,
    ]));
    assert!(lines_with(&other, "User bob").is_empty(), "{other}");
    let list = stdout(&rampart(&[
        "who-can", "list", "secrets", "-n", "ci", "-f", path,
    ]));
    assert!(lines_with(&list, "User bob").is_empty(), "{list}");
}

#[test]
fn who_can_json_and_groups_of_well_known_resources() {
    let dir = TempDir::new("whocan-json");
    let f = dir.write("team.yaml", TEAM);
    let out = rampart(&[
        "who-can",
        "create",
        "deployments",
        "-n",
        "ci",
        "--format",
        "json",
        "-f",
        f.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let names: Vec<&str> = v["allowed"]
        .as_array()
        .expect("allowed")
        .iter()
        .filter_map(|a| a["subject"]["name"].as_str())
        .collect();
    assert!(names.contains(&"alice"), "{v}");
    assert!(names.contains(&"deployer"), "{v}");
}

#[test]
fn can_lists_grants_and_the_path_to_cluster_admin() {
    let dir = TempDir::new("can");
    let f = dir.write("team.yaml", TEAM);
    let out = rampart(&["can", "user:alice", "-f", f.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Namespace ci:"), "{text}");
    assert!(
        text.contains("RoleBinding ci/dev-edit -> ClusterRole edit"),
        "{text}"
    );
    let path = lines_with(&text, "can make itself cluster-admin");
    assert_eq!(path.len(), 1, "{text}");
    assert!(path[0].contains("ServiceAccount ci/deployer"), "{text}");

    let bob = stdout(&rampart(&[
        "can",
        "user:bob",
        "-f",
        f.to_str().expect("path"),
    ]));
    assert!(bob.contains("get on secrets (core) only db"), "{bob}");
    assert!(bob.contains("no path to cluster-admin found"), "{bob}");

    let deployer = stdout(&rampart(&[
        "can",
        "sa:ci/deployer",
        "-f",
        f.to_str().expect("path"),
        "--format",
        "json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&deployer).expect("json");
    assert_eq!(
        v["clusterAdminPath"].as_array().map(Vec::len),
        Some(1),
        "{v}"
    );
    assert_eq!(v["groups"][1], "system:serviceaccounts:ci");
}

#[test]
fn bad_subject_or_resource_is_a_usage_error() {
    let out = rampart(&["can", "alice", "--demo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("sa:NAMESPACE/NAME"),
        "{}",
        stderr(&out)
    );
    let out = rampart(&["who-can", "get", "a/b/c", "--demo"]);
    assert_eq!(out.status.code(), Some(2));
    // A source is required.
    let out = rampart(&["who-can", "get", "pods"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_answers_who_can_impersonate() {
    let out = stdout(&rampart(&[
        "who-can",
        "impersonate",
        "groups",
        "--name",
        "system:masters",
        "--demo",
    ]));
    assert_eq!(
        lines_with(&out, "ServiceAccount web/auth-proxy").len(),
        1,
        "{out}"
    );
}
