use super::*;
use crate::analysis::rbac::matching::ResourceRequest;
use crate::inventory::Inventory;
use crate::model::identity::RoleKey;
use crate::model::rbac::ClusterRole;
use k8s_openapi::api::rbac::v1 as rbac;

fn perms(yaml: &str) -> Permissions {
    let inv = Inventory::from_manifest("test.yaml", yaml).expect("the test manifest reads");
    Permissions::from_inventory(&inv)
}

fn get<'a>(resource: &'a str, namespace: &'a str, name: &'a str) -> ResourceRequest<'a> {
    ResourceRequest {
        verb: "get",
        group: "",
        resource,
        subresource: "",
        namespace,
        name,
    }
}

const BASE: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects:
- {kind: ServiceAccount, name: app}
- {kind: Group, name: "system:serviceaccounts:ops"}
"#;

#[test]
fn rolebinding_limits_a_clusterrole_to_its_namespace() {
    let p = perms(BASE);
    let sa = UserInfo::service_account("team", "app");
    assert!(p.allowed(&sa, &get("secrets", "team", "x")));
    assert!(!p.allowed(&sa, &get("secrets", "other", "x")));
    assert!(!p.allowed(&sa, &get("secrets", "", "x")));
    // The group of another namespace's ServiceAccounts is bound in `team` too.
    let ops = UserInfo::service_account("ops", "bot");
    assert!(p.allowed(&ops, &get("secrets", "team", "x")));
    let user_named_like_sa = UserInfo::new("system:serviceaccount:team:app", &[]);
    assert!(p.allowed(&user_named_like_sa, &get("secrets", "team", "x")));
}

#[test]
fn privileged_group_is_allowed_everything() {
    let p = perms(BASE);
    let root = UserInfo::new("root", &[PRIVILEGED_GROUP]);
    assert_eq!(
        p.authorize(&root, &get("nodes", "", "")),
        Some(Reason::PrivilegedGroup)
    );
}

#[test]
fn aggregation_follows_label_changes_incrementally() {
    let mut p = perms(BASE);
    let agg: ClusterRole = serde_yaml_ng::from_str::<rbac::ClusterRole>(
        r#"
metadata: {name: agg}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {x: "1"}}]
"#,
    )
    .expect("role parses")
    .into();
    let mut part: ClusterRole = serde_yaml_ng::from_str::<rbac::ClusterRole>(
        r#"
metadata: {name: part, labels: {x: "1"}}
rules: [{apiGroups: [""], resources: [pods], verbs: [list]}]
"#,
    )
    .expect("role parses")
    .into();
    p.upsert(RbacObject::ClusterRole(&agg));
    p.upsert(RbacObject::ClusterRole(&part));
    let key = RoleKey::ClusterRole("agg".into());
    assert_eq!(p.role_rules(&key).map(<[_]>::len), Some(1));
    part.metadata.labels = Default::default();
    p.upsert(RbacObject::ClusterRole(&part));
    assert_eq!(p.role_rules(&key).map(<[_]>::len), Some(0));
}

#[test]
fn who_can_names_binding_role_and_subjects() {
    let p = perms(BASE);
    let found = p.who_can(&get("secrets", "team", "x"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0.to_ref().name, "read");
    assert!(
        found[0]
            .3
            .contains(&SubjectKey::User("system:serviceaccount:team:app".into()))
    );
    assert!(p.who_can(&get("secrets", "elsewhere", "x")).is_empty());
}
