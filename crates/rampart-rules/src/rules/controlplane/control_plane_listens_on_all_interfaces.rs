//! CP016 control-plane-listens-on-all-interfaces.

use super::{on_flag, pods, shown};
use crate::model::control_plane::Component;
use crate::rules::prelude::*;

const FLAG: &str = "bind-address";

pub const RULE: Rule = Rule {
    id: "CP016",
    name: "control-plane-listens-on-all-interfaces",
    title: "kube-controller-manager or kube-scheduler listens beyond the node",
    category: Category::ControlPlane,
    severity: Severity::Low,
    rationale: "The controller manager and the scheduler serve health, metrics and (with \
        profiling) debug endpoints on their secure port. Nothing outside their node needs \
        them, but their default `--bind-address` is 0.0.0.0, which exposes them to the whole \
        network and widens what an attacker inside it can probe.",
    remediation: "Start both with `--bind-address=127.0.0.1` (kubeadm does), or disable the \
        secure port with `--secure-port=0` where nothing scrapes it.",
    references: &[
        cis(
            "1.3.7",
            "Ensure that the --bind-address argument is set to 127.0.0.1",
        ),
        cis(
            "1.4.2",
            "Ensure that the --bind-address argument is set to 127.0.0.1",
        ),
        nsa(
            "Control plane hardening",
            "Limit access to the control plane's endpoints",
        ),
    ],
    cluster_wide: true,
    check,
};

fn loopback(address: &str) -> bool {
    address == "localhost" || address == "::1" || address.starts_with("127.")
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for component in [Component::ControllerManager, Component::Scheduler] {
        for facts in pods(ctx, component) {
            if facts.flag("secure-port") == Some("0") {
                continue;
            }
            if facts.flag(FLAG).is_some_and(loopback) {
                continue;
            }
            emit.push(on_flag(
                facts,
                FLAG,
                format!(
                    "starts {} with {}: its endpoints are reachable from the network",
                    component.as_str(),
                    shown(facts, FLAG, "0.0.0.0")
                ),
            ));
        }
    }
}
