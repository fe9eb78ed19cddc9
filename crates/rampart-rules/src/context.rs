//! What a rule sees: the inventory, the settings, and which part of the cluster to judge.

use crate::encryption_state::{Assessment, assess};
use crate::escalation::Escalations;
use crate::inventory::{Inventory, Workload};
use crate::permissions::Permissions;
use crate::settings::Settings;
use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

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

pub struct Context<'a> {
    pub inventory: &'a Inventory,
    pub settings: &'a Settings,
    pub scope: &'a Scope,
    /// Each namespace's workloads, built once per evaluation: some twenty rules walk them.
    workloads: RefCell<HashMap<&'a str, Rc<[Workload<'a>]>>>,
    /// The encryption verdict, which four rules read.
    encryption: OnceCell<Assessment>,
}

impl<'a> Context<'a> {
    pub fn new(inventory: &'a Inventory, settings: &'a Settings, scope: &'a Scope) -> Self {
        Context {
            inventory,
            settings,
            scope,
            workloads: RefCell::new(HashMap::new()),
            encryption: OnceCell::new(),
        }
    }

    /// [`assess`] of this inventory, computed once per evaluation.
    pub fn encryption(&self) -> &Assessment {
        self.encryption
            .get_or_init(|| assess(self.inventory, self.settings))
    }

    /// [`Inventory::workloads_in`], shared by every rule of one evaluation.
    pub fn workloads_in(&self, ns: &'a str) -> Rc<[Workload<'a>]> {
        if let Some(w) = self.workloads.borrow().get(ns) {
            return w.clone();
        }
        let w: Rc<[Workload<'a>]> = self.inventory.workloads_in(ns).collect();
        self.workloads.borrow_mut().insert(ns, w.clone());
        w
    }

    /// Effective permissions of every identity in the inventory, kept by the inventory.
    pub fn permissions(&self) -> &'a Permissions {
        self.inventory.permissions()
    }

    /// The escalation graph, kept by the inventory until an object it reads changes.
    pub fn escalations(&self) -> &'a Escalations {
        self.inventory.escalations()
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
