//! The emitter: how a rule reports, and where the engine applies settings.

use crate::engine::finding::{Finding, Related, fingerprint};
use crate::engine::rule::Rule;
use crate::model::identity::ObjectRef;
use crate::model::taxonomy::Severity;

/// A finding as a rule describes it, before the engine applies settings.
#[derive(Debug, Clone)]
pub struct Draft {
    resource: ObjectRef,
    message: String,
    severity: Option<Severity>,
    path: Option<String>,
    related: Vec<Related>,
    discriminator: String,
    system: Option<bool>,
}

impl Draft {
    pub fn new(resource: ObjectRef, message: impl Into<String>) -> Self {
        Draft {
            resource,
            message: message.into(),
            severity: None,
            path: None,
            related: Vec::new(),
            discriminator: String::new(),
            system: None,
        }
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Overrides the rule's default severity for this finding (e.g. `resourceNames` narrows a grant).
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }

    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn related(mut self, relation: &'static str, object: ObjectRef) -> Self {
        let r = Related { relation, object };
        if !self.related.contains(&r) {
            self.related.push(r);
        }
        self
    }

    /// Tells apart two findings of one rule on one object (e.g. two subjects of one binding).
    pub fn discriminator(mut self, d: impl Into<String>) -> Self {
        self.discriminator = d.into();
        self
    }

    /// Says whether the finding is about the platform's own objects or identities, which
    /// settings cap (at `info` by default). Without it the engine decides from the resource;
    /// `false` keeps a finding on a system object, such as the API server's own flags, at
    /// its severity.
    pub fn system(mut self, system: bool) -> Self {
        self.system = Some(system);
        self
    }

    pub(crate) fn system_hint(&self) -> Option<bool> {
        self.system
    }

    pub(crate) fn resource(&self) -> &ObjectRef {
        &self.resource
    }

    pub(crate) fn into_finding(self, rule: &Rule, severity: Severity) -> Finding {
        let fingerprint = fingerprint(
            rule.id,
            &self.resource,
            self.path.as_deref(),
            &self.discriminator,
        );
        let mut related = self.related;
        related.sort();
        Finding {
            rule_id: rule.id,
            rule_name: rule.name,
            severity,
            category: rule.category,
            title: rule.title,
            message: self.message,
            resource: self.resource,
            path: self.path,
            related,
            references: rule.references,
            fingerprint,
            cluster_wide: rule.cluster_wide,
        }
    }

    pub(crate) fn requested_severity(&self) -> Option<Severity> {
        self.severity
    }
}

/// Collects the drafts of one rule.
pub struct Emitter<'r> {
    pub(crate) rule: &'r Rule,
    pub(crate) drafts: Vec<Draft>,
}

impl<'r> Emitter<'r> {
    pub(crate) fn new(rule: &'r Rule) -> Self {
        Emitter {
            rule,
            drafts: Vec::new(),
        }
    }

    pub fn push(&mut self, draft: Draft) {
        self.drafts.push(draft);
    }

    /// The rule being evaluated; its default severity is the base for adjustments.
    pub fn rule(&self) -> &Rule {
        self.rule
    }
}
