//! SARIF 2.1.0, for code-scanning dashboards: every rule in the driver, every finding a
//! result pointing at the file and line of its resource's document.

use super::Report;
use anyhow::Result;
use rampart_rules::{Finding, Rule, Severity, registry};
use serde_json::{Value, json};

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

fn result_json(report: &Report<'_>, rules: &[Rule], f: &Finding) -> Value {
    let index = rules.iter().position(|r| r.id == f.rule_id());
    let location = match report.inventory.source(&f.resource) {
        Some(src) => json!({
            "physicalLocation": {
                "artifactLocation": {"uri": src.file},
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
    json!({
        "ruleId": f.rule_id(),
        "ruleIndex": index,
        "level": level(f.severity),
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {"rampartFingerprint/v1": f.fingerprint},
        "properties": {"severity": f.severity.as_str(), "security-severity": security_severity(f.severity)},
    })
}

pub fn render(report: &Report<'_>) -> Result<String> {
    let rules = registry::rules();
    let results: Vec<Value> = report
        .visible()
        .map(|f| result_json(report, rules, f))
        .collect();
    let doc = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "rampart",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/rampart",
                "rules": rules.iter().map(rule_json).collect::<Vec<_>>(),
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc)?;
    s.push('\n');
    Ok(s)
}
