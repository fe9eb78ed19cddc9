//! One view over the three container lists of a pod spec, each container with its path.

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvFromSource, EnvVar, EphemeralContainer, Lifecycle, PodSpec, Probe,
    SecurityContext,
};

/// Ephemeral containers have a type of their own with the same fields.
#[derive(Debug, Clone, Copy)]
enum Inner<'a> {
    Regular(&'a Container),
    Ephemeral(&'a EphemeralContainer),
}

/// A container, init container or ephemeral container, as the checks read it. Small and
/// borrowed: the checks build one per container per control.
#[derive(Debug, Clone, Copy)]
pub struct ContainerView<'a> {
    /// The list the container is in (`initContainers`, ...) and its index there.
    pub list: &'static str,
    pub index: usize,
    inner: Inner<'a>,
}

/// Reads a field that both container types have.
macro_rules! field {
    ($self:ident, $c:ident => $e:expr) => {
        match $self.inner {
            Inner::Regular($c) => $e,
            Inner::Ephemeral($c) => $e,
        }
    };
}

impl<'a> ContainerView<'a> {
    pub fn name(&self) -> &'a str {
        field!(self, c => c.name.as_str())
    }

    /// Path of the container within the pod, e.g. `spec.initContainers[0]`. Built on
    /// demand: most containers pass every check and never need it.
    pub fn path(&self) -> String {
        format!("spec.{}[{}]", self.list, self.index)
    }

    pub fn image(&self) -> Option<&'a str> {
        field!(self, c => c.image.as_deref())
    }

    pub fn security_context(&self) -> Option<&'a SecurityContext> {
        field!(self, c => c.security_context.as_ref())
    }

    pub fn ports(&self) -> &'a [ContainerPort] {
        field!(self, c => c.ports.as_deref().unwrap_or(&[]))
    }

    pub fn env(&self) -> &'a [EnvVar] {
        field!(self, c => c.env.as_deref().unwrap_or(&[]))
    }

    pub fn env_from(&self) -> &'a [EnvFromSource] {
        field!(self, c => c.env_from.as_deref().unwrap_or(&[]))
    }

    /// Liveness, readiness and startup probes, by field name.
    pub fn probes(&self) -> [(&'static str, Option<&'a Probe>); 3] {
        field!(self, c => [
            ("livenessProbe", c.liveness_probe.as_ref()),
            ("readinessProbe", c.readiness_probe.as_ref()),
            ("startupProbe", c.startup_probe.as_ref()),
        ])
    }

    pub fn lifecycle(&self) -> Option<&'a Lifecycle> {
        field!(self, c => c.lifecycle.as_ref())
    }
}

/// Every container of a pod in the order the admission plugin visits them: init
/// containers, containers, then ephemeral containers.
pub fn containers(spec: &PodSpec) -> impl Iterator<Item = ContainerView<'_>> + Clone {
    fn regular<'a>(
        list: &'static str,
        cs: &'a [Container],
    ) -> impl Iterator<Item = ContainerView<'a>> + Clone {
        cs.iter().enumerate().map(move |(index, c)| ContainerView {
            list,
            index,
            inner: Inner::Regular(c),
        })
    }
    let ephemeral = spec
        .ephemeral_containers
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(index, c)| ContainerView {
            list: "ephemeralContainers",
            index,
            inner: Inner::Ephemeral(c),
        });
    regular(
        "initContainers",
        spec.init_containers.as_deref().unwrap_or(&[]),
    )
    .chain(regular("containers", &spec.containers))
    .chain(ephemeral)
}
