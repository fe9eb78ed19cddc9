//! JSON report: `findings`, `summary`, `score`, `scanned` and what could not be read.

use super::Report;
use anyhow::Result;
use rampart_rules::{Finding, Summary};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Json<'a> {
    rampart_version: &'static str,
    score: u8,
    summary: Summary,
    scanned: BTreeMap<String, usize>,
    findings: Vec<&'a Finding>,
    suppressed: usize,
    encryption: &'a rampart_rules::encryption::Assessment,
    unknown_kinds: &'a BTreeMap<String, usize>,
    errors: Vec<JsonError<'a>>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    file: &'a str,
    line: usize,
    message: &'a str,
}

pub fn render(report: &Report<'_>) -> Result<String> {
    let doc = Json {
        rampart_version: env!("CARGO_PKG_VERSION"),
        score: report.evaluation.score,
        summary: report.evaluation.summary,
        scanned: report.inventory.counts(),
        findings: report.visible().collect(),
        suppressed: report.suppressed(),
        encryption: report.encryption,
        unknown_kinds: report.unknown_kinds,
        errors: report
            .errors
            .iter()
            .map(|e| JsonError {
                file: &e.file,
                line: e.line,
                message: &e.message,
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&doc)?;
    s.push('\n');
    Ok(s)
}
