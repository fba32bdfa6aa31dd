//! The run state of the opt-in detectors (docs/DETECTION.md). Empty, and
//! never touched, while their keys are off. Bounded: the results by the
//! recent-call window, the breakers and warnings by the tools tracked.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::signature::Sig;
use crate::state::ToolId;

/// The result of one allowed call, kept while it is in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultEntry {
    pub tool: ToolId,
    pub args_sig: Sig,
    pub ok: bool,
    /// The payload's signature; none for a null or unkept payload.
    pub payload_sig: Option<Sig>,
}

/// A half-open circuit breaker of one quarantined tool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Breaker {
    /// When the cooldown started (clock seconds) ...
    pub opened_at: f64,
    /// ... and how many calls the run had been asked about by then.
    pub opened_at_check: u64,
    /// Failed probes so far: the cooldown is doubled this many times.
    pub doublings: u32,
    /// A probe call was allowed and its result has not come back.
    pub probing: bool,
}

/// Counts against the run limits beyond dollars.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limits {
    /// Model calls (each `record_tokens`).
    pub model_calls: u64,
    /// Tokens, input and output.
    pub tokens: u64,
    /// Tool calls allowed.
    pub tool_calls: u64,
    /// When the run started (clock seconds): at its first call to the guard.
    pub started_at: Option<f64>,
    /// The limits whose warning was given, by key.
    pub warned: HashSet<&'static str>,
}

#[derive(Debug, Clone, Default)]
pub struct DetectState {
    /// Results of the most recent allowed calls, at most `tool_loop_window`.
    pub results: VecDeque<ResultEntry>,
    /// (detector, tool) pairs that were warned once.
    pub warned: HashSet<(&'static str, ToolId)>,
    pub breakers: HashMap<ToolId, Breaker>,
    /// Tool calls the guard was asked about in the run.
    pub checks: u64,
    pub limits: Limits,
}
