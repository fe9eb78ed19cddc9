//! SEC001 literal-credential-in-environment-variable.

use crate::rules::pod::per_container::{Offence, report_per_container};
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "SEC001",
    name: "literal-credential-in-environment-variable",
    title: "Credential written into a pod spec",
    category: Category::Secrets,
    severity: Severity::High,
    rationale: "A password, token or key written as an `env[].value` is stored in plain text \
        in the workload object, in etcd without encryption at rest, in every manifest \
        repository and CI log that holds it, and is readable by anyone who may read the \
        workload (`get deployments` is granted far more widely than `get secrets`). It \
        cannot be rotated without a new rollout. Rampart recognises credentials by shape \
        (AWS access key ids, private keys, GitHub and Slack tokens, JSON Web Tokens, URLs \
        with a password) or by a name that says so with a literal value; it never prints \
        the value.",
    remediation: "Move the value into a Secret (created outside the manifest repository, or \
        from an external secret store) and mount it as a file, or reference it with \
        `env[].valueFrom.secretKeyRef`; then rotate the exposed credential.",
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
    report_per_container(
        ctx,
        emit,
        |_, c| {
            c.credential_env
                .iter()
                .map(|e| Offence {
                    detail: format!("{}: {} ({})", c.name(), e.name, e.why),
                    field: format!("env[{}].value", e.index),
                })
                .collect()
        },
        |w, details| {
            format!(
                "{} sets credentials as literal environment values: {}",
                w.object,
                details.join("; ")
            )
        },
    );
}
