//! The rules, one file each, grouped by category. Each category module exports `RULES`;
//! [`registry`] sorts them into the catalogue.

use crate::engine::rule::Rule;

pub mod encryption;
pub mod namespace;
pub mod networkpolicy;
pub mod pod;
pub mod prelude;
pub mod rbac;
pub mod registry;
pub mod serviceaccount;

/// Every category's rules; [`registry::rules`] sorts them into one table.
pub const CATEGORIES: &[&[Rule]] = &[
    rbac::RULES,
    serviceaccount::RULES,
    namespace::RULES,
    networkpolicy::RULES,
    encryption::RULES,
    pod::RULES,
];
