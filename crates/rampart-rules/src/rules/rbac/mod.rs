//! RBAC least privilege: who is granted what, and which grants lead to more.

use crate::rules::prelude::*;

pub mod grants;

mod escalation_paths;

mod anonymous_grant;
mod binding_to_missing_role;
mod binding_to_missing_serviceaccount;
mod binding_write;
mod cluster_admin_binding;
mod csr_approve;
mod dangerous_role_aggregation;
mod destructive_delete;
mod escalation_path_to_cluster_admin;
mod escalation_path_to_privileged_identity;
mod event_delete;
mod impersonate;
mod kube_system_configmap_write;
mod network_exposure_write;
mod nodes_proxy;
mod persistentvolume_create;
mod pod_exec;
mod role_escalate_or_bind;
mod secret_read;
mod serviceaccount_token_create;
mod system_masters_binding;
mod webhook_configuration_write;
mod wildcard_api_group;
mod wildcard_resource;
mod wildcard_verb;
mod workload_create;

pub const RULES: &[Rule] = &[
    cluster_admin_binding::RULE,
    wildcard_verb::RULE,
    wildcard_resource::RULE,
    wildcard_api_group::RULE,
    secret_read::RULE,
    workload_create::RULE,
    role_escalate_or_bind::RULE,
    impersonate::RULE,
    serviceaccount_token_create::RULE,
    csr_approve::RULE,
    webhook_configuration_write::RULE,
    persistentvolume_create::RULE,
    nodes_proxy::RULE,
    pod_exec::RULE,
    anonymous_grant::RULE,
    dangerous_role_aggregation::RULE,
    binding_to_missing_role::RULE,
    binding_to_missing_serviceaccount::RULE,
    escalation_path_to_cluster_admin::RULE,
    escalation_path_to_privileged_identity::RULE,
    destructive_delete::RULE,
    event_delete::RULE,
    binding_write::RULE,
    system_masters_binding::RULE,
    kube_system_configmap_write::RULE,
    network_exposure_write::RULE,
];
