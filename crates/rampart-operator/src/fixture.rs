//! Reports built from YAML manifests, for the tests of what consumes them (events, metrics).

use crate::report::{self, Built, Inputs, NamespaceFilter, Reports};
use rampart_crd::ReportFinding;
use rampart_rules::encryption::{Assessment, Evidence, State};
use rampart_rules::{Finding, Inventory, Settings, evaluate};
use std::collections::HashMap;

/// The sorted findings of a full evaluation of `yaml`.
pub fn findings(yaml: &str) -> Vec<Finding> {
    let inv = Inventory::from_manifest("t.yaml", yaml).expect("the test manifest reads");
    evaluate(&inv, &Settings::default()).findings
}

/// The open findings the writer keeps after writing `reports`.
pub fn open_of(reports: &Reports) -> HashMap<String, ReportFinding> {
    reports
        .all()
        .flat_map(crate::apply::open_in)
        .map(|f| (f.fingerprint.clone(), f))
        .collect()
}

/// What a pass hands the builder, apart from the findings and namespaces.
pub struct Fixture {
    pub filter: NamespaceFilter,
    pub encryption: Assessment,
    pub could_not_evaluate: Vec<String>,
    pub open: HashMap<String, ReportFinding>,
    pub now: &'static str,
}

impl Default for Fixture {
    fn default() -> Fixture {
        Fixture {
            filter: NamespaceFilter::default(),
            encryption: Assessment {
                state: State::Unknown,
                provider: None,
                evidence: Evidence::None,
                detail: "nothing says".to_owned(),
                notes: Vec::new(),
                source: None,
            },
            could_not_evaluate: Vec::new(),
            open: HashMap::new(),
            now: "2026-01-01T00:00:00Z",
        }
    }
}

impl Fixture {
    pub fn build(&self, findings: &[Finding], namespaces: &[&str]) -> Built {
        report::build(&Inputs {
            findings,
            namespaces,
            filter: &self.filter,
            encryption: &self.encryption,
            could_not_evaluate: &self.could_not_evaluate,
            open: &self.open,
            now: self.now,
            version: "0.1.0",
        })
    }
}
