//! ESC001 escalation-path-to-cluster-admin.

use super::escalation_paths::{draft, in_scope};
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "ESC001",
    name: "escalation-path-to-cluster-admin",
    title: "Identity can make itself cluster-admin",
    category: Category::Rbac,
    severity: Severity::Critical,
    rationale: "An identity that is not bound to cluster-admin can still get there: run a pod \
        as a ServiceAccount that is, request that ServiceAccount's token or read its legacy \
        token Secret, impersonate `system:masters`, bind cluster-admin to itself, rewrite a \
        ClusterRole it holds with `escalate`, mint a client certificate by approving its own \
        CSR, or rewrite objects through a mutating admission webhook. Each grant may look \
        modest on its own; the chain is full control of the cluster. The finding gives the \
        shortest chain found, each step naming the binding and role that allow it.",
    remediation: "Break the chain at its cheapest link: remove the grant of the first step \
        (often pod creation or token requests in a namespace that holds a privileged \
        ServiceAccount), or move the privileged ServiceAccount to a namespace that only its \
        operators can write to, or narrow the privileged identity's own grants.",
    references: &[
        cis(
            "5.1.8",
            "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
        ),
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1068", "Exploitation for Privilege Escalation"),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    // Only the cluster-scoped part owns these findings: the other parts need not wait
    // for the graph.
    if !ctx.cluster_in_scope() {
        return;
    }
    let esc = ctx.escalations();
    for subject in esc.subjects() {
        if !in_scope(ctx, subject) {
            continue;
        }
        let Some(path) = esc.path_to_cluster_admin(subject) else {
            continue;
        };
        // Holding every permission outright is RBAC001's finding, on the binding.
        if path.steps.len() == 1 && path.steps[0].0.direct {
            continue;
        }
        let message = format!(
            "{subject} can make itself cluster-admin in {} step{}: {}",
            path.steps.len(),
            if path.steps.len() == 1 { "" } else { "s" },
            path.describe()
        );
        emit.push(draft(ctx, subject, &path, message));
    }
}
