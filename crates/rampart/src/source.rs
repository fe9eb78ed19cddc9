//! The inventory `who-can` and `can` answer from: manifests, the demo, or a live cluster.

use crate::cli::{KubeArgs, SourceArgs};
use crate::{cluster, demo, input};
use anyhow::Result;
use rampart_rules::Inventory;
use rampart_rules::manifest::DEFAULT_NAMESPACE;

pub fn inventory(args: &SourceArgs, kube: &KubeArgs, max_file_size: u64) -> Result<Inventory> {
    if args.cluster {
        return cluster::snapshot(kube);
    }
    let mut loaded = if args.demo {
        let mut l = input::Loaded::default();
        for (name, text) in demo::PARTS {
            l.add_text(name, text);
        }
        l
    } else {
        input::load(&args.paths, max_file_size, &mut |_| {})?
    };
    // Where manifests name no namespace, kubectl's default applies.
    let placement = loaded.parsed.place(DEFAULT_NAMESPACE);
    for e in loaded.parsed.errors.iter().chain(&placement.ignored) {
        eprintln!("warning: {}:{}: {}", e.file, e.line, e.message);
    }
    Ok(Inventory::from_objects(
        loaded.parsed.objects.into_iter().map(|(o, _)| o),
    ))
}
