//! Values that many objects repeat whole, each held once: the pods of one ReplicaSet,
//! DaemonSet or Job have the same containers and the same pod security context, and a
//! large cluster has thousands of such pods per controller.
//!
//! An [`Interner`] hands out one shared copy per distinct value. Values are told apart by
//! a hash of their `Debug` text (the `k8s-openapi` types inside them implement neither
//! `Hash` nor `Eq`) and then compared whole, so a collision costs a comparison, never a
//! wrong answer. Entries whose values nothing holds any more are dropped whenever the
//! table has doubled since it last looked, as the shared string pool does.

use std::collections::HashMap;
use std::fmt::{self, Debug, Write};
use std::hash::{DefaultHasher, Hasher};
use std::sync::{Arc, Mutex, Weak};

/// Below this many entries the table is never swept.
const MIN_SWEEP: usize = 1024;

/// One shared copy per distinct value of `T`.
pub struct Interner<T: ?Sized> {
    table: Mutex<Table<T>>,
}

struct Table<T: ?Sized> {
    by_hash: HashMap<u64, Vec<Weak<T>>>,
    /// Entries after the last sweep: the next one comes when the table has doubled.
    swept_at: usize,
}

impl<T: ?Sized + PartialEq + Debug> Interner<T> {
    pub fn new() -> Interner<T> {
        Interner {
            table: Mutex::new(Table {
                by_hash: HashMap::new(),
                swept_at: 0,
            }),
        }
    }

    /// The shared copy of `value`: an equal one already handed out, or `value` itself.
    pub fn intern(&self, value: Arc<T>) -> Arc<T> {
        let hash = debug_hash(&*value);
        // A poisoned table still holds valid entries: a panic elsewhere loses nothing here.
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let found = table.by_hash.get(&hash).and_then(|candidates| {
            candidates
                .iter()
                .filter_map(Weak::upgrade)
                .find(|c| **c == *value)
        });
        if let Some(shared) = found {
            return shared;
        }
        if table.by_hash.len() >= MIN_SWEEP.max(2 * table.swept_at) {
            table.by_hash.retain(|_, candidates| {
                candidates.retain(|c| c.strong_count() > 0);
                !candidates.is_empty()
            });
            table.swept_at = table.by_hash.len();
        }
        table
            .by_hash
            .entry(hash)
            .or_default()
            .push(Arc::downgrade(&value));
        value
    }

    /// How many distinct values the table knows (some perhaps no longer held).
    #[cfg(test)]
    fn len(&self) -> usize {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table.by_hash.values().map(Vec::len).sum()
    }
}

impl<T: ?Sized + PartialEq + Debug> Default for Interner<T> {
    fn default() -> Interner<T> {
        Interner::new()
    }
}

/// A hash of `value`'s `Debug` text, written straight into the hasher.
fn debug_hash<T: ?Sized + Debug>(value: &T) -> u64 {
    struct HashWriter(DefaultHasher);
    impl Write for HashWriter {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0.write(s.as_bytes());
            Ok(())
        }
    }
    let mut w = HashWriter(DefaultHasher::new());
    // Writing into a hasher cannot fail; a Debug impl that reports an error still leaves
    // a usable (if less telling) hash, and equal values are compared whole anyway.
    let _ = write!(w, "{value:?}");
    w.0.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_share_one_copy_and_different_ones_do_not() {
        let pool: Interner<[String]> = Interner::new();
        let a = pool.intern(Arc::from(vec!["web".to_owned()]));
        let b = pool.intern(Arc::from(vec!["web".to_owned()]));
        let c = pool.intern(Arc::from(vec!["api".to_owned()]));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(&*c, ["api".to_owned()]);
    }

    #[test]
    fn values_nothing_holds_are_swept() {
        let pool: Interner<str> = Interner::new();
        let kept = pool.intern(Arc::from("kept"));
        for i in 0..20 * MIN_SWEEP {
            drop(pool.intern(Arc::from(format!("gone-{i}").as_str())));
        }
        assert!(pool.len() <= 4 * MIN_SWEEP, "{} entries", pool.len());
        assert!(Arc::ptr_eq(&kept, &pool.intern(Arc::from("kept"))));
    }
}
