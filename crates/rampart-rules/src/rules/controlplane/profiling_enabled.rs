//! CP008 profiling-enabled.

use super::{on_flag, pods, shown};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

const FLAG: &str = "profiling";

pub const RULE: Rule = Rule {
    id: "CP008",
    name: "profiling-enabled",
    title: "A control-plane component serves profiling endpoints",
    category: Category::ControlPlane,
    severity: Severity::Low,
    rationale: "`--profiling` (on by default) serves Go's `/debug/pprof` on the component's \
        secure port: heap and goroutine dumps that reveal internals, and CPU profiles a caller \
        can use to load the control plane. Anyone granted the nonResourceURL `/debug/*`, or \
        any caller at all where authorization is lax, can use them; nothing in normal \
        operation needs them.",
    remediation: "Start kube-apiserver, kube-controller-manager and kube-scheduler with \
        `--profiling=false`; turn it on briefly when debugging.",
    references: &[
        cis(
            "1.2.15",
            "Ensure that the --profiling argument is set to false",
        ),
        cis(
            "1.3.2",
            "Ensure that the --profiling argument is set to false",
        ),
        cis(
            "1.4.1",
            "Ensure that the --profiling argument is set to false",
        ),
        nsa(
            "Control plane hardening",
            "Limit access to the control plane's endpoints",
        ),
    ],
    cluster_wide: true,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for component in [
        Component::ApiServer,
        Component::ControllerManager,
        Component::Scheduler,
    ] {
        for facts in pods(ctx, component) {
            if facts.bool_flag(FLAG, true) != Some(true) {
                continue;
            }
            emit.push(on_flag(
                facts,
                FLAG,
                format!(
                    "starts {} with {}: /debug/pprof is served",
                    component.as_str(),
                    shown(facts, FLAG, "true")
                ),
            ));
        }
    }
}
