//! JSON report: `findings`, `summary`, `score`, `scanned` and what could not be read.

use super::Report;
use anyhow::Result;
use rampart_rules::{Finding, Summary};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

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

/// Writes the report to `out` as it is serialized: a large cluster's report is hundreds of
/// megabytes, which a string would hold whole first.
pub fn write<W: Write>(report: &Report<'_>, out: &mut W) -> Result<()> {
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
    super::write_pretty(out, &doc)
}
