//! POD007 probe-targets-other-host.

use super::pss::{PssRule, at_violation, by_level, never, report};
use crate::analysis::pod_security::Control;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD007",
    name: "probe-targets-other-host",
    title: "Probe or lifecycle hook sends requests to another host",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "The kubelet runs HTTP and TCP probes and lifecycle hooks from the node. A \
        `host` field pointed elsewhere makes the kubelet send requests, with the node's network \
        position, to any address the pod author names: cloud metadata endpoints, the node's \
        localhost services, or internal systems the pod itself cannot reach. Pod Security \
        baseline (policy 1.34 and later) forbids setting `host` in probes and lifecycle \
        handlers.",
    remediation: "Remove `host` from `httpGet` and `tcpSocket` in liveness, readiness and \
        startup probes and in `lifecycle.postStart`/`preStop`: they then target the pod's own \
        IP. Check a dependency from inside the application instead.",
    references: &[
        nsa("Pod security", "Limit what pods can reach through the node"),
        mitre("T1090", "Proxy"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report(
        ctx,
        emit,
        &PssRule {
            controls: &[Control::HostProbesAndLifecycle],
            skip: never,
            severity: by_level,
            path: at_violation,
        },
    );
}
