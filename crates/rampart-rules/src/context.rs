//! What a rule sees: the inventory, the settings, and which part of the cluster to judge.

use crate::escalation::{Escalations, Limits};
use crate::inventory::Inventory;
use crate::permissions::Permissions;
use crate::settings::Settings;
use std::collections::BTreeSet;
use std::sync::OnceLock;

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

pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
    pub scope: &'a Scope,
    /// Computed on first use and shared by the rules of one evaluation.
    permissions: OnceLock<Permissions>,
    escalations: OnceLock<Escalations>,
}

impl<'a> Context<'a> {
    pub fn new(inventory: &'a Inventory, settings: &'a Settings, scope: &'a Scope) -> Self {
        Context {
            inventory,
            settings,
            scope,
            permissions: OnceLock::new(),
            escalations: OnceLock::new(),
        }
    }

    /// Effective permissions of every identity in the inventory.
    pub fn permissions(&self) -> &Permissions {
        self.permissions
            .get_or_init(|| Permissions::from_inventory(self.inventory))
    }

    /// The escalation graph, searched with the default bounds.
    pub fn escalations(&self) -> &Escalations {
        self.escalations.get_or_init(|| {
            Escalations::build(self.inventory, self.permissions(), Limits::default())
        })
    }

    /// Whether cluster-scoped objects (ClusterRoles, ClusterRoleBindings, Namespaces,
    /// encryption) are judged in this evaluation.
    pub fn cluster_in_scope(&self) -> bool {
        match self.scope {
            Scope::All => true,
            Scope::Only { cluster, .. } => *cluster,
        }
    }

    pub fn namespace_in_scope(&self, ns: &str) -> bool {
        match self.scope {
            Scope::All => true,
            Scope::Only { namespaces, .. } => namespaces.contains(ns),
        }
    }

    /// Namespaces to judge: every known one, or those in scope.
    pub fn namespaces(&self) -> Box<dyn Iterator<Item = &'a str> + 'a> {
        match self.scope {
            Scope::All => Box::new(self.inventory.namespace_names()),
            Scope::Only { namespaces, .. } => {
                let inv = self.inventory;
                Box::new(
                    namespaces
                        .iter()
                        .map(String::as_str)
                        .filter(move |ns| inv.has_namespace(ns)),
                )
            }
        }
    }
}
