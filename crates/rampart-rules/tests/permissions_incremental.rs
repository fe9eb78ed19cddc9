//! Property: after any sequence of RBAC changes, the incrementally updated permissions equal
//! a fresh build from the objects that remain. Names come from small pools so that changes
//! collide: replacing, relabelling and deleting roles that aggregated roles select, bindings
//! that move between subjects, roles shadowing bootstrap roles.

use k8s_openapi::api::rbac::v1::{
    AggregationRule, ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef,
    Subject,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use rampart_rules::ObjectRef;
use rampart_rules::rbac as kept;
use rampart_rules::rbac::ResourceRequest;
use rampart_rules::rbac::{Permissions, RbacObject, UserInfo};
use rampart_testkit::Rng;
use std::collections::BTreeMap;

#[derive(Clone)]
enum Obj {
    Role(kept::Role),
    ClusterRole(kept::ClusterRole),
    RoleBinding(kept::RoleBinding),
    ClusterRoleBinding(kept::ClusterRoleBinding),
}

impl Obj {
    fn as_rbac(&self) -> RbacObject<'_> {
        match self {
            Obj::Role(r) => RbacObject::Role(r),
            Obj::ClusterRole(r) => RbacObject::ClusterRole(r),
            Obj::RoleBinding(b) => RbacObject::RoleBinding(b),
            Obj::ClusterRoleBinding(b) => RbacObject::ClusterRoleBinding(b),
        }
    }
}

const NAMESPACES: &[&str] = &["a", "b"];
const CLUSTER_ROLES: &[&str] = &["c0", "c1", "c2", "c3", "view", "edit"];
const LABEL_KEYS: &[&str] = &["agg", "rbac.authorization.k8s.io/aggregate-to-view"];

fn meta(namespace: Option<&str>, name: &str) -> ObjectMeta {
    ObjectMeta {
        namespace: namespace.map(str::to_owned),
        name: Some(name.to_owned()),
        ..ObjectMeta::default()
    }
}

fn rule(rng: &mut Rng) -> PolicyRule {
    PolicyRule {
        verbs: rng.several(&["get", "list", "create", "*"], 2),
        api_groups: Some(rng.several(&["", "apps", "*"], 2)),
        resources: Some(rng.several(&["pods", "secrets", "pods/log", "*"], 2)),
        resource_names: (rng.below(3) == 0).then(|| rng.several(&["x", "y"], 1)),
        non_resource_urls: None,
    }
}

fn rules(rng: &mut Rng) -> Vec<PolicyRule> {
    (0..rng.below(3)).map(|_| rule(rng)).collect()
}

fn subjects(rng: &mut Rng) -> Vec<Subject> {
    (0..rng.below(3))
        .map(|_| {
            let (kind, name) = match rng.below(3) {
                0 => ("User", *rng.pick(&["u0", "u1"])),
                1 => ("Group", *rng.pick(&["g0", "system:serviceaccounts:a"])),
                _ => ("ServiceAccount", *rng.pick(&["s0", "s1"])),
            };
            let namespace = (kind == "ServiceAccount" && rng.below(2) == 0)
                .then(|| (*rng.pick(NAMESPACES)).to_owned());
            Subject {
                kind: kind.to_owned(),
                name: name.to_owned(),
                namespace,
                api_group: None,
            }
        })
        .collect()
}

fn role_ref(rng: &mut Rng) -> RoleRef {
    let (kind, name) = if rng.below(2) == 0 {
        ("Role", *rng.pick(&["r0", "r1"]))
    } else {
        ("ClusterRole", *rng.pick(CLUSTER_ROLES))
    };
    RoleRef {
        api_group: Some("rbac.authorization.k8s.io".to_owned()),
        kind: kind.to_owned(),
        name: name.to_owned(),
    }
}

fn random_object(rng: &mut Rng) -> (ObjectRef, Obj) {
    let ns = *rng.pick(NAMESPACES);
    match rng.below(4) {
        0 => {
            let name = *rng.pick(&["r0", "r1"]);
            let r = Role {
                metadata: meta(Some(ns), name),
                rules: Some(rules(rng)),
            };
            (
                ObjectRef::role(ns, r.metadata.name.as_deref().unwrap_or("")),
                Obj::Role(r.into()),
            )
        }
        1 => {
            let name = *rng.pick(CLUSTER_ROLES);
            let mut m = meta(None, name);
            if rng.below(2) == 0 {
                let key = *rng.pick(LABEL_KEYS);
                m.labels = Some(BTreeMap::from([(key.to_owned(), "true".to_owned())]));
            }
            let aggregation_rule = (rng.below(3) == 0).then(|| AggregationRule {
                cluster_role_selectors: Some(vec![LabelSelector {
                    match_labels: Some(BTreeMap::from([(
                        (*rng.pick(LABEL_KEYS)).to_owned(),
                        "true".to_owned(),
                    )])),
                    match_expressions: None,
                }]),
            });
            let r = ClusterRole {
                metadata: m,
                rules: Some(rules(rng)),
                aggregation_rule,
            };
            (ObjectRef::cluster_role(name), Obj::ClusterRole(r.into()))
        }
        2 => {
            let name = *rng.pick(&["rb0", "rb1", "rb2"]);
            let b = RoleBinding {
                metadata: meta(Some(ns), name),
                role_ref: role_ref(rng),
                subjects: Some(subjects(rng)),
            };
            let r = ObjectRef::new(
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                Some(ns),
                name,
            );
            (r, Obj::RoleBinding(b.into()))
        }
        _ => {
            let name = *rng.pick(&["crb0", "crb1", "crb2"]);
            let b = ClusterRoleBinding {
                metadata: meta(None, name),
                role_ref: role_ref(rng),
                subjects: Some(subjects(rng)),
            };
            let r = ObjectRef::new(
                "rbac.authorization.k8s.io/v1",
                "ClusterRoleBinding",
                None,
                name,
            );
            (r, Obj::ClusterRoleBinding(b.into()))
        }
    }
}

fn full_build(current: &BTreeMap<ObjectRef, Obj>) -> Permissions {
    Permissions::from_objects(current.values().map(Obj::as_rbac))
}

#[test]
fn incremental_updates_equal_a_full_rebuild() {
    let mut steps = 0;
    for seed in 0..30u64 {
        let mut rng = Rng::new(seed);
        let mut current: BTreeMap<ObjectRef, Obj> = BTreeMap::new();
        let mut incremental = Permissions::new();
        for step in 0..150 {
            let (r, o) = random_object(&mut rng);
            if rng.below(4) == 0 {
                current.remove(&r);
                incremental.remove(&r);
            } else {
                incremental.upsert(o.as_rbac());
                current.insert(r, o);
            }
            steps += 1;
            let full = full_build(&current);
            assert!(
                incremental == full,
                "seed {seed} step {step}: incremental state differs from a full rebuild"
            );
        }
    }
    assert_eq!(steps, 30 * 150);
}

/// The comparison above must be able to fail: a missed update is visible as a difference,
/// and in the answers.
#[test]
fn a_missed_update_is_detected() {
    let mut rng = Rng::new(7);
    let role = ClusterRole {
        metadata: meta(None, "c0"),
        rules: Some(vec![PolicyRule {
            verbs: vec!["get".into()],
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["pods".into()]),
            ..PolicyRule::default()
        }]),
        aggregation_rule: None,
    };
    let binding = ClusterRoleBinding {
        metadata: meta(None, "crb0"),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: "c0".into(),
        },
        subjects: Some(vec![Subject {
            kind: "User".into(),
            name: "u0".into(),
            ..Subject::default()
        }]),
    };
    let mut current = BTreeMap::new();
    current.insert(
        ObjectRef::cluster_role("c0"),
        Obj::ClusterRole(role.clone().into()),
    );
    let stale = full_build(&current);
    current.insert(
        ObjectRef::new(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            None,
            "crb0",
        ),
        Obj::ClusterRoleBinding(binding.clone().into()),
    );
    let mut fresh = stale.clone();
    fresh.upsert(RbacObject::ClusterRoleBinding(&binding.clone().into()));
    assert!(stale != full_build(&current));
    assert!(fresh == full_build(&current));
    let u0 = UserInfo::new("u0", &[]);
    let req = ResourceRequest {
        verb: "get",
        resource: "pods",
        namespace: NAMESPACES[rng.below(2)],
        ..ResourceRequest::default()
    };
    assert!(fresh.allowed(&u0, &req));
    assert!(!stale.allowed(&u0, &req));
}

/// The derived analyses keep the effective permissions in step as objects come and go
/// through the inventory's changes, and drop the escalation graph when a binding changes.
#[test]
fn derived_permissions_are_updated_in_place() {
    use rampart_rules::{Change, Derived, Inventory, Object};
    let mut rng = Rng::new(11);
    let mut inv = Inventory::new();
    let mut derived = Derived::default();
    let mut current: BTreeMap<ObjectRef, Obj> = BTreeMap::new();
    // Built once, before the changes: from then on only updated.
    let _ = derived.permissions(&inv);
    for step in 0..300 {
        let (r, o) = random_object(&mut rng);
        let change = if rng.below(4) == 0 {
            current.remove(&r);
            Change::Delete(r)
        } else {
            let object = match o.clone() {
                Obj::Role(x) => Object::Role(x),
                Obj::ClusterRole(x) => Object::ClusterRole(x),
                Obj::RoleBinding(x) => Object::RoleBinding(x),
                Obj::ClusterRoleBinding(x) => Object::ClusterRoleBinding(x),
            };
            current.insert(r, o);
            Change::Upsert(Box::new(object))
        };
        derived.apply(&mut inv, vec![change]);
        assert!(
            *derived.permissions(&inv) == full_build(&current),
            "step {step}: the kept permissions differ from a full rebuild"
        );
    }
    let before = derived.escalations(&inv).edge_count();
    let admin = ClusterRoleBinding {
        metadata: meta(None, "grant-admin"),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: "cluster-admin".into(),
        },
        subjects: Some(vec![Subject {
            kind: "User".into(),
            name: "new-admin".into(),
            ..Subject::default()
        }]),
    };
    derived.apply(
        &mut inv,
        vec![Change::Upsert(Box::new(Object::ClusterRoleBinding(
            admin.into(),
        )))],
    );
    let new_admin = rampart_rules::Subject::User("new-admin".into());
    assert!(
        derived
            .escalations(&inv)
            .path_to_cluster_admin(&new_admin)
            .is_some()
    );
    assert!(derived.escalations(&inv).edge_count() > before);
}
