//! JSON report: `findings`, `summary`, `score`, `scanned`, the findings exceptions cover
//! and the exceptions themselves, the encryption and control-plane verdicts, and what
//! could not be read.

use super::Report;
use anyhow::Result;
use rampart_crd::ControlPlaneStatus;
use rampart_operator::report::control_plane_status;
use rampart_rules::exceptions::{State, own_grant};
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
    /// Findings an exception covers: out of `findings`, `summary` and `score`.
    excepted: Vec<JsonExcepted<'a>>,
    /// Every exception read, with what it became and how many findings it covers.
    exceptions: Vec<JsonException<'a>>,
    encryption: &'a rampart_rules::encryption::Assessment,
    /// As the ClusterPostureReport's `controlPlane`: one shape for both.
    control_plane: ControlPlaneStatus,
    unknown_kinds: &'a BTreeMap<String, usize>,
    errors: Vec<JsonError<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonExcepted<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    exception: &'a str,
    owner: &'a str,
    expires: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonException<'a> {
    kind: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    /// Active, Stale (active, covering nothing), Expired or Invalid.
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    invalid: Option<&'a str>,
    matched: usize,
    owner: &'a str,
    reason: &'a str,
    expires: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<&'a str>,
    source: &'a str,
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
        excepted: report
            .evaluation
            .excepted
            .iter()
            .map(|x| {
                let spec = report.exception(&x.exception).map(|j| &j.exception.spec);
                JsonExcepted {
                    finding: &x.finding,
                    exception: &x.exception,
                    owner: match spec {
                        Some(s) => s.owner.as_str(),
                        None if x.exception.as_str() == own_grant::ID => own_grant::OWNER,
                        None => "",
                    },
                    expires: spec.map(|s| s.expires.to_string()).unwrap_or_default(),
                }
            })
            .collect(),
        exceptions: report
            .exceptions
            .iter()
            .map(|j| JsonException {
                kind: j.exception.kind(),
                name: &j.exception.name,
                namespace: j.exception.namespace.as_deref(),
                state: j.standing(),
                invalid: match &j.state {
                    State::Invalid(why) => Some(why),
                    _ => None,
                },
                matched: j.matched,
                owner: &j.exception.spec.owner,
                reason: &j.exception.spec.reason,
                expires: j.exception.spec.expires.to_string(),
                ticket: j.exception.spec.ticket.as_deref(),
                source: &j.origin,
            })
            .collect(),
        encryption: report.encryption,
        control_plane: control_plane_status(&report.evaluation.control_plane),
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
