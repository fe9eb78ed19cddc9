//! What a rule file needs: the engine's rule interface and the taxonomy it is described in.

pub use crate::engine::context::Context;
pub use crate::engine::emit::{Draft, Emitter, message_about};
pub use crate::engine::rule::Rule;
pub use crate::model::taxonomy::{Category, Severity, cis, mitre, nsa};
