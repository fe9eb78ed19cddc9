//! JSON report: `findings`, `summary`, `score`, `scanned`, the findings exceptions cover
//! and the exceptions themselves, the encryption and control-plane verdicts, and what
//! could not be read.

use super::{Report, pretty};
use anyhow::Result;
use rampart_operator::report::control_plane_status;
use rampart_rules::Finding;
use rampart_rules::exceptions::{State, own_grant};
use serde::Serialize;
use std::io::Write;

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
/// megabytes, which a string would hold whole first. The fields, in order: the version,
/// `score`, `summary`, `scanned`, `findings`, `excepted` (findings an exception covers:
/// out of `findings`, `summary` and `score`), `exceptions` (every exception read, with
/// what it became and how many findings it covers), `encryption`, `controlPlane` (as the
/// ClusterPostureReport's: one shape for both), `unknownKinds` and `errors`.
pub fn write<W: Write>(report: &Report<'_>, out: &mut W) -> Result<()> {
    let findings: Vec<&Finding> = report.visible().collect();
    let excepted: Vec<JsonExcepted<'_>> = report
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
        .collect();
    let exceptions: Vec<JsonException<'_>> = report
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
        .collect();
    let errors: Vec<JsonError<'_>> = report
        .errors
        .iter()
        .map(|e| JsonError {
            file: &e.file,
            line: e.line,
            message: &e.message,
        })
        .collect();
    let threads = crate::cores::count();
    let mut doc = pretty::Object::start(out)?;
    doc.field("rampartVersion", env!("CARGO_PKG_VERSION"))?;
    doc.field("score", &report.evaluation.score)?;
    doc.field("summary", &report.evaluation.summary)?;
    doc.field("scanned", &report.inventory.counts())?;
    doc.array("findings", &findings, threads)?;
    doc.array("excepted", &excepted, threads)?;
    doc.field("exceptions", &exceptions)?;
    doc.field("encryption", report.encryption)?;
    doc.field(
        "controlPlane",
        &control_plane_status(&report.evaluation.control_plane),
    )?;
    doc.field("unknownKinds", report.unknown_kinds)?;
    doc.field("errors", &errors)?;
    doc.finish()?;
    Ok(())
}
