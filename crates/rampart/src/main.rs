//! `rampart`: scan manifests or a cluster for security posture findings.

mod access;
mod cli;
mod cluster;
mod cores;
mod demo;
mod docs;
mod examples;
mod exceptions;
mod input;
mod leadership;
mod memory;
mod operator;
mod output;
mod rules_cmd;
mod scan;
mod source;

use clap::Parser;
use std::process::ExitCode;

// The operator's memory follows what it holds: jemalloc, with one arena and a background
// thread that hands freed pages back over a second (`.cargo/config.toml`) — once its decay
// clock runs, which it does as the process allocates; after each pass the operator asks
// for them at once (`memory::settle`). Of the allocators measured with
// `scripts/bench-scale` it left the least memory resident after each pass (glibc kept
// every pass's peak; mimalloc about a quarter more than jemalloc; docs/performance.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let kube = &cli.kube;
    let result = match cli.command {
        cli::Command::Scan(args) => scan::run(&args, kube),
        cli::Command::WhoCan(args) => access::who_can(&args, kube),
        cli::Command::Can(args) => access::can(&args, kube),
        cli::Command::Rules(args) => rules_cmd::run(&args),
        cli::Command::Docs(args) => docs::run(&args),
        cli::Command::Crd { output } => docs::crds(output.as_deref()),
        cli::Command::Operator(args) => operator::run(&args, kube),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
