//! NETPOL004 allow-all-networkpolicy.

use crate::context::Context;
use crate::emit::{Draft, Emitter};
use crate::object::ObjectRef;
use crate::rule::{Category, Rule, Severity, mitre, nsa};
use crate::rules::networkpolicy::namespaces_to_judge;
use crate::rules::networkpolicy::semantics::{Direction, open_rules};

pub const RULE: Rule = Rule {
    id: "NETPOL004",
    name: "allow-all-networkpolicy",
    title: "NetworkPolicy allows traffic from or to everything",
    category: Category::NetworkPolicy,
    severity: Severity::Medium,
    rationale: "A policy rule without peers, with `namespaceSelector: {}` and no pod selector, or \
        with an `ipBlock` of 0.0.0.0/0 or ::/0 without exceptions allows every source (or \
        destination), undoing the isolation the namespace's other policies set up. Open ingress \
        exposes the selected pods to the whole cluster or the internet; open egress (medium-low: \
        common for DNS and external APIs) lets a compromised pod reach anything.",
    remediation: "Replace the open peer with the namespaces, pods or address ranges that need \
        the traffic. For DNS, allow egress to the kube-system DNS pods on port 53 only.",
    references: &[
        nsa(
            "Network separation",
            "Use network policies to isolate resources",
        ),
        mitre("T1021", "Remote Services"),
    ],
    check,
};

fn check(ctx: &Context<'_>, emit: &mut Emitter<'_>) {
    for ns in namespaces_to_judge(ctx) {
        for np in ctx.inventory.network_policies_in(ns) {
            let name = np.metadata.name.as_deref().unwrap_or("");
            for dir in [Direction::Ingress, Direction::Egress] {
                for (path, why) in open_rules(np, dir) {
                    let (severity, preposition) = match dir {
                        Direction::Ingress => (Severity::Medium, "from"),
                        Direction::Egress => (Severity::Low, "to"),
                    };
                    emit.push(
                        Draft::new(
                            ObjectRef::new("networking.k8s.io/v1", "NetworkPolicy", Some(ns), name),
                            format!(
                                "NetworkPolicy {ns}/{name} allows {} {preposition} {why} ({path})",
                                dir.as_str()
                            ),
                        )
                        .path(path.clone())
                        .discriminator(path)
                        .severity(severity),
                    );
                }
            }
        }
    }
}
