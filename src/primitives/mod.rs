//! The enforcement primitives, one file each, in the order `check_tool`
//! consults them (see `guard.rs`). Each looks at one call and the run's
//! state and either decides or lets the next one look.

pub mod budget;
pub mod circuit_breaker;
pub mod idempotency;
pub mod jitter;
pub mod per_tool_cap;
pub mod policy;
pub mod recovery;
pub mod repeat;
pub mod run_limits;
pub mod same_result;
pub mod sequence;
pub mod side_effect;
pub mod stall;
pub mod warning;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::json_scan::ArgsView;
use crate::signature::Sig;
use crate::state::ToolId;

/// A call's arguments: a parsed map (the Rust API) or the top-level members
/// the scanner kept (JSON text).
pub enum Args<'a> {
    Map(&'a Map<String, Value>),
    Scanned(ArgsView<'a>),
}

impl Args<'_> {
    pub fn contains_key(&self, key: &str) -> bool {
        match self {
            Args::Map(m) => m.contains_key(key),
            Args::Scanned(v) => v.contains_key(key),
        }
    }

    /// The value of `key` when it is a string.
    pub fn str_value(&self, key: &str) -> Option<&str> {
        match self {
            Args::Map(m) => m.get(key).and_then(Value::as_str),
            Args::Scanned(v) => v.str_value(key),
        }
    }
}

/// One tool call under evaluation, with its signatures computed once.
pub struct Call<'a> {
    pub tool: ToolId,
    pub name: Arc<str>,
    pub args: Args<'a>,
    pub args_sig: Sig,
    pub ticket_sig: Sig,
    pub side_effect: bool,
    /// Occurrences of (tool, args_sig) in the recent-call window, plus one.
    pub repeats: usize,
}
