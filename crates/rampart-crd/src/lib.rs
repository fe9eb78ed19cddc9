//! Rampart's custom resources, group `rampart.dev`, version `v1alpha1`.
//!
//! ```text
//! PostureReport  (namespaced, one per namespace, named `posture`)  -> that namespace's findings
//! ClusterPostureReport (cluster-scoped, one, named `cluster`)      -> cluster-scoped findings
//!                                                                     and the cluster summary
//! ```
//! Both carry a `report` with the same shape, so tools read them alike. This crate only
//! defines the wire format; turning findings into reports is the operator's job.

// kube's `printcolumn(...)` entries repeat keys such as `type_` by design; clippy reads
// them as duplicated attributes.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
    ValidationRule,
};
use kube::{CustomResource, CustomResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The name of the one PostureReport in each namespace.
pub const POSTURE_REPORT_NAME: &str = "posture";
/// The name of the one ClusterPostureReport.
pub const CLUSTER_REPORT_NAME: &str = "cluster";
/// Largest serialized report; beyond it the least severe findings are dropped.
pub const MAX_REPORT_BYTES: usize = 512 * 1024;

/// A namespace's security posture, as Rampart last evaluated it.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "rampart.dev",
    version = "v1alpha1",
    kind = "PostureReport",
    namespaced,
    no_spec,
    shortname = "posture",
    shortname = "pr",
    category = "rampart",
    doc = "Security posture findings of one namespace, written by the Rampart operator.",
    printcolumn(
        name = "Score",
        type_ = "integer",
        json_path = ".report.score",
        description = "Posture score, 0-100"
    ),
    printcolumn(
        name = "Critical",
        type_ = "integer",
        json_path = ".report.summary.critical",
        description = "Critical findings"
    ),
    printcolumn(
        name = "High",
        type_ = "integer",
        json_path = ".report.summary.high",
        description = "High findings"
    ),
    printcolumn(
        name = "Medium",
        type_ = "integer",
        json_path = ".report.summary.medium",
        description = "Medium findings"
    ),
    printcolumn(
        name = "Low",
        type_ = "integer",
        json_path = ".report.summary.low",
        description = "Low findings"
    ),
    printcolumn(
        name = "Excepted",
        type_ = "integer",
        json_path = ".report.exceptedCount",
        description = "Findings accepted by exceptions, left out of the counts and the score"
    ),
    printcolumn(
        name = "Changed",
        type_ = "date",
        json_path = ".report.lastEvaluated",
        description = "When an evaluation last changed the report (not when it last ran: an unchanged report is not rewritten)"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
pub struct PostureReportFields {
    /// The evaluation result.
    pub report: Report,
}

/// Cluster-scoped security posture findings and the cluster-wide summary.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "rampart.dev",
    version = "v1alpha1",
    kind = "ClusterPostureReport",
    no_spec,
    shortname = "cposture",
    shortname = "cpr",
    category = "rampart",
    doc = "Cluster-scoped security posture findings (ClusterRoles, ClusterRoleBindings, Namespaces, encryption, the control plane) and the cluster-wide summary, written by the Rampart operator.",
    printcolumn(
        name = "Score",
        type_ = "integer",
        json_path = ".clusterScore",
        description = "Cluster posture score, 0-100, over the findings of reported namespaces and cluster-scoped objects"
    ),
    printcolumn(
        name = "Critical",
        type_ = "integer",
        json_path = ".clusterSummary.critical",
        description = "Critical findings of reported namespaces and cluster-scoped objects"
    ),
    printcolumn(
        name = "High",
        type_ = "integer",
        json_path = ".clusterSummary.high",
        description = "High findings of reported namespaces and cluster-scoped objects"
    ),
    printcolumn(
        name = "Medium",
        type_ = "integer",
        json_path = ".clusterSummary.medium",
        description = "Medium findings of reported namespaces and cluster-scoped objects"
    ),
    printcolumn(
        name = "Low",
        type_ = "integer",
        json_path = ".clusterSummary.low",
        description = "Low findings of reported namespaces and cluster-scoped objects"
    ),
    printcolumn(
        name = "Excepted",
        type_ = "integer",
        json_path = ".clusterExcepted",
        description = "Findings of reported namespaces and cluster-scoped objects accepted by exceptions"
    ),
    printcolumn(
        name = "Encryption",
        type_ = "string",
        json_path = ".encryption.state",
        description = "Secrets encryption at rest: encrypted, unencrypted, partially-migrated or unknown"
    ),
    printcolumn(
        name = "Kubernetes",
        type_ = "string",
        json_path = ".controlPlane.version.state",
        description = "The worst standing of the API server's and the kubelets' versions: current, patch-behind, end-of-life or unknown"
    ),
    printcolumn(
        name = "Changed",
        type_ = "date",
        json_path = ".report.lastEvaluated",
        description = "When an evaluation last changed the report (not when it last ran: an unchanged report is not rewritten)"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterPostureReportFields {
    /// Cluster-scoped findings; its score is theirs alone.
    pub report: Report,
    /// The cluster's posture score, 0-100, over every finding of the namespaces that get
    /// reports and of cluster-scoped objects: what `rampart_posture_score` says. While
    /// changes keep coming it is written at most every 30 seconds.
    #[serde(default)]
    pub cluster_score: u8,
    /// Counts of the findings `cluster_score` covers, namespaced ones included.
    pub cluster_summary: SeverityCounts,
    /// Findings accepted by exceptions, over what `cluster_summary` covers: not in it.
    #[serde(default)]
    pub cluster_excepted: u32,
    /// Whether Secrets are encrypted at rest, and the evidence that decided it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionStatus>,
    /// The control plane's posture: anonymous access, authorization, audit logging,
    /// admission and the Kubernetes versions, each with the evidence that decided it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control_plane: Option<ControlPlaneStatus>,
}

/// Most distinct kubelet versions a report lists; the rest are counted in
/// `omittedVersions`, so a large cluster's report stays small.
pub const MAX_KUBELET_VERSIONS: usize = 20;

/// The control plane's posture, each verdict decided from the strongest evidence Rampart
/// could read (an anonymous probe, kube-apiserver's /metrics or its pod's flags, Nodes).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlaneStatus {
    /// What requests without credentials reach: `disabled`, `public-info-only` (only
    /// /version, /healthz, /livez, /readyz), `enabled` (on, reach not probed), `exposed`
    /// (more than the public-info endpoints) or `unknown`.
    pub anonymous: ControlPlaneCheck,
    /// The API server's authorization modes: `node-rbac`, `incomplete` (without Node or
    /// RBAC), `always-allow` or `unknown`.
    pub authorization: ControlPlaneCheck,
    /// Whether the API server records an audit log: `on`, `off` or `unknown`.
    pub audit_logging: ControlPlaneCheck,
    /// The admission plugins that matter most: `ok` (NodeRestriction and PodSecurity on,
    /// AlwaysAdmit off), `weak` or `unknown`.
    pub admission: ControlPlaneCheck,
    /// The API server's and the kubelets' versions against Rampart's table of releases.
    pub version: VersionStatus,
}

/// One control-plane verdict.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControlPlaneCheck {
    /// The verdict, from the check's fixed set of states.
    pub state: String,
    /// What decided it: `probe`, `apiserver-metrics`, `apiserver-flags`, `none`...
    pub evidence: String,
    /// The verdict in one sentence.
    pub detail: String,
}

/// How the cluster's Kubernetes versions stand.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionStatus {
    /// The worse of `apiServer.state` and `kubelets.state`: `end-of-life`, `patch-behind`,
    /// `current`, or `unknown` when neither is known.
    pub state: String,
    /// The API server's version.
    pub api_server: ApiServerVersion,
    /// The kubelets' versions, summarised.
    pub kubelets: KubeletVersions,
    /// When Rampart's table of Kubernetes releases was generated (YYYY-MM-DD): versions
    /// released since are `unknown`, and end-of-life dates are as of then.
    pub release_table: String,
}

/// The API server's version and how it stands.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiServerVersion {
    /// The version (`v1.37.2`), absent when none could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `current`, `patch-behind`, `end-of-life` or `unknown`.
    pub state: String,
    /// Where the version was read: `probe` (/version), `declared`, `apiserver-image` or
    /// `none`.
    pub evidence: String,
}

/// The kubelets' versions: how many Nodes run each distinct version.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubeletVersions {
    /// The worst standing of any kubelet: `end-of-life`, `patch-behind`, `current`, or
    /// `unknown` when no Node shows a version.
    pub state: String,
    /// Nodes with a readable kubelet version.
    pub nodes: u32,
    /// Those Nodes by the standing of their kubelet.
    pub by_state: KubeletStates,
    /// Each distinct version with its Node count, worst standing first, at most 20.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = MAX_KUBELET_VERSIONS))]
    pub versions: Vec<KubeletVersion>,
    /// Distinct versions left out of `versions` (their Nodes are in `byState`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted_versions: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Nodes per standing of their kubelet's version.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubeletStates {
    /// On the newest patch of a supported minor.
    pub current: u32,
    /// On a supported minor, behind its newest patch.
    pub patch_behind: u32,
    /// On a minor past its end of life.
    pub end_of_life: u32,
    /// On a minor the release table does not know.
    pub unknown: u32,
}

/// One kubelet version and the Nodes that run it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubeletVersion {
    /// The version as the Nodes report it (`v1.37.2`, `v1.30.4-eks-a1b2c3`).
    pub version: String,
    /// `current`, `patch-behind`, `end-of-life` or `unknown`.
    pub state: String,
    /// Nodes whose kubelet reports it.
    pub nodes: u32,
}

/// Secrets encryption at rest, decided from the strongest evidence Rampart could read.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EncryptionStatus {
    /// `encrypted`, `unencrypted`, `partially-migrated` (new writes encrypted, some Secrets
    /// still stored in plaintext) or `unknown`.
    pub state: String,
    /// The provider Secrets are written with (`aescbc`, `aesgcm`, `kms v2`, `identity`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// What decided it: `apiserver-metrics`, `apiserver-flags`, `encryption-configuration`,
    /// `declared` (a platform setting, not proven) or `none`.
    pub evidence: String,
    /// The verdict in one sentence.
    pub detail: String,
    /// Why stronger evidence did not decide (for example metrics that were forbidden).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One evaluation's result for a scope.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Posture score 0-100: `round(100 * 50 / (50 + P))`, P the sum of finding weights
    /// (critical 10, high 5, medium 2, low 1, info 0).
    pub score: u8,
    /// Findings per severity; exact even when `findings` is truncated.
    pub summary: SeverityCounts,
    /// When the evaluation that last changed this report ran (RFC 3339). An evaluation
    /// that finds what the report already says is not written, or every pass would rewrite
    /// every report; so this is when the findings, counts or notes last changed, not when
    /// they were last checked (`rampart_last_evaluation_timestamp_seconds` says that).
    pub last_evaluated: String,
    /// Version of the Rampart operator that wrote the report.
    pub rampart_version: String,
    /// True when findings are missing from both `findings` and `folded` (only their counts
    /// remain), because even folded they did not fit the report's share of the budget.
    #[serde(default)]
    pub truncated: bool,
    /// What could not be evaluated (for example a kind Rampart may not list), so an empty
    /// report is never mistaken for a clean one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub could_not_evaluate: Vec<String>,
    /// Findings, most severe first.
    #[serde(default)]
    pub findings: Vec<ReportFinding>,
    /// Findings folded to keep the report within its share of the budget for all reports:
    /// one entry per rule and severity after the most severe findings, which stay whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folded: Vec<FoldedFindings>,
    /// How many findings exceptions accept here: out of `summary` and `score`.
    #[serde(default)]
    pub excepted_count: u32,
    /// The findings exceptions accept, most severe first, as many as fit the report's
    /// room for them (`exceptedCount` is exact).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excepted: Vec<ExceptedFinding>,
}

impl Report {
    /// The report's lists its JSON leaves out while they are empty. A report applied over
    /// one that was replaced names them all (empty), or the API server would keep what
    /// they held: nobody owns a replaced report's fields (`rampart-operator`'s `replace`).
    pub const LISTS_LEFT_OUT_EMPTY: [&'static str; 3] = ["couldNotEvaluate", "folded", "excepted"];
}

/// A finding an exception accepts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExceptedFinding {
    /// Stable rule id, e.g. POD003.
    pub rule_id: String,
    /// Severity it would have: critical, high, medium, low or info.
    pub severity: String,
    /// The object.
    pub resource: ResourceRef,
    /// The exception: `namespace/name` of a PostureException, the name of a
    /// ClusterPostureException.
    pub exception: String,
    /// Who accepted it.
    pub owner: String,
    /// When the exception stops applying (RFC 3339); empty for Rampart's built-in
    /// acceptance of its own Secret grant, which does not expire.
    pub expires: String,
    /// The finding's fingerprint.
    pub fingerprint: String,
}

/// Findings of one rule and severity, folded into one entry.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FoldedFindings {
    /// Stable rule id, e.g. POD017.
    pub rule_id: String,
    /// Severity: critical, high, medium, low or info.
    pub severity: String,
    /// The rule's title.
    pub title: String,
    /// How many findings the entry stands for.
    pub count: u32,
    /// The objects of those findings as `Kind namespace/name`, as many as fit, joined by
    /// `, ` into one string (the only item): what the API server pays to store a report
    /// follows the values in it, not its bytes. Reports of earlier versions listed one
    /// object per item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// The fingerprint of every folded finding, so folding is never mistaken for a fix:
    /// joined by spaces into one string (the only item; one per item in reports of earlier
    /// versions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fingerprints: Vec<String>,
    /// The earliest firstSeen of the folded findings (RFC 3339).
    pub first_seen: String,
}

/// Separates the objects in [`FoldedFindings::resources`].
pub const OBJECT_SEPARATOR: &str = ", ";

impl FoldedFindings {
    /// Every folded finding's fingerprint, from a report written by this version or an
    /// earlier one.
    pub fn every_fingerprint(&self) -> impl Iterator<Item = &str> {
        self.fingerprints.iter().flat_map(|f| f.split_whitespace())
    }

    /// The objects named, from a report written by this version or an earlier one. A name
    /// holding the separator itself (a Role may be called `a, b`) reads as two.
    pub fn named_objects(&self) -> impl Iterator<Item = &str> {
        self.resources
            .iter()
            .flat_map(|r| r.split(OBJECT_SEPARATOR))
            .filter(|o| !o.is_empty())
    }
}

/// Counts of findings per severity.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct SeverityCounts {
    /// Critical findings.
    pub critical: u32,
    /// High findings.
    pub high: u32,
    /// Medium findings.
    pub medium: u32,
    /// Low findings.
    pub low: u32,
    /// Informational findings.
    pub info: u32,
}

/// One finding.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportFinding {
    /// Stable rule id, e.g. RBAC001 (`rampart rules explain ID` documents it).
    pub rule_id: String,
    /// Severity: critical, high, medium, low or info.
    pub severity: String,
    /// Category: rbac, serviceaccount, namespace, networkpolicy, encryption, workload,
    /// secrets or controlplane.
    pub category: String,
    /// The rule's title.
    pub title: String,
    /// The concrete evidence, naming the objects involved.
    pub message: String,
    /// The object to fix.
    pub resource: ResourceRef,
    /// Path to the offending field within the resource, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Other objects in the chain of evidence (binding, role, subject).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedRef>,
    /// Identifies the same finding on the same objects across evaluations.
    pub fingerprint: String,
    /// When Rampart first saw this finding (RFC 3339); kept across evaluations and restarts.
    pub first_seen: String,
}

/// A Kubernetes object or RBAC subject.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    /// API version, e.g. rbac.authorization.k8s.io/v1.
    pub api_version: String,
    /// Kind, e.g. ClusterRoleBinding.
    pub kind: String,
    /// Namespace, absent for cluster-scoped objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

/// An object in a finding's chain of evidence.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
pub struct RelatedRef {
    /// How the object takes part: binding, role, subject, ...
    pub relation: String,
    /// The object.
    pub object: ResourceRef,
}

/// The two exception kinds differ in scope alone: one struct each (kube derives a kind
/// from a struct), the same columns and the same spec.
macro_rules! exception_kind {
    ($(#[$doc:meta])* $spec:ident, $kind:tt, $short:tt, $about:tt $(, $namespaced:ident)?) => {
        $(#[$doc])*
        #[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
        #[kube(
            group = "rampart.dev",
            version = "v1alpha1",
            kind = $kind,
            $($namespaced,)?
            status = "ExceptionStatus",
            shortname = $short,
            category = "rampart",
            doc = $about,
            printcolumn(name = "Rules", type_ = "string", json_path = ".spec.rules", description = "Rule ids or names it covers"),
            printcolumn(name = "Owner", type_ = "string", json_path = ".spec.owner", description = "Who accepted the findings"),
            printcolumn(name = "Expires", type_ = "string", json_path = ".spec.expires", description = "When it stops applying"),
            printcolumn(name = "Matched", type_ = "integer", json_path = ".status.matched", description = "Findings it covers"),
            printcolumn(name = "State", type_ = "string", json_path = ".status.state", description = "Active, Stale (covers nothing), Expired or Invalid"),
            printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
        )]
        #[serde(rename_all = "camelCase")]
        pub struct $spec {
            #[serde(flatten)]
            pub exception: ExceptionSpec,
        }
    };
}

exception_kind!(
    /// Findings a team accepts on purpose in its namespace: which rules, which objects,
    /// who accepted them, why and until when.
    PostureExceptionSpec,
    "PostureException",
    "pex",
    "Findings accepted on purpose in this namespace, with an owner, a reason and an expiry. Rampart reports the findings it covers as excepted, out of the counts and the score, until it expires.",
    namespaced
);

exception_kind!(
    /// Findings accepted on purpose anywhere in the cluster, cluster-scoped objects
    /// included.
    ClusterPostureExceptionSpec,
    "ClusterPostureException",
    "cpex",
    "Findings accepted on purpose anywhere in the cluster, with an owner, a reason and an expiry. Rampart reports the findings it covers as excepted, out of the counts and the score, until it expires."
);

/// What both exception kinds say.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionSpec {
    /// Rule ids or names (`POD003`, `privileged-container`); `*` for every rule.
    pub rules: Vec<String>,
    /// The objects it covers: an object is covered when it matches any entry.
    pub resources: Vec<ExceptionResource>,
    /// Why the findings are accepted.
    pub reason: String,
    /// Who accepted them: a team or a person to ask.
    pub owner: String,
    /// When it stops applying (RFC 3339). Rampart refuses expiries further ahead than its
    /// settings allow (180 days unless configured).
    pub expires: String,
    /// A link to the decision: a ticket, a review.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

/// Objects an exception covers: every field given must match.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionResource {
    /// Kind (`Pod`, `ClusterRoleBinding`); `*` matches any run of characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The namespace objects are in (a glob); a ClusterPostureException only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The object's name (a glob: `cni-*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The object's labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
}

/// A label selector, as Deployments and NetworkPolicies write one.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// Labels the object must have, with these values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<std::collections::BTreeMap<String, String>>,
    /// Requirements on labels, all of which must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_expressions: Option<Vec<LabelSelectorRequirement>>,
}

/// One requirement on a label.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct LabelSelectorRequirement {
    /// The label's key.
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: String,
    /// The values `In` and `NotIn` compare with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
}

/// What Rampart made of an exception, written only when it changes.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionStatus {
    /// `Active`, `Stale` (in force, covering no finding), `Expired` or `Invalid`.
    pub state: String,
    /// Why it is invalid, or when it expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How many findings it covers.
    pub matched: u32,
    /// When an evaluation last changed this status (RFC 3339).
    pub last_evaluated: String,
    /// The generation of the spec this status judges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// Rules the API server checks when an exception is written (CEL), with the message a
/// user sees when one fails. Whether its expiry is too far ahead needs a clock, which CEL
/// does not have: Rampart judges that, and says so in the status.
const EXCEPTION_RULES: &[(&str, &str)] = &[
    (
        "self.rules.size() > 0",
        "spec.rules must name at least one rule id or name ('*' for every rule)",
    ),
    (
        "self.resources.size() > 0",
        "spec.resources must name at least one kind, name or selector",
    ),
    (
        "self.reason.trim().size() > 0",
        "spec.reason must say why the findings are accepted",
    ),
    (
        "self.owner.trim().size() > 0",
        "spec.owner must name who accepted the findings",
    ),
];

/// The rule a PostureException adds: it covers its own namespace, which it does not name.
const NAMESPACED_EXCEPTION_RULE: (&str, &str) = (
    "self.resources.all(r, !has(r.__namespace__))",
    "a PostureException covers objects in its own namespace only: remove spec.resources[].namespace, or use a ClusterPostureException",
);

/// Bounds the exception spec's lists and strings: the API server estimates what each CEL
/// rule may cost from them (an unbounded list makes `all()` too costly to admit), and an
/// exception has no use for a megabyte of reason.
fn bound_exception_spec(spec: &mut JSONSchemaProps) {
    let Some(props) = spec.properties.as_mut() else {
        return;
    };
    let mut bound = |name: &str, items: Option<i64>, length: Option<i64>| {
        if let Some(p) = props.get_mut(name) {
            p.max_items = items;
            match (&mut p.items, length) {
                (Some(JSONSchemaPropsOrArray::Schema(item)), Some(n)) => item.max_length = Some(n),
                (_, n) if items.is_none() => p.max_length = n,
                _ => {}
            }
        }
    };
    bound("rules", Some(64), Some(128));
    bound("resources", Some(64), None);
    bound("reason", None, Some(2048));
    bound("owner", None, Some(256));
    bound("ticket", None, Some(2048));
    if let Some(expires) = props.get_mut("expires") {
        expires.format = Some("date-time".to_owned());
    }
    if let Some(JSONSchemaPropsOrArray::Schema(entry)) =
        props.get_mut("resources").and_then(|r| r.items.as_mut())
        && let Some(fields) = entry.properties.as_mut()
    {
        for name in ["kind", "namespace", "name"] {
            if let Some(f) = fields.get_mut(name) {
                f.max_length = Some(253);
            }
        }
    }
}

/// The CRDs of every Rampart resource, in a stable order, with schemas in the formats
/// Kubernetes knows (use these rather than the types' own `crd()`).
pub fn crds() -> Vec<CustomResourceDefinition> {
    let mut exceptions = [ClusterPostureException::crd(), PostureException::crd()];
    for crd in &mut exceptions {
        let namespaced = crd.spec.scope == "Namespaced";
        for version in &mut crd.spec.versions {
            let Some(spec) = version
                .schema
                .as_mut()
                .and_then(|s| s.open_api_v3_schema.as_mut())
                .and_then(|s| s.properties.as_mut())
                .and_then(|p| p.get_mut("spec"))
            else {
                continue;
            };
            let rules = EXCEPTION_RULES
                .iter()
                .chain(namespaced.then_some(&NAMESPACED_EXCEPTION_RULE));
            spec.x_kubernetes_validations = Some(
                rules
                    .map(|(rule, message)| ValidationRule {
                        rule: (*rule).to_owned(),
                        message: Some((*message).to_owned()),
                        ..ValidationRule::default()
                    })
                    .collect(),
            );
            bound_exception_spec(spec);
        }
    }
    let [cluster_exception, exception] = exceptions;
    let mut crds = vec![
        cluster_exception,
        ClusterPostureReport::crd(),
        exception,
        PostureReport::crd(),
    ];
    for version in crds.iter_mut().flat_map(|c| &mut c.spec.versions) {
        if let Some(schema) = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
        {
            kubernetes_formats(schema);
        }
    }
    crds
}

/// The string formats a CRD schema may use, as kube-apiserver lists them
/// (`apiextensions-apiserver/pkg/apiserver/validation/formats.go`), compared with `-`
/// removed (`date-time` is `datetime`). Integers may be `int32` or `int64`, numbers
/// `float` or `double`; no other type takes a format.
pub const KUBERNETES_STRING_FORMATS: &[&str] = &[
    "bsonobjectid",
    "uri",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "cidr",
    "mac",
    "uuid",
    "uuid3",
    "uuid4",
    "uuid5",
    "isbn",
    "isbn10",
    "isbn13",
    "creditcard",
    "ssn",
    "hexcolor",
    "rgbcolor",
    "byte",
    "password",
    "date",
    "duration",
    "datetime",
];

/// Rewrites the `format`s schemars gives Rust's types (`uint8`, `uint32`...) into ones
/// Kubernetes knows, or drops them: kube-apiserver ignores any other format and kubectl
/// warns `unrecognized format` on every apply. `minimum` and `maximum` carry the range.
fn kubernetes_formats(schema: &mut JSONSchemaProps) {
    if let Some(format) = schema.format.take() {
        schema.format = match (schema.type_.as_deref(), format.as_str()) {
            (Some("integer"), "int8" | "int16" | "int32" | "uint8" | "uint16") => {
                Some("int32".to_owned())
            }
            (Some("integer"), "uint32") => {
                // schemars gives u32 a minimum only; int64 alone would admit more.
                schema.maximum.get_or_insert(f64::from(u32::MAX));
                Some("int64".to_owned())
            }
            (Some("integer"), "int64") => Some("int64".to_owned()),
            // u64, i128, usize...: no Kubernetes format holds them.
            (Some("integer"), _) => None,
            (Some("number"), "float" | "double") => Some(format),
            (Some("string") | None, f)
                if KUBERNETES_STRING_FORMATS.contains(&f.replace('-', "").as_str()) =>
            {
                Some(format)
            }
            _ => None,
        };
    }
    let children = schema
        .properties
        .iter_mut()
        .chain(schema.pattern_properties.iter_mut())
        .chain(schema.definitions.iter_mut())
        .flat_map(|m| m.values_mut())
        .chain(
            [&mut schema.all_of, &mut schema.any_of, &mut schema.one_of]
                .into_iter()
                .flatten()
                .flatten(),
        );
    for child in children {
        kubernetes_formats(child);
    }
    match &mut schema.items {
        Some(JSONSchemaPropsOrArray::Schema(s)) => kubernetes_formats(s),
        Some(JSONSchemaPropsOrArray::Schemas(v)) => v.iter_mut().for_each(kubernetes_formats),
        None => {}
    }
    for extra in [
        &mut schema.additional_properties,
        &mut schema.additional_items,
    ] {
        if let Some(JSONSchemaPropsOrBool::Schema(s)) = extra {
            kubernetes_formats(s);
        }
    }
    if let Some(s) = &mut schema.not {
        kubernetes_formats(s);
    }
}

/// The CRDs as one multi-document YAML stream, as committed under `crds/`.
pub fn crds_yaml() -> Result<String, serde_yaml_ng::Error> {
    let mut out = String::from("# Generated by `rampart crd`; do not edit.\n");
    for crd in crds() {
        out.push_str("---\n");
        out.push_str(&serde_yaml_ng::to_string(&crd)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
