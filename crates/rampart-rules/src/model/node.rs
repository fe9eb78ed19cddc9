//! Nodes as the engine keeps them: their metadata and the versions their kubelet reports.
//!
//! Rules judge a Node by what runs on it: its kubelet's version, and the container
//! runtime, kernel and OS image beside it, all read from `status.nodeInfo`. Nothing else a
//! Node carries is kept: its spec (taints, pod CIDRs, provider ID), the rest of its status
//! (conditions, addresses, capacity, volumes, the machine, system and boot IDs) and the
//! images it holds (up to fifty, each with every name it goes by) are dropped on the way
//! in.

use crate::model::meta::Meta;
use k8s_openapi::api::core::v1 as core;

/// A Node, as the rules read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Node {
    pub metadata: Meta,
    /// `status.nodeInfo`; `None` for a Node without a status (a manifest, or one whose
    /// kubelet has not reported yet).
    pub info: Option<NodeVersions>,
}

/// What a node's kubelet reports it runs (`status.nodeInfo`), as the API gives it: a field
/// the kubelet left out is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeVersions {
    /// `kubeletVersion`, as `v1.33.2`.
    pub kubelet_version: String,
    /// `kubeProxyVersion`: deprecated, and empty from kubelets that no longer set it.
    pub kube_proxy_version: String,
    /// `containerRuntimeVersion`, as `containerd://2.1.3`.
    pub container_runtime_version: String,
    pub kernel_version: String,
    pub os_image: String,
    /// `operatingSystem`: `linux` or `windows`.
    pub operating_system: String,
    pub architecture: String,
}

impl From<core::NodeSystemInfo> for NodeVersions {
    fn from(i: core::NodeSystemInfo) -> NodeVersions {
        NodeVersions {
            kubelet_version: i.kubelet_version,
            kube_proxy_version: i.kube_proxy_version,
            container_runtime_version: i.container_runtime_version,
            kernel_version: i.kernel_version,
            os_image: i.os_image,
            operating_system: i.operating_system,
            architecture: i.architecture,
        }
    }
}

impl From<core::Node> for Node {
    fn from(n: core::Node) -> Node {
        Node {
            metadata: n.metadata.into(),
            info: n.status.and_then(|s| s.node_info).map(NodeVersions::from),
        }
    }
}

#[cfg(test)]
mod tests;
