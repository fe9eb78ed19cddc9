//! POD006 host-port-bound.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD006",
    name: "host-port-bound",
    title: "Container binds a port on the node (hostPort)",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "A hostPort opens a port on the node's own addresses, outside the reach of \
        NetworkPolicy and Services: the pod becomes reachable from anywhere the node is, and \
        the port can shadow a node service. It also pins the pod to nodes where the port is \
        free. Pod Security baseline forbids host ports.",
    remediation: "Remove `hostPort` and expose the container through a Service (ClusterIP, \
        NodePort or LoadBalancer) or an Ingress, where policies and load balancing apply.",
    references: &[
        cis(
            "5.2.13",
            "Minimize the admission of containers which use HostPorts",
        ),
        nsa(
            "Network separation",
            "Limit exposure of pods outside the cluster network",
        ),
        mitre("T1611", "Escape to Host"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report(
        ctx,
        emit,
        &PssRule {
            controls: &[Control::HostPorts],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
