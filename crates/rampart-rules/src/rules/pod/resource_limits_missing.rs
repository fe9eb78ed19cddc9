//! POD024 resource-limits-missing.

use super::per_container::{Offence, report_per_container};
use crate::model::pod::Limits;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD024",
    name: "resource-limits-missing",
    title: "Container has no CPU or memory limit",
    category: Category::Workload,
    severity: Severity::Low,
    rationale: "A container without a memory limit can use all of its node's memory, and \
        one without a CPU limit all of its CPU: a leak, a bug or an attacker's miner in one \
        pod then starves every other pod on the node. A LimitRange in the namespace can \
        supply default limits; without one, the container has none. NS004 reports the \
        namespace without a LimitRange; this rule names the containers that are actually \
        unbounded.",
    remediation: "Set `resources.limits.memory` and `resources.limits.cpu` on every container, \
        or add a LimitRange with `type: Container` and `default` limits to the namespace.",
    references: &[
        nsa(
            "Resource policies",
            "Use LimitRanges to constrain containers",
        ),
        mitre("T1496", "Resource Hijacking"),
    ],
    cluster_wide: false,
    check,
};

/// The default limits the namespace's LimitRanges give containers that set none.
fn defaults(ctx: &Context<'_>, ns: &str) -> Limits {
    let mut d = Limits::default();
    for lr in ctx.inventory.limit_ranges_in(ns) {
        let items = lr.spec.as_ref().map(|s| s.limits.as_slice()).unwrap_or(&[]);
        for item in items.iter().filter(|i| i.type_ == "Container") {
            if let Some(def) = &item.default {
                d.cpu |= def.contains_key("cpu");
                d.memory |= def.contains_key("memory");
            }
        }
    }
    d
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report_per_container(
        ctx,
        emit,
        |w, c| {
            let given = defaults(ctx, w.namespace());
            let missing: Vec<&str> = [
                ("memory", c.limits.memory || given.memory),
                ("cpu", c.limits.cpu || given.cpu),
            ]
            .into_iter()
            .filter(|(_, set)| !set)
            .map(|(r, _)| r)
            .collect();
            let Some(first) = missing.first() else {
                return Vec::new();
            };
            vec![Offence {
                detail: format!("{:?} has no {} limit", c.name(), missing.join(" or ")),
                field: format!("resources.limits.{first}"),
            }]
        },
        |w, details| {
            message_about(
                &w.object,
                &[
                    ": container ",
                    &details.join(", container "),
                    " and no LimitRange in namespace ",
                    w.namespace(),
                    " supplies one",
                ],
            )
        },
    );
}
