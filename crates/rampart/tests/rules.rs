//! `rampart rules`, `rampart rules explain` and the generated rule documentation.

mod common;

use common::*;

#[test]
fn lists_every_rule() {
    let out = stdout(&rampart(&["rules"]));
    for id in ["RBAC001", "SA001", "NS001", "NETPOL001", "ENC001"] {
        assert!(out.contains(id), "{id} missing from: {out}");
    }
}

#[test]
fn explains_by_id_or_name() {
    let by_id = rampart(&["rules", "explain", "rbac001"]);
    assert_eq!(by_id.status.code(), Some(0));
    let text = stdout(&by_id);
    assert!(
        text.contains("cluster-admin-binding") && text.contains("CIS Kubernetes Benchmark 5.1.1"),
        "{text}"
    );
    let by_name = stdout(&rampart(&["rules", "explain", "cluster-admin-binding"]));
    assert_eq!(by_name, text);
}

#[test]
fn unknown_rule_suggests_close_matches() {
    let out = rampart(&["rules", "explain", "wildcard"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("RBAC002") && err.contains("did you mean"),
        "{err}"
    );
}

#[test]
fn committed_rule_docs_are_current() {
    let generated = stdout(&rampart(&["docs", "rules"]));
    rampart_testkit::repo::assert_current(
        "docs/rules.md",
        &generated,
        "cargo run -p rampart -- docs rules --output docs/rules.md",
    );
}
