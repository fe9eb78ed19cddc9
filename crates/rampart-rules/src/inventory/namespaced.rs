//! The map a namespaced kind's objects are kept in: by namespace, then by name.
//!
//! A map keyed by (namespace, name) pairs stores the namespace again with every object, and
//! every lookup builds both strings; here each namespace's name is stored once per kind,
//! an object's name once, and lookups and a namespace's objects need no allocation.

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub(super) struct Namespaced<T> {
    by_namespace: BTreeMap<Box<str>, BTreeMap<Box<str>, T>>,
}

impl<T> Default for Namespaced<T> {
    fn default() -> Self {
        Namespaced {
            by_namespace: BTreeMap::new(),
        }
    }
}

impl<T> Namespaced<T> {
    /// Stores `value` as `ns`/`name`, replacing what was there.
    pub(super) fn insert(&mut self, ns: &str, name: Box<str>, value: T) {
        let names = match self.by_namespace.get_mut(ns) {
            Some(names) => names,
            None => self.by_namespace.entry(ns.into()).or_default(),
        };
        names.insert(name, value);
    }

    /// Removes `ns`/`name`; what was there. A namespace left empty goes too.
    pub(super) fn remove(&mut self, ns: &str, name: &str) -> Option<T> {
        let names = self.by_namespace.get_mut(ns)?;
        let removed = names.remove(name)?;
        if names.is_empty() {
            self.by_namespace.remove(ns);
        }
        Some(removed)
    }

    pub(super) fn get(&self, ns: &str, name: &str) -> Option<&T> {
        self.by_namespace.get(ns)?.get(name)
    }

    pub(super) fn contains(&self, ns: &str, name: &str) -> bool {
        self.get(ns, name).is_some()
    }

    /// The objects of namespace `ns`, by name.
    pub(super) fn in_namespace<'a>(
        &'a self,
        ns: &str,
    ) -> impl Iterator<Item = (&'a str, &'a T)> + use<'a, T> {
        self.by_namespace
            .get(ns)
            .into_iter()
            .flat_map(|names| names.iter().map(|(n, v)| (&**n, v)))
    }

    /// Every object, by namespace and name.
    pub(super) fn values(&self) -> impl Iterator<Item = &T> {
        self.by_namespace.values().flat_map(BTreeMap::values)
    }

    /// The namespaces that hold objects, sorted.
    pub(super) fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.by_namespace.keys().map(|ns| &**ns)
    }

    pub(super) fn has_namespace(&self, ns: &str) -> bool {
        self.by_namespace.contains_key(ns)
    }

    /// How many objects: summed over the namespaces, as counts are read once a pass.
    pub(super) fn len(&self) -> usize {
        self.by_namespace.values().map(BTreeMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::Namespaced;

    #[test]
    fn objects_are_found_counted_and_removed_by_namespace_and_name() {
        let mut m = Namespaced::default();
        m.insert("shop", "web".into(), 1);
        m.insert("shop", "api".into(), 2);
        m.insert("blog", "web".into(), 3);
        m.insert("shop", "web".into(), 4);
        assert_eq!(m.len(), 3);
        assert_eq!(m.get("shop", "web"), Some(&4));
        assert!(m.contains("blog", "web") && !m.contains("blog", "api"));
        let shop: Vec<(&str, &i32)> = m.in_namespace("shop").collect();
        assert_eq!(shop, [("api", &2), ("web", &4)]);
        assert_eq!(m.namespaces().collect::<Vec<_>>(), ["blog", "shop"]);
        assert_eq!(m.values().copied().collect::<Vec<_>>(), [3, 2, 4]);
        assert_eq!(m.remove("blog", "web"), Some(3));
        assert_eq!(m.remove("blog", "web"), None);
        assert!(!m.has_namespace("blog"), "an emptied namespace goes");
        assert_eq!(m.len(), 2);
        assert_eq!(m.in_namespace("nowhere").count(), 0);
    }
}
