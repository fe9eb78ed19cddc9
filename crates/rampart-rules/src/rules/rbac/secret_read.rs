//! RBAC005 secret-read.

use crate::analysis::rbac::matching::{Permission, grants};
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, report_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC005",
    name: "secret-read",
    title: "Role can read Secrets",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "Secrets hold credentials: ServiceAccount tokens, registry passwords, TLS keys, \
        database passwords. `list` and `watch` return every Secret's value in the scope at once, \
        including Secrets created later; `get` needs a name, which is easy to guess or discover. \
        Reading a legacy ServiceAccount token Secret lets a subject act as that ServiceAccount.",
    remediation: "Remove `get`, `list` and `watch` on `secrets` from roles that do not need them. \
        Where a workload needs one Secret, mount it into the pod instead of reading it through the \
        API, or narrow the rule with `resourceNames` to the Secrets it needs.",
    references: &[
        cis("5.1.2", "Minimize access to secrets"),
        nsa("RBAC", "Limit access to Secrets"),
        mitre("T1552.007", "Unsecured Credentials: Container API"),
    ],
    cluster_wide: false,
    check,
};

const PERM: Permission<'static> = Permission {
    verbs: &["get", "list", "watch"],
    group: "",
    resource: "secrets",
    subresource: None,
};

/// `list`/`watch` expose every Secret (high); `get` alone needs names (medium); a grant
/// narrowed by `resourceNames` exposes only the named Secrets (low).
pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    let mut best: Option<Matched> = None;
    for (i, r) in rules.iter().enumerate() {
        let Some(g) = grants(r, &PERM) else { continue };
        let bulk = g.verbs.iter().any(|v| v == "list" || v == "watch");
        let severity = if g.is_narrowed() {
            Severity::Low
        } else if bulk {
            Severity::High
        } else {
            Severity::Medium
        };
        let names = if g.is_narrowed() {
            format!(" (only {})", g.names.join(", "))
        } else {
            String::new()
        };
        let m = Matched {
            what: format!("{} on secrets{names}", g.verbs.join(", ")),
            rule_index: i,
            severity: Some(severity),
        };
        if best.as_ref().is_none_or(|b| b.severity < m.severity) {
            best = Some(m);
        }
    }
    best
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_grants(ctx, emit, &matcher);
}
