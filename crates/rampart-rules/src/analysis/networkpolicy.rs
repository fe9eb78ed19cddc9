//! NetworkPolicy semantics as the API server stores a policy and the network plugin applies it.
//!
//! - A policy without `spec` is stored with an empty one: it selects every pod and denies
//!   their ingress.
//! - `podSelector` empty (or absent) selects every pod of the policy's namespace.
//! - `policyTypes` absent or empty: `Ingress` always, `Egress` when the policy has at least
//!   one egress rule (`egress: []` is no egress rule, exactly as the API server defaults it).
//! - A pod selected by some policy of a direction is isolated in that direction: only what
//!   some selecting policy allows gets through, so `ingress: []` (or none) denies all, and
//!   rules of a direction the policy does not apply to are ignored.
//! - A rule without peers (`from`/`to` absent or empty) allows every source/destination;
//!   `ports` narrow it to some ports but still admit everyone on them.

use crate::model::selector;
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::LazyLock;

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

    fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

static EMPTY_SPEC: LazyLock<NetworkPolicySpec> = LazyLock::new(NetworkPolicySpec::default);

/// The policy's spec, an empty one when absent (as the API server stores it).
pub fn spec_of(np: &NetworkPolicy) -> &NetworkPolicySpec {
    np.spec.as_ref().unwrap_or(&EMPTY_SPEC)
}

/// Whether a policy applies to `dir`, with the API server's defaulting of `policyTypes`.
pub fn affects(spec: &NetworkPolicySpec, dir: Direction) -> bool {
    match spec.policy_types.as_deref() {
        Some(types) if !types.is_empty() => types.iter().any(|t| t == dir.policy_type()),
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

/// The address family a CIDR covers entirely (prefix length 0), if it does.
fn whole_address_space(cidr: &str) -> Option<&'static str> {
    let (addr, len) = cidr.trim().split_once('/')?;
    if len.parse::<u8>().ok()? != 0 {
        return None;
    }
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(_) => Some("every IPv4 address"),
        IpAddr::V6(_) => Some("every IPv6 address"),
    }
}

/// Why a peer matches everything, or `None` when it is narrower. `namespaceSelector: {}`
/// without a narrowing pod selector is every pod in the cluster; an `ipBlock` of a whole
/// address family without exceptions is every address of it, inside the cluster and out.
/// An empty peer is rejected by the API server, but a manifest that has one means
/// "no restriction", and is reported as such before it is applied.
pub fn open_peer(peer: &NetworkPolicyPeer) -> Option<&'static str> {
    if let Some(block) = &peer.ip_block {
        let no_except = block.except.as_ref().is_none_or(Vec::is_empty);
        return whole_address_space(&block.cidr).filter(|_| no_except);
    }
    let all_pods = peer.pod_selector.as_ref().is_none_or(selector::is_empty);
    match &peer.namespace_selector {
        Some(ns) if selector::is_empty(ns) && all_pods => Some("every pod in every namespace"),
        None if peer.pod_selector.is_none() => Some("everything (an empty peer `{}`)"),
        _ => None,
    }
}

/// One rule, or one peer of a rule, that lets everything through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRule {
    /// E.g. `spec.ingress[0]` (no peers) or `spec.ingress[0].from[1]`.
    pub path: String,
    /// What it admits, e.g. `every pod in every namespace`.
    pub why: &'static str,
    /// The ports it is limited to, e.g. `port 443/TCP`, or `all ports`.
    pub ports: String,
}

/// Rules of one direction that allow everything, each open peer on its own. Rules of a
/// direction the policy does not apply to have no effect and are skipped.
pub fn open_rules(np: &NetworkPolicy, dir: Direction) -> Vec<OpenRule> {
    let spec = spec_of(np);
    if !affects(spec, dir) {
        return Vec::new();
    }
    // Each rule as (peers, ports); an absent list is an empty one.
    type RuleView<'a> = (&'a [NetworkPolicyPeer], &'a [NetworkPolicyPort]);
    let rules: Vec<RuleView<'_>> = match dir {
        Direction::Ingress => spec
            .ingress
            .iter()
            .flatten()
            .map(|r| {
                (
                    r.from.as_deref().unwrap_or_default(),
                    r.ports.as_deref().unwrap_or_default(),
                )
            })
            .collect(),
        Direction::Egress => spec
            .egress
            .iter()
            .flatten()
            .map(|r| {
                (
                    r.to.as_deref().unwrap_or_default(),
                    r.ports.as_deref().unwrap_or_default(),
                )
            })
            .collect(),
    };
    let (field, peer_field, everyone) = match dir {
        Direction::Ingress => ("ingress", "from", "every source (the rule has no `from`)"),
        Direction::Egress => ("egress", "to", "every destination (the rule has no `to`)"),
    };
    let mut out = Vec::new();
    for (i, (peers, ports)) in rules.into_iter().enumerate() {
        let ports = describe_ports(ports);
        if peers.is_empty() {
            out.push(OpenRule {
                path: format!("spec.{field}[{i}]"),
                why: everyone,
                ports,
            });
            continue;
        }
        for (j, why) in peers
            .iter()
            .enumerate()
            .filter_map(|(j, p)| open_peer(p).map(|w| (j, w)))
        {
            out.push(OpenRule {
                path: format!("spec.{field}[{i}].{peer_field}[{j}]"),
                why,
                ports: ports.clone(),
            });
        }
    }
    out
}

/// `all ports`, `port 443/TCP` or `ports 53/UDP, 53/TCP, 8000-8100/TCP`.
pub fn describe_ports(ports: &[NetworkPolicyPort]) -> String {
    if ports.is_empty() {
        return "all ports".to_owned();
    }
    let each: Vec<String> = ports
        .iter()
        .map(|p| {
            let protocol = p.protocol.as_deref().unwrap_or("TCP");
            let port = match (&p.port, p.end_port) {
                (None, _) => "all ports".to_owned(),
                (Some(IntOrString::Int(n)), Some(end)) => format!("{n}-{end}"),
                (Some(IntOrString::Int(n)), None) => n.to_string(),
                (Some(IntOrString::String(name)), _) => name.clone(),
            };
            format!("{port}/{protocol}")
        })
        .collect();
    let noun = if each.len() == 1 { "port" } else { "ports" };
    format!("{noun} {}", each.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(spec: serde_json::Value) -> NetworkPolicy {
        serde_json::from_value(json!({"metadata": {"name": "p", "namespace": "a"}, "spec": spec}))
            .expect("valid policy")
    }

    fn peer(v: serde_json::Value) -> NetworkPolicyPeer {
        serde_json::from_value(v).expect("peer")
    }

    fn paths(np: &NetworkPolicy, dir: Direction) -> Vec<String> {
        open_rules(np, dir).into_iter().map(|r| r.path).collect()
    }

    #[test]
    fn policy_types_default_from_sections() {
        let p = policy(json!({"podSelector": {}}));
        let s = spec_of(&p);
        assert!(affects(s, Direction::Ingress));
        assert!(!affects(s, Direction::Egress));
        let p = policy(json!({"podSelector": {}, "egress": [{}]}));
        assert!(affects(spec_of(&p), Direction::Ingress));
        assert!(affects(spec_of(&p), Direction::Egress));
        let p = policy(json!({"podSelector": {}, "egress": []}));
        assert!(!affects(spec_of(&p), Direction::Egress));
        let p = policy(json!({"podSelector": {}, "policyTypes": [], "egress": [{}]}));
        assert!(
            affects(spec_of(&p), Direction::Egress),
            "empty list defaults"
        );
        let p = policy(json!({"podSelector": {}, "policyTypes": ["Egress"]}));
        let s = spec_of(&p);
        assert!(!affects(s, Direction::Ingress));
        assert!(affects(s, Direction::Egress));
    }

    #[test]
    fn policy_without_spec_selects_all_and_denies_ingress() {
        let p: NetworkPolicy =
            serde_json::from_value(json!({"metadata": {"name": "p", "namespace": "a"}}))
                .expect("policy");
        let s = spec_of(&p);
        assert!(selects_all_pods(s));
        assert!(affects(s, Direction::Ingress));
        assert!(!affects(s, Direction::Egress));
        assert!(open_rules(&p, Direction::Ingress).is_empty());
    }

    #[test]
    fn selection_uses_full_selector_semantics() {
        let p = policy(json!({"podSelector": {"matchExpressions": [
            {"key": "app", "operator": "NotIn", "values": ["batch"]}]}}));
        let s = spec_of(&p);
        assert!(!selects_all_pods(s));
        let labels = |app: &str| BTreeMap::from([("app".to_owned(), app.to_owned())]);
        assert!(selects(s, Some(&labels("web"))));
        assert!(!selects(s, Some(&labels("batch"))));
        assert!(selects(s, None));
    }

    #[test]
    fn open_peers() {
        assert!(open_peer(&peer(json!({"namespaceSelector": {}}))).is_some());
        assert!(open_peer(&peer(json!({"namespaceSelector": {}, "podSelector": {}}))).is_some());
        assert!(
            open_peer(&peer(
                json!({"namespaceSelector": {}, "podSelector": {"matchLabels": {"a": "b"}}})
            ))
            .is_none()
        );
        assert!(
            open_peer(&peer(
                json!({"namespaceSelector": {"matchLabels": {"team": "edge"}}})
            ))
            .is_none()
        );
        assert!(open_peer(&peer(json!({"podSelector": {}}))).is_none());
        assert!(open_peer(&peer(json!({}))).is_some());
    }

    #[test]
    fn whole_address_families_without_exceptions_are_open() {
        let block = |cidr: &str| peer(json!({"ipBlock": {"cidr": cidr}}));
        assert_eq!(open_peer(&block("0.0.0.0/0")), Some("every IPv4 address"));
        assert_eq!(open_peer(&block("::/0")), Some("every IPv6 address"));
        assert_eq!(open_peer(&block("0::0/0")), Some("every IPv6 address"));
        assert!(open_peer(&block("10.0.0.0/8")).is_none());
        assert!(open_peer(&block("0.0.0.0/1")).is_none());
        assert!(open_peer(&block("not-a-cidr")).is_none());
        assert!(
            open_peer(&peer(
                json!({"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}})
            ))
            .is_none()
        );
        assert!(
            open_peer(&peer(
                json!({"ipBlock": {"cidr": "0.0.0.0/0", "except": []}})
            ))
            .is_some()
        );
    }

    #[test]
    fn empty_ingress_denies_and_rules_without_peers_allow() {
        let deny = policy(json!({"podSelector": {}, "ingress": []}));
        assert!(open_rules(&deny, Direction::Ingress).is_empty());
        let allow = policy(json!({"podSelector": {}, "ingress": [{}]}));
        assert_eq!(paths(&allow, Direction::Ingress), ["spec.ingress[0]"]);
        let empty_from = policy(json!({"podSelector": {}, "ingress": [{"from": []}]}));
        assert_eq!(paths(&empty_from, Direction::Ingress), ["spec.ingress[0]"]);
        let egress_not_affected =
            policy(json!({"podSelector": {}, "policyTypes": ["Ingress"], "egress": [{}]}));
        assert!(open_rules(&egress_not_affected, Direction::Egress).is_empty());
        let defaulted_egress = policy(json!({"podSelector": {}, "egress": [{"to": []}]}));
        assert_eq!(
            paths(&defaulted_egress, Direction::Egress),
            ["spec.egress[0]"]
        );
    }

    #[test]
    fn every_open_peer_is_reported_with_its_path_and_ports() {
        let p = policy(json!({"podSelector": {}, "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"app": "lb"}}}]},
            {"from": [
                {"podSelector": {"matchLabels": {"app": "lb"}}},
                {"namespaceSelector": {}},
                {"ipBlock": {"cidr": "::/0"}}],
             "ports": [{"port": 8443}, {"port": "metrics", "protocol": "TCP"}]}]}));
        let open = open_rules(&p, Direction::Ingress);
        let got: Vec<(&str, &str)> = open
            .iter()
            .map(|r| (r.path.as_str(), r.ports.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("spec.ingress[1].from[1]", "ports 8443/TCP, metrics/TCP"),
                ("spec.ingress[1].from[2]", "ports 8443/TCP, metrics/TCP"),
            ]
        );
    }

    #[test]
    fn ports_are_described() {
        let ports = |v| serde_json::from_value::<Vec<NetworkPolicyPort>>(v).expect("ports");
        assert_eq!(describe_ports(&[]), "all ports");
        assert_eq!(
            describe_ports(&ports(json!([{"port": 53, "protocol": "UDP"}]))),
            "port 53/UDP"
        );
        assert_eq!(
            describe_ports(&ports(
                json!([{"port": 8000, "endPort": 8100}, {"protocol": "SCTP"}])
            )),
            "ports 8000-8100/TCP, all ports/SCTP"
        );
    }
}
