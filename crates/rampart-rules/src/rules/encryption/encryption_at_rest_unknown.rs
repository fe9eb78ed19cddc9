//! ENC005 encryption-at-rest-unknown.

use crate::analysis::encryption::State;
use crate::model::identity::ObjectRef;
use crate::model::object::{apiserver_metrics_ref, encryption_config_ref};
use crate::rules::encryption::{FLAG, flag_path};
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "ENC005",
    name: "encryption-at-rest-unknown",
    title: "Encryption of Secrets at rest could not be determined",
    category: Category::Encryption,
    severity: Severity::Info,
    rationale: "Whether Secrets are encrypted in etcd is decided by the API server's configuration, \
        which the scanned objects may not show: managed control planes have no kube-apiserver pod, \
        and the EncryptionConfiguration is a file on the control plane nodes. Rampart reports what \
        it could not see instead of guessing, and says which evidence would decide it.",
    remediation: "Give Rampart evidence: in the operator, grant get on the nonResourceURL \
        `/metrics` (`manifests/optional/apiserver-metrics-rbac.yaml`), the strongest evidence; \
        for a scan, add `kubectl get --raw /metrics` saved in an `ApiServerMetrics` document, \
        pass the EncryptionConfiguration with `--encryption-config FILE`, or include the \
        kube-system kube-apiserver pod. On a managed platform, check the provider's \
        documentation and declare it in the settings (`declaredEncryption`), which reports \
        the state as declared, not proven.",
    references: &[
        cis(
            "1.2.27",
            "Ensure that the --encryption-provider-config argument is set as appropriate",
        ),
        nsa("Secrets", "Encrypt Secrets at rest"),
    ],
    // The verdict is the cluster's (its API servers, configuration and metrics), wherever
    // the object it names is: the cluster-scoped part decides and reports it.
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    if !ctx.cluster_in_scope() {
        return;
    }
    let verdict = ctx.encryption();
    if verdict.state != State::Unknown {
        return;
    }
    let why = if verdict.notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", verdict.notes.join("; "))
    };
    let decide = "Any of these would decide it: grant Rampart get on the nonResourceURL /metrics \
        (manifests/optional/apiserver-metrics-rbac.yaml), pass the EncryptionConfiguration with \
        --encryption-config FILE, scan the kube-system kube-apiserver pod, or declare the \
        platform's encryption in the settings (declaredEncryption)";
    // Name the API server whose configuration could not be seen, when there is one.
    let configured = ctx
        .inventory
        .api_servers()
        .find(|a| a.flags.get(FLAG).is_some_and(|v| !v.is_empty()));
    let message = format!("{}{why}. {decide}", verdict.detail);
    match configured {
        Some(api) => {
            let path = api.flags.get(FLAG).cloned().unwrap_or_default();
            emit.push(
                Draft::new(api.pod.clone(), message)
                    .path(flag_path(api))
                    .related(
                        "config",
                        ObjectRef::new(
                            "apiserver.config.k8s.io/v1",
                            "EncryptionConfiguration",
                            None,
                            &path,
                        ),
                    ),
            );
        }
        // Otherwise the API server whose /metrics could not be read, and only without
        // one the configuration nobody gave.
        None => {
            let resource = ctx.inventory.apiserver_metrics().next().map_or_else(
                || encryption_config_ref("encryption-config"),
                |m| apiserver_metrics_ref(&m.name),
            );
            emit.push(Draft::new(resource, message));
        }
    }
}
