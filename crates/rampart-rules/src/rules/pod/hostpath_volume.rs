//! POD005 hostpath-volume.

use super::pss::{PssRule, never, report};
use crate::analysis::pod_security::{Control, Violation};
use crate::inventory::Workload;
use crate::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "POD005",
    name: "hostpath-volume",
    title: "Pod mounts a directory of the node (hostPath)",
    category: Category::Workload,
    severity: Severity::High,
    rationale: "A hostPath volume gives the pod the node's files. Writable, it can plant \
        binaries or cron jobs on the node; even read-only it can read other pods' volumes and \
        the kubelet's credentials. The node's root, `/etc`, `/var/lib/kubelet`, `/var/run` and \
        the container runtime sockets (`docker.sock`, `containerd.sock`, `crio.sock`) hand over \
        the node outright: a runtime socket starts privileged containers at will. Those are \
        rated critical. Pod Security baseline forbids hostPath volumes of any path.",
    remediation: "Replace the hostPath volume with an emptyDir, a ConfigMap or Secret, or a \
        PersistentVolumeClaim. Log and metrics agents that must read node directories belong \
        in a dedicated `privileged` namespace, with the mount `readOnly: true`.",
    references: &[
        cis("5.2.12", "Minimize the admission of HostPath volumes"),
        nsa("Pod security", "Restrict hostPath volumes"),
        mitre("T1611", "Escape to Host"),
    ],
    cluster_wide: false,
    check,
};

/// Node directories whose contents (or whose parents' contents) give the node away. A path
/// below one of them, or above one (`/`, `/var`), is as bad.
const SENSITIVE: &[&str] = &[
    "/etc",
    "/var/run",
    "/run",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/containers",
    "/proc",
    "/sys",
    "/dev",
    "/root",
    "/boot",
];

/// `//var/./run/` -> `/var/run`; `..` climbs, never above `/`.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn is_within(path: &str, dir: &str) -> bool {
    path == dir || dir == "/" || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

pub fn is_sensitive(path: &str) -> bool {
    let path = normalize(path);
    SENSITIVE
        .iter()
        .any(|s| is_within(&path, s) || is_within(s, &path))
}

/// The index of the first hostPath volume that exposes a sensitive part of the node.
fn first_sensitive(w: &Workload<'_>) -> Option<usize> {
    w.spec
        .volumes
        .iter()
        .position(|v| v.host_path.as_deref().is_some_and(is_sensitive))
}

fn severity(w: &Workload<'_>, _: &Violation) -> Option<Severity> {
    first_sensitive(w).map(|_| Severity::Critical)
}

/// A critical finding points at the volume that makes it critical.
fn sensitive_volume(w: &Workload<'_>, _: &Violation) -> Option<String> {
    first_sensitive(w).map(|i| format!("spec.volumes[{i}].hostPath"))
}

fn check(ctx: &Context<'_>, emit: &mut Emitter) {
    report(
        ctx,
        emit,
        &PssRule {
            controls: &[Control::HostPathVolumes],
            skip: never,
            severity,
            path: sensitive_volume,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_paths_include_their_parents_and_children() {
        for p in [
            "/",
            "/var",
            "/var/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/var/run/crio/crio.sock",
            "/var/lib/kubelet/pods",
            "/etc/",
            "//etc/kubernetes",
            "/opt/../etc",
        ] {
            assert!(is_sensitive(p), "{p}");
        }
        for p in ["/var/log", "/opt/data", "/etcetera", "/srv/run"] {
            assert!(!is_sensitive(p), "{p}");
        }
    }
}
