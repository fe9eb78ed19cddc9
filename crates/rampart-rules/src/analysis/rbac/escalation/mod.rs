//! Escalation paths: how one identity's grants let it become another identity, or
//! cluster-admin, step by step, each step naming the objects that enable it.
//!
//! ```text
//!  identity --(step: what it does, via binding -> role, on which object)--> identity | cluster-admin
//! ```
//! Nodes are the identities bindings name (users, groups, ServiceAccounts) and one terminal,
//! cluster-admin. Edges, each decided by [`Permissions::authorize`]:
//! - run as a ServiceAccount: create pods or a pod controller in its namespace;
//! - act as a ServiceAccount: create `serviceaccounts/token` for it, or read a legacy token
//!   Secret of it (`get` that Secret, or `list` Secrets in the namespace);
//! - become an identity: impersonate that user, group or ServiceAccount;
//! - exec through the kubelet API (`nodes/proxy`) into a pod, which runs as its ServiceAccount;
//! - create RoleBindings in a namespace and `bind` cluster-admin there: everything in that
//!   namespace, including running pods as its ServiceAccounts;
//! - cluster-admin: hold `*` on `*` cluster-wide; impersonate the group `system:masters`;
//!   create ClusterRoleBindings and `bind` cluster-admin; `escalate` and update a ClusterRole
//!   one is bound to cluster-wide; create and approve CSRs for the kube-apiserver-client
//!   signer (a client certificate in `system:masters`); write MutatingWebhookConfigurations
//!   (every object written, RoleBindings included, can be rewritten).
//!
//! Validating webhooks see objects but cannot change them; their grant is RBAC011's finding
//! and no edge here. Only identities that some binding names are targets: a ServiceAccount
//! without grants of its own gives nothing its namespace's group does not already give.
//!
//! The graph is built once per evaluation, within a budget of authorizer checks; paths are
//! searched to a bounded depth. Either bound being hit is recorded, and findings say so.
//!
//! `graph` builds the graph and stores its steps; `grants` decides what one grant allows;
//! `targets` lists the identities there are to become; the edge families (`admin`, `namespace`,
//! `impersonation`, `kubelet`) find the steps; `paths` searches the built graph; and
//! [`Holdings`] compares identities' grants role by role.
//!
//! [`Permissions::authorize`]: crate::analysis::rbac::permissions::Permissions::authorize

mod action;
mod admin;
mod grants;
mod graph;
mod holdings;
mod impersonation;
mod kubelet;
mod namespace;
mod paths;
mod targets;

pub use holdings::Holdings;
pub(crate) use targets::workload_targets;

use crate::analysis::rbac::permissions::SubjectKey;
use crate::model::identity::RoleKey;
use crate::model::identity::{ObjectRef, Subject};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// How far and how hard the search goes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most steps in a path.
    pub max_depth: usize,
    /// Most authorizer checks while building the graph.
    pub max_checks: usize,
    /// Most edges of one kind out of one identity.
    pub max_targets: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 4,
            max_checks: 2_000_000,
            max_targets: 256,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    Identity(Subject),
    ClusterAdmin,
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Identity(s) => s.fmt(f),
            Node::ClusterAdmin => f.write_str("cluster-admin"),
        }
    }
}

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What the identity does, in words: `create pods in namespace ci`.
    pub action: String,
    /// The objects that make the step possible: the grant's binding and role, the target.
    pub via: Vec<(&'static str, ObjectRef)>,
    /// The identity already holds every permission: no escalation, just possession.
    pub direct: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// Each step and the node it leads to.
    pub steps: Vec<(Step, Node)>,
}

impl Path {
    pub fn describe(&self) -> String {
        self.steps
            .iter()
            .enumerate()
            .map(|(i, (s, n))| format!("({}) {} -> {n}", i + 1, s.action))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The escalation graph of one inventory.
#[derive(Debug, Default)]
pub struct Escalations {
    nodes: Vec<Node>,
    index: HashMap<Node, usize>,
    /// Edge lists: one per subject key (what its own bindings allow, shared by every
    /// identity that has the key, so a group's steps are found once) and one per identity
    /// (steps that need its grants together, such as creating a RoleBinding and `bind`).
    lists: Vec<Box<[StoredStep]>>,
    key_lists: HashMap<SubjectKey, usize>,
    /// Objects steps name, each stored once: many steps share a binding, role or target.
    objects: Vec<ObjectRef>,
    /// Only while building.
    object_ids: HashMap<ObjectRef, u32>,
    /// The objects of steps but their target, each list stored once: the steps one grant
    /// enables (a RoleBinding that lets its subjects create pods, to every ServiceAccount
    /// of the namespace) cite the same binding and role.
    vias: Vec<Via>,
    /// Only while building.
    via_ids: HashMap<Via, u32>,
    /// The edge lists of each node.
    node_lists: Vec<Vec<usize>>,
    /// Steps to cluster-admin, and the edge (list, index) to take, per node.
    to_admin: Vec<Option<(usize, (usize, usize))>>,
    /// Identities some binding names: where paths start.
    starts: Vec<usize>,
    checks: usize,
    /// Capabilities asked about, by verb, group, resource and subresource joined with
    /// NULs (no API name holds one), looked up without building a key each time.
    caps: HashMap<Box<str>, usize>,
    /// Where a capability's key is put together for the lookup.
    cap_key: String,
    /// Per role and capability: indexes of the rules that allow it, whatever the name.
    role_caps: HashMap<RoleKey, Vec<Option<Arc<[usize]>>>>,
    /// A work bound was hit while building: some edges may be missing.
    pub truncated: bool,
    limits: Limits,
}

/// `StoredStep::target` of a step without one.
const NO_TARGET: u32 = u32::MAX;

/// The objects a step names, as (relation, index into `Escalations::objects`).
type Via = Box<[(&'static str, u32)]>;

/// A step as the graph keeps it: the node it leads to, its objects by index (the target,
/// which differs from step to step, apart from the rest), its words only where its objects
/// cannot rebuild them. A large cluster's graph holds hundreds of thousands: 40 bytes
/// each.
#[derive(Debug)]
struct StoredStep {
    action: action::Action,
    to: u32,
    /// Index into `Escalations::vias`.
    via: u32,
    /// The `target` object that ends the step's objects, by index into
    /// `Escalations::objects`; [`NO_TARGET`] when there is none (an `Option` would take
    /// eight bytes more per step).
    target: u32,
    /// As [`action::Edge::cited`].
    cited: Option<u8>,
    direct: bool,
}

impl From<Step> for action::Edge {
    /// A step whose words were written when it was found.
    fn from(s: Step) -> action::Edge {
        action::Edge {
            action: action::Action::Text(s.action.into_boxed_str()),
            via: s.via,
            cited: None,
            direct: s.direct,
        }
    }
}

#[cfg(test)]
mod tests;
