//! The enforcement primitives, one file each, in the order `check_tool`
//! consults them (see `guard.rs`). Each looks at one call and the run's
//! state and either decides or lets the next one look.

pub mod budget;
pub mod circuit_breaker;
pub mod idempotency;
pub mod jitter;
pub mod per_tool_cap;
pub mod policy;
pub mod repeat;
pub mod sequence;
pub mod side_effect;
pub mod stall;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::signature::Sig;
use crate::state::ToolId;

/// One tool call under evaluation, with its signatures computed once.
pub struct Call<'a> {
    pub tool: ToolId,
    pub name: Arc<str>,
    pub args: &'a Map<String, Value>,
    pub args_sig: Sig,
    pub ticket_sig: Sig,
    pub side_effect: bool,
    /// Occurrences of (tool, args_sig) in the recent-call window, plus one.
    pub repeats: usize,
}
