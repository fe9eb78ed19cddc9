//! Incremental updates: a batch of watch events applied to a live inventory, the derived
//! indexes brought up to date for what the batch touched, and where the objects of the
//! batch are.
//!
//! ```text
//! changes --apply---> maps, stale indexes --> Applied { reach: the objects' namespaces,
//!                                                       namespaces that came or went }
//! ```
//! An object reaches more than its own namespace when a rule elsewhere reads it (a binding
//! judges the ServiceAccounts it names); the RBAC index knows those readers and adds them
//! (`analysis::derived`). The cluster-scoped part is in the reach whenever a batch holds an
//! object cluster-scoped findings read: it is a few milliseconds even on large clusters,
//! and escalation-style rules read every namespace.

use super::Inventory;
use crate::model::identity::ObjectRef;
use crate::model::kinds;
use crate::model::object::Object;
use crate::model::object::reference_of;
use crate::model::scope::Reach;
use std::collections::BTreeSet;

/// One watch event, as the inventory needs it.
#[derive(Debug, Clone)]
pub enum Change {
    /// Created or modified: the object as it is now.
    Upsert(Box<Object>),
    /// Deleted.
    Delete(ObjectRef),
}

impl Change {
    /// The object the change is about; `None` for evidence without identity (an
    /// EncryptionConfiguration read from a file).
    pub fn reference(&self) -> Option<ObjectRef> {
        match self {
            Change::Upsert(o) => reference_of(o),
            Change::Delete(r) => Some(r.clone()),
        }
    }
}

/// Whether a change to the object can change cluster-scoped findings by itself (the
/// escalation graph's dependence on workloads is checked separately).
fn changes_cluster_findings(r: &ObjectRef) -> bool {
    // Control-plane pods in kube-system are evidence (encryption, the control plane).
    kinds::info(&r.kind).is_none_or(|k| k.cluster_findings)
        || r.namespace.as_deref() == Some("kube-system")
}

/// Derived indexes a batch made stale.
#[derive(Debug, Default)]
struct Stale {
    control_plane: bool,
    workloads: BTreeSet<String>,
    namespaces: BTreeSet<String>,
}

impl Stale {
    fn note(&mut self, r: &ObjectRef) {
        let ns = r.namespace.as_deref().unwrap_or("");
        if r.kind == "Namespace" {
            self.namespaces.insert(r.name.clone());
        }
        if kinds::is_workload(&r.kind) {
            self.workloads.insert(ns.to_owned());
            if r.kind == "Pod" && ns == "kube-system" {
                self.control_plane = true;
            }
        }
        if !ns.is_empty() {
            self.namespaces.insert(ns.to_owned());
        }
    }
}

/// What applying a batch found out about where its effects reach.
#[derive(Debug, Default)]
pub struct Applied {
    /// The namespaces the objects are in, before and after, and the cluster-scoped part
    /// when the batch holds an object cluster-scoped findings read.
    pub reach: Reach,
    /// Namespaces that appeared or disappeared: bindings naming their ServiceAccounts are
    /// judged differently.
    pub namespaces_changed: Vec<String>,
}

impl Inventory {
    /// The changes of a batch that would change something: an upsert of an object stored
    /// as it is (a pod's status update, an object a relist passes on again) is left out,
    /// so that nothing downstream (where RBAC reads it, the escalation graph) sees it.
    /// Only while no earlier change of the batch touched the object: after one, the store
    /// no longer shows what the upsert would replace.
    pub fn without_held(&self, changes: Vec<Change>) -> Vec<Change> {
        let mut touched = BTreeSet::new();
        changes
            .into_iter()
            .filter(|change| {
                let Some(r) = change.reference() else {
                    return true;
                };
                let first = touched.insert(r);
                let held = matches!(change, Change::Upsert(o) if self.store.holds(o));
                !(first && held)
            })
            .collect()
    }

    /// Applies a batch of changes and says where they reach (see [`Applied`]).
    pub fn apply(&mut self, changes: Vec<Change>) -> Applied {
        let mut reach = Reach::default();
        let mut stale = Stale::default();
        for change in changes {
            // An update that leaves what the rules read as it was (a pod's or a Node's
            // status) reaches nothing: a pass costs what its changes change.
            if let Change::Upsert(o) = &change
                && self.store.holds(o)
            {
                continue;
            }
            let r = change.reference();
            match change {
                Change::Upsert(o) => self.insert(*o, None),
                Change::Delete(r) => {
                    self.remove(&r);
                }
            }
            match &r {
                Some(r) => {
                    place_of(r, &mut reach);
                    // The cluster-scoped part reads RBAC, Namespaces, ServiceAccounts,
                    // Secrets, Nodes and the API server's evidence; the escalation graph
                    // also reads workloads, which `analysis::derived` adds when the batch
                    // dropped the graph. Skipping the part matters on large clusters,
                    // where escalation paths are thousands of findings.
                    reach.cluster |= changes_cluster_findings(r);
                    stale.note(r);
                }
                // An object without a reference (an EncryptionConfiguration) is cluster
                // evidence.
                None => reach.cluster = true,
            }
        }
        let known_before: Vec<bool> = stale
            .namespaces
            .iter()
            .map(|ns| self.index.namespaces.contains(ns))
            .collect();
        self.refresh(&stale);
        let mut namespaces_changed = Vec::new();
        for (ns, before) in stale.namespaces.iter().zip(known_before) {
            if before != self.index.namespaces.contains(ns) {
                namespaces_changed.push(ns.clone());
                reach.cluster = true;
            }
        }
        Applied {
            reach,
            namespaces_changed,
        }
    }

    /// Whether the derived indexes equal a full rebuild's: what incremental updates must
    /// keep true. Costs a full reindex; for tests and debugging.
    pub fn index_is_consistent(&self) -> bool {
        let mut rebuilt = self.clone();
        rebuilt.reindex();
        rebuilt.index == self.index
    }

    fn refresh(&mut self, stale: &Stale) {
        if stale.control_plane {
            self.index.control_plane = self.find_control_plane();
        }
        for ns in &stale.workloads {
            let w = self.workloads_of(ns);
            if w.is_empty() {
                self.index.workloads.remove(ns);
            } else {
                self.index.workloads.insert(ns.clone(), w);
            }
        }
        for ns in &stale.namespaces {
            if self.store.namespaces.contains_key(ns) || self.store.has_objects_in(ns) {
                self.index.namespaces.insert(ns.clone());
            } else {
                self.index.namespaces.remove(ns);
            }
        }
    }
}

/// Where an object is: its namespace, the namespace a Namespace object names, and for
/// cluster-wide encryption evidence the API server pods it judges.
fn place_of(r: &ObjectRef, reach: &mut Reach) {
    if let Some(ns) = &r.namespace {
        reach.add(ns);
    }
    match r.kind.as_str() {
        "ApiServerMetrics" | "ApiServerProbe" | "EncryptionConfiguration" => {
            reach.add("kube-system")
        }
        "Namespace" => reach.add(&r.name),
        _ => {}
    }
}
