//! Report formats. Each renders the same [`Report`] to a writer as it renders: the table,
//! JSON, SARIF, JUnit XML and GitHub annotations.

use crate::exceptions::Judged;
use rampart_rules::exceptions::{State, own_grant};
use rampart_rules::manifest::ManifestError;
use rampart_rules::{Evaluation, Excepted, Finding, Inventory, Severity};
use std::collections::BTreeMap;
use std::io::Write;

/// Writes `doc` as indented JSON and a final newline.
fn write_pretty<W: Write, T: serde::Serialize>(out: &mut W, doc: &T) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc)?;
    out.write_all(b"\n")?;
    Ok(())
}

pub mod github;
pub mod json;
pub mod junit;
pub mod pretty;
pub mod sarif;
pub mod table;

pub struct Report<'a> {
    pub evaluation: &'a Evaluation,
    pub inventory: &'a Inventory,
    pub unknown_kinds: &'a BTreeMap<String, usize>,
    pub errors: &'a [ManifestError],
    /// Findings below it are left out of the listing; summary counts stay exact.
    pub min_severity: Option<Severity>,
    /// Secrets encryption at rest and the evidence it rests on.
    pub encryption: &'a rampart_rules::encryption::Assessment,
    /// Every exception read, as judged, with how many findings it covers.
    pub exceptions: &'a [Judged],
    /// `--fail-on`: what fails a JUnit case and makes a GitHub annotation an error.
    pub fail_on: Option<Severity>,
}

impl Report<'_> {
    pub fn visible(&self) -> impl Iterator<Item = &Finding> {
        let min = self.min_severity.unwrap_or(Severity::Info);
        self.evaluation
            .findings
            .iter()
            .filter(move |f| f.severity >= min)
    }

    /// Why a finding is excepted, in one line: the exception, its expiry, owner and reason.
    pub fn why_excepted(&self, x: &Excepted) -> String {
        match self.exception(&x.exception) {
            Some(j) => {
                let spec = &j.exception.spec;
                format!(
                    "excepted by {} until {} (owner {}): {}",
                    j.exception, spec.expires, spec.owner, spec.reason
                )
            }
            None if x.exception.as_str() == own_grant::ID => format!(
                "excepted by {} (built in, owner {}): {}",
                own_grant::ID,
                own_grant::OWNER,
                own_grant::REASON
            ),
            None => format!("excepted by {}", x.exception),
        }
    }

    /// The exception an excepted finding names, as judged.
    pub fn exception(&self, id: &str) -> Option<&Judged> {
        self.exceptions
            .iter()
            .find(|j| j.state == State::Active && j.exception.id() == id)
    }
}
