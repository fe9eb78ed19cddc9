//! The inventory `who-can` and `can` answer from: manifests, the demo, or a live cluster.

use crate::cli::SourceArgs;
use crate::{cluster, demo, input};
use anyhow::Result;
use rampart_rules::Inventory;

pub fn inventory(args: &SourceArgs, max_file_size: u64) -> Result<Inventory> {
    if args.cluster {
        return cluster::snapshot();
    }
    let loaded = if args.demo {
        let mut l = input::Loaded::default();
        for (name, text) in demo::PARTS {
            l.add_text(name, text);
        }
        l
    } else {
        input::load(&args.paths, max_file_size)?
    };
    for e in &loaded.parsed.errors {
        eprintln!("warning: {}:{}: {}", e.file, e.line, e.message);
    }
    Ok(Inventory::from_objects(
        loaded.parsed.objects.into_iter().map(|(o, _)| o),
    ))
}
