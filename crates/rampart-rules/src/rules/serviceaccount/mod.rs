//! ServiceAccount token hygiene.

use crate::rules::prelude::*;

mod default_serviceaccount_automounts_token;
mod default_serviceaccount_bound;
mod legacy_serviceaccount_token_secret;
mod serviceaccount_bound_but_unused;

pub const RULES: &[Rule] = &[
    default_serviceaccount_automounts_token::RULE,
    default_serviceaccount_bound::RULE,
    legacy_serviceaccount_token_secret::RULE,
    serviceaccount_bound_but_unused::RULE,
];
