use super::ID;
use crate::engine::evaluate::{Evaluation, evaluate_rules};
use crate::engine::settings::Settings;
use crate::inventory::Inventory;
use crate::rules::registry;

/// The shipped ClusterRole's Secret rule and binding; `verbs`, the binding's subjects and
/// the role's name vary per test.
fn install(role: &str, verbs: &str, subjects: &str) -> Inventory {
    let manifest = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: {role}}}\n\
         rules:\n- apiGroups: ['']\n  resources: [namespaces, pods, secrets]\n  verbs: {verbs}\n\
         ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
         metadata: {{name: {role}}}\n\
         roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\n\
         subjects: {subjects}\n"
    );
    Inventory::from_manifest("install.yaml", &manifest).expect("test manifest")
}

const RAMPART: &str = "[{kind: ServiceAccount, name: rampart, namespace: rampart-system}]";

fn evaluate(inv: &Inventory, settings: &Settings) -> Evaluation {
    let rules: &'static [crate::engine::rule::Rule] =
        std::slice::from_ref(registry::by_id("RBAC005").expect("RBAC005 is in the catalogue"));
    evaluate_rules(inv, settings, rules)
}

/// (open RBAC005 messages, excepted RBAC005 messages with their exception).
fn outcome(inv: &Inventory, settings: &Settings) -> (Vec<String>, Vec<(String, String)>) {
    let eval = evaluate(inv, settings);
    (
        eval.findings
            .iter()
            .map(|f| f.message.to_string())
            .collect(),
        eval.excepted
            .iter()
            .map(|e| (e.finding.message.to_string(), e.exception.to_string()))
            .collect(),
    )
}

#[test]
fn the_shipped_grant_is_excepted_by_the_built_in_acceptance() {
    let inv = install("rampart", "[list, watch]", RAMPART);
    let (open, excepted) = outcome(&inv, &Settings::default());
    assert!(open.is_empty(), "{open:?}");
    assert_eq!(
        excepted,
        vec![(
            "ClusterRole rampart grants list, watch on secrets to ServiceAccount \
             rampart-system/rampart"
                .to_owned(),
            ID.to_owned()
        )]
    );
}

#[test]
fn the_acceptance_follows_the_service_account_rampart_runs_as_not_the_role_name() {
    let inv = install(
        "posture-reader",
        "[list, watch]",
        "[{kind: ServiceAccount, name: scanner, namespace: security}]",
    );
    let mut settings = Settings::default();
    let (open, _) = outcome(&inv, &settings);
    assert_eq!(
        open.len(),
        1,
        "another identity's grant stays open: {open:?}"
    );
    settings.own_service_account = Some(("security".to_owned(), "scanner".to_owned()));
    let (open, excepted) = outcome(&inv, &settings);
    assert!(open.is_empty(), "{open:?}");
    assert_eq!(excepted.len(), 1);
}

#[test]
fn more_than_list_and_watch_leaves_the_finding_open() {
    for verbs in ["[get, list, watch]", "['*']", "[list, watch, delete]"] {
        let inv = install("rampart", verbs, RAMPART);
        let (open, excepted) = outcome(&inv, &Settings::default());
        assert_eq!(open.len(), 1, "{verbs}: {open:?}");
        assert!(excepted.is_empty(), "{verbs}: {excepted:?}");
    }
}

#[test]
fn a_second_rule_granting_get_on_secrets_leaves_the_finding_open() {
    let manifest = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n\
         metadata: {name: rampart}\nrules:\n\
         - apiGroups: ['']\n  resources: [secrets]\n  verbs: [list, watch]\n\
         - apiGroups: ['']\n  resources: [secrets]\n  resourceNames: [db]\n  verbs: [get]\n\
         ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
         metadata: {name: rampart}\n\
         roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: rampart}\n\
         subjects: [{kind: ServiceAccount, name: rampart, namespace: rampart-system}]\n";
    let inv = Inventory::from_manifest("install.yaml", manifest).expect("test manifest");
    let (open, excepted) = outcome(&inv, &Settings::default());
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(excepted.is_empty(), "{excepted:?}");
}

#[test]
fn another_subject_on_the_role_leaves_the_finding_open() {
    let inv = install(
        "rampart",
        "[list, watch]",
        "[{kind: ServiceAccount, name: rampart, namespace: rampart-system}, \
         {kind: ServiceAccount, name: ci, namespace: build}]",
    );
    let (open, excepted) = outcome(&inv, &Settings::default());
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(open[0].contains("ServiceAccount build/ci"), "{open:?}");
    assert!(excepted.is_empty(), "{excepted:?}");
}

#[test]
fn an_unbound_copy_is_not_accepted() {
    let inv = install("rampart", "[list, watch]", "[]");
    let (open, excepted) = outcome(&inv, &Settings::default());
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(excepted.is_empty(), "{excepted:?}");
}

#[test]
fn no_own_service_account_accepts_nothing() {
    let inv = install("rampart", "[list, watch]", RAMPART);
    let settings = Settings {
        own_service_account: None,
        ..Settings::default()
    };
    let (open, excepted) = outcome(&inv, &settings);
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(excepted.is_empty(), "{excepted:?}");
}

#[test]
fn a_settings_file_cannot_name_the_own_service_account() {
    let err = Settings::from_yaml("ownServiceAccount: [security, scanner]\n")
        .expect_err("the key is not a setting");
    assert!(err.to_string().contains("ownServiceAccount"), "{err}");
    let settings = Settings::from_yaml("exceptionMaxDays: 90\n").expect("settings");
    assert_eq!(
        settings.own_service_account,
        Some(("rampart-system".to_owned(), "rampart".to_owned()))
    );
}
