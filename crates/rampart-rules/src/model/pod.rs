//! Pods and the controllers that carry pod templates, kept as the fields the rules read.
//!
//! A `k8s-openapi` pod spec is large even when almost empty: every field of every volume
//! source and container is stored inline (a `Volume` is 3.3 KB, a `Container` 2.3 KB). The
//! engine keeps a projection instead, built once when an object is read: the containers
//! with their security context, image, host ports, the hosts their probes and hooks point
//! at and the Secrets their environment names; volumes by name, source type and host path;
//! and the pod-level settings the Pod Security Standards and the ServiceAccount rules read.
//! Status, managed fields and the last-applied annotation are dropped on the way in.

use crate::model::control_plane::{CommandLine, Component};
use crate::model::credentials::looks_like_credential;
use crate::model::interned::Interner;
use crate::model::meta::Meta;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::core::v1::{PodSecurityContext, SecurityContext};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::sync::{Arc, LazyLock};

/// A pod, as the rules read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pod {
    pub metadata: Meta,
    /// Shared with every pod whose spec is the same, as a controller's pods are.
    pub spec: Option<Arc<PodSpec>>,
    /// The component's command line, for a pod labelled as a control-plane component
    /// (`component: kube-apiserver`, `kube-controller-manager`, `kube-scheduler`, `etcd`:
    /// its static pod): its flags are evidence. Other pods' command lines are not kept.
    pub control_plane: Option<Box<CommandLine>>,
}

/// A controller of pods (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
/// ReplicationController) or a PodTemplate, as the rules read it: its metadata and its
/// pods' template.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodController {
    pub metadata: Meta,
    pub template: Option<PodTemplate>,
}

/// The template of a controller's pods.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodTemplate {
    /// The pods' labels and annotations (Pod Security reads AppArmor annotations there).
    pub metadata: Option<Meta>,
    pub spec: Option<Arc<PodSpec>>,
}

/// A pod spec, as the rules read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodSpec {
    /// Containers and the pod's security context are shared with every pod that has the
    /// same (see [`crate::model::interned`]): a controller's pods repeat them.
    pub init_containers: Arc<[Container]>,
    pub containers: Arc<[Container]>,
    pub ephemeral_containers: Arc<[Container]>,
    pub volumes: Box<[Volume]>,
    pub security_context: Option<Arc<PodSecurityContext>>,
    pub service_account_name: Option<String>,
    /// The deprecated `serviceAccount` field, when it names an account that
    /// `serviceAccountName` does not: the API server echoes the current name into the
    /// deprecated field of every pod it stores, and that echo is no one's choice.
    pub deprecated_service_account: Option<Box<str>>,
    pub automount_service_account_token: Option<bool>,
    pub host_network: Option<bool>,
    pub host_pid: Option<bool>,
    pub host_ipc: Option<bool>,
    pub host_users: Option<bool>,
    /// `os.name`.
    pub os: Option<String>,
}

/// A container, init container or ephemeral container, as the rules read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Container {
    pub name: String,
    pub image: Option<String>,
    pub security_context: Option<Box<SecurityContext>>,
    /// Ports bound on the node (`hostPort` set and not 0).
    pub host_ports: Box<[HostPort]>,
    /// Hosts that probes and lifecycle hooks point at, where one is set and not empty, in
    /// the order liveness, readiness, startup, postStart, preStop; httpGet before tcpSocket.
    pub hook_hosts: Box<[HookHost]>,
    /// Environment variables taken from a Secret key.
    pub secret_env: Box<[SecretEnv]>,
    /// `envFrom` entries that take every key of a Secret.
    pub secret_env_from: Box<[SecretEnvFrom]>,
    /// Environment variables whose literal value looks like a credential (the value is
    /// never kept).
    pub credential_env: Box<[CredentialEnv]>,
    /// Which resource limits it sets.
    pub limits: Limits,
}

/// The resource limits a container sets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub cpu: bool,
    pub memory: bool,
}

/// An `env[]` entry whose literal value looks like a credential: where it is and why, but
/// not the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialEnv {
    /// Index in `env`.
    pub index: usize,
    pub name: String,
    /// Why the value looks like a credential (`model::credentials`).
    pub why: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostPort {
    /// Index in the container's `ports`.
    pub index: usize,
    pub port: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookHost {
    /// The field under the container: `livenessProbe`, `lifecycle.postStart`, ...
    pub field: &'static str,
    /// `httpGet` or `tcpSocket`.
    pub handler: &'static str,
    pub host: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEnv {
    /// Index in the container's `env`.
    pub index: usize,
    pub name: String,
    pub secret: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEnvFrom {
    /// Index in the container's `envFrom`.
    pub index: usize,
    pub secret: String,
}

/// A volume: its name, which source fields it sets, and the host path of a hostPath.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Volume {
    pub name: String,
    /// The source fields set, as bits of [`VolumeType`].
    sources: u32,
    pub host_path: Option<String>,
    /// A projected volume with a `serviceAccountToken` source.
    pub projects_service_account_token: bool,
}

/// The source fields of a volume, by the name the API gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolumeType {
    ConfigMap,
    Csi,
    DownwardApi,
    EmptyDir,
    Ephemeral,
    Image,
    PersistentVolumeClaim,
    Projected,
    Secret,
    HostPath,
    GcePersistentDisk,
    AwsElasticBlockStore,
    GitRepo,
    Nfs,
    Iscsi,
    Glusterfs,
    Rbd,
    FlexVolume,
    Cinder,
    Cephfs,
    Flocker,
    Fc,
    AzureFile,
    VsphereVolume,
    Quobyte,
    AzureDisk,
    PhotonPersistentDisk,
    PortworxVolume,
    ScaleIo,
    Storageos,
}

impl VolumeType {
    /// The field's name in a volume.
    pub fn field(self) -> &'static str {
        match self {
            VolumeType::ConfigMap => "configMap",
            VolumeType::Csi => "csi",
            VolumeType::DownwardApi => "downwardAPI",
            VolumeType::EmptyDir => "emptyDir",
            VolumeType::Ephemeral => "ephemeral",
            VolumeType::Image => "image",
            VolumeType::PersistentVolumeClaim => "persistentVolumeClaim",
            VolumeType::Projected => "projected",
            VolumeType::Secret => "secret",
            VolumeType::HostPath => "hostPath",
            VolumeType::GcePersistentDisk => "gcePersistentDisk",
            VolumeType::AwsElasticBlockStore => "awsElasticBlockStore",
            VolumeType::GitRepo => "gitRepo",
            VolumeType::Nfs => "nfs",
            VolumeType::Iscsi => "iscsi",
            VolumeType::Glusterfs => "glusterfs",
            VolumeType::Rbd => "rbd",
            VolumeType::FlexVolume => "flexVolume",
            VolumeType::Cinder => "cinder",
            VolumeType::Cephfs => "cephfs",
            VolumeType::Flocker => "flocker",
            VolumeType::Fc => "fc",
            VolumeType::AzureFile => "azureFile",
            VolumeType::VsphereVolume => "vsphereVolume",
            VolumeType::Quobyte => "quobyte",
            VolumeType::AzureDisk => "azureDisk",
            VolumeType::PhotonPersistentDisk => "photonPersistentDisk",
            VolumeType::PortworxVolume => "portworxVolume",
            VolumeType::ScaleIo => "scaleIO",
            VolumeType::Storageos => "storageos",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl Volume {
    /// Whether the volume sets this source field.
    pub fn has(&self, t: VolumeType) -> bool {
        self.sources & t.bit() != 0
    }

    /// A volume with the given sources, for tests of the rules that read them.
    pub fn with_sources(name: &str, sources: &[VolumeType]) -> Volume {
        Volume {
            name: name.to_owned(),
            sources: sources.iter().fold(0, |acc, t| acc | t.bit()),
            ..Volume::default()
        }
    }
}

impl From<core::Volume> for Volume {
    fn from(v: core::Volume) -> Volume {
        use VolumeType as T;
        let set = [
            (T::ConfigMap, v.config_map.is_some()),
            (T::Csi, v.csi.is_some()),
            (T::DownwardApi, v.downward_api.is_some()),
            (T::EmptyDir, v.empty_dir.is_some()),
            (T::Ephemeral, v.ephemeral.is_some()),
            (T::Image, v.image.is_some()),
            (
                T::PersistentVolumeClaim,
                v.persistent_volume_claim.is_some(),
            ),
            (T::Projected, v.projected.is_some()),
            (T::Secret, v.secret.is_some()),
            (T::HostPath, v.host_path.is_some()),
            (T::GcePersistentDisk, v.gce_persistent_disk.is_some()),
            (T::AwsElasticBlockStore, v.aws_elastic_block_store.is_some()),
            (T::GitRepo, v.git_repo.is_some()),
            (T::Nfs, v.nfs.is_some()),
            (T::Iscsi, v.iscsi.is_some()),
            (T::Glusterfs, v.glusterfs.is_some()),
            (T::Rbd, v.rbd.is_some()),
            (T::FlexVolume, v.flex_volume.is_some()),
            (T::Cinder, v.cinder.is_some()),
            (T::Cephfs, v.cephfs.is_some()),
            (T::Flocker, v.flocker.is_some()),
            (T::Fc, v.fc.is_some()),
            (T::AzureFile, v.azure_file.is_some()),
            (T::VsphereVolume, v.vsphere_volume.is_some()),
            (T::Quobyte, v.quobyte.is_some()),
            (T::AzureDisk, v.azure_disk.is_some()),
            (T::PhotonPersistentDisk, v.photon_persistent_disk.is_some()),
            (T::PortworxVolume, v.portworx_volume.is_some()),
            (T::ScaleIo, v.scale_io.is_some()),
            (T::Storageos, v.storageos.is_some()),
        ];
        let sources = match set
            .iter()
            .filter(|(_, on)| *on)
            .fold(0, |acc, (t, _)| acc | t.bit())
        {
            // The API server defaults a volume without a source to emptyDir before
            // admission sees it, so Pod Security allows it.
            0 => T::EmptyDir.bit(),
            set => set,
        };
        let projects_service_account_token = v
            .projected
            .as_ref()
            .and_then(|p| p.sources.as_ref())
            .is_some_and(|s| s.iter().any(|x| x.service_account_token.is_some()));
        Volume {
            name: v.name,
            sources,
            host_path: v.host_path.map(|h| h.path),
            projects_service_account_token,
        }
    }
}

/// The hosts one probe or hook points at.
fn handler_hosts(
    field: &'static str,
    http: Option<&core::HTTPGetAction>,
    tcp: Option<&core::TCPSocketAction>,
    out: &mut Vec<HookHost>,
) {
    let hosts = [
        ("httpGet", http.and_then(|h| h.host.as_deref())),
        ("tcpSocket", tcp.and_then(|t| t.host.as_deref())),
    ];
    for (handler, host) in hosts {
        if let Some(h) = host.filter(|h| !h.is_empty()) {
            out.push(HookHost {
                field,
                handler,
                host: h.to_owned(),
            });
        }
    }
}

/// The fields both container types share, taken apart once.
struct Parts {
    name: String,
    image: Option<String>,
    security_context: Option<SecurityContext>,
    ports: Option<Vec<core::ContainerPort>>,
    probes: [(&'static str, Option<core::Probe>); 3],
    lifecycle: Option<core::Lifecycle>,
    env: Option<Vec<core::EnvVar>>,
    env_from: Option<Vec<core::EnvFromSource>>,
    resources: Option<core::ResourceRequirements>,
}

macro_rules! parts {
    ($c:expr) => {{
        let c = $c;
        Parts {
            name: c.name,
            image: c.image,
            security_context: c.security_context,
            ports: c.ports,
            probes: [
                ("livenessProbe", c.liveness_probe),
                ("readinessProbe", c.readiness_probe),
                ("startupProbe", c.startup_probe),
            ],
            lifecycle: c.lifecycle,
            env: c.env,
            env_from: c.env_from,
            resources: c.resources,
        }
    }};
}

impl From<Parts> for Container {
    fn from(p: Parts) -> Container {
        let host_ports = p
            .ports
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(index, port)| {
                let hp = port.host_port.filter(|hp| *hp != 0)?;
                Some(HostPort { index, port: hp })
            })
            .collect();
        let mut hook_hosts = Vec::new();
        for (field, probe) in &p.probes {
            if let Some(probe) = probe {
                handler_hosts(
                    field,
                    probe.http_get.as_ref(),
                    probe.tcp_socket.as_ref(),
                    &mut hook_hosts,
                );
            }
        }
        if let Some(l) = &p.lifecycle {
            let hooks = [
                ("lifecycle.postStart", &l.post_start),
                ("lifecycle.preStop", &l.pre_stop),
            ];
            for (field, hook) in hooks {
                if let Some(h) = hook {
                    handler_hosts(
                        field,
                        h.http_get.as_ref(),
                        h.tcp_socket.as_ref(),
                        &mut hook_hosts,
                    );
                }
            }
        }
        let env = p.env.unwrap_or_default();
        let credential_env = env
            .iter()
            .enumerate()
            .filter_map(|(index, e)| {
                let why = looks_like_credential(&e.name, e.value.as_deref()?)?;
                Some(CredentialEnv {
                    index,
                    name: e.name.clone(),
                    why,
                })
            })
            .collect();
        let limits = p
            .resources
            .and_then(|r| r.limits)
            .map(|l| Limits {
                cpu: l.contains_key("cpu"),
                memory: l.contains_key("memory"),
            })
            .unwrap_or_default();
        let secret_env = env
            .into_iter()
            .enumerate()
            .filter_map(|(index, e)| {
                let r = e.value_from?.secret_key_ref?;
                Some(SecretEnv {
                    index,
                    name: e.name,
                    secret: r.name,
                    key: r.key,
                })
            })
            .collect();
        let secret_env_from = p
            .env_from
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .filter_map(|(index, e)| {
                Some(SecretEnvFrom {
                    index,
                    secret: e.secret_ref?.name,
                })
            })
            .collect();
        Container {
            name: p.name,
            image: p.image,
            security_context: p.security_context.map(Box::new),
            host_ports,
            hook_hosts: hook_hosts.into_boxed_slice(),
            secret_env,
            secret_env_from,
            credential_env,
            limits,
        }
    }
}

impl From<core::Container> for Container {
    fn from(c: core::Container) -> Container {
        Container::from(parts!(c))
    }
}

impl From<core::EphemeralContainer> for Container {
    fn from(c: core::EphemeralContainer) -> Container {
        Container::from(parts!(c))
    }
}

fn list<T, U: From<T>>(items: Option<Vec<T>>) -> Box<[U]> {
    items.unwrap_or_default().into_iter().map(U::from).collect()
}

static CONTAINER_LISTS: LazyLock<Interner<[Container]>> = LazyLock::new(Interner::new);
static POD_CONTEXTS: LazyLock<Interner<PodSecurityContext>> = LazyLock::new(Interner::new);
static POD_SPECS: LazyLock<Interner<PodSpec>> = LazyLock::new(Interner::new);

/// A pod spec, shared with every pod and template that has the same.
fn pod_spec(spec: core::PodSpec) -> Arc<PodSpec> {
    POD_SPECS.intern(Arc::new(PodSpec::from(spec)))
}

/// A list of containers, shared with every pod that has the same.
fn containers<T>(items: Option<Vec<T>>) -> Arc<[Container]>
where
    Container: From<T>,
{
    let list: Arc<[Container]> = items
        .unwrap_or_default()
        .into_iter()
        .map(Container::from)
        .collect();
    CONTAINER_LISTS.intern(list)
}

impl From<core::PodSpec> for PodSpec {
    fn from(s: core::PodSpec) -> PodSpec {
        let current = s.service_account_name.as_deref().filter(|n| !n.is_empty());
        let deprecated = s.service_account.as_deref().filter(|n| !n.is_empty());
        let deprecated_service_account = deprecated.filter(|d| Some(*d) != current).map(Box::from);
        PodSpec {
            init_containers: containers(s.init_containers),
            containers: containers(Some(s.containers)),
            ephemeral_containers: containers(s.ephemeral_containers),
            volumes: list(s.volumes),
            security_context: s.security_context.map(|c| POD_CONTEXTS.intern(Arc::new(c))),
            deprecated_service_account,
            // The API server copies the deprecated field into the current one when only the
            // deprecated one is set.
            service_account_name: s
                .service_account_name
                .filter(|n| !n.is_empty())
                .or(s.service_account),
            automount_service_account_token: s.automount_service_account_token,
            host_network: s.host_network,
            host_pid: s.host_pid,
            host_ipc: s.host_ipc,
            host_users: s.host_users,
            os: s.os.map(|o| o.name),
        }
    }
}

fn component(meta: &ObjectMeta) -> Option<Component> {
    meta.labels
        .as_ref()
        .and_then(|l| l.get("component"))
        .and_then(|c| Component::from_label(c))
}

/// The command line of the component's container (named like it, or the first container).
fn component_command(component: Component, spec: &core::PodSpec) -> Option<Box<CommandLine>> {
    let cs = &spec.containers;
    let (container, c) = cs
        .iter()
        .enumerate()
        .find(|(_, c)| c.name == component.as_str())
        .or_else(|| cs.iter().enumerate().next())?;
    Some(Box::new(CommandLine {
        component,
        container,
        image: c.image.clone(),
        command: c.command.clone().unwrap_or_default(),
        args: c.args.clone().unwrap_or_default(),
    }))
}

impl From<core::Pod> for Pod {
    fn from(p: core::Pod) -> Pod {
        let control_plane = component(&p.metadata)
            .zip(p.spec.as_ref())
            .and_then(|(c, spec)| component_command(c, spec));
        Pod {
            metadata: p.metadata.into(),
            spec: p.spec.map(pod_spec),
            control_plane,
        }
    }
}

impl From<core::PodTemplateSpec> for PodTemplate {
    fn from(t: core::PodTemplateSpec) -> PodTemplate {
        PodTemplate {
            metadata: t.metadata.map(Meta::from),
            spec: t.spec.map(pod_spec),
        }
    }
}

impl PodController {
    fn new(metadata: ObjectMeta, template: Option<core::PodTemplateSpec>) -> Self {
        PodController {
            metadata: metadata.into(),
            template: template.map(PodTemplate::from),
        }
    }
}

impl From<Deployment> for PodController {
    fn from(d: Deployment) -> Self {
        PodController::new(d.metadata, Some(d.spec.template))
    }
}

impl From<StatefulSet> for PodController {
    fn from(d: StatefulSet) -> Self {
        PodController::new(d.metadata, Some(d.spec.template))
    }
}

impl From<DaemonSet> for PodController {
    fn from(d: DaemonSet) -> Self {
        PodController::new(d.metadata, Some(d.spec.template))
    }
}

impl From<ReplicaSet> for PodController {
    fn from(d: ReplicaSet) -> Self {
        PodController::new(d.metadata, d.spec.template)
    }
}

impl From<Job> for PodController {
    fn from(j: Job) -> Self {
        PodController::new(j.metadata, j.spec.map(|s| s.template))
    }
}

impl From<core::ReplicationController> for PodController {
    fn from(r: core::ReplicationController) -> Self {
        PodController::new(r.metadata, r.spec.and_then(|s| s.template))
    }
}

impl From<core::PodTemplate> for PodController {
    fn from(t: core::PodTemplate) -> Self {
        PodController::new(t.metadata, t.template)
    }
}

impl From<CronJob> for PodController {
    fn from(c: CronJob) -> Self {
        let template = c.spec.job_template.spec.map(|s| s.template);
        PodController::new(c.metadata, template)
    }
}

#[cfg(test)]
mod tests;
