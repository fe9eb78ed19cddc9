//! The rules, one file each, grouped by category. Each category module exports `RULES`;
//! [`registry`] sorts them into the catalogue. A folder is named for its category, and its
//! rules' ids carry the same prefix, except two on purpose: the ESC rules sit in `rbac/`
//! (their category) with their own series because each judges a chain of grants, and the
//! `workload` category's rules are `POD*` and sit in `pod/`, since every one of them judges
//! a pod spec.

use crate::engine::rule::Rule;

pub mod controlplane;
pub mod encryption;
pub mod namespace;
pub mod networkpolicy;
pub mod pod;
pub mod prelude;
pub mod rbac;
pub mod registry;
pub mod secrets;
pub mod serviceaccount;

/// Every category's rules; [`registry::rules`] sorts them into one table.
pub const CATEGORIES: &[&[Rule]] = &[
    rbac::RULES,
    serviceaccount::RULES,
    namespace::RULES,
    networkpolicy::RULES,
    encryption::RULES,
    pod::RULES,
    secrets::RULES,
    controlplane::RULES,
];
