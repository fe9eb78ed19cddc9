//! RBAC010 csr-approve.

use crate::analysis::rbac::matching::Permission;
use crate::rules::prelude::*;
use crate::rules::rbac::grants::{Matched, first_match, report_cluster_grants};
use k8s_openapi::api::rbac::v1::PolicyRule;

pub const RULE: Rule = Rule {
    id: "RBAC010",
    name: "csr-approve",
    title: "Role can approve certificate signing requests",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "Approving a CertificateSigningRequest for the `kubernetes.io/kube-apiserver-client` \
        signer issues a client certificate for any user and group named in it, `system:masters` \
        included, and a certificate cannot be revoked before it expires. Approval needs both \
        `update` on `certificatesigningrequests/approval` and `approve` on the signer; a role with \
        only one half is one grant away from the other.",
    remediation: "Leave CSR approval to the controller manager's approvers for kubelet certificates \
        and to a small set of administrators. Restrict `approve` on `signers` with `resourceNames` \
        to the signers a component really serves, never `kubernetes.io/kube-apiserver-client`.",
    references: &[
        cis(
            "5.1.11",
            "Minimize access to the approval sub-resource of certificatesigningrequests objects",
        ),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1649", "Steal or Forge Authentication Certificates"),
    ],
    cluster_wide: false,
    check,
};

const APPROVAL: &[Permission<'static>] = &[Permission {
    verbs: &["update", "patch"],
    group: "certificates.k8s.io",
    resource: "certificatesigningrequests",
    subresource: Some("approval"),
}];

const SIGNERS: &[Permission<'static>] = &[Permission {
    verbs: &["approve"],
    group: "certificates.k8s.io",
    resource: "signers",
    subresource: None,
}];

/// Both halves: high (narrowed signers: medium). One half: medium, naming the missing half.
pub(super) fn matcher(rules: &[PolicyRule]) -> Option<Matched> {
    let approval = first_match(rules, APPROVAL, Severity::High);
    let signers = first_match(rules, SIGNERS, Severity::High);
    match (approval, signers) {
        (Some(a), Some(s)) => Some(Matched {
            what: format!("{} and {}", a.what, s.what),
            severity: s.severity,
            ..a
        }),
        (Some(a), None) => Some(Matched {
            what: format!("{} (but not approve on signers)", a.what),
            severity: Some(Severity::Medium),
            ..a
        }),
        (None, Some(s)) => Some(Matched {
            what: format!(
                "{} (but not update on certificatesigningrequests/approval)",
                s.what
            ),
            severity: Some(Severity::Medium),
            ..s
        }),
        (None, None) => None,
    }
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_cluster_grants(ctx, emit, &matcher);
}
