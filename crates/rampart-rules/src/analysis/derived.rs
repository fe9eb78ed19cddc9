//! Analyses that outlive one evaluation: effective permissions, the one RBAC index (updated
//! one RBAC object at a time), and the escalation graph (built on first use, dropped when
//! an object it reads changes). The inventory does not know them; changes reach both
//! through [`Derived::apply`].
//!
//! ```text
//! changes --without_held--> those that change what the inventory holds
//!         --reach_of (before)--> namespaces that read the objects now ─────────┐
//!         --track--> permissions upserted / removed, escalation graph kept or dropped
//!         --Inventory::apply--> store and indexes, where the objects are ──────┤
//!         --reach_of (after)--> namespaces that read them now ─────────────────┤
//!         --graph dropped?--> the cluster-scoped part ──────────────────────────┴─> Scope
//! ```

use crate::analysis::rbac::escalation::{Escalations, Limits, workload_targets};
use crate::analysis::rbac::permissions::{Permissions, RbacObject};
use crate::inventory::{Change, Inventory};
use crate::model::identity::ObjectRef;
use crate::model::kinds;
use crate::model::object::Object;
use crate::model::scope::{Reach, Scope};
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

/// The caches of one inventory. Use it only with the inventory whose changes it saw.
#[derive(Debug, Default, Clone)]
pub struct Derived {
    permissions: OnceLock<Permissions>,
    escalations: OnceLock<Arc<Escalations>>,
}

impl Derived {
    /// Effective permissions of every identity (see `analysis::rbac::permissions`).
    pub fn permissions(&self, inventory: &Inventory) -> &Permissions {
        self.permissions
            .get_or_init(|| Permissions::from_inventory(inventory))
    }

    /// The escalation graph with the default bounds (see
    /// `analysis::rbac::escalation`).
    pub fn escalations(&self, inventory: &Inventory) -> &Escalations {
        self.escalations.get_or_init(|| {
            Arc::new(Escalations::build(
                inventory,
                self.permissions(inventory),
                Limits::default(),
            ))
        })
    }

    /// Applies a batch of changes to `inventory` and returns the scope to evaluate again:
    /// where the objects are ([`Inventory::apply`]), where the RBAC index says they are
    /// read, before and after, and the cluster-scoped part when the batch dropped the
    /// escalation graph. Evaluating that scope and merging it into the previous evaluation
    /// gives what a full evaluation would.
    pub fn apply(&mut self, inventory: &mut Inventory, changes: Vec<Change>) -> Scope {
        // An object passed on as it is stored reaches nothing; left in, it would put where
        // RBAC reads it in the scope and drop the escalation graph (a relist of every
        // object, unchanged, evaluated everything at once).
        let changes = inventory.without_held(changes);
        let graph_before = self.escalations.get().is_some();
        let refs: Vec<ObjectRef> = changes.iter().filter_map(Change::reference).collect();
        let mut reach = Reach::default();
        let before = self.permissions(inventory);
        for r in &refs {
            before.reach_of(r, &mut reach);
        }
        // The graph reads workloads only as which of them runs as each bound
        // ServiceAccount: compared before and after in the namespaces they changed in.
        let workload_namespaces: BTreeSet<&str> = refs
            .iter()
            .filter(|r| graph_before && kinds::is_workload(&r.kind))
            .filter_map(|r| r.namespace.as_deref())
            .collect();
        let workloads_before: Vec<_> = workload_namespaces
            .iter()
            .map(|ns| workload_targets(inventory, before, ns))
            .collect();
        for change in &changes {
            match change {
                Change::Upsert(o) => self.track_upsert(o),
                Change::Delete(r) => self.track_delete(r),
            }
        }
        let applied = inventory.apply(changes);
        let after = self.permissions(inventory);
        for r in &refs {
            after.reach_of(r, &mut reach);
        }
        let workloads_moved = workload_namespaces
            .iter()
            .zip(&workloads_before)
            .any(|(ns, was)| workload_targets(inventory, after, ns) != *was);
        // A namespace that appears or disappears changes how bindings naming its
        // ServiceAccounts are judged.
        for ns in &applied.namespaces_changed {
            after.reach_of_service_accounts_in(ns, &mut reach);
        }
        if workloads_moved {
            self.escalations = OnceLock::new();
        }
        reach.merge(applied.reach);
        let mut scope = reach.into_scope();
        if !(graph_before && self.escalations.get().is_some()) {
            scope.include_cluster();
        }
        scope
    }

    /// Keeps the caches in step with an object about to replace what the inventory holds:
    /// RBAC objects update the effective permissions in place; anything else the
    /// escalation graph reads drops it, but workloads, which `apply` compares as the graph
    /// reads them (a pod more that runs as an account some workload already runs as
    /// changes no path).
    fn track_upsert(&mut self, object: &Object) {
        let rbac = match object {
            Object::Role(o) => Some(RbacObject::Role(o)),
            Object::ClusterRole(o) => Some(RbacObject::ClusterRole(o)),
            Object::RoleBinding(o) => Some(RbacObject::RoleBinding(o)),
            Object::ClusterRoleBinding(o) => Some(RbacObject::ClusterRoleBinding(o)),
            _ => None,
        };
        if let Some(o) = rbac
            && let Some(p) = self.permissions.get_mut()
        {
            p.upsert(o);
        }
        // Workloads are compared as the graph reads them, in `apply`; the graph reads
        // which Namespaces exist, but not their labels.
        let kept = match object {
            Object::Namespace(_) => true,
            other => kinds::info(other.kind())
                .is_some_and(|k| !k.escalation_input || k.pod_spec.is_some()),
        };
        if !kept {
            self.escalations = OnceLock::new();
        }
    }

    /// As [`Derived::track_upsert`], for an object about to be removed.
    fn track_delete(&mut self, r: &ObjectRef) {
        if let Some(p) = self.permissions.get_mut() {
            p.remove(r);
        }
        // Workloads are compared as the graph reads them, in `apply`.
        if kinds::info(&r.kind).is_none_or(|k| k.escalation_input && k.pod_spec.is_none()) {
            self.escalations = OnceLock::new();
        }
    }
}
