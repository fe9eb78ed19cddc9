//! Which part of the cluster a change reaches and an evaluation covers.

use std::collections::BTreeSet;

/// The part of the cluster an evaluation covers. The operator re-evaluates only the
/// namespaces a change touched; cluster-scoped rules run when `cluster` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Scope {
    #[default]
    All,
    Only {
        namespaces: BTreeSet<String>,
        cluster: bool,
    },
}

impl Scope {
    /// Whether findings about an object in `namespace` (`None`: cluster-scoped) belong to
    /// this scope.
    pub fn covers(&self, namespace: Option<&str>) -> bool {
        match (self, namespace) {
            (Scope::All, _) => true,
            (Scope::Only { cluster, .. }, None) => *cluster,
            (Scope::Only { namespaces, .. }, Some(ns)) => namespaces.contains(ns),
        }
    }
}

impl Scope {
    /// Adds the cluster-scoped part.
    pub fn include_cluster(&mut self) {
        if let Scope::Only { cluster, .. } = self {
            *cluster = true;
        }
    }
}
