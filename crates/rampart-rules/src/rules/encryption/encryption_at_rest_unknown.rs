//! ENC005 encryption-at-rest-unknown.

use crate::context::Context;
use crate::emit::{Draft, Emitter};
use crate::inventory::encryption_config_ref;
use crate::object::ObjectRef;
use crate::rule::{Category, Rule, Severity, cis, nsa};
use crate::rules::encryption::{FLAG, flag_path};

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
    remediation: "Pass the API server's EncryptionConfiguration with `rampart scan \
        --encryption-config FILE`, include the kube-system kube-apiserver pod in the scanned \
        objects, or, on a managed platform, check the provider's documentation for Secrets \
        encryption (and enable envelope encryption with your own key where it is offered).",
    references: &[
        cis(
            "1.2.27",
            "Ensure that the --encryption-provider-config argument is set as appropriate",
        ),
        nsa("Secrets", "Encrypt Secrets at rest"),
    ],
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter<'_>) {
    if !ctx.cluster_in_scope() || ctx.inventory.encryption_configs().next().is_some() {
        return;
    }
    let apis = ctx.inventory.api_servers();
    if apis.is_empty() {
        emit.push(Draft::new(
            encryption_config_ref("encryption-config"),
            "Encryption at rest could not be determined: no EncryptionConfiguration was given and no kube-apiserver pod is in kube-system; pass --encryption-config FILE or scan the kube-system kube-apiserver pod",
        ));
        return;
    }
    for api in apis {
        let Some(path) = api.flags.get(FLAG).filter(|v| !v.is_empty()) else {
            continue;
        };
        emit.push(
            Draft::new(
                api.pod.clone(),
                format!("{} sets --{FLAG}={path}: encryption at rest is configured, but the configuration was not given, so whether it covers Secrets and with which provider could not be checked; pass it with --encryption-config FILE", api.pod),
            )
            .path(flag_path(ctx, api))
            .related("config", ObjectRef::new("apiserver.config.k8s.io/v1", "EncryptionConfiguration", None, path)),
        );
    }
}
