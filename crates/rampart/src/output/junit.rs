//! JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure Pipelines):
//! one test suite per rule, one test case per rule and object. A case fails when the
//! object has a finding of the rule at or above `--fail-on` (every finding without it);
//! findings below it pass with their message as output; excepted ones are skipped with
//! the exception's reason. A rule with no finding is one passing case, so the report
//! shows what was checked.

use super::Report;
use anyhow::Result;
use rampart_rules::{Finding, ObjectRef, Rule, Severity, registry};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

/// Text with the five characters XML reserves escaped, and characters XML 1.0 cannot hold
/// dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// What one case says of one object.
#[derive(Default)]
struct Case<'a> {
    failing: Vec<&'a Finding>,
    passing: Vec<&'a Finding>,
    skipped: Vec<String>,
}

pub fn write<W: Write>(report: &Report<'_>, out: &mut W) -> Result<()> {
    let threshold = report.fail_on.unwrap_or(Severity::Info);
    let mut by_rule: BTreeMap<&str, BTreeMap<&ObjectRef, Case<'_>>> = BTreeMap::new();
    for f in report.visible() {
        let case = by_rule
            .entry(f.rule_id())
            .or_default()
            .entry(&f.resource)
            .or_default();
        if f.severity >= threshold {
            case.failing.push(f);
        } else {
            case.passing.push(f);
        }
    }
    for x in &report.evaluation.excepted {
        let why = report.why_excepted(x);
        by_rule
            .entry(x.finding.rule_id())
            .or_default()
            .entry(&x.finding.resource)
            .or_default()
            .skipped
            .push(why);
    }
    let rules = registry::rules();
    let mut suites = String::new();
    let (mut tests, mut failures, mut skipped) = (0usize, 0usize, 0usize);
    for rule in rules {
        let cases = by_rule.remove(rule.id).unwrap_or_default();
        let (suite, t, f, s) = suite(report, rule, &cases);
        suites.push_str(&suite);
        tests += t;
        failures += f;
        skipped += s;
    }
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="rampart" tests="{tests}" failures="{failures}" skipped="{skipped}">"#
    )?;
    out.write_all(suites.as_bytes())?;
    writeln!(out, "</testsuites>")?;
    Ok(())
}

/// One rule's suite, and its counts of tests, failures and skipped cases.
fn suite(
    report: &Report<'_>,
    rule: &Rule,
    cases: &BTreeMap<&ObjectRef, Case<'_>>,
) -> (String, usize, usize, usize) {
    let name = escape(&format!("{} {}", rule.id, rule.name));
    let class = format!("rampart.{}", rule.id);
    let mut body = String::new();
    let (mut failures, mut skipped) = (0, 0);
    if cases.is_empty() {
        let _ = writeln!(
            body,
            r#"    <testcase classname="{class}" name="no findings"/>"#
        );
    }
    for (object, case) in cases {
        let location = report
            .inventory
            .source(object)
            .map(|s| format!(r#" file="{}" line="{}""#, escape(&s.file), s.line.max(1)))
            .unwrap_or_default();
        let _ = write!(
            body,
            r#"    <testcase classname="{class}" name="{}"{location}>"#,
            escape(&object.to_string())
        );
        if !case.failing.is_empty() {
            failures += 1;
            let worst = case
                .failing
                .iter()
                .map(|f| f.severity)
                .max()
                .unwrap_or(rule.severity);
            let _ = write!(
                body,
                r#"<failure type="{worst}" message="{}">{}</failure>"#,
                escape(&case.failing[0].message),
                escape(&details(rule, &case.failing))
            );
        } else if case.passing.is_empty() && !case.skipped.is_empty() {
            skipped += 1;
            let _ = write!(
                body,
                r#"<skipped message="{}"/>"#,
                escape(&case.skipped.join("; "))
            );
        }
        if !case.passing.is_empty() {
            let _ = write!(
                body,
                "<system-out>below --fail-on: {}</system-out>",
                escape(&details(rule, &case.passing))
            );
        }
        body.push_str("</testcase>\n");
    }
    let tests = cases.len().max(1);
    let suite = format!(
        "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\">\n{body}  </testsuite>\n"
    );
    (suite, tests, failures, skipped)
}

/// Every finding's severity, message and path, then how to fix it.
fn details(rule: &Rule, findings: &[&Finding]) -> String {
    let mut text = String::new();
    for f in findings {
        let _ = write!(text, "[{}] {}", f.severity, f.message);
        if let Some(path) = &f.path {
            let _ = write!(text, " (at {path})");
        }
        text.push('\n');
    }
    let _ = write!(
        text,
        "Fix: {} More: rampart rules explain {}",
        rule.remediation, rule.id
    );
    text
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_what_xml_reserves_and_drops_what_it_cannot_hold() {
        assert_eq!(
            escape("a<b>&\"c\"'d'\u{1}\n"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;\n"
        );
    }
}
