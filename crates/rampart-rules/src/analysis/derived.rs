//! Analyses that outlive one evaluation: effective permissions, the one RBAC index (updated
//! one RBAC object at a time), and the escalation graph (built on first use, dropped when
//! an object it reads changes). The inventory does not know them; changes reach both
//! through [`Derived::apply`].
//!
//! ```text
//! changes --reach_of (before)--> namespaces that read the objects now ─────────┐
//!         --track--> permissions upserted / removed, escalation graph kept or dropped
//!         --Inventory::apply--> store and indexes, where the objects are ──────┤
//!         --reach_of (after)--> namespaces that read them now ─────────────────┤
//!         --graph dropped?--> the cluster-scoped part ──────────────────────────┴─> Scope
//! ```

use crate::analysis::rbac::escalation::{Escalations, Limits};
use crate::analysis::rbac::permissions::{Permissions, RbacObject};
use crate::inventory::{Change, Inventory};
use crate::model::identity::ObjectRef;
use crate::model::kinds;
use crate::model::object::Object;
use crate::model::pod::{PodSpec, PodTemplate};
use crate::model::scope::{Reach, Scope};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
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
        let graph_before = self.escalations.get().is_some();
        let refs: Vec<ObjectRef> = changes.iter().filter_map(Change::reference).collect();
        let mut reach = Reach::default();
        let before = self.permissions(inventory);
        for r in &refs {
            before.reach_of(r, &mut reach);
        }
        for change in &changes {
            match change {
                Change::Upsert(o) => self.track_upsert(inventory, o),
                Change::Delete(r) => self.track_delete(inventory, r),
            }
        }
        let applied = inventory.apply(changes);
        let after = self.permissions(inventory);
        for r in &refs {
            after.reach_of(r, &mut reach);
        }
        // A namespace that appears or disappears changes how bindings naming its
        // ServiceAccounts are judged.
        for ns in &applied.namespaces_changed {
            after.reach_of_service_accounts_in(ns, &mut reach);
        }
        reach.merge(applied.reach);
        let mut scope = reach.into_scope();
        if !(graph_before && self.escalations.get().is_some()) {
            scope.include_cluster();
        }
        scope
    }

    /// Keeps the caches in step with an object about to replace what the inventory holds:
    /// RBAC objects update the effective permissions in place; anything the escalation
    /// graph reads drops it, except a workload replaced without changing its ServiceAccount
    /// (label churn).
    fn track_upsert(&mut self, inventory: &Inventory, object: &Object) {
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
        let same_service_account = match object {
            // A pod its controller stands for is not a workload of its own: churn of a
            // ReplicaSet's pods leaves the graph as it is.
            Object::Pod(o) if inventory.is_controlled_pod(&o.metadata) => {
                let (ns, name) = ns_and_name(&o.metadata);
                let old = inventory.pod(ns, name);
                old.is_none_or(|p| inventory.is_controlled_pod(&p.metadata))
            }
            Object::Pod(o) => {
                let (ns, name) = ns_and_name(&o.metadata);
                let old = inventory.pod(ns, name).and_then(|p| p.spec.as_ref());
                old.is_some() && pod_sa(old) == pod_sa(o.spec.as_ref())
            }
            Object::Deployment(o) => {
                let (ns, name) = ns_and_name(&o.metadata);
                let old = inventory.deployment(ns, name);
                old.is_some_and(|d| {
                    template_sa(d.template.as_ref()) == template_sa(o.template.as_ref())
                })
            }
            // The graph reads which namespaces exist, but not their labels.
            Object::Namespace(_) => true,
            other => kinds::info(other.kind()).is_some_and(|k| !k.escalation_input),
        };
        if !same_service_account {
            self.escalations = OnceLock::new();
        }
    }

    /// As [`Derived::track_upsert`], for an object about to be removed.
    fn track_delete(&mut self, inventory: &Inventory, r: &ObjectRef) {
        if let Some(p) = self.permissions.get_mut() {
            p.remove(r);
        }
        let controlled_pod = r.kind == "Pod"
            && inventory
                .pod(r.namespace.as_deref().unwrap_or(""), &r.name)
                .is_some_and(|p| inventory.is_controlled_pod(&p.metadata));
        if !controlled_pod && kinds::info(&r.kind).is_none_or(|k| k.escalation_input) {
            self.escalations = OnceLock::new();
        }
    }
}

fn ns_and_name(meta: &ObjectMeta) -> (&str, &str) {
    (
        meta.namespace.as_deref().unwrap_or(""),
        meta.name.as_deref().unwrap_or(""),
    )
}

fn pod_sa(spec: Option<&PodSpec>) -> Option<&str> {
    spec.and_then(|s| s.service_account_name.as_deref())
}

fn template_sa(t: Option<&PodTemplate>) -> Option<&str> {
    pod_sa(t.and_then(|t| t.spec.as_ref()))
}
