//! Strings that many objects repeat (kinds, API versions, namespaces), each held once.
//!
//! A large cluster's findings and indexes name a few dozen kinds and API versions and a
//! few thousand namespaces hundreds of thousands of times; as owned strings every mention
//! was an allocation of its own. A [`Shared`] is a reference to the one copy in a process-
//! wide pool. The pool drops strings nothing refers to any more whenever it has doubled
//! since it last looked, so namespaces that come and go do not accumulate.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, LazyLock, Mutex};

/// A string held once however many refer to it. Compares, orders and hashes as its text.
#[derive(Clone)]
pub struct Shared(Arc<str>);

impl std::hash::Hash for Shared {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

// Equal texts are one copy while any holder lives, so the pointers decide most
// comparisons without reading the text: sorting a large cluster's findings compares the
// same few kinds, API versions and namespaces millions of times.
impl PartialEq for Shared {
    fn eq(&self, other: &Shared) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Shared {}

impl Ord for Shared {
    fn cmp(&self, other: &Shared) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Shared {
    fn partial_cmp(&self, other: &Shared) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

struct Pool {
    strings: HashSet<Arc<str>>,
    /// Size after the last sweep: the next one comes when the pool has doubled.
    swept_at: usize,
}

static POOL: LazyLock<Mutex<Pool>> = LazyLock::new(|| {
    Mutex::new(Pool {
        strings: HashSet::new(),
        swept_at: 0,
    })
});

/// Below this many strings the pool is never swept.
const MIN_SWEEP: usize = 1024;

impl Shared {
    /// The pool's copy of `text`, added if it has none.
    pub fn new(text: &str) -> Shared {
        // A poisoned pool still holds valid strings: a panic elsewhere loses nothing here.
        let mut pool = POOL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = pool.strings.get(text) {
            return Shared(s.clone());
        }
        if pool.strings.len() >= MIN_SWEEP.max(2 * pool.swept_at) {
            pool.strings.retain(|s| Arc::strong_count(s) > 1);
            pool.swept_at = pool.strings.len();
        }
        let s: Arc<str> = Arc::from(text);
        pool.strings.insert(s.clone());
        Shared(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Shared {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Shared {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Shared {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Default for Shared {
    fn default() -> Shared {
        Shared::new("")
    }
}

impl From<&str> for Shared {
    fn from(s: &str) -> Shared {
        Shared::new(s)
    }
}

impl From<&String> for Shared {
    fn from(s: &String) -> Shared {
        Shared::new(s)
    }
}

impl From<String> for Shared {
    fn from(s: String) -> Shared {
        Shared::new(&s)
    }
}

impl From<Shared> for String {
    fn from(s: Shared) -> String {
        s.0.as_ref().to_owned()
    }
}

impl PartialEq<str> for Shared {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Shared {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Shared {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Shared> for str {
    fn eq(&self, other: &Shared) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Shared> for &str {
    fn eq(&self, other: &Shared) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Shared> for String {
    fn eq(&self, other: &Shared) -> bool {
        **self == *other.0
    }
}

impl fmt::Display for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Shared {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Shared {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Shared, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Shared::new(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_copy_and_compare_as_text() {
        let a = Shared::new("shop");
        let b = Shared::from(String::from("shop"));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "shop");
        assert!(Shared::new("a") < Shared::new("b"));
        assert_eq!(format!("{a} {a:?}"), "shop \"shop\"");
        let json = serde_json::to_string(&a).expect("serializes");
        assert_eq!(json, "\"shop\"");
        let back: Shared = serde_json::from_str(&json).expect("deserializes");
        assert!(Arc::ptr_eq(&a.0, &back.0));
    }

    #[test]
    fn copies_outside_the_pool_still_compare_and_order_as_text() {
        // Two copies of one text that are not one allocation (as if one had been made
        // before a sweep): the pointer is only a shortcut, the text decides.
        let pooled = Shared::new("team-b");
        let apart = Shared(Arc::from("team-b"));
        assert!(!Arc::ptr_eq(&pooled.0, &apart.0));
        assert_eq!(pooled, apart);
        assert_eq!(pooled.cmp(&apart), std::cmp::Ordering::Equal);
        assert_eq!(pooled.cmp(&pooled.clone()), std::cmp::Ordering::Equal);
        let mut names = [Shared::new("c"), Shared::new("a"), apart, Shared::new("b")];
        names.sort();
        let texts: Vec<&str> = names.iter().map(Shared::as_str).collect();
        assert_eq!(texts, ["a", "b", "c", "team-b"]);
        assert_ne!(Shared::new("a"), Shared::new("b"));
    }

    #[test]
    fn strings_nothing_refers_to_are_swept() {
        // Many namespaces that come and go: the pool stays near what is still referred to.
        let kept = Shared::new("kept-namespace");
        for i in 0..20 * MIN_SWEEP {
            drop(Shared::new(&format!("gone-{i}")));
        }
        let size = POOL.lock().map(|p| p.strings.len()).unwrap_or(usize::MAX);
        assert!(size <= 4 * MIN_SWEEP, "{size} strings pooled");
        assert!(Arc::ptr_eq(&kept.0, &Shared::new("kept-namespace").0));
    }
}
