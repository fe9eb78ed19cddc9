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
    /// The cluster-scoped part alone: what a full evaluation judges before any namespace.
    pub fn cluster_part() -> Scope {
        Scope::Only {
            namespaces: BTreeSet::new(),
            cluster: true,
        }
    }

    /// These namespaces alone, without the cluster-scoped part: one part of a full
    /// evaluation taken a few namespaces at a time.
    pub fn namespaces_only<'a>(names: impl IntoIterator<Item = &'a str>) -> Scope {
        Scope::Only {
            namespaces: names.into_iter().map(str::to_owned).collect(),
            cluster: false,
        }
    }

    /// Adds the cluster-scoped part.
    pub fn include_cluster(&mut self) {
        if let Scope::Only { cluster, .. } = self {
            *cluster = true;
        }
    }

    /// Adds what `other` covers.
    pub fn extend(&mut self, other: Scope) {
        match (&mut *self, other) {
            (Scope::All, _) => {}
            (this, Scope::All) => *this = Scope::All,
            (
                Scope::Only {
                    namespaces,
                    cluster,
                },
                Scope::Only {
                    namespaces: more,
                    cluster: also,
                },
            ) => {
                namespaces.extend(more);
                *cluster |= also;
            }
        }
    }

    /// Adds namespace `ns`.
    pub fn include_namespace(&mut self, ns: &str) {
        if let Scope::Only { namespaces, .. } = self {
            namespaces.insert(ns.to_owned());
        }
    }
}

/// The part of the cluster a batch of changes reaches, gathered while the batch is applied:
/// the inventory adds where the objects are, the RBAC index where they are read.
#[derive(Debug, Default)]
pub struct Reach {
    /// A binding to a group every identity is in reaches every namespace.
    pub all: bool,
    /// Whether the cluster-scoped part (ClusterRoles, ClusterRoleBindings, encryption,
    /// escalation paths) must be judged again.
    pub cluster: bool,
    namespaces: BTreeSet<String>,
}

impl Reach {
    pub fn add(&mut self, ns: &str) {
        if !ns.is_empty() && !self.namespaces.contains(ns) {
            self.namespaces.insert(ns.to_owned());
        }
    }

    /// Adds what another part of the batch reached.
    pub fn merge(&mut self, other: Reach) {
        self.all |= other.all;
        self.cluster |= other.cluster;
        if self.namespaces.is_empty() {
            self.namespaces = other.namespaces;
        } else {
            self.namespaces.extend(other.namespaces);
        }
    }

    pub fn into_scope(self) -> Scope {
        if self.all {
            Scope::All
        } else {
            Scope::Only {
                namespaces: self.namespaces,
                cluster: self.cluster,
            }
        }
    }
}
