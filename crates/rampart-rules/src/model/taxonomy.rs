//! The taxonomy findings are described in: severity, category, and references to the
//! frameworks users map their controls to (CIS, NSA/CISA, MITRE ATT&CK).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Most severe first, the order reports and tables use.
    pub const DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One step less severe, never below `Info`.
    pub fn lowered(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?}: expected critical, high, medium, low or info")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(UnknownSeverity(s.to_owned())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Rbac,
    ServiceAccount,
    Namespace,
    NetworkPolicy,
    Encryption,
    Workload,
    Secrets,
    ControlPlane,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Rbac,
        Category::ServiceAccount,
        Category::Namespace,
        Category::NetworkPolicy,
        Category::Encryption,
        Category::Workload,
        Category::Secrets,
        Category::ControlPlane,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Rbac => "rbac",
            Category::ServiceAccount => "serviceaccount",
            Category::Namespace => "namespace",
            Category::NetworkPolicy => "networkpolicy",
            Category::Encryption => "encryption",
            Category::Workload => "workload",
            Category::Secrets => "secrets",
            Category::ControlPlane => "controlplane",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A framework a reference belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Framework {
    /// CIS Kubernetes Benchmark (v1.10 numbering).
    Cis,
    /// NSA/CISA Kubernetes Hardening Guidance (v1.2, August 2022).
    NsaCisa,
    /// MITRE ATT&CK for Containers.
    MitreAttack,
}

impl Framework {
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Cis => "CIS Kubernetes Benchmark",
            Framework::NsaCisa => "NSA/CISA Kubernetes Hardening Guide",
            Framework::MitreAttack => "MITRE ATT&CK",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reference {
    pub framework: Framework,
    /// The framework's own id, e.g. `5.1.1` or `T1078.001`.
    pub id: &'static str,
    pub title: &'static str,
}

pub const fn cis(id: &'static str, title: &'static str) -> Reference {
    Reference {
        framework: Framework::Cis,
        id,
        title,
    }
}

pub const fn nsa(id: &'static str, title: &'static str) -> Reference {
    Reference {
        framework: Framework::NsaCisa,
        id,
        title,
    }
}

pub const fn mitre(id: &'static str, title: &'static str) -> Reference {
    Reference {
        framework: Framework::MitreAttack,
        id,
        title,
    }
}
