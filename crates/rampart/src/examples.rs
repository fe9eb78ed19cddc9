//! Each rule's examples, from the fixtures of `rampart-rules` that `build.rs` embeds: the
//! first failing fixture (by file name) shows what the rule reports, the first passing one
//! what to use instead. The fixtures test there guarantees every rule has both.

/// `(rule id, file name, text)` of every fixture, sorted by rule id, then file name.
static FIXTURES: &[(&str, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// Header lines that tell the fixtures test what to expect (see `tests/fixtures.rs` in
/// `rampart-rules`); they mean nothing to a reader and are left out.
const DIRECTIVES: &[&str] = &["finding:", "expect-severity:"];

pub struct Examples {
    /// Reported by the rule.
    pub failing: String,
    /// Not reported.
    pub passing: String,
}

pub fn of(rule_id: &str) -> Option<Examples> {
    let first = |prefix: &str| {
        FIXTURES
            .iter()
            .find(|(rule, file, _)| *rule == rule_id && file.starts_with(prefix))
            .map(|(_, _, text)| shown(text))
    };
    Some(Examples {
        failing: first("failing")?,
        passing: first("passing")?,
    })
}

/// A fixture as documentation: its test directives left out, descriptive comments kept.
fn shown(text: &str) -> String {
    let mut in_header = true;
    let mut out = String::new();
    for line in text.lines() {
        in_header &= line.starts_with('#') || line.trim().is_empty();
        let directive = line
            .strip_prefix('#')
            .map(str::trim_start)
            .is_some_and(|c| DIRECTIVES.iter().any(|d| c.starts_with(d)));
        if in_header && (directive || (out.is_empty() && line.trim().is_empty())) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_rules::registry;

    #[test]
    fn every_rule_has_both_examples() {
        for r in registry::rules() {
            let e = of(r.id).unwrap_or_else(|| panic!("{} has no examples", r.id));
            assert!(e.failing.contains("kind:") && e.passing.contains("kind:"));
        }
    }

    #[test]
    fn examples_keep_prose_and_drop_test_directives() {
        let text = "# Why this is bad.\n# finding: Pod a/b message~\"x\"\n\
                    # expect-severity: high\napiVersion: v1\nkind: Pod\n# finding: in the body\n";
        assert_eq!(
            shown(text),
            "# Why this is bad.\napiVersion: v1\nkind: Pod\n# finding: in the body\n"
        );
    }
}
