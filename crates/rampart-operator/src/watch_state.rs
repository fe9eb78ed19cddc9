//! Which watches currently work. A kind whose list or watch fails (403, a missing API) is
//! named in every report's `couldNotEvaluate`, so an empty report is never mistaken for a
//! clean one; the watch keeps retrying with backoff and the entry clears when it recovers.

use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct WatchState {
    failing: Mutex<BTreeMap<&'static str, String>>,
}

impl WatchState {
    pub fn ok(&self, kind: &'static str) {
        if let Ok(mut f) = self.failing.lock() {
            f.remove(kind);
        }
    }

    pub fn failed(&self, kind: &'static str, error: String) {
        if let Ok(mut f) = self.failing.lock() {
            f.insert(kind, error);
        }
    }

    /// One line per failing kind, sorted, for `couldNotEvaluate`.
    pub fn could_not_evaluate(&self) -> Vec<String> {
        self.failing
            .lock()
            .map(|f| {
                f.iter()
                    .map(|(kind, e)| {
                        format!("{kind}: rules that read {kind} objects could not run ({e})")
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_clear_on_recovery() {
        let s = WatchState::default();
        s.failed("Secret", "403 Forbidden".into());
        s.failed("Pod", "timeout".into());
        assert_eq!(s.could_not_evaluate().len(), 2);
        assert!(s.could_not_evaluate()[0].starts_with("Pod:"));
        s.ok("Pod");
        assert_eq!(s.could_not_evaluate().len(), 1);
    }
}
