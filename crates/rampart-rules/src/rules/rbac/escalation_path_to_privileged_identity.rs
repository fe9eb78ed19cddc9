//! ESC002 escalation-path-to-privileged-identity.

use super::escalation_paths::{draft, in_scope};
use crate::analysis::rbac::escalation::Holdings;
use crate::analysis::rbac::permissions::UserInfo;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "ESC002",
    name: "escalation-path-to-privileged-identity",
    title: "Identity can act as another identity that holds more",
    category: Category::Rbac,
    severity: Severity::High,
    rationale: "Creating pods or pod controllers in a namespace lets a subject run them as any \
        ServiceAccount there; `serviceaccounts/token`, a readable legacy token Secret, \
        impersonation or `nodes/proxy` hand over an identity more directly. When that identity \
        holds a permission the subject does not, the subject's effective permissions include it, \
        whatever its own bindings say. (Paths that end in cluster-admin are ESC001's.)",
    remediation: "Keep ServiceAccounts with broad grants in namespaces where only their \
        operators can create workloads, use bound tokens instead of legacy token Secrets, \
        and grant token requests, impersonation and `nodes/proxy` only where needed.",
    references: &[
        nsa("RBAC", "Use RBAC to grant least privilege"),
        mitre("T1078", "Valid Accounts"),
        mitre("T1528", "Steal Application Access Token"),
    ],
    cluster_wide: true,
    check,
};

/// Most identities looked at per subject; the finding says when there were more.
const MAX_REACHABLE: usize = 64;

/// Most identities named in one message.
const MAX_NAMED: usize = 3;

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    // Only the cluster-scoped part owns these findings: the other parts need not wait
    // for the graph.
    if !ctx.cluster_in_scope() {
        return;
    }
    let esc = ctx.escalations();
    let perms = ctx.permissions();
    for subject in esc.subjects() {
        if !in_scope(ctx, subject) || esc.path_to_cluster_admin(subject).is_some() {
            continue;
        }
        let me = Holdings::of(perms, &UserInfo::for_subject(subject));
        let (reachable, more) = esc.reachable(subject, MAX_REACHABLE);
        let gains: Vec<_> = reachable
            .into_iter()
            .filter(|(target, _)| me.lacks_some_of(&UserInfo::for_subject(target)))
            .collect();
        let Some((first, path)) = gains.first() else {
            continue;
        };
        let mut names: Vec<String> = gains
            .iter()
            .take(MAX_NAMED)
            .map(|(t, _)| t.to_string())
            .collect();
        if gains.len() > MAX_NAMED {
            names.push(format!("{} more", gains.len() - MAX_NAMED));
        }
        let mut message = format!(
            "{subject} can act as {} holding permissions it does not; shortest path to {first}: {}",
            names.join(", "),
            path.describe()
        );
        if more {
            message.push_str(&format!(
                " (only the nearest {MAX_REACHABLE} identities it can reach were compared)"
            ));
        }
        emit.push(draft(ctx, subject, path, message));
    }
}
