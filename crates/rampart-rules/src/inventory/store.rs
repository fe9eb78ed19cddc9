//! The maps objects are kept in, one per Kubernetes kind, generated from the rows of
//! `model::kinds::kubernetes_kinds!`: insertion, removal, counts, metadata and the
//! namespaces objects live in are derived from the list, never spelled out per kind.

use super::Namespaced;
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
    (insert cluster $map:expr, $meta:expr, $o:expr) => {{
        let name = $meta.name().to_owned();
        $map.insert(name, $o);
    }};
    (insert namespaced $map:expr, $meta:expr, $o:expr) => {{
        let ns = $meta.namespace().unwrap_or_default().to_owned();
        let name: Box<str> = $meta.name().into();
        $map.insert(&ns, name, $o)
    }};
    (remove cluster $map:expr, $ns:expr, $name:expr) => { $map.remove($name) };
    (remove namespaced $map:expr, $ns:expr, $name:expr) => { $map.remove($ns, $name) };
    (get cluster $map:expr, $ns:expr, $name:expr) => { $map.get($name) };
    (get namespaced $map:expr, $ns:expr, $name:expr) => { $map.get($ns, $name) };
    (namespaces cluster $map:expr, $f:expr) => {};
    (namespaces namespaced $map:expr, $f:expr) => { $map.namespaces().for_each(&mut $f) };
    (namespaced cluster) => { false };
    (namespaced namespaced) => { true };
    (any_in cluster $map:expr, $ns:expr) => { false };
    (any_in namespaced $map:expr, $ns:expr) => { $map.has_namespace($ns) };
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
                        scoped!(insert $scope self.$field, &o.metadata, Box::new(o));
                        None
                    })*
                    other => Some(other),
                }
            }

            /// Whether an equal object is stored already: storing it again would change
            /// nothing. Projections compare what the rules read, so a pod's or a Node's
            /// status update is equal; a kind kept as the API type carries its
            /// `resourceVersion` and is never equal after an update.
            pub(super) fn holds(&self, object: &Object) -> bool {
                match object {
                    $(Object::$variant(o) => {
                        let name = o.metadata.name();
                        scoped!(get $scope self.$field, o.metadata.namespace().unwrap_or_default(), name)
                            .is_some_and(|held| **held == *o)
                    })*
                    _ => false,
                }
            }

            /// Removes an object; `None` when the kind is not kept here.
            pub(super) fn remove(&mut self, kind: &str, ns: &str, name: &str) -> Option<bool> {
                match kind {
                    $(stringify!($variant) => Some(
                        scoped!(remove $scope self.$field, ns, name).is_some()
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
                    $(stringify!($variant) => scoped!(get $scope self.$field, ns, name)
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
