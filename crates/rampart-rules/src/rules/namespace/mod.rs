//! Namespace isolation: Pod Security admission, the default namespace, resource policies.

use crate::rule::Rule;

mod namespace_without_limit_range;
mod namespace_without_resource_quota;
mod pod_security_not_enforced;
mod workloads_in_default_namespace;

pub const RULES: &[Rule] = &[
    pod_security_not_enforced::RULE,
    workloads_in_default_namespace::RULE,
    namespace_without_resource_quota::RULE,
    namespace_without_limit_range::RULE,
];
