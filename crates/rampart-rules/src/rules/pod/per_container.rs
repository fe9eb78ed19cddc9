//! Rules that judge each container of a workload and report the workload once: naming what
//! each container does wrong, and pointing at the first offending field.

use super::pss::object_path;
use crate::analysis::pod_security::{ContainerView, containers};
use crate::inventory::Workload;
use crate::rules::prelude::*;

/// What one container does wrong: a description, and the field under the container.
pub struct Offence {
    pub detail: String,
    pub field: String,
}

/// Reports every workload in scope with at least one offence. Ephemeral containers are
/// left out: they are added for debugging and cannot set most fields.
pub fn report_per_container(
    ctx: &Context<'_>,
    emit: &mut Emitter,
    judge: impl Fn(&Workload<'_>, &ContainerView<'_>) -> Vec<Offence>,
    message: impl Fn(&Workload<'_>, &[String]) -> String,
) {
    for ns in ctx.namespaces() {
        for w in ctx.workloads_in(ns).iter() {
            let mut details = Vec::new();
            let mut first = None;
            for c in containers(w.spec).filter(|c| c.list != "ephemeralContainers") {
                for o in judge(w, &c) {
                    first.get_or_insert_with(|| format!("{}.{}", c.path(), o.field));
                    details.push(o.detail);
                }
            }
            let Some(path) = first else { continue };
            emit.push(
                Draft::new(w.object.clone(), message(w, &details)).path(object_path(w, &path)),
            );
        }
    }
}
