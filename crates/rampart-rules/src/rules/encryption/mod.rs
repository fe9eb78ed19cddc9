use crate::rule::Rule;

pub const RULES: &[Rule] = &[];
