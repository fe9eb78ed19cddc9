//! Exceptions as written: findings a team accepts on purpose, with who accepted them, why
//! and until when. The same documents come from the cluster (`PostureException`, confined
//! to its namespace, and `ClusterPostureException`), from scanned manifests, from
//! `rampart scan --exceptions` and from the settings file.
//!
//! ```yaml
//! apiVersion: rampart.dev/v1alpha1
//! kind: PostureException
//! metadata: {name: cni-privileged, namespace: net}
//! spec:
//!   rules: [POD003]                          # rule ids or names; "*" for every rule
//!   resources: [{kind: Pod, name: "cni-*"}]  # kind, namespace, name (globs), selector
//!   reason: CNI plugin configures host networking
//!   owner: platform-team
//!   expires: "2027-06-30T00:00:00Z"
//!   ticket: https://tracker.example/SEC-12   # optional
//! ```
//! Nothing is judged here: whether an exception is in force, and what it matches, is the
//! engine's question (`engine::exceptions`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::jiff::Timestamp;
use serde::Deserialize;
use std::fmt;

pub const API_VERSION: &str = "rampart.dev/v1alpha1";
pub const NAMESPACED_KIND: &str = "PostureException";
pub const CLUSTER_KIND: &str = "ClusterPostureException";

/// What an exception says, as its `spec` writes it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExceptionSpec {
    /// Rule ids or names; `*` for every rule.
    pub rules: Vec<String>,
    /// The objects it covers: an object matches when it matches any entry.
    pub resources: Vec<ResourceMatch>,
    pub reason: String,
    pub owner: String,
    pub expires: Timestamp,
    /// A link to the decision (a ticket, a review).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

/// Objects an exception covers: every field given must match. `kind`, `namespace` and
/// `name` are globs where `*` stands for any run of characters; `selector` reads the
/// object's labels.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceMatch {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub selector: Option<LabelSelector>,
}

/// One exception, named as the cluster names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Exception {
    pub name: String,
    /// A `PostureException`'s namespace: it covers objects there and nowhere else. `None`
    /// for a `ClusterPostureException`.
    pub namespace: Option<String>,
    pub spec: ExceptionSpec,
}

impl Exception {
    /// How findings and reports name it: `namespace/name`, or the name of a cluster-wide
    /// one (a name has no `/`, so the two never collide).
    pub fn id(&self) -> String {
        id_of(self.namespace.as_deref(), &self.name)
    }

    pub fn kind(&self) -> &'static str {
        if self.namespace.is_some() {
            NAMESPACED_KIND
        } else {
            CLUSTER_KIND
        }
    }
}

impl fmt::Display for Exception {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind(), self.id())
    }
}

/// The id of the exception named `name` in `namespace` (see [`Exception::id`]), for code
/// that holds the name before the exception reads.
pub fn id_of(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_owned(),
    }
}

/// Why a document is not an exception.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExceptionError {
    #[error("{kind} is not an exception kind (expected {NAMESPACED_KIND} or {CLUSTER_KIND})")]
    NotAnException { kind: String },
    #[error("{kind} has apiVersion {found:?}; expected {API_VERSION}")]
    ApiVersion { kind: String, found: String },
    #[error("{kind} has no metadata.name")]
    Unnamed { kind: String },
    #[error("{kind} {name}: {message}")]
    Spec {
        kind: String,
        name: String,
        message: String,
    },
}

/// Whether a document's kind and apiVersion make it an exception, before it is read.
pub fn is_exception(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("rampart.dev/") && (kind == NAMESPACED_KIND || kind == CLUSTER_KIND)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    metadata: DocumentMeta,
    #[serde(default)]
    spec: Option<serde_json::Value>,
}

#[derive(Default, Deserialize)]
struct DocumentMeta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
}

impl Exception {
    /// Reads one document. A `PostureException` that names no namespace keeps `None` here
    /// and gets one where it is placed (`Exception::place`), as kubectl would place it.
    pub fn from_document(value: serde_json::Value) -> Result<Exception, ExceptionError> {
        let doc: Document = serde_json::from_value(value).map_err(|e| ExceptionError::Spec {
            kind: "exception".to_owned(),
            name: String::new(),
            message: e.to_string(),
        })?;
        let kind = doc.kind;
        if kind != NAMESPACED_KIND && kind != CLUSTER_KIND {
            return Err(ExceptionError::NotAnException { kind });
        }
        if doc.api_version != API_VERSION {
            return Err(ExceptionError::ApiVersion {
                kind,
                found: doc.api_version,
            });
        }
        let Some(name) = doc.metadata.name.filter(|n| !n.is_empty()) else {
            return Err(ExceptionError::Unnamed { kind });
        };
        let spec_error = |message: String| ExceptionError::Spec {
            kind: kind.clone(),
            name: name.clone(),
            message,
        };
        let spec = doc
            .spec
            .ok_or_else(|| spec_error("has no spec".to_owned()))?;
        let spec: ExceptionSpec =
            serde_json::from_value(spec).map_err(|e| spec_error(format!("spec: {e}")))?;
        let namespace = if kind == NAMESPACED_KIND {
            Some(doc.metadata.namespace.unwrap_or_default())
        } else {
            None
        };
        Ok(Exception {
            name,
            namespace,
            spec,
        })
    }

    /// Places a `PostureException` that names no namespace in `namespace`, as
    /// `kubectl apply --namespace` would; says whether it did.
    pub fn place(&mut self, namespace: &str) -> bool {
        match &mut self.namespace {
            Some(ns) if ns.is_empty() => {
                namespace.clone_into(ns);
                true
            }
            _ => false,
        }
    }
}

/// An exception reads from its whole document, as the settings file lists them.
impl<'de> Deserialize<'de> for Exception {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Exception, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Exception::from_document(value).map_err(serde::de::Error::custom)
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters (none
/// included) and every other character for itself.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    // `split` yields at least one part: the text before the first `*`.
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: the whole text must be the pattern.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(yaml: &str) -> serde_json::Value {
        serde_yaml_ng::from_str(yaml).expect("test YAML")
    }

    const NAMESPACED: &str = "apiVersion: rampart.dev/v1alpha1\nkind: PostureException\nmetadata: {name: cni-privileged, namespace: net}\nspec:\n  rules: [POD003]\n  resources: [{kind: Pod, name: 'cni-*'}]\n  reason: CNI plugin configures host networking\n  owner: platform-team\n  expires: '2027-06-30T00:00:00Z'\n";

    #[test]
    fn reads_a_namespaced_exception() {
        let e = Exception::from_document(doc(NAMESPACED)).expect("valid exception");
        assert_eq!(e.id(), "net/cni-privileged");
        assert_eq!(e.kind(), NAMESPACED_KIND);
        assert_eq!(e.spec.rules, ["POD003"]);
        assert_eq!(e.spec.resources[0].name.as_deref(), Some("cni-*"));
        assert_eq!(e.spec.owner, "platform-team");
        assert_eq!(e.spec.expires.to_string(), "2027-06-30T00:00:00Z");
        assert_eq!(e.to_string(), "PostureException net/cni-privileged");
    }

    #[test]
    fn a_cluster_exception_has_no_namespace_and_an_unplaced_one_gets_one() {
        let text = NAMESPACED
            .replace("kind: PostureException", "kind: ClusterPostureException")
            .replace(", namespace: net", "");
        let e = Exception::from_document(doc(&text)).expect("valid exception");
        assert_eq!(
            (e.namespace.as_deref(), e.id().as_str()),
            (None, "cni-privileged")
        );
        let mut unplaced =
            Exception::from_document(doc(&NAMESPACED.replace(", namespace: net", "")))
                .expect("valid exception");
        assert!(unplaced.place("team"));
        assert_eq!(unplaced.id(), "team/cni-privileged");
        assert!(!unplaced.place("other"));
    }

    #[test]
    fn malformed_documents_say_what_is_wrong() {
        let missing_owner = NAMESPACED.replace("  owner: platform-team\n", "");
        let err = Exception::from_document(doc(&missing_owner)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("PostureException cni-privileged: spec: missing field `owner`"),
            "{err}"
        );
        let bad_date = NAMESPACED.replace("'2027-06-30T00:00:00Z'", "'next summer'");
        let err = Exception::from_document(doc(&bad_date)).unwrap_err();
        assert!(err.to_string().contains("spec:"), "{err}");
        let typo = NAMESPACED.replace("  owner:", "  ownr: x\n  owner:");
        let err = Exception::from_document(doc(&typo)).unwrap_err();
        assert!(err.to_string().contains("unknown field `ownr`"), "{err}");
        let old = NAMESPACED.replace("v1alpha1", "v0");
        assert!(matches!(
            Exception::from_document(doc(&old)),
            Err(ExceptionError::ApiVersion { .. })
        ));
        let unnamed = NAMESPACED.replace("name: cni-privileged, ", "");
        assert!(matches!(
            Exception::from_document(doc(&unnamed)),
            Err(ExceptionError::Unnamed { .. })
        ));
    }

    #[test]
    fn globs() {
        assert!(glob_matches("cni-*", "cni-plugin"));
        assert!(glob_matches("cni-*", "cni-"));
        assert!(!glob_matches("cni-*", "xcni-a"));
        assert!(glob_matches("*-sa", "build-sa"));
        assert!(glob_matches("a*b*c", "aXXbYYc"));
        assert!(!glob_matches("a*b*c", "aXXcYYb"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("web", "web"));
        assert!(!glob_matches("web", "web2"));
        assert!(!glob_matches("ab*ba", "aba"), "the parts may not overlap");
    }
}
