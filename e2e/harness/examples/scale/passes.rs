//! The one-namespace passes of the latency rounds, read back from the operator's log, and
//! what each met on the API server: a write of the cluster's totals handed over shortly
//! before, or kube-apiserver's garbage collector marking its heap (from its
//! `GODEBUG=gctrace=1` lines, which `scripts/bench-scale` asks for).

use rampart_e2e::operator::percentile;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A one-namespace pass, from the operator's log.
pub struct Pass {
    /// `elapsed_ms`, `steps_ms=collect/evaluate/build/write/after`, `written`.
    steps: [u64; 7],
    /// When it started, in seconds since the epoch.
    started: f64,
}

impl Pass {
    fn ended(&self) -> f64 {
        self.started + self.steps[0] as f64 / 1000.0
    }
}

/// Days from 1970-01-01 to the date `year`-`month`-`day` of the Gregorian calendar
/// (counted in eras of 400 years from a year that starts in March, so that a leap day
/// ends its year).
fn days_since_epoch(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let of_era = year - era * 400;
    let of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days_of_era = of_era * 365 + of_era / 4 - of_era / 100 + of_year;
    era * 146_097 + days_of_era - 719_468
}

/// When a log line was written, in seconds since the epoch: the line starts with the
/// time, `2026-12-03T07:30:00.123456Z` (UTC).
fn logged_at(line: &str) -> Option<f64> {
    let (date, time) = line.split_whitespace().next()?.split_once('T')?;
    let mut ymd = date.split('-').map(str::parse::<i64>);
    let days = days_since_epoch(ymd.next()?.ok()?, ymd.next()?.ok()?, ymd.next()?.ok()?);
    let mut parts = time.trim_end_matches('Z').split(':');
    let hours: f64 = parts.next()?.parse().ok()?;
    let minutes: f64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next()?.parse().ok()?;
    Some(days as f64 * 86_400.0 + hours * 3600.0 + minutes * 60.0 + seconds)
}

/// The steps of the operator's passes whose scope was one namespace, from its log: what
/// a change confined to one namespace costs the operator, the API server's writes included.
pub fn one_namespace_passes(log: &Path) -> Vec<Pass> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains(" evaluated ") && l.contains("scope=1 namespace(s)"))
        .filter_map(|l| {
            let field = |name: &str| {
                let start = l.find(name)? + name.len();
                l[start..].split_whitespace().next()
            };
            let mut steps = [0; 7];
            steps[0] = field("elapsed_ms=")?.parse().ok()?;
            steps[6] = field("written=")?.parse().ok()?;
            for (slot, part) in steps[1..].iter_mut().zip(field("steps_ms=")?.split('/')) {
                *slot = part.parse().ok()?;
            }
            let started = logged_at(l)? - steps[0] as f64 / 1000.0;
            Some(Pass { steps, started })
        })
        .collect()
}

/// When passes handed the ClusterPostureReport's totals to a write in the background, in
/// seconds since the epoch (the pass's line comes right after).
pub fn totals_handed_over(log: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains(" evaluated ") && l.contains("totals_in_background=true"))
        .filter_map(logged_at)
        .collect()
}

/// How long each write of the ClusterPostureReport's totals in the background took
/// (`totals_ms`), from the operator's log.
pub fn totals_writes(log: &Path) -> Vec<Duration> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains("the cluster's totals written"))
        .filter_map(|l| {
            let start = l.find("totals_ms=")? + "totals_ms=".len();
            let ms = l[start..].split_whitespace().next()?.parse().ok()?;
            Some(Duration::from_millis(ms))
        })
        .collect()
}

/// One garbage collection of kube-apiserver: from its start to the end of its marking
/// (while it marks, every request the API server serves shares the cores with it and
/// helps it mark what it allocates), in seconds since the epoch.
pub struct Collection {
    from: f64,
    to: f64,
    /// The heap when it started, at the end of its marking, and what was live (MB).
    heap: String,
}

/// Seconds since the epoch at which process `pid` started: its start in clock ticks after
/// boot (`/proc/PID/stat`, field 22), and the boot from the time since it (`/proc/uptime`,
/// to the hundredth of a second; `btime` of `/proc/stat` is whole seconds).
fn process_start(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields are counted after its closing parenthesis,
    // where field 3 (the state) comes first.
    let after = stat.rsplit_once(')')?.1;
    let ticks: f64 = after.split_whitespace().nth(19)?.parse().ok()?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    let up: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let tick = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    Some(now - up + ticks / tick)
}

/// kube-apiserver's garbage collections from its log in `dir` (the state directory of
/// `cluster.sh`), while it still runs: a line `gc 72 @146.700s 11%: 0.43+2950+0.11 ms clock,
/// …, 1220->1443->738 MB, …` per collection, timed from the process's start. Empty when the
/// log has no such lines (GODEBUG=gctrace=1 not set).
pub fn apiserver_collections(dir: &Path) -> Vec<Collection> {
    let Some(start) = std::fs::read_to_string(dir.join("pids/kube-apiserver"))
        .ok()
        .and_then(|pid| process_start(pid.trim()))
    else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(dir.join("logs/kube-apiserver.log")).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("gc ")?;
            let at: f64 = rest.split_once(" @")?.1.split_once("s ")?.0.parse().ok()?;
            let clock = rest.split_once(": ")?.1.split_once(" ms clock")?.0;
            let lasted: f64 = clock.split('+').filter_map(|p| p.parse::<f64>().ok()).sum();
            let heap = rest
                .split(", ")
                .find(|p| p.ends_with(" MB") && p.contains("->"))?;
            let from = start + at;
            Some(Collection {
                from,
                to: from + lasted / 1000.0,
                heap: heap.to_owned(),
            })
        })
        .collect()
}

/// How long after the API server was handed a write of the totals a pass may meet what
/// that write left it doing (the tenth round saw slow writes up to two seconds later).
const AFTER_TOTALS: f64 = 3.0;

/// What the passes met on the API server.
pub struct Met<'a> {
    /// When the totals were handed to a write in the background.
    pub handed_over: &'a [f64],
    /// kube-apiserver's garbage collections.
    pub collections: &'a [Collection],
}

impl Met<'_> {
    /// Seconds since the last handover of the totals before `pass` started.
    fn since_totals(&self, pass: &Pass) -> Option<f64> {
        self.handed_over
            .iter()
            .filter(|&&at| at <= pass.started)
            .map(|at| pass.started - at)
            .reduce(f64::min)
    }

    /// The collection whose marking `pass` overlapped.
    fn collection(&self, pass: &Pass) -> Option<&Collection> {
        self.collections
            .iter()
            .find(|c| c.from <= pass.ended() && pass.started <= c.to)
    }
}

/// One table row per step of the one-namespace passes that wrote that namespace's report
/// alone (p50, p90, p99 and max in milliseconds), one for those that also wrote the
/// ClusterPostureReport in the pass (what it lists changed), and one for the writes of its
/// totals alone, which go in the background (held back to one per `TOTALS_INTERVAL`); then
/// the whole pass and its write again for the passes that overlapped a garbage collection
/// of kube-apiserver and for the others, and for the passes that started within
/// [`AFTER_TOTALS`] of a handover of the totals; then the slowest passes, with what they met.
pub fn print_passes(all: &[Pass], totals: &mut [Duration], met: &Met<'_>, ns: &str) {
    let (passes, with_cluster): (Vec<&Pass>, Vec<&Pass>) =
        all.iter().partition(|p| p.steps[6] <= 1);
    if !with_cluster.is_empty() {
        print_steps(
            &format!(
                "{} of the {} passes also wrote the ClusterPostureReport: those writes",
                with_cluster.len(),
                all.len()
            ),
            &with_cluster,
            4,
        );
    }
    if !totals.is_empty() {
        totals.sort();
        println!(
            "| the cluster's totals written in the background meanwhile, {} times | p50 {} ms, max {} ms |",
            totals.len(),
            percentile(totals, 0.5).as_millis(),
            totals.last().copied().unwrap_or_default().as_millis()
        );
    }
    if passes.is_empty() {
        println!(
            "| one-namespace passes | none in the operator's log (RAMPART_OPERATOR_LOG hides `rampart_operator::run` at info?) |"
        );
        return;
    }
    let names = [
        "whole pass",
        "collect",
        "evaluate",
        "build (with metrics)",
        "write the report (API server)",
        "after the write: transitions, events handed over, exception statuses",
    ];
    for (column, name) in names.iter().enumerate() {
        print_steps(
            &format!("{} passes for one change in {ns}: {name}", passes.len()),
            &passes,
            column,
        );
    }
    let first = passes.iter().map(|p| p.started).reduce(f64::min);
    let last = passes.iter().map(|p| p.ended()).reduce(f64::max);
    if let (Some(first), Some(last)) = (first, last) {
        let during: Vec<&Collection> = met
            .collections
            .iter()
            .filter(|c| c.to >= first && c.from <= last)
            .collect();
        let marking: Vec<String> = during
            .iter()
            .map(|c| format!("{:.1} s ({})", c.to - c.from, c.heap))
            .collect();
        println!(
            "| kube-apiserver garbage collections during the rounds ({:.0} s) | {}: {} |",
            last - first,
            during.len(),
            if met.collections.is_empty() {
                "none logged at all (GODEBUG=gctrace=1 unset?)".to_owned()
            } else if marking.is_empty() {
                "none".to_owned()
            } else {
                marking.join("; ")
            }
        );
    }
    let (in_gc, outside): (Vec<&Pass>, Vec<&Pass>) =
        passes.iter().partition(|p| met.collection(p).is_some());
    let near: Vec<&Pass> = outside
        .iter()
        .copied()
        .filter(|p| met.since_totals(p).is_some_and(|s| s < AFTER_TOTALS))
        .collect();
    let groups = [
        (
            &in_gc,
            "that overlapped a kube-apiserver garbage collection".to_owned(),
        ),
        (&outside, "that did not".to_owned()),
        (
            &near,
            format!("of those, started within {AFTER_TOTALS} s after the totals were handed over"),
        ),
    ];
    for (group, what) in groups {
        if group.is_empty() {
            continue;
        }
        for (column, name) in [(0, "whole pass"), (4, "its write")] {
            print_steps(
                &format!("{} passes {what}: {name}", group.len()),
                group,
                column,
            );
        }
    }
    let mut slowest = passes.clone();
    slowest.sort_by_key(|p| std::cmp::Reverse(p.steps[0]));
    for p in slowest.iter().take(3) {
        let gc = if met.collection(p).is_some() {
            "during a kube-apiserver garbage collection"
        } else {
            "outside garbage collections"
        };
        let after = met
            .since_totals(p)
            .map_or("no totals handed over before it".to_owned(), |s| {
                format!("{s:.1} s after the totals were handed over")
            });
        println!(
            "| a slowest pass | {} ms (its write {} ms), {gc}, {after} |",
            p.steps[0], p.steps[4]
        );
    }
}

/// One table row: p50, p90, p99 and max of one step of `passes`, in milliseconds.
fn print_steps(what: &str, passes: &[&Pass], column: usize) {
    let mut ms: Vec<Duration> = passes
        .iter()
        .map(|p| Duration::from_millis(p.steps[column]))
        .collect();
    ms.sort();
    println!(
        "| {what} | p50 {} ms, p90 {} ms, p99 {} ms, max {} ms |",
        percentile(&ms, 0.5).as_millis(),
        percentile(&ms, 0.9).as_millis(),
        percentile(&ms, 0.99).as_millis(),
        ms.last().copied().unwrap_or_default().as_millis()
    );
}
