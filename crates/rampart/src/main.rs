//! `rampart`: scan manifests or a cluster for security posture findings.

mod access;
mod cli;
mod cluster;
mod demo;
mod docs;
mod examples;
mod input;
mod leadership;
mod operator;
mod output;
mod rules_cmd;
mod scan;
mod source;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Scan(args) => scan::run(&args),
        cli::Command::WhoCan(args) => access::who_can(&args),
        cli::Command::Can(args) => access::can(&args),
        cli::Command::Rules(args) => rules_cmd::run(&args),
        cli::Command::Docs(args) => docs::run(&args),
        cli::Command::Crd { output } => docs::crds(output.as_deref()),
        cli::Command::Operator(args) => operator::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
