//! Findings: what a rule reports, with enough evidence to act on and a stable identity.

use crate::engine::emit::{Draft, Related};
use crate::engine::rule::Rule;
use crate::model::identity::ObjectRef;
use crate::model::taxonomy::{Category, Reference, Severity};
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;

/// One finding. Kept compact because a large cluster has hundreds of thousands and the
/// operator holds them between passes: what comes from the rule (id, name, title,
/// category, references) is read through the rule, text is boxed without spare capacity,
/// and the fingerprint is a number rendered as hex when written.
#[derive(Debug, Clone)]
pub struct Finding {
    rule: &'static Rule,
    pub severity: Severity,
    /// The concrete evidence, naming the objects involved.
    pub message: Box<str>,
    /// The object to fix.
    pub resource: ObjectRef,
    /// Path to the offending field inside `resource`, when there is one.
    pub path: Option<Box<str>>,
    pub related: Box<[Related]>,
    /// Same rule on the same objects gives the same fingerprint, run after run.
    pub fingerprint: Fingerprint,
}

/// Rules are compared by id: two findings of the same rule are equal when all they say is.
impl PartialEq for Finding {
    fn eq(&self, other: &Finding) -> bool {
        self.rule.id == other.rule.id
            && self.severity == other.severity
            && self.message == other.message
            && self.resource == other.resource
            && self.path == other.path
            && self.related == other.related
            && self.fingerprint == other.fingerprint
    }
}

impl Eq for Finding {}

/// What identifies a finding across runs; written as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(u64);

impl Fingerprint {
    /// The number the hex digits write.
    pub fn value(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Finding", 11)?;
        st.serialize_field("ruleId", self.rule_id())?;
        st.serialize_field("ruleName", self.rule_name())?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("category", &self.category())?;
        st.serialize_field("title", self.title())?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("resource", &self.resource)?;
        match &self.path {
            Some(p) => st.serialize_field("path", p)?,
            None => st.skip_field("path")?,
        }
        if self.related.is_empty() {
            st.skip_field("related")?;
        } else {
            st.serialize_field("related", &self.related)?;
        }
        st.serialize_field("references", self.references())?;
        st.serialize_field("fingerprint", &self.fingerprint)?;
        st.end()
    }
}

impl Finding {
    pub(super) fn new(rule: &'static Rule, severity: Severity, draft: Draft) -> Finding {
        let fingerprint = fingerprint(
            rule.id,
            &draft.resource,
            draft.path.as_deref(),
            &draft.discriminator,
        );
        let mut related = draft.related;
        related.sort();
        Finding {
            rule,
            severity,
            message: draft.message.into_boxed_str(),
            resource: draft.resource,
            path: draft.path.map(String::into_boxed_str),
            related: related.into_boxed_slice(),
            fingerprint,
        }
    }

    pub fn rule(&self) -> &'static Rule {
        self.rule
    }

    pub fn rule_id(&self) -> &'static str {
        self.rule.id
    }

    pub fn rule_name(&self) -> &'static str {
        self.rule.name
    }

    pub fn title(&self) -> &'static str {
        self.rule.title
    }

    pub fn category(&self) -> Category {
        self.rule.category
    }

    pub fn references(&self) -> &'static [Reference] {
        self.rule.references
    }

    /// Judged from the whole cluster (an escalation path crosses namespaces), so reported
    /// with the cluster-scoped findings whatever namespace its resource is in.
    pub fn cluster_wide(&self) -> bool {
        self.rule.cluster_wide
    }

    /// The namespace whose report holds the finding; `None` for the cluster's.
    pub fn namespace(&self) -> Option<&str> {
        if self.cluster_wide() {
            return None;
        }
        self.resource.namespace.as_deref()
    }

    /// The namespace whose objects decide the finding; `None` for the cluster-scoped part
    /// (see [`ObjectRef::scope_namespace`]).
    pub fn scope_namespace(&self) -> Option<&str> {
        if self.cluster_wide() {
            return None;
        }
        self.resource.scope_namespace()
    }

    /// Report order: most severe first, then by rule, then by object.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.severity),
            ById(self.rule),
            &self.resource,
            &self.path,
            self.fingerprint,
        )
    }
}

/// A rule ordered by its id; the same rule is told at once, without reading the id.
struct ById(&'static Rule);

impl PartialEq for ById {
    fn eq(&self, other: &ById) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for ById {}

impl PartialOrd for ById {
    fn partial_cmp(&self, other: &ById) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ById {
    fn cmp(&self, other: &ById) -> std::cmp::Ordering {
        if std::ptr::eq(self.0, other.0) {
            return std::cmp::Ordering::Equal;
        }
        self.0.id.cmp(other.0.id)
    }
}

/// Hashes what identifies a finding. The message is left out on purpose: wording may
/// change between versions without making an old finding new.
fn fingerprint(
    rule_id: &str,
    resource: &ObjectRef,
    path: Option<&str>,
    discriminator: &str,
) -> Fingerprint {
    let mut h = Sha256::new();
    for part in [
        rule_id,
        &resource.api_version,
        &resource.kind,
        resource.namespace.as_deref().unwrap_or(""),
        &resource.name,
        path.unwrap_or(""),
        discriminator,
    ] {
        h.update(part.as_bytes());
        // A separator that cannot occur in names keeps ("ab","c") apart from ("a","bc").
        h.update([0u8]);
    }
    let digest = h.finalize();
    // The first 8 bytes, as the 16 hex digits fingerprints have always been written with.
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    Fingerprint(u64::from_be_bytes(first))
}
