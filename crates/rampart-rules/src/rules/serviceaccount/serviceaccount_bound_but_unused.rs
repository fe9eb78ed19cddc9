//! SA004 serviceaccount-bound-but-unused.

use crate::model::identity::{ObjectRef, Subject};
use crate::rules::prelude::*;
use std::collections::BTreeSet;

pub const RULE: Rule = Rule {
    id: "SA004",
    name: "serviceaccount-bound-but-unused",
    title: "ServiceAccount holds permissions no workload uses",
    category: Category::ServiceAccount,
    severity: Severity::Info,
    rationale: "A ServiceAccount with role bindings but no pod running as it either holds standing \
        permissions nobody needs, or is used from outside the cluster with a token, which is \
        worth knowing about. Either way it is a credential to review.",
    remediation: "If nothing uses the ServiceAccount, delete it and its bindings. If an external \
        system uses it, document that and make sure it uses short-lived tokens.",
    references: &[
        nsa("RBAC", "Periodically review RBAC settings"),
        mitre("T1078", "Valid Accounts"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    let inv = ctx.inventory;
    for ns in ctx.namespaces() {
        let used: BTreeSet<&str> = inv
            .workloads_in(ns)
            .map(|w| w.service_account_name())
            .collect();
        for sa in inv.service_accounts_in(ns) {
            let name = &*sa.metadata.name;
            if name == "default" || used.contains(name) {
                continue;
            }
            let subject = Subject::ServiceAccount {
                namespace: ns.to_owned(),
                name: name.to_owned(),
            };
            let bindings: Vec<_> = ctx.bindings_of(&subject).collect();
            if bindings.is_empty() {
                continue;
            }
            let mut d = Draft::new(
                ObjectRef::service_account(ns, name),
                format!(
                    "ServiceAccount {ns}/{name} is bound by {} binding(s) but no workload in the input uses it",
                    bindings.len()
                ),
            );
            for b in &bindings {
                d = d.related("binding", b.to_ref());
            }
            emit.push(d);
        }
    }
}
