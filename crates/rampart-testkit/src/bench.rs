//! Figures for the benchmarks: repeated timings, durations and this process's memory, printed
//! the same way by each.

use std::time::Duration;

/// `RAMPART_BENCH_RUNS`: how often each benchmark repeats a full measurement (default 5).
pub fn runs_from_env() -> usize {
    std::env::var("RAMPART_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
}

/// Median, fastest and slowest of repeated runs: the spread says how noisy the machine was.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub median: Duration,
    pub min: Duration,
    pub max: Duration,
    pub runs: usize,
}

impl Timing {
    /// The timing of `samples`, which must not be empty.
    pub fn of(mut samples: Vec<Duration>) -> Timing {
        samples.sort();
        Timing {
            median: samples[samples.len() / 2],
            min: samples[0],
            max: samples[samples.len() - 1],
            runs: samples.len(),
        }
    }

    pub fn show(&self) -> String {
        format!(
            "{}  (median of {}, {}..{})",
            ms(self.median),
            self.runs,
            ms(self.min),
            ms(self.max)
        )
    }
}

/// Milliseconds, with three decimals below 10 ms.
pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.3} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// A field of /proc/self/status (`VmRSS`, `VmHWM`, `Cpus_allowed_list`); `None` off Linux.
pub fn proc_status(field: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k == field).then(|| v.trim().to_owned())
    })
}

/// A memory field of /proc/self/status (`VmRSS`, `VmHWM`) in MiB; `None` off Linux.
pub fn mib(field: &str) -> Option<f64> {
    proc_status(field)?
        .trim_end_matches("kB")
        .trim()
        .parse::<f64>()
        .ok()
        .map(|kib| kib / 1024.0)
}

/// A figure from [`mib`], as printed.
pub fn show_mib(mib: Option<f64>) -> String {
    mib.map_or_else(|| "n/a".to_owned(), |m| format!("{m:.0} MiB"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_is_median_and_spread() {
        let t = Timing::of([3, 1, 2].map(Duration::from_millis).to_vec());
        assert_eq!(t.show(), "2.000 ms  (median of 3, 1.000 ms..3.000 ms)");
        assert_eq!(ms(Duration::from_millis(12)), "12.0 ms");
    }
}
