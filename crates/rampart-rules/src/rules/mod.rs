//! The rules, one file each, grouped by category. Each category module exports `RULES`.

use crate::rule::Rule;

pub mod encryption;
pub mod escalation;
pub mod namespace;
pub mod networkpolicy;
pub mod rbac;
pub mod serviceaccount;
pub mod workload;

/// Every category's rules; [`crate::registry::rules`] sorts them into one table.
pub const CATEGORIES: &[&[Rule]] = &[
    rbac::RULES,
    escalation::RULES,
    serviceaccount::RULES,
    namespace::RULES,
    networkpolicy::RULES,
    encryption::RULES,
    workload::RULES,
];
