//! Reading manifests: files, directories (recursively), stdin. A file that cannot be read
//! is reported and skipped; the rest are still scanned.

use anyhow::{Context as _, Result, bail};
use rampart_rules::manifest::{self, ManifestError, Parsed};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

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

/// Reads and parses `files` on every core, each a contiguous run of them, and puts
/// what they yield back in the files' order.
fn read_files(files: &[PathBuf], max: u64) -> Loaded {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let run = files.len().div_ceil(workers).max(1);
    let parts: Vec<Loaded> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(run)
            .map(|chunk| {
                s.spawn(move || {
                    let mut part = Loaded::default();
                    for f in chunk {
                        read_file(&mut part, f, max);
                    }
                    part
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut loaded = Loaded::default();
    for part in parts {
        loaded.merge(part);
    }
    loaded
}

/// Reads every input. A path that does not exist is an error; everything else that goes
/// wrong is recorded in the result's parse errors.
pub fn load(paths: &[PathBuf], max_file_size: u64) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(max_file_size.saturating_add(1))
                .read_to_end(&mut bytes)
                .context("reading stdin")?;
            if bytes.len() as u64 > max_file_size {
                loaded.problem("stdin", format!("input is over the limit of {max_file_size} bytes (raise it with --max-file-size)"));
            } else {
                loaded.add_bytes("stdin", bytes);
            }
            continue;
        }
        if !path.exists() {
            bail!("{}: no such file or directory", path.display());
        }
        if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            if files.is_empty() {
                loaded.problem(
                    &path.display().to_string(),
                    "directory holds no .yaml, .yml or .json files".to_owned(),
                );
            }
            loaded.merge(read_files(&files, max_file_size));
        } else {
            read_file(&mut loaded, path, max_file_size);
        }
    }
    Ok(loaded)
}
