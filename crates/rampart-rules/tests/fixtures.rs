//! Walks `tests/fixtures/<RULE-ID>/{failing,passing}[.<case>].yaml`: every rule must have
//! both; a passing fixture must make its rule report nothing, and a failing one must make it
//! report exactly the findings its header lists, by content.
//!
//! The header is the comment lines at the top of the file. Besides prose, it holds:
//!
//! ```text
//! # finding: <Kind> [<namespace>/]<name> [path=<path>] message~"<text>"
//! # expect-severity: <severity>
//! # settings: <settings as one line of YAML>
//! ```
//!
//! One `# finding:` line per finding of the rule, in any order. The object is the finding's
//! resource as it displays (`ClusterRoleBinding ci-admin`, `Pod shop/web`); `path=` is the
//! finding's path to the offending field, and its absence means the finding has none;
//! `message~"..."` is a substring of the message (everything up to the line's last `"`).
//! Findings and lines must pair up one to one: a finding on another object, at another path
//! or with another message fails, and so does a finding no line lists. Every failing
//! fixture lists at least one finding. `# expect-severity:` requires every finding of the
//! rule in that fixture to be at that severity. `# settings:` evaluates the fixture with
//! those settings instead of the defaults (`{allowedRegistries: [ghcr.io/acme]}`), for
//! rules that only run when configured. For example:
//!
//! ```text
//! # finding: ClusterRoleBinding ci-admin path=roleRef message~"grants cluster-admin"
//! # finding: Namespace shop message~"has no NetworkPolicy"
//! ```
//!
//! `RAMPART_BLESS=1 cargo test -p rampart-rules --test fixtures` rewrites the `# finding:`
//! lines of failing fixtures from what the rules report now, keeping each existing line that
//! still fits a finding (so hand-shortened message substrings survive) and writing the whole
//! message, less the object's name, for new ones. Read the diff: blessing records behaviour,
//! it does not judge it. Objects without a name of their own (an EncryptionConfiguration)
//! are named `<file>:<line>`, so such a line changes when the header above it grows; blessing
//! repeats until the header is stable.

use rampart_rules::{
    Finding, Inventory, Rule, Settings, Severity, evaluate_rules, manifest, registry,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

const FINDING: &str = "finding:";
const EXPECT_SEVERITY: &str = "expect-severity:";
const SETTINGS: &str = "settings:";
/// The count-only header the `# finding:` lines replaced; blessing converts it.
const OLD_EXPECT: &str = "expect:";

struct Fixture {
    path: PathBuf,
    failing: bool,
    findings: Vec<Expected>,
    expect_severity: Option<Severity>,
    settings: Settings,
    text: String,
}

/// One `# finding:` line.
#[derive(Debug)]
struct Expected {
    /// The line as written, for messages and for blessing.
    line: String,
    object: String,
    path: Option<String>,
    message: String,
}

impl Expected {
    fn parse(line: &str) -> Result<Expected, String> {
        let rest = directive(line, FINDING).ok_or("not a finding line")?;
        let (head, message) = rest
            .split_once("message~\"")
            .ok_or("missing message~\"...\"")?;
        let message = message
            .rsplit_once('"')
            .filter(|(_, after)| after.trim().is_empty())
            .ok_or("message~\"...\" must end the line with a closing quote")?
            .0;
        let mut words = head.split_whitespace();
        let (Some(kind), Some(name)) = (words.next(), words.next()) else {
            return Err("expected `<Kind> [<namespace>/]<name>` first".into());
        };
        let path = match words.next() {
            None => None,
            Some(p) => Some(
                p.strip_prefix("path=")
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| format!("expected path=<path>, found {p:?}"))?
                    .to_owned(),
            ),
        };
        if let Some(extra) = words.next() {
            return Err(format!("unexpected {extra:?}"));
        }
        Ok(Expected {
            line: line.to_owned(),
            object: format!("{kind} {name}"),
            path,
            message: message.to_owned(),
        })
    }

    fn matches(&self, f: &Finding) -> bool {
        self.object == f.resource.to_string()
            && self.path.as_deref() == f.path.as_deref()
            && f.message.contains(&self.message)
    }
}

/// The line that lists `f`: its whole message, less the object's name that starts most
/// messages (the line names the object already).
fn finding_line(f: &Finding) -> String {
    let object = f.resource.to_string();
    let mut line = format!("# {FINDING} {object}");
    if let Some(p) = &f.path {
        let _ = write!(line, " path={p}");
    }
    let message = f
        .message
        .strip_prefix(&object)
        .map(|m| m.strip_prefix(':').unwrap_or(m).trim_start())
        .filter(|m| !m.is_empty())
        .unwrap_or(&f.message);
    let _ = write!(line, " message~\"{message}\"");
    line
}

/// The leading comment and blank lines.
fn header(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty())
}

/// The value of a `# key: value` header line.
fn directive<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    Some(
        line.strip_prefix('#')?
            .trim_start()
            .strip_prefix(key)?
            .trim(),
    )
}

impl Fixture {
    /// Reads the header of `text`; problems are returned with the fixture, one per line.
    fn parse(path: PathBuf, text: String, blessing: bool) -> (Fixture, Vec<String>) {
        let name = path.file_name().expect("name").to_string_lossy();
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
        let mut problems = Vec::new();
        let mut findings = Vec::new();
        let mut expect_severity = None;
        let mut settings = Settings::default();
        for line in header(&text) {
            if directive(line, FINDING).is_some() {
                match Expected::parse(line) {
                    Ok(e) => findings.push(e),
                    Err(e) => problems.push(format!("{}: {line:?}: {e}", path.display())),
                }
            } else if let Some(v) = directive(line, EXPECT_SEVERITY) {
                match v.parse() {
                    Ok(s) => expect_severity = Some(s),
                    Err(_) => problems.push(format!("{}: bad severity {v:?}", path.display())),
                }
            } else if let Some(v) = directive(line, SETTINGS) {
                match Settings::from_yaml(v) {
                    Ok(s) => settings = s,
                    Err(e) => problems.push(format!("{}: bad settings {v:?}: {e}", path.display())),
                }
            } else if directive(line, OLD_EXPECT).is_some() && !blessing {
                problems.push(format!(
                    "{}: `# expect: N` is replaced by one `# finding:` line per finding",
                    path.display()
                ));
            }
        }
        let fixture = Fixture {
            path,
            failing,
            findings,
            expect_severity,
            settings,
            text,
        };
        (fixture, problems)
    }
}

fn load(dir: &Path, blessing: bool) -> Result<BTreeMap<String, Vec<Fixture>>, Vec<String>> {
    let mut out: BTreeMap<String, Vec<Fixture>> = BTreeMap::new();
    let mut problems = Vec::new();
    for rule_dir in fs::read_dir(dir).expect("fixtures dir") {
        let rule_dir = rule_dir.expect("entry").path();
        let id = rule_dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        for f in fs::read_dir(&rule_dir).expect("rule dir") {
            let path = f.expect("entry").path();
            let text = fs::read_to_string(&path).expect("read fixture");
            let (fixture, p) = Fixture::parse(path, text, blessing);
            problems.extend(p);
            out.entry(id.clone()).or_default().push(fixture);
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| a.path.cmp(&b.path));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Pairs expected lines with findings one to one (a maximum bipartite matching: a line's
/// message substring may fit several findings, so first come first served could pair
/// wrongly). Returns the owner line of each finding.
fn pair(expected: &[Expected], findings: &[Finding]) -> Vec<Option<usize>> {
    fn assign(
        e: usize,
        fits: &[Vec<usize>],
        seen: &mut [bool],
        owner: &mut [Option<usize>],
    ) -> bool {
        for &f in &fits[e] {
            if !seen[f] {
                seen[f] = true;
                if owner[f].is_none_or(|o| assign(o, fits, seen, owner)) {
                    owner[f] = Some(e);
                    return true;
                }
            }
        }
        false
    }
    let fits: Vec<Vec<usize>> = expected
        .iter()
        .map(|e| {
            (0..findings.len())
                .filter(|&i| e.matches(&findings[i]))
                .collect()
        })
        .collect();
    let mut owner = vec![None; findings.len()];
    for e in 0..expected.len() {
        assign(e, &fits, &mut vec![false; findings.len()], &mut owner);
    }
    owner
}

/// What is wrong with `findings` against `f`'s header, one line per problem.
fn compare(f: &Fixture, findings: &[Finding]) -> Vec<String> {
    let mut problems = Vec::new();
    if !f.failing {
        if !f.findings.is_empty() {
            problems.push("a passing fixture lists no findings".to_owned());
        }
        for x in findings {
            problems.push(format!("unexpected finding: {}", finding_line(x)));
        }
        return problems;
    }
    if f.findings.is_empty() {
        problems.push("a failing fixture lists its findings with `# finding:` lines".to_owned());
    }
    let owner = pair(&f.findings, findings);
    for (i, e) in f.findings.iter().enumerate() {
        if !owner.contains(&Some(i)) {
            problems.push(format!("no finding fits: {}", e.line));
        }
    }
    for (x, o) in findings.iter().zip(&owner) {
        if o.is_none() {
            problems.push(format!("unlisted finding: {}", finding_line(x)));
        }
    }
    if let Some(sev) = f.expect_severity {
        for x in findings {
            if x.severity != sev {
                problems.push(format!(
                    "reported at {} not {sev}: {}",
                    x.severity, x.message
                ));
            }
        }
    }
    problems
}

/// `f`'s text with its `# finding:` (and old `# expect:`) lines rewritten to list
/// `findings`: lines that still fit a finding are kept, the others replaced by full ones.
/// The list goes where the first old line was, else before `# expect-severity:`, else at
/// the end of the header.
fn bless(f: &Fixture, findings: &[Finding]) -> String {
    let owner = pair(&f.findings, findings);
    let list: Vec<String> = findings
        .iter()
        .zip(&owner)
        .map(|(x, o)| match o {
            Some(i) => f.findings[*i].line.clone(),
            None => finding_line(x),
        })
        .collect();
    let head: Vec<&str> = header(&f.text).collect();
    let at = head
        .iter()
        .position(|l| directive(l, FINDING).is_some() || directive(l, OLD_EXPECT).is_some())
        .or_else(|| {
            head.iter()
                .position(|l| directive(l, EXPECT_SEVERITY).is_some())
        })
        .unwrap_or_else(|| {
            // After the last comment line, before blank lines that end the header.
            head.iter()
                .rposition(|l| l.starts_with('#'))
                .map_or(0, |i| i + 1)
        });
    let mut out = String::new();
    for (i, line) in f.text.lines().enumerate() {
        if i == at {
            for l in &list {
                out.push_str(l);
                out.push('\n');
            }
        }
        if i < head.len()
            && (directive(line, FINDING).is_some() || directive(line, OLD_EXPECT).is_some())
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The findings of `rule` over the fixture alone. Objects are read from the file's name,
/// not its path, so that objects named after their file and line (an
/// EncryptionConfiguration has no `metadata.name`) read the same on every machine.
fn evaluate(rule: &'static Rule, f: &Fixture) -> Result<Vec<Finding>, String> {
    let name = f.path.file_name().expect("name").to_string_lossy();
    let mut parsed = manifest::parse(&name, &f.text);
    // As `rampart scan` reads them: objects without a namespace are in `default`.
    parsed.place(manifest::DEFAULT_NAMESPACE);
    if !parsed.errors.is_empty() {
        return Err(format!("{:?}", parsed.errors));
    }
    let mut inv = Inventory::new();
    for (o, s) in parsed.objects {
        inv.insert(o, Some(s));
    }
    inv.reindex();
    let rules = std::slice::from_ref(rule);
    Ok(evaluate_rules(&inv, &f.settings, rules).findings)
}

/// Rewrites `f`'s `# finding:` lines until they stop changing: an object named after its
/// line moves when the header grows, so one pass may not be enough.
fn bless_file(rule: &'static Rule, f: &Fixture, findings: Vec<Finding>) {
    let mut text = bless(f, &findings);
    for _ in 0..3 {
        let (again, _) = Fixture::parse(f.path.clone(), text.clone(), true);
        let findings = evaluate(rule, &again).expect("blessed fixture parses");
        let next = bless(&again, &findings);
        if next == text {
            break;
        }
        text = next;
    }
    if text != f.text {
        fs::write(&f.path, text).expect("write fixture");
    }
}

#[test]
fn every_rule_reports_what_its_fixtures_list() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let blessing = std::env::var_os("RAMPART_BLESS").is_some();
    let fixtures = match load(&dir, blessing) {
        Ok(f) => f,
        Err(problems) => panic!("fixture headers:\n{}", problems.join("\n")),
    };
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
            let file = f.path.display();
            let findings = match evaluate(rule, f) {
                Ok(x) => x,
                Err(e) => {
                    problems.push(format!("{file}: {e}"));
                    continue;
                }
            };
            if blessing && f.failing {
                bless_file(rule, f, findings);
                continue;
            }
            for p in compare(f, &findings) {
                problems.push(format!("{file}: {}: {p}", rule.id));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "fixture problems (RAMPART_BLESS=1 rewrites the `# finding:` lines; read the diff):\n{}",
        problems.join("\n")
    );
}
