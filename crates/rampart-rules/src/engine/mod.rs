//! Evaluation: rules run over the inventory and its analyses, settings adjust what they
//! report, and the findings are sorted, summarised and scored.

pub mod context;
pub mod emit;
pub mod evaluate;
pub mod exceptions;
pub mod finding;
pub mod own_grant;
pub mod parallel;
pub mod rule;
pub mod score;
pub mod settings;
