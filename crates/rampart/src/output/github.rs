//! GitHub Actions workflow commands: one annotation per finding, on the file and line of
//! its object's document when it was read from a file, so a pull request shows findings
//! where they are. Findings at or above `--fail-on` are errors (high and critical without
//! it), medium ones warnings, the rest notices; excepted findings are not annotated. A last
//! notice sums up.

use super::Report;
use anyhow::Result;
use rampart_rules::{Finding, Severity};
use std::io::Write;

/// A message as workflow commands carry it: `%`, CR and LF escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value (`file=`, `title=`): also `:` and `,`, which end it.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn command(f: &Finding, threshold: Severity) -> &'static str {
    if f.severity >= threshold {
        "error"
    } else if f.severity >= Severity::Medium {
        "warning"
    } else {
        "notice"
    }
}

pub fn write<W: Write>(report: &Report<'_>, out: &mut W) -> Result<()> {
    let threshold = report.fail_on.unwrap_or(Severity::High);
    for f in report.visible() {
        let mut props = Vec::new();
        if let Some(source) = report.inventory.source(&f.resource) {
            props.push(format!("file={}", escape_property(&source.file)));
            props.push(format!("line={}", source.line.max(1)));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("{} {} ({})", f.rule_id(), f.title(), f.severity))
        ));
        let mut message = format!("{}: {}", f.resource, f.message);
        if let Some(path) = &f.path {
            message.push_str(&format!(" (at {path})"));
        }
        message.push_str(&format!(
            "\nFix: {} More: rampart rules explain {}",
            f.rule().remediation,
            f.rule_id()
        ));
        writeln!(
            out,
            "::{} {}::{}",
            command(f, threshold),
            props.join(","),
            escape_data(&message)
        )?;
    }
    let s = &report.evaluation.summary;
    writeln!(
        out,
        "::notice title=Rampart::{}",
        escape_data(&format!(
            "{} findings ({} critical, {} high, {} medium, {} low, {} info), score {}/100, {} excepted",
            s.total(),
            s.critical,
            s.high,
            s.medium,
            s.low,
            s.info,
            report.evaluation.score,
            report.evaluation.excepted.len()
        ))
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_reads_commands() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
