//! Object metadata as the engine keeps it for the kinds it holds by the tens of thousands
//! (pods, the controllers of their templates, Secrets, ConfigMaps), and for Nodes.
//!
//! A `k8s-openapi` `ObjectMeta` is about 340 bytes inline, and its labels and annotations
//! are B-trees whose first node holds eleven entries whatever the count: a pod with three
//! labels carried over 900 bytes of metadata before a single string. [`Meta`] keeps what
//! the rules read — name, namespace, labels, the few annotations some rule reads and the
//! controller — in 72 bytes, with label and annotation keys and values taken from the
//! shared pool (a Deployment's pods repeat the same few).
//!
//! [`Metadata`] is what code that handles objects of every kind reads, whichever of the
//! two an object keeps.

use crate::model::interned::Interner;
use crate::model::shared::Shared;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::sync::{Arc, LazyLock};

/// The annotations some rule reads. Every other is dropped as the object arrives: real
/// clusters hang kilobytes of them on pods and controllers (a service mesh's sidecar
/// status, a CNI's addresses, a chart's release, `kubectl apply`'s copy of the whole
/// object), and a rule that reads one more annotation adds it here.
pub mod annotation {
    /// Which ServiceAccount a legacy token Secret belongs to.
    pub const SERVICE_ACCOUNT_NAME: &str = "kubernetes.io/service-account.name";
    /// A static pod's mirror in the API server (the kubelet sets it).
    pub const MIRROR_POD: &str = "kubernetes.io/config.mirror";
    /// A container's AppArmor profile, the way before the `appArmorProfile` field.
    pub const APPARMOR_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

    /// Whether a rule reads annotation `key`.
    pub fn read(key: &str) -> bool {
        key == SERVICE_ACCOUNT_NAME || key == MIRROR_POD || key.starts_with(APPARMOR_PREFIX)
    }
}

/// Labels or annotations, sorted by key; shared with every object that has the same (the
/// pods of one controller carry the same labels, and most objects none at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairs(Arc<[(Shared, Shared)]>);

static PAIR_LISTS: LazyLock<Interner<[(Shared, Shared)]>> = LazyLock::new(Interner::new);

impl Default for Pairs {
    fn default() -> Pairs {
        Pairs(PAIR_LISTS.intern(Arc::from([])))
    }
}

impl Pairs {
    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }

    /// Every pair, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Pairs {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Pairs {
        let mut v: Vec<(Shared, Shared)> = pairs
            .into_iter()
            .map(|(k, v)| (Shared::new(k.as_ref()), Shared::new(v.as_ref())))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.dedup_by(|a, b| a.0 == b.0);
        Pairs(PAIR_LISTS.intern(Arc::from(v)))
    }
}

/// The object that controls this one (its owner reference with `controller: true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Controller {
    pub kind: Shared,
    pub name: Box<str>,
}

/// What the rules read of an object's metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub name: Box<str>,
    pub namespace: Option<Shared>,
    pub labels: Pairs,
    /// The annotations some rule reads ([`annotation::read`]).
    pub annotations: Pairs,
    pub controller: Option<Box<Controller>>,
}

impl From<ObjectMeta> for Meta {
    fn from(m: ObjectMeta) -> Meta {
        let controller = m
            .owner_references
            .into_iter()
            .flatten()
            .find(|o| o.controller == Some(true))
            .map(|o| {
                Box::new(Controller {
                    kind: Shared::new(&o.kind),
                    name: o.name.into(),
                })
            });
        Meta {
            name: m.name.unwrap_or_default().into(),
            namespace: m.namespace.as_deref().map(Shared::new),
            labels: m.labels.into_iter().flatten().collect(),
            annotations: m
                .annotations
                .into_iter()
                .flatten()
                .filter(|(k, _)| annotation::read(k))
                .collect(),
            controller,
        }
    }
}

/// Name and namespace, whichever way an object keeps its metadata.
pub trait Metadata {
    fn name(&self) -> &str;
    /// `None` for a cluster-scoped object (or a manifest that names none).
    fn namespace(&self) -> Option<&str>;
    fn set_namespace(&mut self, namespace: Option<&str>);
    /// The value of label `key`, if set.
    fn label(&self, key: &str) -> Option<&str>;
    /// Drops what no rule reads; metadata kept as [`Meta`] has nothing more to drop.
    fn prune(&mut self) {}
}

impl Metadata for Meta {
    fn name(&self) -> &str {
        &self.name
    }

    fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    fn set_namespace(&mut self, namespace: Option<&str>) {
        self.namespace = namespace.map(Shared::new);
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key)
    }
}

impl Metadata for ObjectMeta {
    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    fn set_namespace(&mut self, namespace: Option<&str>) {
        self.namespace = namespace.map(str::to_owned);
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.labels.as_ref()?.get(key).map(String::as_str)
    }

    /// Drops managed fields and the annotations no rule reads (the last-applied copy among
    /// them: each can be as large as the object), the uid, resourceVersion, generateName,
    /// finalizers and selfLink; owner references keep only the controller's kind and name,
    /// which tell whether an object is its controller's.
    fn prune(&mut self) {
        self.managed_fields = None;
        self.uid = None;
        self.resource_version = None;
        self.generate_name = None;
        self.finalizers = None;
        self.self_link = None;
        if let Some(a) = self.annotations.as_mut() {
            a.retain(|k, _| annotation::read(k));
            if a.is_empty() {
                self.annotations = None;
            }
        }
        if let Some(owners) = self.owner_references.as_mut() {
            owners.retain(|o| o.controller == Some(true));
            for o in owners.iter_mut() {
                o.api_version = String::new();
                o.uid = String::new();
                o.block_owner_deletion = None;
            }
            if owners.is_empty() {
                self.owner_references = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
    use std::collections::BTreeMap;

    const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

    fn map(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn keeps_what_rules_read_and_drops_the_annotations_none_reads() {
        let owner = |kind: &str, name: &str, controller| OwnerReference {
            api_version: "apps/v1".into(),
            kind: kind.into(),
            name: name.into(),
            uid: "u".into(),
            controller,
            block_owner_deletion: None,
        };
        let meta = Meta::from(ObjectMeta {
            name: Some("web-1".into()),
            namespace: Some("shop".into()),
            labels: map(&[("tier", "front"), ("app", "web")]),
            annotations: map(&[
                (LAST_APPLIED, "{...}"),
                ("note", "x"),
                ("sidecar.istio.io/status", "{...}"),
                (
                    "container.apparmor.security.beta.kubernetes.io/app",
                    "unconfined",
                ),
                ("kubernetes.io/config.mirror", "abc"),
                ("kubernetes.io/service-account.name", "deployer"),
                ("kubernetes.io/service-account.uid", "u"),
            ]),
            owner_references: Some(vec![
                owner("Deployment", "other", None),
                owner("ReplicaSet", "web", Some(true)),
            ]),
            uid: Some("uid".into()),
            ..ObjectMeta::default()
        });
        assert_eq!(meta.name(), "web-1");
        assert_eq!(Metadata::namespace(&meta), Some("shop"));
        assert_eq!(
            meta.labels.iter().collect::<Vec<_>>(),
            [("app", "web"), ("tier", "front")]
        );
        assert_eq!(meta.labels.get("tier"), Some("front"));
        assert_eq!(meta.labels.get("zone"), None);
        assert_eq!(
            meta.annotations.iter().collect::<Vec<_>>(),
            [
                (
                    "container.apparmor.security.beta.kubernetes.io/app",
                    "unconfined"
                ),
                ("kubernetes.io/config.mirror", "abc"),
                ("kubernetes.io/service-account.name", "deployer"),
            ]
        );
        let c = meta
            .controller
            .as_deref()
            .map(|c| (c.kind.as_str(), &*c.name));
        assert_eq!(c, Some(("ReplicaSet", "web")));
    }

    #[test]
    fn pruning_object_metadata_keeps_only_the_controller_reference() {
        let mut m = ObjectMeta {
            name: Some("r".into()),
            annotations: map(&[(LAST_APPLIED, "{...}"), ("note", "x")]),
            uid: Some("uid".into()),
            owner_references: Some(vec![OwnerReference {
                kind: "Deployment".into(),
                name: "web".into(),
                uid: "u".into(),
                api_version: "apps/v1".into(),
                controller: None,
                block_owner_deletion: None,
            }]),
            ..ObjectMeta::default()
        };
        m.prune();
        assert_eq!(m.annotations, None);
        assert_eq!(m.uid, None);
        assert_eq!(m.owner_references, None);
        assert_eq!(m.name(), "r");
    }

    #[test]
    fn equal_labels_are_held_once() {
        let a: Pairs = [("app", "web"), ("tier", "front")].into_iter().collect();
        let b: Pairs = [("tier", "front"), ("app", "web")].into_iter().collect();
        let c: Pairs = [("app", "api")].into_iter().collect();
        assert!(Arc::ptr_eq(&a.0, &b.0), "the same pairs in another order");
        assert!(!Arc::ptr_eq(&a.0, &c.0));
        assert!(Arc::ptr_eq(&Pairs::default().0, &Pairs::default().0));
        assert_eq!(c.get("app"), Some("api"));
    }

    #[test]
    fn metadata_is_small() {
        assert!(size_of::<Meta>() <= 72, "{}", size_of::<Meta>());
    }
}
