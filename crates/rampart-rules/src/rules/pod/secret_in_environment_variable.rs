//! POD019 secret-in-environment-variable.

use super::pss::object_path;
use crate::analysis::pod_security::containers;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD019",
    name: "secret-in-environment-variable",
    title: "Container reads Secrets into environment variables",
    category: Category::Workload,
    severity: Severity::Medium,
    rationale: "Environment variables leak: applications print them in crash reports and \
        debug pages, child processes inherit them, and anyone who can exec into the container \
        or read `/proc/<pid>/environ` on the node sees them. They are also fixed at start, so \
        a rotated Secret needs a restart. A Secret mounted as a volume is readable only through \
        the file system, can be restricted with file modes, and is updated in place.",
    remediation: "Mount the Secret as a volume (`volumes[].secret` with `volumeMounts`, \
        `readOnly: true`) and have the application read the file, instead of \
        `env[].valueFrom.secretKeyRef` or `envFrom[].secretRef`.",
    references: &[
        cis(
            "5.4.1",
            "Prefer using secrets as files over secrets as environment variables",
        ),
        nsa("Pod security", "Protect Secrets given to pods"),
        mitre("T1552.007", "Unsecured Credentials: Container API"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in ctx.namespaces() {
        for w in ctx.workloads_in(ns).iter() {
            let mut uses: Vec<String> = Vec::new();
            let mut first_path = None;
            for c in containers(w.spec) {
                for e in &c.secret_env {
                    uses.push(format!(
                        "{}: {} from Secret {} key {}",
                        c.name(),
                        e.name,
                        e.secret,
                        e.key
                    ));
                    first_path.get_or_insert_with(|| {
                        format!("{}.env[{}].valueFrom.secretKeyRef", c.path(), e.index)
                    });
                }
                for e in &c.secret_env_from {
                    uses.push(format!("{}: every key of Secret {}", c.name(), e.secret));
                    first_path.get_or_insert_with(|| {
                        format!("{}.envFrom[{}].secretRef", c.path(), e.index)
                    });
                }
            }
            let Some(path) = first_path else { continue };
            emit.push(
                Draft::new(
                    w.object.clone(),
                    format!(
                        "{} exposes Secrets as environment variables ({}); mount them as files instead",
                        w.object,
                        uses.join("; ")
                    ),
                )
                .path(object_path(w, &path)),
            );
        }
    }
}
