//! What a rule sees: the inventory, the settings, and which part of the cluster to judge.

use crate::analysis::control_plane::{self, ControlPlane};
use crate::analysis::derived::Derived;
use crate::analysis::encryption::{Assessment, assess};
use crate::analysis::pod_security::{Control, Violation, violation};
use crate::analysis::rbac::escalation::Escalations;
use crate::analysis::rbac::permissions::Permissions;
use crate::engine::settings::Settings;
use crate::inventory::{Binding, Inventory, Workload};
use crate::model::identity::{RoleKey, Subject, SubjectKey};
use crate::model::pod::PodSpec;
use crate::model::scope::Scope;
use k8s_openapi::api::rbac::v1::PolicyRule;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// A Pod Security control's verdict on a pod spec: `None` when it passes.
type Verdict = Option<Rc<Violation>>;

pub struct Context<'a> {
    pub inventory: &'a Inventory,
    derived: &'a Derived,
    pub settings: &'a Settings,
    pub scope: &'a Scope,
    /// Each namespace's workloads, built once per evaluation: some twenty rules walk them.
    workloads: RefCell<HashMap<&'a str, Rc<[Workload<'a>]>>>,
    /// Pod Security verdicts by control and pod spec: some twenty rules ask them of every
    /// workload, and the pods of one ReplicaSet share one spec (the inventory holds
    /// equal specs once, so the address tells them).
    violations: RefCell<HashMap<(Control, *const PodSpec), Verdict>>,
    /// The encryption verdict, which four rules read.
    encryption: OnceCell<Assessment>,
    /// The control plane's verdicts, which the version and anonymous-access rules read.
    control_plane: OnceCell<ControlPlane>,
}

impl<'a> Context<'a> {
    pub fn new(
        inventory: &'a Inventory,
        derived: &'a Derived,
        settings: &'a Settings,
        scope: &'a Scope,
    ) -> Self {
        Context {
            inventory,
            derived,
            settings,
            scope,
            workloads: RefCell::new(HashMap::new()),
            violations: RefCell::new(HashMap::new()),
            encryption: OnceCell::new(),
            control_plane: OnceCell::new(),
        }
    }

    /// [`control_plane::assess`] of this inventory, computed once per evaluation.
    pub fn control_plane(&self) -> &ControlPlane {
        self.control_plane.get_or_init(|| {
            control_plane::assess(
                self.inventory,
                self.settings.today,
                self.settings.declared_control_plane.as_ref(),
            )
        })
    }

    /// [`assess`] of this inventory, computed once per evaluation.
    pub fn encryption(&self) -> &Assessment {
        self.encryption
            .get_or_init(|| assess(self.inventory, self.settings.declared_encryption.as_ref()))
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

    /// [`violation`] of one control by a workload, computed once per pod spec.
    pub fn violation(&self, control: Control, w: &Workload<'a>) -> Option<Rc<Violation>> {
        if control.reads_metadata() {
            return violation(control, w.pod_metadata, w.spec).map(Rc::new);
        }
        let key = (control, std::ptr::from_ref(w.spec));
        if let Some(v) = self.violations.borrow().get(&key) {
            return v.clone();
        }
        let v = violation(control, None, w.spec).map(Rc::new);
        self.violations.borrow_mut().insert(key, v.clone());
        v
    }

    /// Effective permissions of every identity in the inventory, kept across evaluations.
    pub fn permissions(&self) -> &'a Permissions {
        self.derived.permissions(self.inventory)
    }

    /// Bindings that name a subject directly (not through its groups); a ServiceAccount is
    /// also named by its user name, as the authorizer reads it.
    pub fn bindings_of(&self, subject: &Subject) -> impl Iterator<Item = Binding<'a>> + use<'a> {
        let inventory = self.inventory;
        self.permissions()
            .bindings_naming(&SubjectKey::from_subject(subject))
            .filter_map(move |id| inventory.binding(&id))
    }

    /// Bindings that refer to a role.
    pub fn bindings_to(&self, role: &RoleKey) -> impl Iterator<Item = Binding<'a>> + use<'a> {
        let inventory = self.inventory;
        self.permissions()
            .bindings_to(role)
            .filter_map(move |id| inventory.binding(id))
    }

    /// Effective rules of a role, aggregation resolved; `None` if it does not exist.
    pub fn role_rules(&self, role: &RoleKey) -> Option<&'a [PolicyRule]> {
        self.permissions().role_rules(role)
    }

    /// Whether the input shows a namespace's ServiceAccounts, so that one missing from it
    /// does not exist: the Namespace object or at least one of its ServiceAccounts is
    /// present (a live cluster shows them all; a manifest may hold only some namespaces).
    pub fn knows_service_accounts(&self, ns: &str) -> bool {
        self.inventory.namespace(ns).is_some()
            || self.inventory.service_accounts_in(ns).next().is_some()
    }

    /// The escalation graph, kept across evaluations until an object it reads changes.
    pub fn escalations(&self) -> &'a Escalations {
        self.derived.escalations(self.inventory)
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
