//! The checks themselves, one function per control. Each returns `None` when the pod
//! passes and never fails on odd input: a missing field is what the plugin would see as
//! unset.

use super::containers::{ContainerView, containers};
use super::{Control, Violation};
use crate::model::meta::{Meta, annotation};
use crate::model::pod::{PodSpec, Volume, VolumeType};
use k8s_openapi::api::core::v1::{PodSecurityContext, SELinuxOptions};
use std::collections::BTreeSet;

/// Capabilities a container runtime grants by default; adding them again changes nothing.
const DEFAULT_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Sysctls namespaced to the pod and safe to set, as of policy version 1.37.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    // 1.27
    "net.ipv4.ip_local_reserved_ports",
    // 1.29
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    // 1.32
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    // 1.37
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

/// SELinux types a container may run as (1.31 added `container_engine_t`).
const SELINUX_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// Evaluates one control; `None` when the pod passes it.
pub fn violation(control: Control, metadata: Option<&Meta>, spec: &PodSpec) -> Option<Violation> {
    let pod = spec.security_context.as_deref();
    // Pod-level controls never look at containers; the others list them once.
    let cs = || containers(spec);
    let found = match control {
        Control::WindowsHostProcess => windows_host_process(pod, cs()),
        Control::HostNamespaces => host_namespaces(spec),
        Control::Privileged => privileged(cs()),
        Control::CapabilitiesBaseline => capabilities_baseline(cs()),
        Control::HostPathVolumes => host_path_volumes(spec),
        Control::HostPorts => host_ports(cs()),
        Control::HostProbesAndLifecycle => host_probes(cs()),
        Control::AppArmorProfile => apparmor(metadata, pod, cs()),
        Control::SeLinuxOptions => selinux(pod, cs()),
        Control::ProcMount if user_namespaced(spec) => None,
        Control::ProcMount | Control::ProcMountRestricted => proc_mount(cs()),
        Control::SeccompBaseline => seccomp(pod, cs(), false),
        Control::Sysctls => sysctls(pod),
        Control::RestrictedVolumes => restricted_volumes(spec),
        Control::AllowPrivilegeEscalation if windows(spec) => None,
        Control::AllowPrivilegeEscalation => privilege_escalation(cs()),
        Control::RunAsNonRoot | Control::RunAsUser if user_namespaced(spec) => None,
        Control::RunAsNonRoot => run_as_non_root(pod, cs()),
        Control::RunAsUser => run_as_user(pod, cs()),
        Control::SeccompRestricted if windows(spec) => None,
        Control::SeccompRestricted => seccomp(pod, cs(), true),
        Control::CapabilitiesRestricted if windows(spec) => None,
        Control::CapabilitiesRestricted => capabilities_restricted(cs()),
    }?;
    Some(Violation {
        control,
        path: found.path,
        detail: found.detail,
        containers: found.containers,
    })
}

/// What a check found, before it is tied to its control.
struct Found {
    path: String,
    detail: String,
    containers: Vec<String>,
}

/// Collects offenders in visiting order; the first one's path is the finding's path.
#[derive(Default)]
struct Offenders {
    first_path: Option<String>,
    pod: bool,
    containers: Vec<String>,
}

impl Offenders {
    fn pod(&mut self, path: &str) {
        self.pod = true;
        self.first_path.get_or_insert_with(|| path.to_owned());
    }

    fn container(&mut self, c: ContainerView<'_>, field: &str) {
        if !self.containers.iter().any(|n| n == c.name()) {
            self.containers.push(c.name().to_owned());
        }
        self.first_path
            .get_or_insert_with(|| format!("{}.{field}", c.path()));
    }

    fn is_empty(&self) -> bool {
        self.first_path.is_none()
    }

    /// The verb form that agrees with [`Offenders::who`].
    fn verb<'v>(&self, singular: &'v str, plural: &'v str) -> &'v str {
        if usize::from(self.pod) + self.containers.len() > 1 {
            plural
        } else {
            singular
        }
    }

    /// `pod and containers "a", "b"`.
    fn who(&self) -> String {
        let mut parts = Vec::new();
        if self.pod {
            parts.push("pod".to_owned());
        }
        if !self.containers.is_empty() {
            parts.push(containers_phrase(&self.containers));
        }
        parts.join(" and ")
    }

    fn found(self, detail: String) -> Option<Found> {
        let path = self.first_path?;
        Some(Found {
            path,
            detail,
            containers: self.containers,
        })
    }
}

fn quoted<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    items
        .into_iter()
        .map(|s| format!("{:?}", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn containers_phrase(names: &[String]) -> String {
    let noun = if names.len() == 1 {
        "container"
    } else {
        "containers"
    };
    format!("{noun} {}", quoted(names))
}

fn windows(spec: &PodSpec) -> bool {
    spec.os.as_deref() == Some("windows")
}

/// A pod in its own user namespace (`hostUsers: false`): root in it is not root on the node,
/// so policy 1.35 relaxes the root and procMount controls for it.
fn user_namespaced(spec: &PodSpec) -> bool {
    spec.host_users == Some(false)
}

fn windows_host_process<'a>(
    pod: Option<&PodSecurityContext>,
    cs: impl Iterator<Item = ContainerView<'a>>,
) -> Option<Found> {
    let mut o = Offenders::default();
    if pod
        .and_then(|p| p.windows_options.as_ref())
        .and_then(|w| w.host_process)
        == Some(true)
    {
        o.pod("spec.securityContext.windowsOptions.hostProcess");
    }
    for c in cs {
        let set = c
            .security_context()
            .and_then(|s| s.windows_options.as_ref())
            .and_then(|w| w.host_process);
        if set == Some(true) {
            o.container(c, "securityContext.windowsOptions.hostProcess");
        }
    }
    let (who, verb) = (o.who(), o.verb("runs", "run"));
    o.found(format!(
        "{who} {verb} as a Windows HostProcess (securityContext.windowsOptions.hostProcess=true)"
    ))
}

fn host_namespaces(spec: &PodSpec) -> Option<Found> {
    let shared: Vec<&str> = [
        ("hostNetwork", spec.host_network),
        ("hostPID", spec.host_pid),
        ("hostIPC", spec.host_ipc),
    ]
    .into_iter()
    .filter(|(_, v)| *v == Some(true))
    .map(|(n, _)| n)
    .collect();
    let first = shared.first()?;
    Some(Found {
        path: format!("spec.{first}"),
        detail: format!(
            "pod shares the node's namespaces: {}",
            shared
                .iter()
                .map(|n| format!("{n}=true"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        containers: Vec::new(),
    })
}

fn privileged<'a>(cs: impl Iterator<Item = ContainerView<'a>>) -> Option<Found> {
    let mut o = Offenders::default();
    for c in cs {
        if c.security_context().and_then(|s| s.privileged) == Some(true) {
            o.container(c, "securityContext.privileged");
        }
    }
    let (who, verb) = (o.who(), o.verb("runs", "run"));
    o.found(format!(
        "{who} {verb} privileged (securityContext.privileged=true)"
    ))
}

fn added_capabilities<'a>(c: ContainerView<'a>) -> &'a [String] {
    c.security_context()
        .and_then(|s| s.capabilities.as_ref())
        .and_then(|caps| caps.add.as_deref())
        .unwrap_or(&[])
}

fn capabilities_baseline<'a>(cs: impl Iterator<Item = ContainerView<'a>>) -> Option<Found> {
    let mut o = Offenders::default();
    let mut extra = BTreeSet::new();
    for c in cs {
        let bad: Vec<&String> = added_capabilities(c)
            .iter()
            .filter(|cap| !DEFAULT_CAPABILITIES.contains(&cap.as_str()))
            .collect();
        if !bad.is_empty() {
            o.container(c, "securityContext.capabilities.add");
            extra.extend(bad);
        }
    }
    let (who, verb) = (o.who(), o.verb("adds", "add"));
    o.found(format!(
        "{who} {verb} capabilities beyond the runtime's default set: {}",
        quoted(&extra)
    ))
}

fn capabilities_restricted<'a>(cs: impl Iterator<Item = ContainerView<'a>>) -> Option<Found> {
    let mut missing_drop = Offenders::default();
    let mut adding = Offenders::default();
    let mut added = BTreeSet::new();
    for c in cs {
        let caps = c.security_context().and_then(|s| s.capabilities.as_ref());
        let drops_all = caps
            .and_then(|x| x.drop.as_deref())
            .is_some_and(|d| d.iter().any(|x| x == "ALL"));
        if !drops_all {
            missing_drop.container(c, "securityContext.capabilities.drop");
        }
        let bad: Vec<&String> = added_capabilities(c)
            .iter()
            .filter(|cap| *cap != "NET_BIND_SERVICE")
            .collect();
        if !bad.is_empty() {
            adding.container(c, "securityContext.capabilities.add");
            added.extend(bad);
        }
    }
    let mut details = Vec::new();
    if !missing_drop.is_empty() {
        details.push(format!(
            "{} {} drop ALL capabilities",
            missing_drop.who(),
            missing_drop.verb("does not", "do not")
        ));
    }
    if !adding.is_empty() {
        details.push(format!(
            "{} {} {} (only NET_BIND_SERVICE may be added)",
            adding.who(),
            adding.verb("adds", "add"),
            quoted(&added)
        ));
    }
    let mut containers = missing_drop.containers.clone();
    for n in &adding.containers {
        if !containers.contains(n) {
            containers.push(n.clone());
        }
    }
    let path = missing_drop.first_path.or(adding.first_path)?;
    Some(Found {
        path,
        detail: details.join("; "),
        containers,
    })
}

fn host_path_volumes(spec: &PodSpec) -> Option<Found> {
    let host: Vec<(usize, &Volume)> = spec
        .volumes
        .iter()
        .enumerate()
        .filter(|(_, v)| v.host_path.is_some())
        .collect();
    let (first, _) = host.first()?;
    let described: Vec<String> = host
        .iter()
        .map(|(_, v)| {
            let path = v.host_path.as_deref().unwrap_or("");
            format!("{:?} ({path})", v.name)
        })
        .collect();
    Some(Found {
        path: format!("spec.volumes[{first}].hostPath"),
        detail: format!(
            "pod mounts the node's filesystem through hostPath {} {}",
            if host.len() == 1 { "volume" } else { "volumes" },
            described.join(", ")
        ),
        containers: Vec::new(),
    })
}

/// The type of a volume that `restricted` forbids, or `None` for an allowed one. A volume
/// with no source the engine knows is forbidden, as the plugin treats it.
pub fn restricted_volume_type(v: &Volume) -> Option<&'static str> {
    use VolumeType as T;
    const ALLOWED: [VolumeType; 9] = [
        T::ConfigMap,
        T::Csi,
        T::DownwardApi,
        T::EmptyDir,
        T::Ephemeral,
        T::Image,
        T::PersistentVolumeClaim,
        T::Projected,
        T::Secret,
    ];
    const RESTRICTED: [VolumeType; 21] = [
        T::HostPath,
        T::GcePersistentDisk,
        T::AwsElasticBlockStore,
        T::GitRepo,
        T::Nfs,
        T::Iscsi,
        T::Glusterfs,
        T::Rbd,
        T::FlexVolume,
        T::Cinder,
        T::Cephfs,
        T::Flocker,
        T::Fc,
        T::AzureFile,
        T::VsphereVolume,
        T::Quobyte,
        T::AzureDisk,
        T::PhotonPersistentDisk,
        T::PortworxVolume,
        T::ScaleIo,
        T::Storageos,
    ];
    if ALLOWED.iter().any(|t| v.has(*t)) {
        return None;
    }
    Some(
        RESTRICTED
            .iter()
            .find(|t| v.has(**t))
            .map_or("unknown", |t| t.field()),
    )
}

fn restricted_volumes(spec: &PodSpec) -> Option<Found> {
    let bad: Vec<(usize, &Volume, &str)> = spec
        .volumes
        .iter()
        .enumerate()
        .filter_map(|(i, v)| restricted_volume_type(v).map(|t| (i, v, t)))
        .collect();
    let (first, _, _) = bad.first()?;
    let described: Vec<String> = bad
        .iter()
        .map(|(_, v, t)| format!("{:?} ({t})", v.name))
        .collect();
    Some(Found {
        path: format!("spec.volumes[{first}]"),
        detail: format!(
            "pod uses volume types outside the restricted set: {}",
            described.join(", ")
        ),
        containers: Vec::new(),
    })
}

fn host_ports<'a>(cs: impl Iterator<Item = ContainerView<'a>>) -> Option<Found> {
    let mut o = Offenders::default();
    let mut ports = BTreeSet::new();
    for c in cs {
        for p in &c.host_ports {
            o.container(c, &format!("ports[{}].hostPort", p.index));
            ports.insert(p.port);
        }
    }
    let (who, verb) = (o.who(), o.verb("binds", "bind"));
    let ports: Vec<String> = ports.iter().map(i32::to_string).collect();
    o.found(format!(
        "{who} {verb} host ports {} on the node",
        ports.join(", ")
    ))
}

fn host_probes<'a>(cs: impl Iterator<Item = ContainerView<'a>>) -> Option<Found> {
    let mut o = Offenders::default();
    let mut hosts = BTreeSet::new();
    for c in cs {
        for h in &c.hook_hosts {
            o.container(c, &format!("{}.{}.host", h.field, h.handler));
            hosts.insert(h.host.clone());
        }
    }
    let (who, verb) = (o.who(), o.verb("points", "point"));
    o.found(format!(
        "{who} {verb} probes or lifecycle hooks at other hosts: {}",
        quoted(&hosts)
    ))
}

fn apparmor_type_allowed(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

fn apparmor<'a>(
    metadata: Option<&Meta>,
    pod: Option<&PodSecurityContext>,
    cs: impl Iterator<Item = ContainerView<'a>>,
) -> Option<Found> {
    let mut o = Offenders::default();
    let mut values = BTreeSet::new();
    if let Some(p) = pod.and_then(|p| p.app_armor_profile.as_ref())
        && !apparmor_type_allowed(&p.type_)
    {
        o.pod("spec.securityContext.appArmorProfile.type");
        values.insert(p.type_.clone());
    }
    for c in cs {
        if let Some(p) = c
            .security_context()
            .and_then(|s| s.app_armor_profile.as_ref())
            && !apparmor_type_allowed(&p.type_)
        {
            o.container(c, "securityContext.appArmorProfile.type");
            values.insert(p.type_.clone());
        }
    }
    let mut annotations: Vec<String> = Vec::new();
    let mut first_annotation = None;
    for (k, v) in metadata.into_iter().flat_map(|m| m.annotations.iter()) {
        let allowed = v.is_empty() || v == "runtime/default" || v.starts_with("localhost/");
        if k.starts_with(annotation::APPARMOR_PREFIX) && !allowed {
            annotations.push(format!("{k}={v:?}"));
            first_annotation.get_or_insert_with(|| format!("metadata.annotations[{k}]"));
        }
    }
    let path = o.first_path.clone().or(first_annotation)?;
    let mut parts = Vec::new();
    if !o.is_empty() {
        parts.push(format!(
            "{} {} the AppArmor profile type to {}",
            o.who(),
            o.verb("sets", "set"),
            quoted(&values)
        ));
    }
    if !annotations.is_empty() {
        parts.push(format!("annotations set {}", annotations.join(", ")));
    }
    Some(Found {
        path,
        detail: parts.join("; "),
        containers: o.containers,
    })
}

/// What is wrong with one set of SELinux options, if anything.
fn selinux_problems(opts: &SELinuxOptions) -> Vec<String> {
    let mut out = Vec::new();
    let t = opts.type_.as_deref().unwrap_or("");
    if !SELINUX_TYPES.contains(&t) {
        out.push(format!("type {t:?}"));
    }
    if opts.user.as_deref().is_some_and(|u| !u.is_empty()) {
        out.push("a custom user".to_owned());
    }
    if opts.role.as_deref().is_some_and(|r| !r.is_empty()) {
        out.push("a custom role".to_owned());
    }
    out
}

fn selinux<'a>(
    pod: Option<&PodSecurityContext>,
    cs: impl Iterator<Item = ContainerView<'a>>,
) -> Option<Found> {
    let mut o = Offenders::default();
    let mut problems = BTreeSet::new();
    if let Some(opts) = pod.and_then(|p| p.se_linux_options.as_ref()) {
        let p = selinux_problems(opts);
        if !p.is_empty() {
            o.pod("spec.securityContext.seLinuxOptions");
            problems.extend(p);
        }
    }
    for c in cs {
        if let Some(opts) = c
            .security_context()
            .and_then(|s| s.se_linux_options.as_ref())
        {
            let p = selinux_problems(opts);
            if !p.is_empty() {
                o.container(c, "securityContext.seLinuxOptions");
                problems.extend(p);
            }
        }
    }
    let (who, verb) = (o.who(), o.verb("sets", "set"));
    let problems: Vec<String> = problems.into_iter().collect();
    o.found(format!(
        "{who} {verb} SELinux options that are not allowed: {}",
        problems.join(", ")
    ))
}

fn proc_mount<'a>(cs: impl Iterator<Item = ContainerView<'a>>) -> Option<Found> {
    let mut o = Offenders::default();
    let mut kinds = BTreeSet::new();
    for c in cs {
        if let Some(m) = c.security_context().and_then(|s| s.proc_mount.as_deref())
            && m != "Default"
        {
            o.container(c, "securityContext.procMount");
            kinds.insert(m.to_owned());
        }
    }
    let (who, verb) = (o.who(), o.verb("sets", "set"));
    o.found(format!(
        "{who} {verb} procMount to {}, which exposes /proc paths the runtime masks",
        quoted(&kinds)
    ))
}

fn seccomp_allowed(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

/// Baseline forbids an explicit bad profile; restricted (`required`) also forbids leaving a
/// container without a profile when the pod sets none.
fn seccomp<'a>(
    pod: Option<&PodSecurityContext>,
    cs: impl Iterator<Item = ContainerView<'a>>,
    required: bool,
) -> Option<Found> {
    let mut explicit = Offenders::default();
    let mut values = BTreeSet::new();
    let mut pod_covers = false;
    if let Some(p) = pod.and_then(|p| p.seccomp_profile.as_ref()) {
        if seccomp_allowed(&p.type_) {
            pod_covers = true;
        } else {
            explicit.pod("spec.securityContext.seccompProfile.type");
            values.insert(p.type_.clone());
        }
    }
    let mut implicit = Offenders::default();
    for c in cs {
        match c
            .security_context()
            .and_then(|s| s.seccomp_profile.as_ref())
        {
            Some(p) if !seccomp_allowed(&p.type_) => {
                explicit.container(c, "securityContext.seccompProfile.type");
                values.insert(p.type_.clone());
            }
            Some(_) => {}
            None if !pod_covers => implicit.container(c, "securityContext.seccompProfile"),
            None => {}
        }
    }
    if !explicit.is_empty() {
        let (who, verb) = (explicit.who(), explicit.verb("sets", "set"));
        return explicit.found(format!(
            "{who} {verb} the seccomp profile type to {}",
            quoted(&values)
        ));
    }
    if required && !implicit.is_empty() {
        let who = containers_phrase(&implicit.containers);
        return implicit.found(format!(
            "neither the pod nor {who} set a seccomp profile (RuntimeDefault or Localhost)"
        ));
    }
    None
}

fn sysctls(pod: Option<&PodSecurityContext>) -> Option<Found> {
    let all = pod.and_then(|p| p.sysctls.as_deref()).unwrap_or(&[]);
    let bad: Vec<(usize, &str)> = all
        .iter()
        .enumerate()
        .filter(|(_, s)| !SAFE_SYSCTLS.contains(&s.name.as_str()))
        .map(|(i, s)| (i, s.name.as_str()))
        .collect();
    let (first, _) = bad.first()?;
    Some(Found {
        path: format!("spec.securityContext.sysctls[{first}]"),
        detail: format!(
            "pod sets sysctls outside the safe set: {}",
            bad.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
        ),
        containers: Vec::new(),
    })
}

fn privilege_escalation<'a>(cs: impl Iterator<Item = ContainerView<'a>>) -> Option<Found> {
    let mut o = Offenders::default();
    for c in cs {
        if c.security_context()
            .and_then(|s| s.allow_privilege_escalation)
            != Some(false)
        {
            o.container(c, "securityContext.allowPrivilegeEscalation");
        }
    }
    let (who, verb) = (o.who(), o.verb("does not", "do not"));
    o.found(format!(
        "{who} {verb} set securityContext.allowPrivilegeEscalation=false"
    ))
}

fn run_as_non_root<'a>(
    pod: Option<&PodSecurityContext>,
    cs: impl Iterator<Item = ContainerView<'a>>,
) -> Option<Found> {
    let mut explicit = Offenders::default();
    let pod_value = pod.and_then(|p| p.run_as_non_root);
    if pod_value == Some(false) {
        explicit.pod("spec.securityContext.runAsNonRoot");
    }
    let mut implicit = Offenders::default();
    for c in cs {
        match c.security_context().and_then(|s| s.run_as_non_root) {
            Some(false) => explicit.container(c, "securityContext.runAsNonRoot"),
            Some(true) => {}
            // A container inherits a pod-level `true`.
            None if pod_value != Some(true) => {
                implicit.container(c, "securityContext.runAsNonRoot")
            }
            None => {}
        }
    }
    if !explicit.is_empty() {
        let (who, verb) = (explicit.who(), explicit.verb("sets", "set"));
        return explicit.found(format!("{who} {verb} securityContext.runAsNonRoot=false"));
    }
    let who = containers_phrase(&implicit.containers);
    implicit.found(format!(
        "neither the pod nor {who} set securityContext.runAsNonRoot=true"
    ))
}

fn run_as_user<'a>(
    pod: Option<&PodSecurityContext>,
    cs: impl Iterator<Item = ContainerView<'a>>,
) -> Option<Found> {
    let mut o = Offenders::default();
    if pod.and_then(|p| p.run_as_user) == Some(0) {
        o.pod("spec.securityContext.runAsUser");
    }
    for c in cs {
        if c.security_context().and_then(|s| s.run_as_user) == Some(0) {
            o.container(c, "securityContext.runAsUser");
        }
    }
    let (who, verb) = (o.who(), o.verb("sets", "set"));
    o.found(format!("{who} {verb} runAsUser=0 (root)"))
}
