//! The emitter: how a rule reports, and where the engine applies settings.

use crate::model::identity::ObjectRef;
use crate::model::taxonomy::Severity;
use serde::Serialize;
use std::fmt::Write as _;

/// Another object in a finding's chain of evidence (binding -> role -> subject).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Related {
    /// How the object takes part, e.g. `role`, `binding`, `subject`, `pod`.
    pub relation: &'static str,
    pub object: ObjectRef,
}

/// A finding as a rule describes it, before the engine applies settings.
#[derive(Debug, Clone)]
pub struct Draft {
    pub(super) resource: ObjectRef,
    pub(super) message: String,
    pub(super) severity: Option<Severity>,
    pub(super) path: Option<String>,
    pub(super) related: Vec<Related>,
    pub(super) discriminator: String,
    pub(super) system: Option<bool>,
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
}

/// A message naming `object` and then saying `parts`, in a string made at its size: one
/// grown by `format!` is copied a few times over, and a full evaluation writes hundreds of
/// thousands of messages.
pub fn message_about(object: &ObjectRef, parts: &[&str]) -> String {
    let len = object.display_len() + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut out = String::with_capacity(len);
    // Writing into a String cannot fail.
    let _ = write!(out, "{object}");
    parts.iter().for_each(|p| out.push_str(p));
    out
}

/// Collects the drafts of one rule.
pub struct Emitter {
    default_severity: Severity,
    pub(super) drafts: Vec<Draft>,
}

impl Emitter {
    pub(super) fn new(default_severity: Severity) -> Self {
        Emitter {
            default_severity,
            drafts: Vec::new(),
        }
    }

    pub fn push(&mut self, draft: Draft) {
        self.drafts.push(draft);
    }

    /// The rule's default severity: the base for adjustments.
    pub fn default_severity(&self) -> Severity {
        self.default_severity
    }
}
