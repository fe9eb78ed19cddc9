//! SEC002 secret-data-in-manifest.

use crate::model::identity::ObjectRef;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "SEC002",
    name: "secret-data-in-manifest",
    title: "Secret values committed with manifests",
    category: Category::Secrets,
    severity: Severity::High,
    rationale: "A Secret manifest with `data` or `stringData` puts the credential in every \
        copy of the repository, its history, forks and CI logs, where base64 hides nothing. \
        Removing it later does not remove it from history. Only files given to `rampart \
        scan` can show this: the operator reads Secrets as metadata only and never sees \
        their values.",
    remediation: "Keep Secret values out of the repository: create the Secret from an \
        external secret store (External Secrets, Vault), encrypt it for the cluster (Sealed \
        Secrets, SOPS), or create it at deploy time; then rotate the committed credential.",
    references: &[
        nsa("Secrets", "Encrypt Secrets at rest"),
        mitre("T1552.001", "Unsecured Credentials: Credentials In Files"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in ctx.namespaces() {
        for s in ctx.inventory.secrets_in(ns) {
            if !s.has_data {
                continue;
            }
            let name = &*s.metadata.name;
            let object = ObjectRef::new("v1", "Secret", Some(ns), name);
            emit.push(
                Draft::new(
                    object.clone(),
                    format!("{object} carries its values in the manifest (data or stringData)"),
                )
                .path("data"),
            );
        }
    }
}
