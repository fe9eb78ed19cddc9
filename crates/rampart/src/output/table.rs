//! Human-readable table: grouped by namespace (cluster-scoped first), most severe first.

use super::Report;
use rampart_crd::{ControlPlaneCheck, ControlPlaneStatus};
use rampart_operator::report::control_plane_status;
use rampart_rules::{Finding, Severity};
use std::collections::BTreeMap;
use std::io::{self, Write};

fn colour_of(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[36m",
        Severity::Info => "\x1b[2m",
    }
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";

/// Writes the table as it renders: at 100k objects it is tens of megabytes, which a string
/// would hold, and copy, before the first byte went out.
pub fn write<W: Write>(report: &Report<'_>, colour: bool, out: &mut W) -> io::Result<()> {
    let paint = |code: &str, text: &str| {
        if colour {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    };
    // `None` (cluster-scoped) sorts before every namespace.
    let mut groups: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
    for f in report.visible() {
        groups.entry(f.namespace()).or_default().push(f);
    }
    for (ns, mut findings) in groups {
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let title = match ns {
            Some(ns) => format!("namespace {ns}"),
            None => "cluster".to_owned(),
        };
        writeln!(out, "{} ({} findings)", paint(BOLD, &title), findings.len())?;
        for f in findings {
            let sev = format!("{:<8}", f.severity.as_str().to_uppercase());
            writeln!(
                out,
                "  {} {:<9} {}",
                paint(colour_of(f.severity), &sev),
                f.rule_id(),
                f.message
            )?;
        }
        writeln!(out)?;
    }
    let s = &report.evaluation.summary;
    let counts: Vec<String> = Severity::DESCENDING
        .iter()
        .map(|sev| format!("{} {}", s.get(*sev), sev))
        .collect();
    writeln!(
        out,
        "{} findings: {}. Score {}/100.",
        s.total(),
        counts.join(", "),
        report.evaluation.score
    )?;
    let scanned: Vec<String> = report
        .inventory
        .counts()
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    writeln!(
        out,
        "Scanned: {}.",
        if scanned.is_empty() {
            "nothing".to_owned()
        } else {
            scanned.join(", ")
        }
    )?;
    let enc = report.encryption;
    writeln!(
        out,
        "Secrets encryption at rest: {}{} (evidence: {}).",
        enc.state.as_str(),
        enc.provider
            .as_deref()
            .map(|p| format!(", {p}"))
            .unwrap_or_default(),
        enc.evidence.as_str()
    )?;
    control_plane_lines(out, &control_plane_status(&report.evaluation.control_plane))?;
    if let Some(min) = report.min_severity {
        let hidden = s.total() - report.visible().count();
        if hidden > 0 {
            writeln!(
                out,
                "{hidden} findings below {min} not listed (--min-severity)."
            )?;
        }
    }
    let excepted = report.evaluation.excepted.len();
    if excepted > 0 {
        let by = report.evaluation.excepted_by_exception().len();
        writeln!(
            out,
            "{excepted} findings excepted by {by} exception(s), left out of the counts and the \
             score (listed with --format json)."
        )?;
    }
    Ok(())
}

/// The control plane's verdicts in two lines, each with its evidence; one line when the
/// input shows nothing of the control plane (most manifests), rather than five unknowns.
fn control_plane_lines<W: Write>(out: &mut W, cp: &ControlPlaneStatus) -> io::Result<()> {
    let checks = [
        ("anonymous", &cp.anonymous),
        ("authorization", &cp.authorization),
        ("audit logging", &cp.audit_logging),
        ("admission", &cp.admission),
    ];
    let version = &cp.version;
    let kubelets = &version.kubelets;
    let nothing = checks.iter().all(|(_, c)| c.evidence == "none")
        && version.api_server.version.is_none()
        && kubelets.nodes == 0;
    if nothing {
        writeln!(
            out,
            "Control plane: unknown (no kube-apiserver pod, API server probe or Node in the input)."
        )?;
        return Ok(());
    }
    let judged =
        |(name, c): &(&str, &ControlPlaneCheck)| format!("{name} {} ({})", c.state, c.evidence);
    writeln!(
        out,
        "Control plane: {}.",
        checks.iter().map(judged).collect::<Vec<_>>().join(", ")
    )?;
    let api = &version.api_server;
    let api_server = match &api.version {
        Some(v) => format!("API server {v} {} ({})", api.state, api.evidence),
        None => "API server unknown".to_owned(),
    };
    let counts = kubelets.by_state;
    let by_state: Vec<String> = [
        (counts.current, "current"),
        (counts.patch_behind, "patch-behind"),
        (counts.end_of_life, "end-of-life"),
        (counts.unknown, "unknown"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, state)| format!("{n} {state}"))
    .collect();
    let nodes = if by_state.is_empty() {
        "no Node shows one".to_owned()
    } else {
        by_state.join(", ")
    };
    writeln!(
        out,
        "Kubernetes {}: {api_server}; kubelets: {nodes} (release table of {}).",
        version.state, version.release_table
    )
}
