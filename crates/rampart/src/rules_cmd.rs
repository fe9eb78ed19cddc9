//! `rampart rules` and `rampart rules explain`.

use crate::cli::{Format, RulesArgs, RulesCommand};
use crate::examples;
use anyhow::Result;
use rampart_rules::{Rule, registry};
use serde_json::json;
use std::fmt::Write as _;
use std::process::ExitCode;

pub fn run(args: &RulesArgs) -> Result<ExitCode> {
    match &args.command {
        Some(RulesCommand::Explain { rule }) => Ok(explain(rule)),
        None => {
            print!("{}", list(args.format)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn list(format: Format) -> Result<String> {
    let rules = registry::rules();
    if format != Format::Table {
        let items: Vec<_> = rules
            .iter()
            .map(|r| {
                json!({"id": r.id, "name": r.name, "title": r.title,
                    "category": r.category.as_str(), "severity": r.severity.as_str()})
            })
            .collect();
        return Ok(serde_json::to_string_pretty(&items)? + "\n");
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<10} {:<9} {:<15} {:<42} TITLE",
        "ID", "SEVERITY", "CATEGORY", "NAME"
    );
    for r in rules {
        let _ = writeln!(
            out,
            "{:<10} {:<9} {:<15} {:<42} {}",
            r.id,
            r.severity.as_str(),
            r.category.as_str(),
            r.name,
            r.title
        );
    }
    let _ = writeln!(
        out,
        "\n{} rules. `rampart rules explain ID` prints one rule's documentation.",
        rules.len()
    );
    Ok(out)
}

pub fn explain_text(r: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {} — {}", r.id, r.name, r.title);
    let _ = writeln!(
        out,
        "category: {}   default severity: {}\n",
        r.category, r.severity
    );
    let _ = writeln!(out, "Why it matters:\n  {}\n", r.rationale);
    let _ = writeln!(out, "What to do:\n  {}\n", r.remediation);
    if let Some(e) = examples::of(r.id) {
        let _ = writeln!(out, "Example (reported):\n{}", indent(&e.failing));
        let _ = writeln!(out, "Use instead:\n{}", indent(&e.passing));
    }
    let _ = writeln!(out, "References:");
    for x in r.references {
        let _ = writeln!(out, "  - {} {}: {}", x.framework.as_str(), x.id, x.title);
    }
    out
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_owned()
            } else {
                format!("  {l}\n")
            }
        })
        .collect()
}

fn explain(key: &str) -> ExitCode {
    if let Some(r) = registry::find(key) {
        print!("{}", explain_text(r));
        return ExitCode::SUCCESS;
    }
    let needle = key.to_ascii_lowercase();
    let close: Vec<&str> = registry::rules()
        .iter()
        .filter(|r| {
            r.name.contains(&needle)
                || r.id.to_ascii_lowercase().starts_with(&needle)
                || needle.contains(r.name)
        })
        .map(|r| r.id)
        .collect();
    if close.is_empty() {
        eprintln!("error: no rule {key:?}; `rampart rules` lists them all");
    } else {
        eprintln!("error: no rule {key:?}; did you mean {}?", close.join(", "));
    }
    ExitCode::from(2)
}
