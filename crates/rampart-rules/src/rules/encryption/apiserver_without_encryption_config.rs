//! ENC004 apiserver-without-encryption-config.

use crate::analysis::encryption::Evidence;
use crate::rules::encryption::{FLAG, flag_path};
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "ENC004",
    name: "apiserver-without-encryption-config",
    title: "kube-apiserver runs without encryption at rest",
    category: Category::Encryption,
    severity: Severity::High,
    rationale: "Without `--encryption-provider-config` the API server stores every Secret in \
        plaintext in etcd, so anyone who reads etcd, its disk or a backup reads every credential \
        of the cluster. The flag is read from the static pod kubeadm-style clusters run in \
        kube-system; a managed control plane has no such pod, and then this rule says nothing.",
    remediation: "Write an EncryptionConfiguration with a strong provider for `secrets` (KMS v2 \
        preferred), pass it with `--encryption-provider-config` on every API server, restart \
        them, and rewrite all Secrets so that existing ones are encrypted.",
    references: &[
        cis(
            "1.2.27",
            "Ensure that the --encryption-provider-config argument is set as appropriate",
        ),
        nsa("Secrets", "Encrypt Secrets at rest"),
        mitre("T1552", "Unsecured Credentials"),
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
    // The API server's metrics show what it did, which outranks how its pod looks (ENC006).
    if ctx.encryption().evidence == Evidence::ApiServerMetrics {
        return;
    }
    for api in ctx.inventory.api_servers() {
        if api.flags.get(FLAG).is_some_and(|v| !v.is_empty()) {
            continue;
        }
        emit.push(
            // A kube-system pod would be capped as the platform's own; this one is the
            // platform's configuration, and the finding is the user's to fix.
            Draft::new(
                api.pod.clone(),
                format!("{} starts kube-apiserver without --{FLAG}: Secrets are stored in plaintext in etcd", api.pod),
            )
            .path(flag_path(api))
            .system(false),
        );
    }
}
