//! The control plane's posture, decided from the strongest evidence the inventory holds and
//! saying which evidence that was — never a failure for lack of evidence:
//!
//! ```text
//!                 strongest ───────────────────────────────────────────> weakest
//! anonymous       anonymous probe            kube-apiserver pod flags
//! authorization                              kube-apiserver pod flags
//! audit logging   kube-apiserver /metrics    kube-apiserver pod flags
//! admission       /metrics (plugins seen)    kube-apiserver pod flags
//! version         /version (or declared)     kube-apiserver pod image tag;   Nodes' kubelets
//! ```
//! The verdicts feed the ClusterPostureReport's control-plane summary, the metrics and the
//! rules that judge them; their text carries no counts, so a report changes only when a
//! verdict does.

use crate::inventory::Inventory;
use crate::model::apiserver_probe::{Anonymous, ApiServerProbe};
use crate::model::control_plane::ComponentFacts;
use crate::model::identity::ObjectRef;
use crate::model::kubernetes_version::{Releases, Support, Version, support};
use crate::model::object::{apiserver_metrics_ref, apiserver_probe_ref};
use k8s_openapi::jiff::civil::Date;

/// Where a verdict came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    Probe,
    ApiServerMetrics,
    ApiServerFlags,
    ApiServerImage,
    Declared,
    Nodes,
    None,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Probe => "probe",
            Evidence::ApiServerMetrics => "apiserver-metrics",
            Evidence::ApiServerFlags => "apiserver-flags",
            Evidence::ApiServerImage => "apiserver-image",
            Evidence::Declared => "declared",
            Evidence::Nodes => "nodes",
            Evidence::None => "none",
        }
    }
}

/// One verdict: a state from a small fixed set, the evidence, one sentence, and the object
/// the evidence came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub state: &'static str,
    pub evidence: Evidence,
    pub detail: String,
    pub source: Option<ObjectRef>,
}

/// What an evaluation holds before anything is assessed: unknown, for want of evidence.
impl Default for Verdict {
    fn default() -> Verdict {
        Verdict::unknown("Not assessed")
    }
}

impl Verdict {
    fn unknown(detail: &str) -> Verdict {
        Verdict {
            state: "unknown",
            evidence: Evidence::None,
            detail: detail.to_owned(),
            source: None,
        }
    }
}

/// The states each verdict can take, for metrics and documentation.
pub const ANONYMOUS_STATES: &[&str] = &[
    "disabled",
    "public-info-only",
    "enabled",
    "exposed",
    "unknown",
];
pub const AUTHORIZATION_STATES: &[&str] = &["node-rbac", "incomplete", "always-allow", "unknown"];
pub const AUDIT_STATES: &[&str] = &["on", "off", "unknown"];
pub const ADMISSION_STATES: &[&str] = &["ok", "weak", "unknown"];
pub const VERSION_STATES: &[&str] = &["current", "patch-behind", "end-of-life", "unknown"];

/// The whole control-plane assessment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ControlPlane {
    pub anonymous: Verdict,
    pub authorization: Verdict,
    pub audit: Verdict,
    pub admission: Verdict,
    pub version: VersionVerdict,
}

/// A component's version and how it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub version: Version,
    pub support: Support,
    pub object: ObjectRef,
}

/// The API server's and the kubelets' versions against the embedded table.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionVerdict {
    pub apiserver: Option<Judged>,
    pub apiserver_evidence: Evidence,
    /// Every Node with a readable kubelet version, by node name.
    pub kubelets: Vec<Judged>,
    /// The day the versions were judged on, and the table's date.
    pub today: Date,
    pub table: Date,
}

/// Nothing judged, against the embedded table on its own date.
impl Default for VersionVerdict {
    fn default() -> VersionVerdict {
        let table = Releases::embedded().generated;
        VersionVerdict {
            apiserver: None,
            apiserver_evidence: Evidence::None,
            kubelets: Vec::new(),
            today: table,
            table,
        }
    }
}

impl VersionVerdict {
    /// Who runs a judged version, and how Rampart knows: `The API server (read from
    /// /version)`, `The kubelet of Node worker-1`.
    pub fn whose(&self, j: &Judged) -> String {
        if j.object.kind == "Node" {
            return format!("The kubelet of Node {}", j.object.name);
        }
        match self.apiserver_evidence {
            Evidence::Probe => "The API server (read from /version)".to_owned(),
            Evidence::Declared => "The API server (declared with --kubernetes-version)".to_owned(),
            _ => format!("The API server (the image of {})", j.object),
        }
    }

    /// The worst standing of a component (`apiserver` or `kubelet`): end of life outranks
    /// a patch behind, which outranks current; `unknown` when nothing was judged.
    pub fn state(&self, component: &str) -> &'static str {
        let worst = |it: &mut dyn Iterator<Item = &Judged>| {
            let mut best: Option<Support> = None;
            for j in it {
                let rank = |s: Support| match s {
                    Support::EndOfLife => 3,
                    Support::PatchBehind { .. } => 2,
                    Support::Current => 1,
                    Support::Unknown => 0,
                };
                if best.is_none_or(|b| rank(j.support) > rank(b)) {
                    best = Some(j.support);
                }
            }
            best.map_or("unknown", Support::as_str)
        };
        match component {
            "apiserver" => worst(&mut self.apiserver.iter()),
            _ => worst(&mut self.kubelets.iter()),
        }
    }
}

/// What the settings declare of a control plane Rampart cannot inspect (a managed one):
/// used only where no evidence decides, and shown as declared, never as proven.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeclaredControlPlane {
    /// e.g. `GKE (Google-managed control plane)`.
    pub platform: String,
    /// Whether the platform records the API server's audit log.
    #[serde(default)]
    pub audit_logging: Option<bool>,
    /// Whether the platform's API server accepts requests without credentials.
    #[serde(default)]
    pub anonymous_auth: Option<bool>,
}

/// A declared fact as a verdict.
fn declared(platform: &str, state: &'static str, what: &str) -> Verdict {
    Verdict {
        state,
        evidence: Evidence::Declared,
        detail: format!(
            "Declared by the settings ({platform}): {what}; Rampart could not observe it"
        ),
        source: None,
    }
}

/// Assesses everything; `today` judges end of life (the table's date when not given);
/// `declared` stands in where no evidence decides.
pub fn assess(
    inv: &Inventory,
    today: Option<Date>,
    declared: Option<&DeclaredControlPlane>,
) -> ControlPlane {
    ControlPlane {
        anonymous: or_declared(
            anonymous(inv),
            declared,
            |d| d.anonymous_auth,
            ("enabled", "anonymous authentication is on"),
            ("disabled", "anonymous authentication is off"),
        ),
        authorization: authorization(inv),
        audit: or_declared(
            audit(inv),
            declared,
            |d| d.audit_logging,
            ("on", "the API server's audit log is recorded"),
            ("off", "the API server's audit log is not recorded"),
        ),
        admission: admission(inv),
        version: versions(inv, today),
    }
}

/// A state and what it says.
type Stated = (&'static str, &'static str);

/// `found`, unless it is unknown and the settings declare the fact: `when_on` or
/// `when_off` as the declared flag says.
fn or_declared(
    found: Verdict,
    declared: Option<&DeclaredControlPlane>,
    flag: impl Fn(&DeclaredControlPlane) -> Option<bool>,
    when_on: Stated,
    when_off: Stated,
) -> Verdict {
    if found.evidence != Evidence::None {
        return found;
    }
    match declared.and_then(|d| Some((d, flag(d)?))) {
        Some((d, on)) => {
            let (state, what) = if on { when_on } else { when_off };
            self::declared(&d.platform, state, what)
        }
        None => found,
    }
}

fn probe(inv: &Inventory) -> Option<&ApiServerProbe> {
    inv.apiserver_probes().next()
}

fn flag_verdict(api: &ComponentFacts, state: &'static str, detail: String) -> Verdict {
    Verdict {
        state,
        evidence: Evidence::ApiServerFlags,
        detail,
        source: Some(api.pod.clone()),
    }
}

fn anonymous(inv: &Inventory) -> Verdict {
    if let Some(p) = probe(inv) {
        let source = Some(apiserver_probe_ref(&p.name));
        let (state, detail) = match p.anonymous_access() {
            Anonymous::Disabled => (
                "disabled",
                "Requests without credentials are refused (401): anonymous authentication is off".to_owned(),
            ),
            Anonymous::PublicInfoOnly => (
                "public-info-only",
                "Anonymous authentication is on, but requests without credentials reach only the public-info endpoints (/version, /healthz, /livez, /readyz)".to_owned(),
            ),
            Anonymous::Reaches(paths) => (
                "exposed",
                format!(
                    "Requests without credentials read {} beyond the public-info endpoints",
                    paths.join(", ")
                ),
            ),
            Anonymous::Unknown => ("unknown", String::new()),
        };
        if state != "unknown" {
            return Verdict {
                state,
                evidence: Evidence::Probe,
                detail,
                source,
            };
        }
    }
    for api in inv.api_servers() {
        if api.flag("anonymous-auth").is_none() && api.flag("authentication-config").is_some() {
            continue;
        }
        let on = api.bool_flag("anonymous-auth", true) == Some(true);
        let (state, detail) = if on {
            (
                "enabled",
                format!(
                    "{} starts kube-apiserver with anonymous authentication on; what anonymous callers reach is not probed",
                    api.pod
                ),
            )
        } else {
            (
                "disabled",
                format!(
                    "{} starts kube-apiserver with --anonymous-auth=false",
                    api.pod
                ),
            )
        };
        return flag_verdict(api, state, detail);
    }
    Verdict::unknown("Could not tell whether the API server serves anonymous requests")
}

fn authorization(inv: &Inventory) -> Verdict {
    let Some(api) = inv.api_servers().next() else {
        return Verdict::unknown("No kube-apiserver pod shows its authorization mode");
    };
    let modes = api.list_flag("authorization-mode");
    if modes.is_empty() && api.flag("authorization-config").is_some() {
        return Verdict::unknown(
            "kube-apiserver reads its authorizers from --authorization-config, which Rampart cannot read",
        );
    }
    let shown = if modes.is_empty() {
        "AlwaysAllow (the default)".to_owned()
    } else {
        modes.join(",")
    };
    let state = if modes.is_empty() || modes.contains(&"AlwaysAllow") {
        "always-allow"
    } else if modes.contains(&"Node") && modes.contains(&"RBAC") {
        "node-rbac"
    } else {
        "incomplete"
    };
    flag_verdict(api, state, format!("{} authorizes with {shown}", api.pod))
}

fn audit(inv: &Inventory) -> Verdict {
    let readable: Vec<_> = inv
        .apiserver_metrics()
        .filter(|m| m.unavailable.is_none())
        .collect();
    if let Some(m) = readable
        .iter()
        .find(|m| m.audit_events == Some(0.0) && !m.audit_policy_loaded)
    {
        return Verdict {
            state: "off",
            evidence: Evidence::ApiServerMetrics,
            detail: format!(
                "{} produces no audit event and loads no audit policy",
                m.name
            ),
            source: Some(apiserver_metrics_ref(&m.name)),
        };
    }
    if let Some(m) = readable.first()
        && readable
            .iter()
            .all(|m| m.audit_events.is_some_and(|n| n > 0.0))
    {
        return Verdict {
            state: "on",
            evidence: Evidence::ApiServerMetrics,
            detail: "The API server produces audit events".to_owned(),
            source: Some(apiserver_metrics_ref(&m.name)),
        };
    }
    for api in inv.api_servers() {
        let set = |f: &str| api.flag(f).is_some_and(|v| !v.is_empty());
        let on =
            set("audit-policy-file") && (set("audit-log-path") || set("audit-webhook-config-file"));
        if !on {
            return flag_verdict(
                api,
                "off",
                format!(
                    "{} starts kube-apiserver without an audit policy and backend",
                    api.pod
                ),
            );
        }
    }
    if let Some(api) = inv.api_servers().next() {
        return flag_verdict(
            api,
            "on",
            format!(
                "{} starts kube-apiserver with an audit policy and backend",
                api.pod
            ),
        );
    }
    if readable.iter().any(|m| m.audit_policy_loaded) {
        return Verdict::unknown("An audit policy is loaded but has recorded no event yet");
    }
    Verdict::unknown("Could not tell whether the API server records an audit log")
}

/// The admission plugins that matter most, and whether each is on.
fn admission(inv: &Inventory) -> Verdict {
    if let Some(api) = inv.api_servers().next() {
        let enabled = api.list_flag("enable-admission-plugins");
        let disabled = api.list_flag("disable-admission-plugins");
        let mut wrong = Vec::new();
        if enabled.contains(&"AlwaysAdmit") {
            wrong.push("AlwaysAdmit is on");
        }
        if !enabled.contains(&"NodeRestriction") || disabled.contains(&"NodeRestriction") {
            wrong.push("NodeRestriction is off");
        }
        if disabled.contains(&"PodSecurity") {
            wrong.push("PodSecurity is off");
        }
        let state = if wrong.is_empty() { "ok" } else { "weak" };
        let detail = if wrong.is_empty() {
            format!(
                "{} runs NodeRestriction and PodSecurity, not AlwaysAdmit",
                api.pod
            )
        } else {
            format!("{}: {}", api.pod, wrong.join(", "))
        };
        return flag_verdict(api, state, detail);
    }
    if let Some(m) = inv
        .apiserver_metrics()
        .find(|m| !m.admission_plugins.is_empty())
    {
        let seen: Vec<&str> = m.admission_plugins.iter().map(String::as_str).collect();
        let state = if seen.contains(&"AlwaysAdmit") {
            "weak"
        } else {
            "unknown"
        };
        return Verdict {
            state,
            evidence: Evidence::ApiServerMetrics,
            detail: format!("Admission plugins seen at work: {}", seen.join(", ")),
            source: Some(apiserver_metrics_ref(&m.name)),
        };
    }
    Verdict::unknown("No evidence of which admission plugins run")
}

/// The tag of a kube-apiserver pod's image: `registry.k8s.io/kube-apiserver:v1.37.2`.
fn image_version(api: &ComponentFacts) -> Option<Version> {
    let image = api.line.image.as_deref()?;
    // A digest follows the tag (`:v1.37.2@sha256:...`); a registry's port is not a tag.
    let named = image.split('@').next().unwrap_or(image);
    let (_, tag) = named.rsplit_once(':').filter(|(_, t)| !t.contains('/'))?;
    Version::parse(tag)
}

fn versions(inv: &Inventory, today: Option<Date>) -> VersionVerdict {
    let table = Releases::embedded();
    let today = today.unwrap_or(table.generated);
    let judge = |version: Version, object: ObjectRef| Judged {
        support: support(table, &version, today),
        version,
        object,
    };
    let from_probe = probe(inv).and_then(|p| {
        let v = Version::parse(p.version.as_deref()?)?;
        let evidence = if p.declared {
            Evidence::Declared
        } else {
            Evidence::Probe
        };
        Some((judge(v, apiserver_probe_ref(&p.name)), evidence))
    });
    let from_image = || {
        inv.api_servers()
            .find_map(|api| Some(judge(image_version(api)?, api.pod.clone())))
            .map(|j| (j, Evidence::ApiServerImage))
    };
    let (apiserver, apiserver_evidence) = match from_probe.or_else(from_image) {
        Some((j, e)) => (Some(j), e),
        None => (None, Evidence::None),
    };
    let kubelets = inv
        .nodes()
        .filter_map(|n| {
            let v = Version::parse(&n.info.as_ref()?.kubelet_version)?;
            Some(judge(
                v,
                ObjectRef::new("v1", "Node", None, &n.metadata.name),
            ))
        })
        .collect();
    VersionVerdict {
        apiserver,
        apiserver_evidence,
        kubelets,
        today,
        table: table.generated,
    }
}

#[cfg(test)]
mod tests;
