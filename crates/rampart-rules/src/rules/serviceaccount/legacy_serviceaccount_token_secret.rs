//! SA003 legacy-serviceaccount-token-secret.

use crate::model::identity::ObjectRef;
use crate::model::meta::annotation::SERVICE_ACCOUNT_NAME as SA_ANNOTATION;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "SA003",
    name: "legacy-serviceaccount-token-secret",
    title: "Long-lived ServiceAccount token stored in a Secret",
    category: Category::ServiceAccount,
    severity: Severity::Medium,
    rationale: "A Secret of type `kubernetes.io/service-account-token` holds a token that never \
        expires and is not bound to a pod: whoever reads the Secret, or finds a copy of it in a CI \
        system or a laptop, can act as the ServiceAccount until the Secret is deleted. Since \
        Kubernetes 1.24 pods get short-lived projected tokens instead; the API server records the \
        last use of legacy tokens in the `kubernetes.io/legacy-token-last-used` label, and marks \
        ones it has invalidated with `kubernetes.io/legacy-token-invalid-since`.",
    remediation: "Move clients to short-lived tokens (`kubectl create token`, the TokenRequest API, \
        or projected volumes in pods), then delete the Secret. A token with no record of use can \
        usually be deleted at once.",
    references: &[
        cis(
            "5.1.6",
            "Ensure that Service Account Tokens are only mounted where necessary",
        ),
        nsa("Authentication", "Use short-lived credentials"),
        mitre("T1528", "Steal Application Access Token"),
    ],
    cluster_wide: false,
    check,
};

const TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
const LAST_USED: &str = "kubernetes.io/legacy-token-last-used";
const INVALID_SINCE: &str = "kubernetes.io/legacy-token-invalid-since";

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in ctx.namespaces() {
        for s in ctx.inventory.secrets_in(ns) {
            let sa_name = s.metadata.annotations.get(SA_ANNOTATION);
            // Metadata-only sources have no type; the annotation is the evidence then.
            let is_token =
                s.type_.as_deref() == Some(TOKEN_TYPE) || (s.type_.is_none() && sa_name.is_some());
            if !is_token {
                continue;
            }
            let name = &*s.metadata.name;
            let label = |k: &str| s.metadata.labels.get(k);
            let owner = sa_name.map_or_else(
                || "an unnamed ServiceAccount".to_owned(),
                |n| format!("ServiceAccount {ns}/{n}"),
            );
            let invalid_since = label(INVALID_SINCE);
            let usage = match (label(LAST_USED), invalid_since) {
                (Some(day), _) => format!("last used {day}"),
                // The API server labels a token on its first use; no label means no use since
                // it began tracking (Kubernetes 1.26+), so deleting it likely breaks nothing.
                (None, None) => "no record of use, so it can likely be deleted".to_owned(),
                (None, Some(_)) => "no record of use".to_owned(),
            };
            // Point at the evidence the verdict rests on.
            let evidence = if s.type_.is_some() {
                "type".to_owned()
            } else {
                format!("metadata.annotations[{SA_ANNOTATION}]")
            };
            let mut d = Draft::new(
                ObjectRef::new("v1", "Secret", Some(ns), name),
                String::new(),
            )
            .path(evidence);
            let state = match invalid_since {
                Some(day) => {
                    d = d.severity(Severity::Low);
                    format!(
                        "; invalidated since {day}, so only the Secret itself is left to delete"
                    )
                }
                None => String::new(),
            };
            if let Some(n) = sa_name {
                d = d.related("subject", ObjectRef::service_account(ns, n));
            }
            emit.push(d.message(format!(
                "Secret {ns}/{name} holds a non-expiring token for {owner} ({usage}){state}"
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::{Inventory, Settings, evaluate_rules};

    fn messages(yaml: &str) -> Vec<String> {
        let inv = Inventory::from_manifest("test.yaml", yaml).expect("the test manifest reads");
        evaluate_rules(&inv, &Settings::default(), &[RULE])
            .findings
            .into_iter()
            .map(|f| f.message.into())
            .collect()
    }

    fn token(labels: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\n  namespace: ci\n  \
             annotations: {{kubernetes.io/service-account.name: deployer}}\n  labels: {{{labels}}}\n\
             type: kubernetes.io/service-account-token\n"
        )
    }

    #[test]
    fn unused_token_is_offered_for_deletion() {
        assert_eq!(
            messages(&token("")),
            [
                "Secret ci/t holds a non-expiring token for ServiceAccount ci/deployer \
              (no record of use, so it can likely be deleted)"
            ]
        );
    }

    #[test]
    fn last_use_is_quoted() {
        let m = messages(&token(
            "kubernetes.io/legacy-token-last-used: \"2024-01-02\"",
        ));
        assert!(m[0].contains("(last used 2024-01-02)"), "{m:?}");
    }

    #[test]
    fn invalidated_token_says_so() {
        let m = messages(&token(
            "kubernetes.io/legacy-token-invalid-since: \"2024-03-01\"",
        ));
        assert!(
            m[0].contains("(no record of use); invalidated since 2024-03-01"),
            "{m:?}"
        );
    }
}
