//! Domain semantics over the inventory: what RBAC allows and what it leads to, the Pod
//! Security Standards, what NetworkPolicies select, whether Secrets are encrypted at rest.
//! [`derived`] holds the analyses that outlive one evaluation and the inventory changes
//! that invalidate them.

pub mod apiserver_evidence;
pub mod control_plane;
pub mod derived;
pub mod encryption;
pub mod networkpolicy;
pub mod pod_security;
pub mod rbac;
