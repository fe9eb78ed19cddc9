//! Values that many objects repeat whole, each held once: the pods of one ReplicaSet,
//! DaemonSet or Job have the same containers and the same pod security context, and a
//! large cluster has thousands of such pods per controller.
//!
//! An [`Interner`] hands out one shared copy per distinct value. Values are told apart by
//! a hash of their `Debug` text (the `k8s-openapi` types inside them implement neither
//! `Hash` nor `Eq`) and then compared whole, so a collision costs a comparison, never a
//! wrong answer. Entries whose values nothing holds any more are dropped whenever the
//! table has doubled since it last looked, as the shared string pool does. The table is
//! split by hash into shards with a lock each: a scan parses on every core, and every
//! pod's spec passes through here.

use std::collections::HashMap;
use std::fmt::{self, Debug, Write};
use std::sync::{Arc, Mutex, Weak};

/// Below this many entries a shard is never swept.
const MIN_SWEEP: usize = 64;

/// Shards of the table, each under its own lock.
const SHARDS: usize = 16;

/// One shared copy per distinct value of `T`.
pub struct Interner<T: ?Sized> {
    shards: [Mutex<Table<T>>; SHARDS],
}

struct Table<T: ?Sized> {
    by_hash: HashMap<u64, Vec<Weak<T>>>,
    /// Entries after the last sweep: the next one comes when the table has doubled.
    swept_at: usize,
}

impl<T: ?Sized + PartialEq + Debug> Interner<T> {
    pub fn new() -> Interner<T> {
        Interner {
            shards: std::array::from_fn(|_| {
                Mutex::new(Table {
                    by_hash: HashMap::new(),
                    swept_at: 0,
                })
            }),
        }
    }

    /// The shared copy of `value`: an equal one already handed out, or `value` itself.
    pub fn intern(&self, value: Arc<T>) -> Arc<T> {
        let hash = debug_hash(&*value);
        // A poisoned table still holds valid entries: a panic elsewhere loses nothing here.
        let shard = &self.shards[(hash % SHARDS as u64) as usize];
        let mut table = shard.lock().unwrap_or_else(|e| e.into_inner());
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
        self.shards
            .iter()
            .map(|shard| {
                let table = shard.lock().unwrap_or_else(|e| e.into_inner());
                table.by_hash.values().map(Vec::len).sum::<usize>()
            })
            .sum()
    }
}

impl<T: ?Sized + PartialEq + Debug> Default for Interner<T> {
    fn default() -> Interner<T> {
        Interner::new()
    }
}

/// A hash of `value`'s `Debug` text, written straight into the hasher.
fn debug_hash<T: ?Sized + Debug>(value: &T) -> u64 {
    let mut w = WordHasher(0);
    // Writing into a hasher cannot fail; a Debug impl that reports an error still leaves
    // a usable (if less telling) hash, and equal values are compared whole anyway.
    let _ = write!(w, "{value:?}");
    w.0
}

/// A multiply-and-rotate hash taken eight bytes at a time: the table compares candidates
/// whole, so the hash need only spread values, not resist anyone choosing them, and a
/// pod spec's text is long.
struct WordHasher(u64);

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Write for WordHasher {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut words = s.as_bytes().chunks_exact(8);
        for word in &mut words {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(word);
            self.add(u64::from_le_bytes(bytes));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut bytes = [0u8; 8];
            bytes[..rest.len()].copy_from_slice(rest);
            // The length tells "a" from "a\0".
            self.add(u64::from_le_bytes(bytes) ^ ((rest.len() as u64) << 56));
        }
        Ok(())
    }
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
        for i in 0..20 * SHARDS * MIN_SWEEP {
            drop(pool.intern(Arc::from(format!("gone-{i}").as_str())));
        }
        assert!(
            pool.len() <= 4 * SHARDS * MIN_SWEEP,
            "{} entries",
            pool.len()
        );
        assert!(Arc::ptr_eq(&kept, &pool.intern(Arc::from("kept"))));
    }
}
