//! RBAC least privilege: who is granted what, and which grants lead to more.

use crate::rule::Rule;

pub mod grants;

mod cluster_admin_binding;
mod secret_read;

pub const RULES: &[Rule] = &[cluster_admin_binding::RULE, secret_read::RULE];
