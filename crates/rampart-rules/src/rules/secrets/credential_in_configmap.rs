//! SEC003 credential-in-configmap.

use crate::model::identity::ObjectRef;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "SEC003",
    name: "credential-in-configmap",
    title: "Credential written into a ConfigMap",
    category: Category::Secrets,
    severity: Severity::High,
    rationale: "ConfigMaps are meant for configuration that anyone may read: the built-in \
        `view` role reads them, they are not encrypted at rest, they show in `kubectl \
        describe`, and tools copy them into logs, backups and bug reports. A password, token \
        or private key in a ConfigMap, as a key of its own or as a line of a configuration \
        file, is readable by far more people and programs than a Secret would be. Values \
        are judged by the same small heuristic as environment variables, never kept and \
        never printed.",
    remediation: "Move the credential into a Secret and mount it (or reference it with \
        `secretKeyRef`), leaving only its name or path in the ConfigMap; for a \
        configuration file, render the secret part from a Secret at start-up. Then rotate \
        the credential: it has been readable wherever the ConfigMap was.",
    references: &[
        nsa(
            "Secrets",
            "Keep credentials in Secrets, not in configuration",
        ),
        mitre("T1552.001", "Unsecured Credentials: Credentials In Files"),
        mitre("T1552.007", "Unsecured Credentials: Container API"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in ctx.namespaces() {
        for c in ctx.inventory.config_maps_in(ns) {
            let Some(first) = c.credentials.first() else {
                continue;
            };
            let name = &*c.metadata.name;
            let object = ObjectRef::new("v1", "ConfigMap", Some(ns), name);
            let mut places: Vec<String> = c
                .credentials
                .iter()
                .map(|f| match f.line {
                    Some(line) => format!("{} line {line}: {} ({})", f.key, f.name, f.why),
                    None => format!("{} ({})", f.key, f.why),
                })
                .collect();
            if c.credential_count > c.credentials.len() {
                places.push(format!("{} more", c.credential_count - c.credentials.len()));
            }
            emit.push(
                Draft::new(
                    object.clone(),
                    format!(
                        "{object} holds credentials in plain text: {}",
                        places.join("; ")
                    ),
                )
                .path(format!("data[{}]", first.key)),
            );
        }
    }
}
