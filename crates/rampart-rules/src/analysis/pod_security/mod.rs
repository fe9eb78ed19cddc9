//! The Pod Security Standards, as the PodSecurity admission plugin evaluates them for the
//! Kubernetes version Rampart targets (`k8s.io/pod-security-admission` v0.37, policy
//! version `latest`).
//!
//! ```text
//! pod metadata + PodSpec --check(level)--> [Violation { control, path, detail }]
//!
//! baseline:   12 controls (host namespaces, privileged, capabilities, hostPath, ...)
//! restricted: baseline + 7 controls; 4 of them replace a baseline control:
//!   capabilities_restricted  replaces capabilities_baseline
//!   restrictedVolumes        replaces hostPathVolumes
//!   seccompProfile_restricted replaces seccompProfile_baseline
//!   procMount_restricted     replaces procMount
//! ```
//! A level's verdict is the list of its controls that the pod fails; an empty list means the
//! admission plugin admits it at that level. The end-to-end tests hold this module to the
//! real plugin's warnings, control by control.

mod containers;
mod controls;

pub use containers::{ContainerView, containers};
pub use controls::{restricted_volume_type, violation};

use crate::model::meta::Meta;
use crate::model::pod::PodSpec;
use std::fmt;

/// A Pod Security Standards level; `privileged` allows everything and needs no checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check of the admission plugin, named by its upstream check id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Control {
    WindowsHostProcess,
    HostNamespaces,
    Privileged,
    CapabilitiesBaseline,
    HostPathVolumes,
    HostPorts,
    HostProbesAndLifecycle,
    AppArmorProfile,
    SeLinuxOptions,
    ProcMount,
    SeccompBaseline,
    Sysctls,
    RestrictedVolumes,
    AllowPrivilegeEscalation,
    RunAsNonRoot,
    RunAsUser,
    SeccompRestricted,
    CapabilitiesRestricted,
    ProcMountRestricted,
}

impl Control {
    pub const BASELINE: [Control; 12] = [
        Control::WindowsHostProcess,
        Control::HostNamespaces,
        Control::Privileged,
        Control::CapabilitiesBaseline,
        Control::HostPathVolumes,
        Control::HostPorts,
        Control::HostProbesAndLifecycle,
        Control::AppArmorProfile,
        Control::SeLinuxOptions,
        Control::ProcMount,
        Control::SeccompBaseline,
        Control::Sysctls,
    ];

    pub const RESTRICTED_ONLY: [Control; 7] = [
        Control::RestrictedVolumes,
        Control::AllowPrivilegeEscalation,
        Control::RunAsNonRoot,
        Control::RunAsUser,
        Control::SeccompRestricted,
        Control::CapabilitiesRestricted,
        Control::ProcMountRestricted,
    ];

    /// The upstream check id.
    pub fn id(self) -> &'static str {
        match self {
            Control::WindowsHostProcess => "windowsHostProcess",
            Control::HostNamespaces => "hostNamespaces",
            Control::Privileged => "privileged",
            Control::CapabilitiesBaseline => "capabilities_baseline",
            Control::HostPathVolumes => "hostPathVolumes",
            Control::HostPorts => "hostPorts",
            Control::HostProbesAndLifecycle => "hostProbesAndHostLifecycle",
            Control::AppArmorProfile => "appArmorProfile",
            Control::SeLinuxOptions => "seLinuxOptions",
            Control::ProcMount => "procMount",
            Control::SeccompBaseline => "seccompProfile_baseline",
            Control::Sysctls => "sysctls",
            Control::RestrictedVolumes => "restrictedVolumes",
            Control::AllowPrivilegeEscalation => "allowPrivilegeEscalation",
            Control::RunAsNonRoot => "runAsNonRoot",
            Control::RunAsUser => "runAsUser",
            Control::SeccompRestricted => "seccompProfile_restricted",
            Control::CapabilitiesRestricted => "capabilities_restricted",
            Control::ProcMountRestricted => "procMount_restricted",
        }
    }

    /// The lowest level that has this control.
    pub fn level(self) -> Level {
        if Control::BASELINE.contains(&self) {
            Level::Baseline
        } else {
            Level::Restricted
        }
    }

    /// The baseline control this restricted control takes the place of at `restricted`.
    pub fn replaces(self) -> Option<Control> {
        match self {
            Control::CapabilitiesRestricted => Some(Control::CapabilitiesBaseline),
            Control::RestrictedVolumes => Some(Control::HostPathVolumes),
            Control::SeccompRestricted => Some(Control::SeccompBaseline),
            Control::ProcMountRestricted => Some(Control::ProcMount),
            _ => None,
        }
    }

    /// The controls evaluated at `level`.
    pub fn at(level: Level) -> Vec<Control> {
        match level {
            Level::Baseline => Control::BASELINE.to_vec(),
            Level::Restricted => {
                let replaced: Vec<Control> = Control::RESTRICTED_ONLY
                    .iter()
                    .filter_map(|c| c.replaces())
                    .collect();
                Control::BASELINE
                    .iter()
                    .filter(|c| !replaced.contains(c))
                    .chain(Control::RESTRICTED_ONLY.iter())
                    .copied()
                    .collect()
            }
        }
    }

    /// The reason the admission plugin gives when this control fails, as it appears in
    /// its warnings and errors. Both seccomp controls say `seccompProfile` and both
    /// procMount controls say `procMount`; the level tells them apart.
    pub fn admission_reason(self) -> &'static str {
        match self {
            Control::WindowsHostProcess => "hostProcess",
            Control::HostNamespaces => "host namespaces",
            Control::Privileged => "privileged",
            Control::CapabilitiesBaseline => "non-default capabilities",
            Control::HostPathVolumes => "hostPath volumes",
            Control::HostPorts => "hostPort",
            Control::HostProbesAndLifecycle => "probe or lifecycle host",
            Control::AppArmorProfile => "forbidden AppArmor profile",
            Control::SeLinuxOptions => "seLinuxOptions",
            Control::ProcMount | Control::ProcMountRestricted => "procMount",
            Control::SeccompBaseline | Control::SeccompRestricted => "seccompProfile",
            Control::Sysctls => "forbidden sysctls",
            Control::RestrictedVolumes => "restricted volume types",
            Control::AllowPrivilegeEscalation => "allowPrivilegeEscalation != false",
            Control::RunAsNonRoot => "runAsNonRoot != true",
            Control::RunAsUser => "runAsUser=0",
            Control::CapabilitiesRestricted => "unrestricted capabilities",
        }
    }

    /// The control evaluated at `level` that fails with `reason` (the AppArmor reason is
    /// plural when several profiles are forbidden).
    pub fn from_admission_reason(reason: &str, level: Level) -> Option<Control> {
        let reason = match reason {
            "forbidden AppArmor profiles" => "forbidden AppArmor profile",
            r => r,
        };
        Control::at(level)
            .into_iter()
            .find(|c| c.admission_reason() == reason)
    }
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A failed control: where in the pod (`spec.…` or `metadata.…`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub control: Control,
    /// The first offending field, relative to the pod: `spec.containers[0].securityContext`.
    pub path: String,
    /// What is wrong, naming the containers, volumes or annotations.
    pub detail: String,
    /// Names of the offending containers; empty when the pod as a whole is at fault.
    pub containers: Vec<String>,
}

impl Control {
    /// Whether the verdict reads the pod's metadata (annotations) besides its spec.
    pub fn reads_metadata(self) -> bool {
        self == Control::AppArmorProfile
    }
}

impl Violation {
    pub fn level(&self) -> Level {
        self.control.level()
    }
}

/// Every control of `level` that the pod fails, in the order of [`Control::at`].
/// `metadata` is the pod's (or the pod template's): annotations are part of the policy.
pub fn check(level: Level, metadata: Option<&Meta>, spec: &PodSpec) -> Vec<Violation> {
    Control::at(level)
        .into_iter()
        .filter_map(|c| violation(c, metadata, spec))
        .collect()
}

/// The highest level a pod is admitted at: `None` when it fails baseline (privileged only).
pub fn admitted_level(metadata: Option<&Meta>, spec: &PodSpec) -> Option<Level> {
    if !check(Level::Restricted, metadata, spec).is_empty() {
        if check(Level::Baseline, metadata, spec).is_empty() {
            return Some(Level::Baseline);
        }
        return None;
    }
    Some(Level::Restricted)
}

#[cfg(test)]
mod tests;
