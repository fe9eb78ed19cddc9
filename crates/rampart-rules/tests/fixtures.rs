//! Walks `tests/fixtures/<RULE-ID>/{failing,passing}[.<case>].yaml`: every failing fixture
//! must make its rule report, every passing one must not, and every rule must have both.
//!
//! Header comments in a fixture refine the expectation:
//! `# expect: N` (exactly N findings of the rule) and `# expect-severity: S` (all of them at S).

use rampart_rules::{Inventory, Scope, Settings, Severity, evaluate_scope, manifest, registry};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

struct Fixture {
    path: PathBuf,
    failing: bool,
    expect: Option<usize>,
    expect_severity: Option<Severity>,
    text: String,
}

fn header_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty())
        .find_map(|l| {
            l.strip_prefix('#')?
                .trim()
                .strip_prefix(key)?
                .strip_prefix(':')
        })
        .map(str::trim)
}

fn load(dir: &Path) -> BTreeMap<String, Vec<Fixture>> {
    let mut out: BTreeMap<String, Vec<Fixture>> = BTreeMap::new();
    for rule_dir in fs::read_dir(dir).expect("fixtures dir") {
        let rule_dir = rule_dir.expect("entry").path();
        let id = rule_dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        for f in fs::read_dir(&rule_dir).expect("rule dir") {
            let path = f.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let failing = if name.starts_with("failing") {
                true
            } else if name.starts_with("passing") {
                false
            } else {
                panic!(
                    "{}: fixture names start with failing or passing",
                    path.display()
                );
            };
            let text = fs::read_to_string(&path).expect("read fixture");
            let expect = header_value(&text, "expect").map(|v| v.parse().expect("expect: N"));
            let expect_severity =
                header_value(&text, "expect-severity").map(|v| v.parse().expect("severity"));
            out.entry(id.clone()).or_default().push(Fixture {
                path,
                failing,
                expect,
                expect_severity,
                text,
            });
        }
    }
    out
}

#[test]
fn every_rule_fails_and_passes_its_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let fixtures = load(&dir);
    let mut problems = Vec::new();
    for id in fixtures.keys() {
        if registry::find(id).is_none() {
            problems.push(format!("fixtures for unknown rule {id}"));
        }
    }
    for rule in registry::rules() {
        let Some(list) = fixtures.get(rule.id) else {
            problems.push(format!("{} has no fixtures", rule.id));
            continue;
        };
        if !list.iter().any(|f| f.failing) || !list.iter().any(|f| !f.failing) {
            problems.push(format!("{} needs a failing and a passing fixture", rule.id));
        }
        for f in list {
            let file = f.path.display().to_string();
            let parsed = manifest::parse(&file, &f.text);
            if !parsed.errors.is_empty() {
                problems.push(format!("{file}: {:?}", parsed.errors));
                continue;
            }
            let mut inv = Inventory::new();
            for (o, s) in parsed.objects {
                inv.insert(o, Some(s));
            }
            inv.reindex();
            let eval = evaluate_scope(
                &inv,
                &Settings::default(),
                &Scope::All,
                std::slice::from_ref(rule),
            );
            let n = eval.findings.len();
            let ok = match (f.failing, f.expect) {
                (true, Some(e)) => n == e,
                (true, None) => n > 0,
                (false, _) => n == 0,
            };
            if !ok {
                let msgs: Vec<_> = eval.findings.iter().map(|x| x.message.as_str()).collect();
                problems.push(format!(
                    "{file}: {} got {n} finding(s), expected {}: {msgs:#?}",
                    rule.id,
                    match (f.failing, f.expect) {
                        (true, Some(e)) => e.to_string(),
                        (true, None) => "at least one".into(),
                        (false, _) => "none".into(),
                    }
                ));
            }
            if let Some(sev) = f.expect_severity {
                for x in &eval.findings {
                    if x.severity != sev {
                        problems.push(format!(
                            "{file}: {} reported at {} not {sev}: {}",
                            rule.id, x.severity, x.message
                        ));
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "fixture problems:\n{}",
        problems.join("\n")
    );
}
