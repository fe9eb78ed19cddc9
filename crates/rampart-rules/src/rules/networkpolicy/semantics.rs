//! NetworkPolicy semantics as the network plugin applies them.
//!
//! - `podSelector` empty (or absent) selects every pod of the policy's namespace.
//! - `policyTypes` absent: `Ingress` always, `Egress` when the policy has egress rules.
//! - A pod selected by some policy of a direction is isolated in that direction: only what
//!   some selecting policy allows gets through, so `ingress: []` denies all.
//! - A rule without peers (`from`/`to` absent or empty) allows every source/destination.

use crate::selector;
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicySpec};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// Whether a policy applies to `dir`, with the API server's defaulting of `policyTypes`.
pub fn affects(spec: &NetworkPolicySpec, dir: Direction) -> bool {
    match spec.policy_types.as_deref() {
        Some(types) if !types.is_empty() => types.iter().any(|t| match dir {
            Direction::Ingress => t == "Ingress",
            Direction::Egress => t == "Egress",
        }),
        _ => match dir {
            Direction::Ingress => true,
            Direction::Egress => spec.egress.as_ref().is_some_and(|e| !e.is_empty()),
        },
    }
}

/// Whether the policy selects every pod of its namespace.
pub fn selects_all_pods(spec: &NetworkPolicySpec) -> bool {
    spec.pod_selector.as_ref().is_none_or(selector::is_empty)
}

/// Whether the policy selects a pod with these labels.
pub fn selects(spec: &NetworkPolicySpec, labels: Option<&BTreeMap<String, String>>) -> bool {
    spec.pod_selector
        .as_ref()
        .is_none_or(|s| selector::matches(s, labels))
}

fn is_any_cidr(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0")
}

/// Why a peer matches everything, or `None` when it is narrower. `namespaceSelector: {}`
/// without a pod selector is every pod in the cluster; an `ipBlock` of the whole address
/// space without exceptions is every address, inside the cluster and out.
pub fn open_peer(peer: &NetworkPolicyPeer) -> Option<&'static str> {
    if let Some(block) = &peer.ip_block {
        let no_except = block.except.as_ref().is_none_or(Vec::is_empty);
        return (is_any_cidr(&block.cidr) && no_except).then_some("every IP address");
    }
    let all_pods = peer.pod_selector.as_ref().is_none_or(selector::is_empty);
    match &peer.namespace_selector {
        Some(ns) if selector::is_empty(ns) && all_pods => Some("every pod in every namespace"),
        _ => None,
    }
}

/// Rules of one direction that allow everything: (path, why).
pub fn open_rules(np: &NetworkPolicy, dir: Direction) -> Vec<(String, &'static str)> {
    let Some(spec) = &np.spec else {
        return Vec::new();
    };
    if !affects(spec, dir) {
        return Vec::new();
    }
    let peers_of: Vec<Option<&Vec<NetworkPolicyPeer>>> = match dir {
        Direction::Ingress => spec
            .ingress
            .iter()
            .flatten()
            .map(|r| r.from.as_ref())
            .collect(),
        Direction::Egress => spec
            .egress
            .iter()
            .flatten()
            .map(|r| r.to.as_ref())
            .collect(),
    };
    let (field, peer_field) = match dir {
        Direction::Ingress => ("ingress", "from"),
        Direction::Egress => ("egress", "to"),
    };
    let mut out = Vec::new();
    for (i, peers) in peers_of.into_iter().enumerate() {
        match peers.filter(|p| !p.is_empty()) {
            None => out.push((
                format!("spec.{field}[{i}]"),
                "a rule with no peers, i.e. every source and destination",
            )),
            Some(peers) => {
                if let Some((j, why)) = peers
                    .iter()
                    .enumerate()
                    .find_map(|(j, p)| open_peer(p).map(|w| (j, w)))
                {
                    out.push((format!("spec.{field}[{i}].{peer_field}[{j}]"), why));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(spec: serde_json::Value) -> NetworkPolicy {
        serde_json::from_value(json!({"metadata": {"name": "p", "namespace": "a"}, "spec": spec}))
            .expect("valid policy")
    }

    #[test]
    fn policy_types_default_from_sections() {
        let p = policy(json!({"podSelector": {}}));
        let s = p.spec.as_ref().expect("spec");
        assert!(affects(s, Direction::Ingress));
        assert!(!affects(s, Direction::Egress));
        let p = policy(json!({"podSelector": {}, "egress": [{}]}));
        assert!(affects(p.spec.as_ref().expect("spec"), Direction::Egress));
        let p = policy(json!({"podSelector": {}, "egress": []}));
        assert!(!affects(p.spec.as_ref().expect("spec"), Direction::Egress));
        let p = policy(json!({"podSelector": {}, "policyTypes": ["Egress"]}));
        let s = p.spec.as_ref().expect("spec");
        assert!(!affects(s, Direction::Ingress));
        assert!(affects(s, Direction::Egress));
    }

    #[test]
    fn open_peers() {
        let peer = |v| serde_json::from_value::<NetworkPolicyPeer>(v).expect("peer");
        assert!(open_peer(&peer(json!({"namespaceSelector": {}}))).is_some());
        assert!(open_peer(&peer(json!({"namespaceSelector": {}, "podSelector": {}}))).is_some());
        assert!(
            open_peer(&peer(
                json!({"namespaceSelector": {}, "podSelector": {"matchLabels": {"a": "b"}}})
            ))
            .is_none()
        );
        assert!(open_peer(&peer(json!({"podSelector": {}}))).is_none());
        assert!(open_peer(&peer(json!({"ipBlock": {"cidr": "0.0.0.0/0"}}))).is_some());
        assert!(open_peer(&peer(json!({"ipBlock": {"cidr": "::/0"}}))).is_some());
        assert!(
            open_peer(&peer(
                json!({"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}})
            ))
            .is_none()
        );
    }

    #[test]
    fn empty_ingress_denies_and_empty_rule_allows() {
        let deny = policy(json!({"podSelector": {}, "ingress": []}));
        assert!(open_rules(&deny, Direction::Ingress).is_empty());
        let allow = policy(json!({"podSelector": {}, "ingress": [{}]}));
        assert_eq!(open_rules(&allow, Direction::Ingress).len(), 1);
        let egress_not_affected =
            policy(json!({"podSelector": {}, "policyTypes": ["Ingress"], "egress": [{}]}));
        assert!(open_rules(&egress_not_affected, Direction::Egress).is_empty());
    }
}
