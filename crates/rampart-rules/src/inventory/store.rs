//! The maps objects are kept in, one per Kubernetes kind, generated from the rows of
//! `model::kinds::kubernetes_kinds!`: insertion, removal, counts, metadata and the
//! namespaces objects live in are derived from the list, never spelled out per kind.

use super::{Namespaced, in_ns, key};
use crate::model::kinds::kubernetes_kinds;
use crate::model::meta::Metadata;
use crate::model::object::Object;
use std::collections::BTreeMap;

/// What differs between a cluster-scoped and a namespaced kind: the map, its key, and
/// whether objects live in namespaces. Objects are boxed: a B-tree node holds eleven
/// values inline and is often half empty (keys arrive sorted), and a pod is hundreds of
/// bytes, so unboxed the empty half cost more than a box per object.
macro_rules! scoped {
    (map cluster $ty:ty) => { BTreeMap<String, Box<$ty>> };
    (map namespaced $ty:ty) => { Namespaced<Box<$ty>> };
    (key cluster $meta:expr) => { $meta.name().to_owned() };
    (key namespaced $meta:expr) => { key($meta) };
    (lookup cluster $ns:expr, $name:expr) => { $name.to_owned() };
    (lookup namespaced $ns:expr, $name:expr) => { ($ns.to_owned(), $name.to_owned()) };
    (namespaces cluster $map:expr, $f:expr) => {};
    (namespaces namespaced $map:expr, $f:expr) => { namespaces_of(&$map).for_each(&mut $f) };
    (namespaced cluster) => { false };
    (namespaced namespaced) => { true };
    (any_in cluster $map:expr, $ns:expr) => { false };
    (any_in namespaced $map:expr, $ns:expr) => { in_ns(&$map, $ns).next().is_some() };
}

macro_rules! stored_kinds {
    ($($variant:ident: $api:ty => $ty:ty, $scope:ident $field:ident;)*) => {
        /// Objects by kind, keyed by name (cluster-scoped) or (namespace, name).
        #[derive(Debug, Default, Clone)]
        pub(super) struct Store {
            $(pub(super) $field: scoped!(map $scope $ty),)*
        }

        impl Store {
            /// The kinds kept here, and whether each is namespaced.
            #[cfg(test)]
            const KINDS: &[(&str, bool)] = &[$((stringify!($variant), scoped!(namespaced $scope)),)*];

            /// Stores an object of a kind kept here, or hands back any other.
            pub(super) fn insert(&mut self, object: Object) -> Option<Object> {
                match object {
                    $(Object::$variant(o) => {
                        self.$field.insert(scoped!(key $scope &o.metadata), Box::new(o));
                        None
                    })*
                    other => Some(other),
                }
            }

            /// Removes an object; `None` when the kind is not kept here.
            pub(super) fn remove(&mut self, kind: &str, ns: &str, name: &str) -> Option<bool> {
                match kind {
                    $(stringify!($variant) => Some(
                        self.$field.remove(&scoped!(lookup $scope ns, name)).is_some()
                    ),)*
                    _ => None,
                }
            }

            /// Metadata of every object of a kind; empty for kinds not kept here.
            pub(super) fn metadata_of_kind(&self, kind: &str) -> Vec<&dyn Metadata> {
                match kind {
                    $(stringify!($variant) => {
                        self.$field.values().map(|o| &o.metadata as &dyn Metadata).collect()
                    })*
                    _ => Vec::new(),
                }
            }

            /// Metadata of one object; `None` when it is not here (or its kind is not
            /// kept here).
            pub(super) fn metadata_of(&self, kind: &str, ns: &str, name: &str) -> Option<&dyn Metadata> {
                match kind {
                    $(stringify!($variant) => self
                        .$field
                        .get(&scoped!(lookup $scope ns, name))
                        .map(|o| &o.metadata as &dyn Metadata),)*
                    _ => None,
                }
            }

            /// How many objects of each kind, in the order of the list.
            pub(super) fn counts(&self) -> impl Iterator<Item = (&'static str, usize)> {
                [$((stringify!($variant), self.$field.len()),)*].into_iter()
            }

            /// Calls `f` with the namespaces objects live in, once per kind that has
            /// objects there.
            pub(super) fn each_namespace(&self, mut f: impl FnMut(&str)) {
                $(scoped!(namespaces $scope self.$field, f);)*
            }

            /// Whether any object lives in namespace `ns`.
            pub(super) fn has_objects_in(&self, ns: &str) -> bool {
                $(scoped!(any_in $scope self.$field, ns) ||)* false
            }
        }
    };
}

kubernetes_kinds!(stored_kinds);

/// The distinct namespaces of a namespaced map. Keys are sorted by namespace, so each is
/// compared with the last one instead of hashed.
pub(super) fn namespaces_of<T>(map: &Namespaced<T>) -> impl Iterator<Item = &str> {
    let mut last: Option<&str> = None;
    map.keys().filter_map(move |(ns, _)| {
        let new = last != Some(ns.as_str());
        last = Some(ns);
        new.then_some(ns.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kinds::KINDS;

    #[test]
    fn the_store_keeps_every_served_kind_under_the_scope_of_the_table() {
        let table: Vec<(&str, bool)> = KINDS
            .iter()
            .filter(|k| k.served())
            .map(|k| (k.kind, k.namespaced))
            .collect();
        assert_eq!(Store::KINDS, table.as_slice());
    }
}
