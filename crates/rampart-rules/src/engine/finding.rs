//! Findings: what a rule reports, with enough evidence to act on and a stable identity.

use crate::model::identity::ObjectRef;
use crate::model::taxonomy::{Category, Reference, Severity};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Another object in a finding's chain of evidence (binding -> role -> subject).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Related {
    /// How the object takes part, e.g. `role`, `binding`, `subject`, `pod`.
    pub relation: &'static str,
    pub object: ObjectRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub rule_id: &'static str,
    pub rule_name: &'static str,
    pub severity: Severity,
    pub category: Category,
    pub title: &'static str,
    /// The concrete evidence, naming the objects involved.
    pub message: String,
    /// The object to fix.
    pub resource: ObjectRef,
    /// Path to the offending field inside `resource`, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<Related>,
    pub references: &'static [Reference],
    /// Same rule on the same objects gives the same fingerprint, run after run.
    pub fingerprint: String,
    /// Judged from the whole cluster (an escalation path crosses namespaces), so reported
    /// with the cluster-scoped findings whatever namespace its resource is in.
    #[serde(skip)]
    pub cluster_wide: bool,
}

impl Finding {
    /// The namespace whose report holds the finding; `None` for the cluster's.
    pub fn namespace(&self) -> Option<&str> {
        if self.cluster_wide {
            return None;
        }
        self.resource.namespace.as_deref()
    }

    /// The namespace whose objects decide the finding; `None` for the cluster-scoped part
    /// (see [`ObjectRef::scope_namespace`]).
    pub fn scope_namespace(&self) -> Option<&str> {
        if self.cluster_wide {
            return None;
        }
        self.resource.scope_namespace()
    }

    /// Report order: most severe first, then by rule, then by object.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.severity),
            self.rule_id,
            &self.resource,
            &self.path,
            &self.fingerprint,
        )
    }
}

/// Hashes what identifies a finding. The message is left out on purpose: wording may
/// change between versions without making an old finding new.
pub(super) fn fingerprint(
    rule_id: &str,
    resource: &ObjectRef,
    path: Option<&str>,
    discriminator: &str,
) -> String {
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
    // One allocation: this runs for every finding, and large clusters have 100k+.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(16);
    for b in &digest[..8] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}
