use super::*;
use serde_json::json;

fn policy(spec: serde_json::Value) -> NetworkPolicy {
    let api: k8s_openapi::api::networking::v1::NetworkPolicy =
        serde_json::from_value(json!({"metadata": {"name": "p", "namespace": "a"}, "spec": spec}))
            .expect("valid policy");
    api.into()
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
    let p = policy(serde_json::Value::Null);
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
    let labels = |app: &str| Pairs::from_iter([("app", app)]);
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
