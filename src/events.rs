//! Events: one small JSON object per intervention and per cost entry, for
//! logs and metrics. They carry names, counts, reasons, costs and
//! signatures, never raw arguments, payloads, ticket ids or text.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

pub use crate::signature::HexSig;

/// A decision other than a plain allow, as logged and reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Intervention {
    /// The run it happened in.
    pub run_id: Arc<str>,
    /// The tool, or none for a decision on an assistant message.
    pub tool: Option<Arc<str>>,
    /// The action taken (`shadow_deny` in shadow mode).
    pub action: Cow<'static, str>,
    /// Borrowed for the fixed reason codes: logging one allocates nothing.
    pub reason: Cow<'static, str>,
    /// The call's argument signature, written as hex, when it was a tool call.
    pub args_sig: Option<HexSig>,
}

/// Money spent or a budget notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostEvent {
    pub run_id: Arc<str>,
    /// `tool_call`, `tokens`, `budget_warning` or `budget_exceeded`.
    pub kind: &'static str,
    pub tool: Option<Arc<str>>,
    /// The amount this event adds (0 for notices).
    pub amount_usd: f64,
    /// The run's spend after this event (projected, for notices).
    pub spent_usd: f64,
}

/// Something the guard could not do as asked, though it went on (a payload
/// it could not keep, say).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    pub run_id: Arc<str>,
    pub tool: Option<Arc<str>>,
    /// A reason code, e.g. `payload_not_kept:too_large`.
    pub reason: String,
}

/// What a registered event sink receives.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Intervention(Intervention),
    Cost(CostEvent),
    Warning(Warning),
}

impl Event {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an event always serializes")
    }
}
