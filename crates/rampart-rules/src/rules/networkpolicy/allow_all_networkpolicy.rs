//! NETPOL004 allow-all-networkpolicy.

use crate::analysis::networkpolicy::{Direction, open_rules};
use crate::model::identity::ObjectRef;
use crate::rules::networkpolicy::namespaces_to_judge;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "NETPOL004",
    name: "allow-all-networkpolicy",
    title: "NetworkPolicy allows traffic from or to everything",
    category: Category::NetworkPolicy,
    severity: Severity::Medium,
    rationale: "A policy rule without peers (`from`/`to` absent or empty), a peer \
        `namespaceSelector: {}` whose pod selector is absent or empty, or an `ipBlock` of \
        0.0.0.0/0 or ::/0 without `except` admits every source (or destination), undoing the \
        isolation the namespace's other policies set up; `ports` narrow such a rule to some \
        ports but still admit everyone on them. Open ingress (medium) exposes the selected pods \
        to every pod in the cluster, or to anything that can route to them; open egress (low, \
        as it is common for DNS and external APIs) lets a compromised pod reach any service and \
        send data anywhere.",
    remediation: "Replace the open peer with the namespaces (`namespaceSelector` with labels such \
        as `kubernetes.io/metadata.name`), pods or address ranges that need the traffic. For \
        DNS, allow egress to the kube-system DNS pods on port 53 (UDP and TCP) only; for the \
        internet, an `ipBlock` with `except` for the cluster's pod, service and node ranges \
        keeps internal services out of reach.",
    references: &[
        nsa(
            "Network policies",
            "Use network policies to isolate resources",
        ),
        mitre("T1046", "Network Service Discovery"),
    ],
    cluster_wide: false,
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    for ns in namespaces_to_judge(ctx) {
        for np in ctx.inventory.network_policies_in(ns) {
            let name = &*np.metadata.name;
            for dir in [Direction::Ingress, Direction::Egress] {
                let (severity, preposition) = match dir {
                    Direction::Ingress => (Severity::Medium, "from"),
                    Direction::Egress => (Severity::Low, "to"),
                };
                for open in open_rules(np, dir) {
                    emit.push(
                        Draft::new(
                            ObjectRef::new("networking.k8s.io/v1", "NetworkPolicy", Some(ns), name),
                            format!(
                                "NetworkPolicy {ns}/{name} allows {} {preposition} {} on {} ({})",
                                dir.as_str(),
                                open.why,
                                open.ports,
                                open.path
                            ),
                        )
                        .path(open.path.clone())
                        .discriminator(open.path)
                        .severity(severity),
                    );
                }
            }
        }
    }
}
