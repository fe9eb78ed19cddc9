//! The catalogue: every rule, in one table sorted by id.

use crate::engine::rule::Rule;
use crate::rules;
use std::sync::OnceLock;

/// Every rule, sorted by id.
pub fn rules() -> &'static [Rule] {
    static TABLE: OnceLock<Vec<Rule>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut all: Vec<Rule> = rules::CATEGORIES
            .iter()
            .flat_map(|c| c.iter().copied())
            .collect();
        all.sort_by_key(|r| r.id);
        all
    })
}

/// A rule by its exact id, as findings and reports write it.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    position(id).map(|i| &rules()[i])
}

/// Where a rule stands in [`rules`], by its exact id.
pub fn position(id: &str) -> Option<usize> {
    rules().binary_search_by_key(&id, |r| r.id).ok()
}

/// A rule by id (case-insensitive) or name.
pub fn find(key: &str) -> Option<&'static Rule> {
    rules()
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(key) || r.name == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_and_names_are_unique_and_well_formed() {
        let mut ids = HashSet::new();
        let mut names = HashSet::new();
        for r in rules() {
            assert!(ids.insert(r.id), "duplicate id {}", r.id);
            assert!(names.insert(r.name), "duplicate name {}", r.name);
            let prefix = r.id.trim_end_matches(|c: char| c.is_ascii_digit());
            assert!(
                !prefix.is_empty() && prefix.len() < r.id.len(),
                "bad id {}",
                r.id
            );
            assert!(
                r.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "name {} is not kebab-case",
                r.name
            );
            for bad in ["ensure-", "disallow-"] {
                assert!(
                    !r.name.starts_with(bad),
                    "{} names a fix, not the pattern",
                    r.name
                );
            }
            assert!(
                !r.title.is_empty() && !r.rationale.is_empty() && !r.remediation.is_empty(),
                "{} lacks docs",
                r.id
            );
            assert!(
                !r.references.is_empty(),
                "{} has no framework reference",
                r.id
            );
        }
    }

    #[test]
    fn every_rule_is_found_by_its_exact_id_only() {
        for r in rules() {
            assert_eq!(by_id(r.id).map(|x| x.name), Some(r.name));
            assert!(by_id(&r.id.to_lowercase()).is_none(), "{}", r.id);
        }
        assert!(by_id("XYZ999").is_none());
    }
}
