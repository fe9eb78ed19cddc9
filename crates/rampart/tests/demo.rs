//! The built-in demo: every rule fires somewhere, and the `hardened` namespace is clean.

mod common;

use common::*;
use std::collections::BTreeSet;

/// Rules the demo cannot trigger: ENC005 reports the absence of any encryption evidence,
/// and the demo carries evidence so that ENC001-ENC004 can fire. ENC006 and ENC007 judge
/// the API server's metrics, which outrank the pod flags ENC004 reads, and exclude each
/// other; the demo shows the flags. Their fixtures and `scan --apiserver-metrics` tests
/// cover them.
const CANNOT_FIRE_IN_DEMO: &[&str] = &["ENC005", "ENC006", "ENC007"];

#[test]
fn demo_triggers_every_rule_and_hardened_is_clean() {
    let out = rampart(&["scan", "--demo", "--format", "json", "--strict"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v = json(&out);
    let findings = v["findings"].as_array().expect("findings");
    let fired: BTreeSet<&str> = findings
        .iter()
        .filter_map(|f| f["ruleId"].as_str())
        .collect();
    let rules = json(&rampart(&["rules", "--format", "json"]));
    let missing: Vec<&str> = rules
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .filter(|id| !fired.contains(id) && !CANNOT_FIRE_IN_DEMO.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules the demo does not trigger: {missing:?}"
    );
    for id in CANNOT_FIRE_IN_DEMO {
        assert!(!fired.contains(id), "{id} fires now: take it off the list");
    }
    let in_hardened = |o: &serde_json::Value| {
        o["namespace"] == "hardened" || (o["kind"] == "Namespace" && o["name"] == "hardened")
    };
    let dirty: Vec<&str> = findings
        .iter()
        .filter(|f| {
            in_hardened(&f["resource"])
                || f["related"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|x| in_hardened(&x["object"])))
        })
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        dirty.is_empty(),
        "findings in the hardened namespace: {dirty:#?}"
    );
    assert!(v["scanned"]["Deployment"].as_u64() > Some(0));
}

#[test]
fn demo_table_says_it_is_the_demo() {
    let out = stdout(&rampart(&["scan", "--demo"]));
    assert!(
        out.starts_with("Scanning Rampart's built-in demo cluster"),
        "{out}"
    );
    assert!(out.contains("namespace payments"), "{out}");
}
