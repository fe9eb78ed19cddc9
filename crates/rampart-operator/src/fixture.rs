//! Reports built from YAML manifests, for the tests of what consumes them (events, metrics).

use crate::held::Held;
use crate::open::{self, Open, read_back};
use crate::placement::NamespaceFilter;
use crate::report::{self, Accepted, Book, Built, Inputs, Rebuild, Reports};
use rampart_rules::control_plane::{
    ControlPlane, Evidence as Seen, Judged, Support, Verdict, Version, VersionVerdict,
};
use rampart_rules::encryption::{Assessment, Evidence, State};
use rampart_rules::{Evaluation, Finding, Inventory, ObjectRef, Settings, Severity, evaluate};
use std::collections::{BTreeMap, HashMap};

/// The events' threshold the fixtures build with: the operator's default.
pub const DETAIL_FROM: Severity = Severity::High;

/// The sorted findings of a full evaluation of `yaml`.
pub fn findings(yaml: &str) -> Vec<Finding> {
    let inv = Inventory::from_manifest("t.yaml", yaml).expect("the test manifest reads");
    evaluate(&inv, &Settings::default()).findings
}

/// The open findings the writer keeps after writing `reports` (read back as a restarted
/// writer reads them).
pub fn open_of(reports: &Reports) -> Open {
    reports
        .built_reports()
        .expect("built reports read back")
        .iter()
        .map(|(key, r)| (key.clone(), read_back(r, DETAIL_FROM, open::Seen::now())))
        .collect()
}

/// What a pass hands the builder, apart from the findings and namespaces.
pub struct Fixture {
    pub filter: NamespaceFilter,
    pub encryption: Assessment,
    pub control_plane: ControlPlane,
    pub could_not_evaluate: Vec<String>,
    pub open: Open,
    pub now: &'static str,
    /// What reports say of the exceptions in force.
    pub accepted: BTreeMap<String, Accepted>,
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
            control_plane: ControlPlane::default(),
            could_not_evaluate: Vec::new(),
            open: HashMap::new(),
            now: "2026-01-01T00:00:00Z",
            accepted: BTreeMap::new(),
        }
    }
}

impl Fixture {
    /// Every report, as a full pass builds them.
    pub fn build(&self, findings: &[Finding], namespaces: &[&str]) -> Built {
        let evaluation = Evaluation {
            findings: findings.to_vec(),
            encryption: self.encryption.clone(),
            control_plane: self.control_plane.clone(),
            ..Evaluation::default()
        };
        self.build_evaluation(evaluation, namespaces)
    }

    /// Every report of an evaluation, as a full pass builds them.
    pub fn build_evaluation(&self, evaluation: Evaluation, namespaces: &[&str]) -> Built {
        let held = Held::new(evaluation, &self.filter);
        self.build_from(&held, namespaces, &Rebuild::all(), &mut Book::default())
    }

    /// What a pass hands the builder, with these findings and namespaces.
    pub fn inputs<'a>(&'a self, held: &'a Held, namespaces: &'a [&'a str]) -> Inputs<'a> {
        Inputs {
            held,
            namespaces,
            filter: &self.filter,
            encryption: &self.encryption,
            could_not_evaluate: &self.could_not_evaluate,
            open: &self.open,
            detail_from: DETAIL_FROM,
            accepted: &self.accepted,
            now: self.now,
            version: "0.1.0",
        }
    }

    /// The reports `rebuild` names, on top of what `book` kept.
    pub fn build_from(
        &self,
        held: &Held,
        namespaces: &[&str],
        rebuild: &Rebuild,
        book: &mut Book,
    ) -> Built {
        report::build(&self.inputs(held, namespaces), rebuild, book)
    }
}

fn verdict(state: &'static str, evidence: Seen) -> Verdict {
    Verdict {
        state,
        evidence,
        detail: format!("{state}, as the test says"),
        source: None,
    }
}

/// A control plane as a probe and the API server's flags show it: anonymous requests
/// refused, Node and RBAC, audit logging `audit`, admission ok, the API server current on
/// v1.37.2, and kubelets of `kubelets` (version, standing, how many Nodes run it).
pub fn control_plane(audit: &'static str, kubelets: &[(&str, Support, usize)]) -> ControlPlane {
    let judged = |text: &str, support: Support, object: ObjectRef| Judged {
        version: Version::parse(text).expect("a test version"),
        support,
        object,
    };
    let mut nodes = Vec::new();
    for (text, support, n) in kubelets {
        for i in 0..*n {
            let node = ObjectRef::new("v1", "Node", None, &format!("node-{text}-{i}"));
            nodes.push(judged(text, *support, node));
        }
    }
    ControlPlane {
        anonymous: verdict("disabled", Seen::Probe),
        authorization: verdict("node-rbac", Seen::ApiServerFlags),
        audit: verdict(audit, Seen::ApiServerFlags),
        admission: verdict("ok", Seen::ApiServerFlags),
        version: VersionVerdict {
            apiserver: Some(judged(
                "v1.37.2",
                Support::Current,
                ObjectRef::new("rampart.dev/v1alpha1", "ApiServerProbe", None, "apiserver"),
            )),
            apiserver_evidence: Seen::Probe,
            kubelets: nodes,
            ..VersionVerdict::default()
        },
    }
}
