//! Embeds the rule fixtures of `rampart-rules` (`tests/fixtures/<RULE-ID>/*.yaml`) in the
//! binary, so that `rampart docs rules` and `rampart rules explain` show each rule's
//! examples without the source tree.
//!
//! The script only lists the directory: it writes `(rule, file, include_str!(path))` per
//! fixture, and the compiler reads the files. A macro cannot list a directory, and copying
//! the fixtures into this crate would make two copies that drift; this keeps the fixtures
//! the one source. Cargo reruns the script when a file in the directory is added, removed
//! or changed, and `include_str!` tracks each file's content.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest_dir).join("../rampart-rules/tests/fixtures");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    for rule in fs::read_dir(&dir).expect("rampart-rules/tests/fixtures is readable") {
        let rule = rule.expect("fixture directory entry").path();
        for file in fs::read_dir(&rule).expect("rule fixture directory is readable") {
            let path = file.expect("fixture directory entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = String::from("&[\n");
    for path in &files {
        let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
        let rule = path.parent().and_then(name).expect("rule id");
        let file = name(path).expect("file name");
        // `{:?}` of a string is a Rust string literal, escapes included.
        let _ = writeln!(
            out,
            "    ({rule:?}, {file:?}, include_str!({:?})),",
            path.to_string_lossy()
        );
    }
    out.push_str("]\n");
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    fs::write(Path::new(&out_dir).join("fixtures.rs"), out).expect("write fixtures.rs");
}
