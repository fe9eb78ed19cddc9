use super::*;
use crate::model::object::{Decoded, Object, decode};
use serde_json::json;

fn node(value: serde_json::Value) -> Node {
    match decode(value) {
        Ok(Decoded::Object(o)) => match *o {
            Object::Node(n) => n,
            other => panic!("expected a node, got {other:?}"),
        },
        other => panic!("expected an object, got {other:?}"),
    }
}

#[test]
fn keeps_the_versions_of_node_info_and_drops_the_rest_of_the_node() {
    let n = node(json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "worker-1", "labels": {"kubernetes.io/os": "linux"}},
        "spec": {"podCIDR": "10.244.1.0/24", "providerID": "kind://docker/worker-1",
            "taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]},
        "status": {
            "nodeInfo": {"kubeletVersion": "v1.33.2", "kubeProxyVersion": "v1.33.2",
                "containerRuntimeVersion": "containerd://2.1.3",
                "kernelVersion": "6.8.0-60-generic", "osImage": "Debian GNU/Linux 12 (bookworm)",
                "operatingSystem": "linux", "architecture": "amd64",
                "machineID": "machine-4f1c", "systemUUID": "uuid-9a2e", "bootID": "boot-77d0"},
            "images": [{"names": ["registry.example/cached-image@sha256:0123"], "sizeBytes": 1}],
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            "addresses": [{"type": "InternalIP", "address": "172.18.0.3"}]}}));
    assert_eq!(&*n.metadata.name, "worker-1");
    assert_eq!(n.metadata.labels.get("kubernetes.io/os"), Some("linux"));
    assert_eq!(
        n.info,
        Some(NodeVersions {
            kubelet_version: "v1.33.2".into(),
            kube_proxy_version: "v1.33.2".into(),
            container_runtime_version: "containerd://2.1.3".into(),
            kernel_version: "6.8.0-60-generic".into(),
            os_image: "Debian GNU/Linux 12 (bookworm)".into(),
            operating_system: "linux".into(),
            architecture: "amd64".into(),
        })
    );
    let held = format!("{n:?}");
    for dropped in [
        "cached-image",
        "KubeletReady",
        "172.18.0.3",
        "10.244.1.0",
        "dedicated",
        "machine-4f1c",
        "uuid-9a2e",
        "boot-77d0",
    ] {
        assert!(!held.contains(dropped), "{dropped} is held: {held}");
    }
}

#[test]
fn a_kubelet_that_no_longer_reports_kube_proxy_leaves_its_version_empty() {
    let doc = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
        "status": {"nodeInfo": {"kubeletVersion": "v1.35.0"}}});
    let n = node(doc);
    let info = n.info.expect("nodeInfo");
    assert_eq!(info.kubelet_version, "v1.35.0");
    assert_eq!(info.kube_proxy_version, "");
}

#[test]
fn a_node_without_status_or_node_info_has_no_versions() {
    let bare = node(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}}));
    assert_eq!(bare.info, None);
    let unreported = Node::from(core::Node {
        status: Some(core::NodeStatus::default()),
        ..core::Node::default()
    });
    assert_eq!(unreported.info, None);
}
