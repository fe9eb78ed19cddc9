//! Workload security: the Pod Security Standards on every pod and pod template (through
//! [`crate::analysis::pod_security`]), and the related habits that expose a workload's credentials
//! or code. A pod owned by a controller in the inventory is judged as its top-level
//! controller, so one Deployment is one finding.

use crate::rules::prelude::*;

pub(crate) mod per_container;
mod pss;
mod token;

mod apparmor_profile_overridden;
mod capabilities_not_dropped;
mod capability_beyond_default_set;
mod custom_selinux_options;
mod deprecated_serviceaccount_field;
mod host_namespace_shared;
mod host_port_bound;
mod hostpath_volume;
mod image_registry_not_allowed;
mod mutable_image_reference;
mod privilege_escalation_allowed;
mod privileged_container;
mod privileged_serviceaccount_token_mounted;
mod probe_targets_other_host;
mod resource_limits_missing;
mod restricted_volume_type;
mod root_group;
mod run_as_non_root_not_required;
mod run_as_root_user;
mod seccomp_profile_missing;
mod secret_in_environment_variable;
mod serviceaccount_not_found;
mod serviceaccount_token_automounted;
mod unconfined_seccomp_profile;
mod unmasked_proc_mount;
mod unsafe_sysctl;
mod windows_hostprocess_container;
mod writable_root_filesystem;

pub const RULES: &[Rule] = &[
    windows_hostprocess_container::RULE,
    host_namespace_shared::RULE,
    privileged_container::RULE,
    capability_beyond_default_set::RULE,
    hostpath_volume::RULE,
    host_port_bound::RULE,
    probe_targets_other_host::RULE,
    apparmor_profile_overridden::RULE,
    custom_selinux_options::RULE,
    unmasked_proc_mount::RULE,
    unconfined_seccomp_profile::RULE,
    unsafe_sysctl::RULE,
    restricted_volume_type::RULE,
    privilege_escalation_allowed::RULE,
    run_as_non_root_not_required::RULE,
    run_as_root_user::RULE,
    seccomp_profile_missing::RULE,
    capabilities_not_dropped::RULE,
    secret_in_environment_variable::RULE,
    privileged_serviceaccount_token_mounted::RULE,
    mutable_image_reference::RULE,
    writable_root_filesystem::RULE,
    root_group::RULE,
    resource_limits_missing::RULE,
    serviceaccount_not_found::RULE,
    deprecated_serviceaccount_field::RULE,
    image_registry_not_allowed::RULE,
    serviceaccount_token_automounted::RULE,
];
