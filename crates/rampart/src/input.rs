//! Reading manifests: files, directories (recursively), stdin. A file that cannot be read
//! is reported and skipped; the rest are still scanned.

use crate::cores;
use anyhow::{Context as _, Result, bail};
use rampart_rules::manifest::{self, ManifestError, Parsed};
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Handed what each input yielded, in the inputs' order, on the calling thread: it may take
/// the objects (and then they are not in the result), while later files are still being
/// parsed.
pub type Take<'a> = dyn FnMut(&mut Parsed) + 'a;

/// What the inputs yielded, and what could not be read.
#[derive(Debug, Default)]
pub struct Loaded {
    pub parsed: Parsed,
    pub files: usize,
}

impl Loaded {
    fn problem(&mut self, file: &str, message: String) {
        self.parsed.errors.push(ManifestError {
            file: file.to_owned(),
            line: 0,
            message,
        });
    }

    fn merge(&mut self, other: Loaded) {
        self.files += other.files;
        self.parsed.merge(other.parsed);
    }

    /// Parses text that has already been read.
    pub fn add_text(&mut self, name: &str, text: &str) {
        self.files += 1;
        self.parsed.merge(manifest::parse(name, text));
    }

    fn add_bytes(&mut self, name: &str, bytes: Vec<u8>) {
        match String::from_utf8(bytes) {
            Ok(text) => self.add_text(name, &text),
            Err(e) => self.problem(
                name,
                format!(
                    "not UTF-8 text (invalid byte at offset {}): is it a binary file?",
                    e.utf8_error().valid_up_to()
                ),
            ),
        }
    }
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// Files of a directory tree, sorted, hidden entries skipped.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !is_hidden(p))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if is_manifest(&p) {
            out.push(p);
        }
    }
    Ok(())
}

fn read_file(loaded: &mut Loaded, path: &Path, max: u64) {
    let name = path.display().to_string();
    let size = match fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => return loaded.problem(&name, format!("cannot read: {e}")),
    };
    if size > max {
        return loaded.problem(
            &name,
            format!(
                "file is {size} bytes, over the limit of {max} (raise it with --max-file-size)"
            ),
        );
    }
    match fs::read(path) {
        Ok(bytes) => loaded.add_bytes(&name, bytes),
        Err(e) => loaded.problem(&name, format!("cannot read: {e}")),
    }
}

/// Reads and parses `files` on every core, a file at a time as each thread is free, and
/// hands what each yields to `take` in the files' order as soon as those before it are
/// done: the caller's work on a file overlaps the parsing of the next ones.
fn read_files(files: &[PathBuf], max: u64, take: &mut Take<'_>) -> Loaded {
    let workers = cores::count();
    let next = AtomicUsize::new(0);
    let (sender, received) = mpsc::channel::<(usize, Loaded)>();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.min(files.len()))
            .map(|_| {
                let sender = sender.clone();
                let next = &next;
                s.spawn(move || {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = files.get(index) else {
                            return;
                        };
                        let mut part = Loaded::default();
                        read_file(&mut part, file, max);
                        if sender.send((index, part)).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        // The receiving ends once every worker has stopped.
        drop(sender);
        let mut loaded = Loaded::default();
        let mut early: BTreeMap<usize, Loaded> = BTreeMap::new();
        let mut due = 0;
        for (index, part) in received {
            early.insert(index, part);
            while let Some(mut part) = early.remove(&due) {
                take(&mut part.parsed);
                loaded.merge(part);
                due += 1;
            }
        }
        handles.into_iter().for_each(cores::join);
        loaded
    })
}

/// Reads every input, handing what each yields to `take` in order. A path that does not
/// exist is an error; everything else that goes wrong is recorded in the result's parse
/// errors.
pub fn load(paths: &[PathBuf], max_file_size: u64, take: &mut Take<'_>) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    for path in paths {
        let mut part = Loaded::default();
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(max_file_size.saturating_add(1))
                .read_to_end(&mut bytes)
                .context("reading stdin")?;
            if bytes.len() as u64 > max_file_size {
                part.problem("stdin", format!("input is over the limit of {max_file_size} bytes (raise it with --max-file-size)"));
            } else {
                part.add_bytes("stdin", bytes);
            }
        } else if !path.exists() {
            bail!("{}: no such file or directory", path.display());
        } else if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            if files.is_empty() {
                loaded.problem(
                    &path.display().to_string(),
                    "directory holds no .yaml, .yml or .json files".to_owned(),
                );
            }
            loaded.merge(read_files(&files, max_file_size, take));
            continue;
        } else {
            read_file(&mut part, path, max_file_size);
        }
        take(&mut part.parsed);
        loaded.merge(part);
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory of `n` files, `f00.yaml`...: each a Namespace named after it, every
    /// seventh malformed instead.
    fn files(n: usize) -> (PathBuf, Vec<PathBuf>) {
        let dir = std::env::temp_dir().join(format!("rampart-input-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("a scratch directory");
        let mut paths = Vec::new();
        for i in 0..n {
            let path = dir.join(format!("f{i:02}.yaml"));
            let text = if i % 7 == 3 {
                "apiVersion: v1\nkind: Namespace\nmetadata: {name: [oops\n".to_owned()
            } else {
                format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: ns-{i:02}}}\n")
            };
            fs::write(&path, text).expect("a scratch file");
            paths.push(path);
        }
        (dir, paths)
    }

    #[test]
    fn files_parsed_on_every_core_are_handed_over_in_their_order() {
        let (dir, paths) = files(64);
        let mut taken = Vec::new();
        let loaded = read_files(&paths, u64::MAX, &mut |part| {
            for (object, _) in part.objects.drain(..) {
                let name = object.metadata().map(|m| m.name().to_owned());
                taken.push(name.unwrap_or_default());
            }
        });
        let expected: Vec<String> = (0..64)
            .filter(|i| i % 7 != 3)
            .map(|i| format!("ns-{i:02}"))
            .collect();
        assert_eq!(taken, expected);
        assert!(loaded.parsed.objects.is_empty(), "taken, not kept");
        assert_eq!(loaded.files, 64);
        let failed: Vec<String> = loaded
            .parsed
            .errors
            .iter()
            .map(|e| e.file.rsplit('/').next().unwrap_or_default().to_owned())
            .collect();
        let expected: Vec<String> = (0..64)
            .filter(|i| i % 7 == 3)
            .map(|i| format!("f{i:02}.yaml"))
            .collect();
        assert_eq!(failed, expected, "errors in the files' order");
        fs::remove_dir_all(dir).expect("the scratch directory goes");
    }
}
