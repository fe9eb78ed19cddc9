//! Rampart's operator: watches cluster state, evaluates the rules, writes reports.

pub mod report;
