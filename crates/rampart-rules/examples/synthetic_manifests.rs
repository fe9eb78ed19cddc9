//! Writes the benchmarks' synthetic cluster as YAML manifests, so that tools which read
//! files — `rampart scan` and the peers `scripts/bench-peers` compares it with — all scan
//! the same objects.
//!
//! ```sh
//! RAMPART_BENCH_SCALE=0.1 cargo run --release -p rampart-rules --example synthetic_manifests -- DIR
//! ```
//! Same sizes and knobs as the benchmarks (`RAMPART_BENCH_SCALE`, `RAMPART_BENCH_NAMESPACES`,
//! `RAMPART_BENCH_PODS_PER_NAMESPACE`, `RAMPART_BENCH_CLUSTER_ROLES`). DIR gets one
//! multi-document file per chunk of the generator: `cluster.yaml` (ClusterRoles and their
//! bindings), `platform.yaml` (`kube-system` and `default`) and `ns-NNNN.yaml` per namespace.
//! Every namespaced object names its namespace, so the files can be read in any order or
//! concatenated. One line on stdout says how much was written.

// Shared with the benchmarks, which use all of it.
#[allow(dead_code)]
#[path = "../benches/synthetic/mod.rs"]
mod synthetic;

use std::error::Error;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use synthetic::{Cluster, Sizes};

/// The file of chunk `index`, in the generator's order (see `synthetic`'s module doc).
fn file_name(index: usize) -> String {
    match index {
        0 => "cluster.yaml".to_owned(),
        1 => "platform.yaml".to_owned(),
        n => format!("{}.yaml", synthetic::namespace_name(n - 2)),
    }
}

/// Writes `documents` to `path` as one multi-document YAML file; returns the bytes written.
fn write_file(path: &Path, documents: &[serde_json::Value]) -> Result<u64, Box<dyn Error>> {
    let mut out = BufWriter::new(File::create(path)?);
    for document in documents {
        out.write_all(b"---\n")?;
        serde_yaml_ng::to_writer(&mut out, document)?;
    }
    out.flush()?;
    Ok(out.get_ref().metadata()?.len())
}

fn main() -> Result<(), Box<dyn Error>> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        return Err("usage: synthetic_manifests DIR".into());
    };
    std::fs::create_dir_all(&dir)?;
    let sizes = Sizes::from_env();
    let mut cluster = Cluster::new(sizes);
    let (mut files, mut objects, mut bytes) = (0usize, 0usize, 0u64);
    while let Some(documents) = cluster.next_documents() {
        bytes += write_file(&dir.join(file_name(files)), &documents)?;
        objects += documents.len();
        files += 1;
    }
    println!(
        "{objects} objects ({} namespaces, kube-system and default) in {files} files, {bytes} bytes, in {}",
        sizes.namespaces,
        dir.display()
    );
    Ok(())
}
