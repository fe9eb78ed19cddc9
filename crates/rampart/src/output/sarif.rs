//! SARIF 2.1.0, for code-scanning dashboards: every rule in the driver, every finding a
//! result pointing at the file and line of its resource's document; excepted findings
//! as suppressed results.

use super::Report;
use anyhow::Result;
use rampart_rules::{Excepted, Finding, Rule, Severity, registry};
use serde::{Serialize, Serializer};
use serde_json::{Value, json};
use std::io::Write;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning ranks results by this 0-10 score.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn rule_json(r: &Rule) -> Value {
    let mut tags = vec!["security".to_owned(), r.category.as_str().to_owned()];
    tags.extend(
        r.references
            .iter()
            .map(|x| format!("{} {}", x.framework.as_str(), x.id)),
    );
    let refs: Vec<String> = r
        .references
        .iter()
        .map(|x| format!("- {} {}: {}", x.framework.as_str(), x.id, x.title))
        .collect();
    json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": r.rationale},
        "help": {
            "text": format!("{}\n\nRemediation: {}", r.rationale, r.remediation),
            "markdown": format!("{}\n\n**Remediation:** {}\n\n**References:**\n{}", r.rationale, r.remediation, refs.join("\n")),
        },
        "defaultConfiguration": {"level": level(r.severity)},
        "properties": {
            "tags": tags,
            "security-severity": security_severity(r.severity),
            "precision": "high",
        },
    })
}

/// An excepted finding is a suppressed result: code scanning shows it as dismissed, with
/// the exception's reason and owner as the justification.
fn suppressed_json(report: &Report<'_>, rules: &[Rule], x: &Excepted) -> Value {
    let mut result = result_json(report, rules, &x.finding);
    let justification = report.why_excepted(x);
    result["suppressions"] = json!([{
        "kind": "external",
        "status": "accepted",
        "justification": justification,
    }]);
    result
}

/// A file path as SARIF's `artifactLocation.uri` must be, an RFC 3986 URI reference: every
/// byte that may not stand in a path is percent-encoded, so `app #2.yaml` stays one file
/// rather than a path and a fragment, and a non-ASCII name survives a strict reader. `:`
/// is encoded too: in the first segment of a relative path it would read as a scheme.
fn uri_reference(path: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut uri = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push('%');
            uri.push(char::from(HEX[usize::from(b >> 4)]));
            uri.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
    uri
}

fn result_json(report: &Report<'_>, rules: &[Rule], f: &Finding) -> Value {
    let location = match report.inventory.source(&f.resource) {
        Some(src) => json!({
            "physicalLocation": {
                "artifactLocation": {"uri": uri_reference(&src.file)},
                "region": {"startLine": src.line.max(1)},
            },
        }),
        None => json!({
            "logicalLocations": [{
                "fullyQualifiedName": f.resource.to_string(),
                "kind": "resource",
            }],
        }),
    };
    let mut result = json!({
        "ruleId": f.rule_id(),
        "level": level(f.severity),
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {"rampartFingerprint/v1": f.fingerprint},
        "properties": {"severity": f.severity.as_str(), "security-severity": security_severity(f.severity)},
    });
    // The schema wants an integer here or nothing: a rule missing from the driver is left
    // to `ruleId` alone rather than written as `null`.
    if let Some(index) = rules.iter().position(|r| r.id == f.rule_id()) {
        result["ruleIndex"] = index.into();
    }
    result
}

/// The results, each made when it is serialized: a large cluster has hundreds of
/// thousands, and a tree of all of them would take gigabytes.
struct Results<'r, 'a> {
    report: &'r Report<'a>,
    rules: &'static [Rule],
}

impl Serialize for Results<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let min = self.report.min_severity.unwrap_or(Severity::Info);
        let excepted = self
            .report
            .evaluation
            .excepted
            .iter()
            .filter(|x| x.finding.severity >= min)
            .map(|x| suppressed_json(self.report, self.rules, x));
        s.collect_seq(
            self.report
                .visible()
                .map(|f| result_json(self.report, self.rules, f))
                .chain(excepted),
        )
    }
}

#[derive(Serialize)]
struct Log<'r, 'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'r, 'a>; 1],
}

#[derive(Serialize)]
struct Run<'r, 'a> {
    tool: Value,
    results: Results<'r, 'a>,
}

/// Writes the SARIF log to `out` as it is serialized.
pub fn write<W: Write>(report: &Report<'_>, out: &mut W) -> Result<()> {
    let rules = registry::rules();
    let doc = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: json!({"driver": {
                "name": "rampart",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/rampart",
                "rules": rules.iter().map(rule_json).collect::<Vec<_>>(),
            }}),
            results: Results { report, rules },
        }],
    };
    super::write_pretty(out, &doc)
}

#[cfg(test)]
mod tests {
    use super::uri_reference;

    #[test]
    fn file_paths_become_uri_references() {
        assert_eq!(uri_reference("/tmp/ci/all.yaml"), "/tmp/ci/all.yaml");
        assert_eq!(uri_reference("app #2/50%.yaml"), "app%20%232/50%25.yaml");
        assert_eq!(uri_reference("c:team/ü.yaml"), "c%3Ateam/%C3%BC.yaml");
    }
}
