//! The posture score: 100 for no findings, falling as weighted findings add up.
//!
//! `score = round(100 * K / (K + P))`, where `P` is the sum of finding weights
//! (critical 10, high 5, medium 2, low 1, info 0) and `K = 50`. One critical finding
//! gives 83, five give 50; the score never reaches 0 and every extra finding lowers it,
//! so it compares the same cluster over time rather than clusters of different sizes.

use crate::engine::finding::Finding;
use crate::model::taxonomy::Severity;
use serde::Serialize;

pub const K: u64 = 50;

pub fn weight(s: Severity) -> u64 {
    match s {
        Severity::Critical => 10,
        Severity::High => 5,
        Severity::Medium => 2,
        Severity::Low => 1,
        Severity::Info => 0,
    }
}

pub fn score<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> u8 {
    from_penalty(findings.into_iter().map(|f| weight(f.severity)).sum())
}

/// The score of findings counted per severity: what a sum of counts scores, so that totals
/// kept by difference score exactly as the findings would.
pub fn of_summary(s: &Summary) -> u8 {
    let n = |c: usize| u64::try_from(c).unwrap_or(u64::MAX);
    from_penalty(
        n(s.critical) * weight(Severity::Critical)
            + n(s.high) * weight(Severity::High)
            + n(s.medium) * weight(Severity::Medium)
            + n(s.low) * weight(Severity::Low)
            + n(s.info) * weight(Severity::Info),
    )
}

fn from_penalty(penalty: u64) -> u8 {
    // Rounded integer division; the result is at most 100, so it fits in u8.
    let s = (100 * K + (K + penalty) / 2) / (K + penalty);
    u8::try_from(s).unwrap_or(100)
}

/// Counts of findings per severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl Summary {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            *s.slot(f.severity) += 1;
        }
        s
    }

    /// Counts one more finding of `sev`.
    pub fn add(&mut self, sev: Severity) {
        *self.slot(sev) += 1;
    }

    /// Adds `other`'s counts, or takes them away: totals kept by difference.
    pub fn combine(&mut self, other: &Summary, add: bool) {
        let apply = |a: &mut usize, b: usize| {
            *a = if add {
                a.saturating_add(b)
            } else {
                a.saturating_sub(b)
            };
        };
        apply(&mut self.critical, other.critical);
        apply(&mut self.high, other.high);
        apply(&mut self.medium, other.medium);
        apply(&mut self.low, other.low);
        apply(&mut self.info, other.info);
    }

    fn slot(&mut self, sev: Severity) -> &mut usize {
        match sev {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }

    pub fn get(&self, sev: Severity) -> usize {
        match sev {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low + self.info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_points() {
        let p = |x: u64| (100 * K + (K + x) / 2) / (K + x);
        assert_eq!(p(0), 100);
        assert_eq!(p(10), 83);
        assert_eq!(p(50), 50);
    }

    #[test]
    fn a_summary_scores_as_its_findings() {
        let s = Summary {
            critical: 1,
            high: 2,
            medium: 3,
            low: 4,
            info: 5,
        };
        // 10 + 10 + 6 + 4 = 30: round(5000 / 80) = 63 (62.5 rounds up).
        assert_eq!(of_summary(&s), 63);
        assert_eq!(of_summary(&Summary::default()), 100);
    }
}
