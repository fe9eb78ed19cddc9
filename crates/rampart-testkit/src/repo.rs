//! Files of the repository (manifests, docs, the Dockerfile), by their path from its root.

use std::path::{Path, PathBuf};

/// The repository root: this crate lives at `crates/rampart-testkit`.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.yaml` file under the rule fixtures and the demo cluster, sorted: the manifests
/// tests read as a corpus.
///
/// # Panics
/// When a directory cannot be read, naming it.
pub fn manifest_corpus() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "yaml") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for dir in ["crates/rampart-rules/tests/fixtures", "crates/rampart/demo"] {
        walk(&root().join(dir), &mut files);
    }
    files.sort();
    files
}

/// The text of the file at `rel` from the repository root.
///
/// # Panics
/// When it cannot be read, naming the file.
pub fn read(rel: &str) -> String {
    let p = root().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Asserts that the committed file at `rel` is what the code `generated` now; `regenerate`
/// is the command that brings it up to date. A missing file counts as stale.
pub fn assert_current(rel: &str, generated: &str, regenerate: &str) {
    let committed = std::fs::read_to_string(root().join(rel)).unwrap_or_default();
    // Not assert_eq!: the two texts are long, the command is what helps.
    assert!(committed == generated, "{rel} is stale: run `{regenerate}`");
}
