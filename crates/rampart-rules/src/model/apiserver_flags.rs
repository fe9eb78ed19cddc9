//! A kube-apiserver's command line, read from its static (mirror) pod in kube-system.

use crate::model::identity::ObjectRef;
use std::collections::BTreeMap;

/// Facts about a kube-apiserver read from its static (mirror) pod in kube-system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiServerFacts {
    pub pod: ObjectRef,
    /// `--flag` -> value (`""` for a bare flag); the last occurrence wins, as in the binary.
    pub flags: BTreeMap<String, String>,
}

/// Reads `--flag=value`, `--flag value` and bare `--flag` forms of a command line.
pub fn parse_flags<'a>(args: impl IntoIterator<Item = &'a String>) -> BTreeMap<String, String> {
    let mut flags = BTreeMap::new();
    let args: Vec<&String> = args.into_iter().collect();
    let mut i = 0;
    while i < args.len() {
        if let Some(flag) = args[i].strip_prefix("--") {
            if let Some((k, v)) = flag.split_once('=') {
                flags.insert(k.to_owned(), v.to_owned());
            } else if args.get(i + 1).is_some_and(|n| !n.starts_with('-')) {
                flags.insert(flag.to_owned(), args[i + 1].clone());
                i += 1;
            } else {
                flags.insert(flag.to_owned(), String::new());
            }
        }
        i += 1;
    }
    flags
}
