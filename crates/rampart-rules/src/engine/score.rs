//! The posture score: 100 for no findings, falling as weighted findings add up.
//!
//! `score = round(100 * K / (K + P))`, where `P` is the sum of finding weights
//! (critical 10, high 5, medium 2, low 1, info 0) and `K = 50`. One critical finding
//! gives 83, five give 50; the score never reaches 0 and every extra finding lowers it,
//! so it compares the same cluster over time rather than clusters of different sizes.

use crate::engine::finding::Finding;
use crate::model::taxonomy::Severity;

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
    let penalty: u64 = findings.into_iter().map(|f| weight(f.severity)).sum();
    // Rounded integer division; the result is at most 100, so it fits in u8.
    let s = (100 * K + (K + penalty) / 2) / (K + penalty);
    u8::try_from(s).unwrap_or(100)
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
}
