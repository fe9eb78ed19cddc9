//! What a step does, kept as what it takes to put it in words.
//!
//! A large cluster's graph holds hundreds of thousands of steps to ServiceAccounts, and
//! their words ("create pods in namespace ci that run as ServiceAccount ci/build (granted
//! by RoleBinding ci/dev -> ClusterRole edit)") repeat what the step already keeps: the
//! ServiceAccount it leads to and the binding and role it cites. Such steps keep their
//! kind alone and are put in words only when a finding shows their path; the few steps
//! whose words say more (to cluster-admin, impersonation) keep them.

use super::Node;
use super::grants::grant_words;
use crate::model::identity::{ObjectRef, Subject};
use crate::model::shared::Shared;

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Action {
    /// Put in words when found.
    Text(Box<str>),
    /// Create `resource` (pods or a pod controller) that run as the ServiceAccount.
    RunAs { resource: Shared },
    /// Bind cluster-admin in the ServiceAccount's namespace, then run pods as it.
    BindClusterAdmin,
    /// `verb` the ServiceAccount itself: "create a token for", "impersonate".
    ActOn(&'static str),
    /// Read the legacy token Secret the step names as its target.
    ReadTokenSecret,
    /// Exec through the kubelet API into the workload the step names as its target.
    KubeletExec,
}

/// A step as the edge families find it.
#[derive(Debug)]
pub(super) struct Edge {
    pub(super) action: Action,
    pub(super) via: Vec<(&'static str, ObjectRef)>,
    /// Where in `via` the binding whose grant the words cite is (its role follows it);
    /// `None` when the grant comes from membership of `system:masters`.
    pub(super) cited: Option<usize>,
    pub(super) direct: bool,
}

impl Action {
    /// The step's words. `to` is the node it leads to; `via` its objects, `cited` as in
    /// [`Edge`].
    pub(super) fn render(
        &self,
        to: &Node,
        via: &[(&str, &ObjectRef)],
        cited: Option<usize>,
    ) -> String {
        let (ns, sa) = match to {
            Node::Identity(Subject::ServiceAccount { namespace, name }) => {
                (namespace.as_str(), name.as_str())
            }
            _ => ("", ""),
        };
        let granted = grant_words(cited.and_then(|i| Some((via.get(i)?.1, via.get(i + 1)?.1))));
        let target = || {
            via.iter()
                .rev()
                .find(|(rel, _)| *rel == "target")
                .map(|(_, o)| *o)
        };
        match self {
            Action::Text(t) => t.to_string(),
            Action::RunAs { resource } => format!(
                "create {resource} in namespace {ns} that run as ServiceAccount {ns}/{sa} ({granted})"
            ),
            Action::BindClusterAdmin => format!(
                "bind ClusterRole cluster-admin to itself in namespace {ns} ({granted}), then run pods as ServiceAccount {ns}/{sa}"
            ),
            Action::ActOn(verb) => format!("{verb} ServiceAccount {ns}/{sa} ({granted})"),
            Action::ReadTokenSecret => format!(
                "read the legacy token Secret {ns}/{} of ServiceAccount {ns}/{sa} ({granted})",
                target().map_or("", |o| o.name.as_str())
            ),
            Action::KubeletExec => {
                let workload = target().map(ToString::to_string).unwrap_or_default();
                format!(
                    "exec through the kubelet API (nodes/proxy, {granted}) into {workload}, which runs as ServiceAccount {ns}/{sa}"
                )
            }
        }
    }
}
