//! What the API server answered when asked directly: its version (`/version`) and what a
//! caller without any credentials gets from a few read-only paths. The operator and
//! `rampart scan --cluster` probe; `rampart scan --kubernetes-version` declares a version
//! for manifests; a probe can also be saved and scanned as an `ApiServerProbe` document:
//!
//! ```yaml
//! apiVersion: rampart.dev/v1alpha1
//! kind: ApiServerProbe
//! metadata: {name: apiserver}
//! version: v1.37.2
//! anonymous: {"/version": 200, "/api/v1/pods?limit=1": 403}
//! ```
//! A probe never writes, and never asks for Secrets.

use serde::Deserialize;
use std::collections::BTreeMap;

/// Paths every cluster serves to anyone, anonymous callers included (the bootstrap
/// `system:public-info-viewer` role): answering them proves only that anonymous
/// authentication is on.
pub const PUBLIC_INFO: &[&str] = &["/version", "/healthz", "/livez", "/readyz"];

/// Paths an anonymous caller is asked for: the public ones, then discovery, metrics and
/// lists of a few kinds (one item, metadata only), each readable only if authorization
/// lets `system:anonymous` through. Never Secrets, never a write.
pub const ANONYMOUS_PATHS: &[&str] = &[
    "/version",
    "/api",
    "/apis",
    "/metrics",
    "/api/v1/namespaces?limit=1",
    "/api/v1/pods?limit=1",
    "/api/v1/nodes?limit=1",
    "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?limit=1",
];

/// One probe of one API server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiServerProbe {
    /// Which API server, as findings name it.
    #[serde(skip)]
    pub name: String,
    /// `gitVersion` of `/version`.
    #[serde(default)]
    pub version: Option<String>,
    /// The version was given by the user (`--kubernetes-version`), not read.
    #[serde(default)]
    pub declared: bool,
    /// Path -> HTTP status an anonymous request got; empty when not probed.
    #[serde(default)]
    pub anonymous: BTreeMap<String, u16>,
    /// Why the anonymous probe could not run (no route to the server, TLS...).
    #[serde(default)]
    pub anonymous_error: Option<String>,
}

/// What the anonymous answers show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anonymous {
    /// Every request without credentials was refused as unauthenticated (401).
    Disabled,
    /// Anonymous requests are authenticated, but reach only the public-info paths.
    PublicInfoOnly,
    /// Anonymous requests read these paths beyond the public ones.
    Reaches(Vec<String>),
    /// Not probed, or the answers decide nothing.
    Unknown,
}

impl ApiServerProbe {
    pub fn anonymous_access(&self) -> Anonymous {
        if self.anonymous.is_empty() {
            return Anonymous::Unknown;
        }
        let public = |p: &str| PUBLIC_INFO.contains(&p.split('?').next().unwrap_or(p));
        let reached: Vec<String> = self
            .anonymous
            .iter()
            .filter(|(p, s)| (200..300).contains(*s) && !public(p))
            .map(|(p, _)| p.clone())
            .collect();
        if !reached.is_empty() {
            return Anonymous::Reaches(reached);
        }
        let statuses: Vec<u16> = self.anonymous.values().copied().collect();
        if statuses.iter().all(|s| *s == 401) {
            Anonymous::Disabled
        } else if statuses.iter().all(|s| [200, 401, 403].contains(s)) && !statuses.contains(&401) {
            Anonymous::PublicInfoOnly
        } else {
            Anonymous::Unknown
        }
    }
}

#[cfg(test)]
mod tests;
