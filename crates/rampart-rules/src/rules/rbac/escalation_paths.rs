//! Escalation paths: what an identity can become by using its grants, step by step.
//!
//! These rules have their own `ESC` series rather than continuing `RBAC`: an `RBAC` finding
//! is about one grant and sits on the role or binding that makes it, while an `ESC` finding is
//! about an identity and a chain of grants across several objects (binding -> role -> pod or
//! token or Secret -> another identity's bindings). Fixing it may mean changing any link, so
//! it sits on the identity and lists every link as related. The single grants that start
//! these chains remain RBAC findings; an identity that holds every permission itself is
//! RBAC001's, and ESC001 reports only identities that get there through at least one step.
//! The search lives in [`crate::analysis::rbac::escalation`].

use crate::analysis::rbac::escalation::Path;
use crate::model::identity::Subject;
use crate::rules::prelude::*;

/// Every subject is judged with the cluster-scoped part; a ServiceAccount only while its
/// namespace exists.
pub(super) fn in_scope(ctx: &Context<'_>, s: &Subject) -> bool {
    ctx.cluster_in_scope()
        && match s {
            Subject::ServiceAccount { namespace, .. } => ctx.inventory.has_namespace(namespace),
            _ => true,
        }
}

/// A finding on `subject` with every object of `path` related.
pub(super) fn draft(
    ctx: &Context<'_>,
    subject: &Subject,
    path: &Path,
    mut message: String,
) -> Draft {
    if ctx.escalations().truncated {
        message.push_str(" (the search hit its work bound: there may be more paths)");
    }
    let mut d = Draft::new(subject.to_ref(), message);
    for (step, _) in &path.steps {
        for (relation, object) in &step.via {
            d = d.related(relation, object.clone());
        }
    }
    if ctx.settings.is_system_subject(subject) {
        d = d.system(true);
    }
    d
}
