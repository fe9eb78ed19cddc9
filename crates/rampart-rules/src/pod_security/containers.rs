//! One view over the three container lists of a pod spec, each container with its path.

use k8s_openapi::api::core::v1::{
    ContainerPort, EnvFromSource, EnvVar, Lifecycle, PodSpec, Probe, SecurityContext,
};

/// A container, init container or ephemeral container, as the checks read it.
#[derive(Debug, Clone)]
pub struct ContainerView<'a> {
    pub name: &'a str,
    /// Path of the container within the pod, e.g. `spec.initContainers[0]`.
    pub path: String,
    pub image: Option<&'a str>,
    pub security_context: Option<&'a SecurityContext>,
    pub ports: &'a [ContainerPort],
    pub env: &'a [EnvVar],
    pub env_from: &'a [EnvFromSource],
    pub probes: [(&'static str, Option<&'a Probe>); 3],
    pub lifecycle: Option<&'a Lifecycle>,
}

/// Every container of a pod in the order the admission plugin visits them: init
/// containers, containers, then ephemeral containers.
pub fn containers(spec: &PodSpec) -> Vec<ContainerView<'_>> {
    let mut out = Vec::new();
    let lists = [
        (
            "initContainers",
            spec.init_containers.as_deref().unwrap_or(&[]),
        ),
        ("containers", spec.containers.as_slice()),
    ];
    for (field, list) in lists {
        for (i, c) in list.iter().enumerate() {
            out.push(ContainerView {
                name: &c.name,
                path: format!("spec.{field}[{i}]"),
                image: c.image.as_deref(),
                security_context: c.security_context.as_ref(),
                ports: c.ports.as_deref().unwrap_or(&[]),
                env: c.env.as_deref().unwrap_or(&[]),
                env_from: c.env_from.as_deref().unwrap_or(&[]),
                probes: [
                    ("livenessProbe", c.liveness_probe.as_ref()),
                    ("readinessProbe", c.readiness_probe.as_ref()),
                    ("startupProbe", c.startup_probe.as_ref()),
                ],
                lifecycle: c.lifecycle.as_ref(),
            });
        }
    }
    // Ephemeral containers have their own type with the same fields.
    for (i, c) in spec
        .ephemeral_containers
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        out.push(ContainerView {
            name: &c.name,
            path: format!("spec.ephemeralContainers[{i}]"),
            image: c.image.as_deref(),
            security_context: c.security_context.as_ref(),
            ports: c.ports.as_deref().unwrap_or(&[]),
            env: c.env.as_deref().unwrap_or(&[]),
            env_from: c.env_from.as_deref().unwrap_or(&[]),
            probes: [
                ("livenessProbe", c.liveness_probe.as_ref()),
                ("readinessProbe", c.readiness_probe.as_ref()),
                ("startupProbe", c.startup_probe.as_ref()),
            ],
            lifecycle: c.lifecycle.as_ref(),
        });
    }
    out
}
