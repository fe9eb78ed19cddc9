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

use crate::model::isolation::{NetworkPolicy, NetworkPolicySpec};
use crate::model::meta::Pairs;
use crate::model::selector;
use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
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
    np.spec.as_deref().unwrap_or(&EMPTY_SPEC)
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
pub fn selects(spec: &NetworkPolicySpec, labels: Option<&Pairs>) -> bool {
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
mod tests;
