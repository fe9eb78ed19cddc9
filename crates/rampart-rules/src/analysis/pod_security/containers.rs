//! One view over the three container lists of a pod spec, each container with its path.

use crate::model::pod::{Container, PodSpec};
use k8s_openapi::api::core::v1::SecurityContext;

/// A container, init container or ephemeral container, with where it is in the pod. Small
/// and borrowed: the checks build one per container per control.
#[derive(Debug, Clone, Copy)]
pub struct ContainerView<'a> {
    /// The list the container is in (`initContainers`, ...) and its index there.
    pub list: &'static str,
    pub index: usize,
    pub container: &'a Container,
}

impl<'a> ContainerView<'a> {
    pub fn name(&self) -> &'a str {
        &self.container.name
    }

    pub fn security_context(&self) -> Option<&'a SecurityContext> {
        self.container.security_context.as_deref()
    }

    /// Path of the container within the pod, e.g. `spec.initContainers[0]`. Built on
    /// demand: most containers pass every check and never need it.
    pub fn path(&self) -> String {
        format!("spec.{}[{}]", self.list, self.index)
    }
}

impl std::ops::Deref for ContainerView<'_> {
    type Target = Container;

    fn deref(&self) -> &Container {
        self.container
    }
}

/// Every container of a pod in the order the admission plugin visits them: init
/// containers, containers, then ephemeral containers.
pub fn containers(spec: &PodSpec) -> impl Iterator<Item = ContainerView<'_>> + Clone {
    [
        ("initContainers", &spec.init_containers),
        ("containers", &spec.containers),
        ("ephemeralContainers", &spec.ephemeral_containers),
    ]
    .into_iter()
    .flat_map(|(list, cs)| {
        cs.iter()
            .enumerate()
            .map(move |(index, container)| ContainerView {
                list,
                index,
                container,
            })
    })
}
