//! libauraguard: reliability middleware for tool-using AI agents.
//!
//! Before each tool call an agent asks the guard, which answers with a
//! deterministic [`Decision`]: allow, block, cache (reuse an earlier result),
//! rewrite (tell the model something), escalate (hand the run to a human) or
//! finalize. It stops search loops, retries of dead tools, duplicate side
//! effects, stalled conversations and budget overruns. No model calls, no
//! network.
//!
//! ```
//! use auraguard::{Action, Guard, ToolResult};
//! use serde_json::json;
//!
//! let mut guard = Guard::from_json(r#"{"secret_key": "k", "side_effect_tools": ["refund"]}"#).unwrap();
//! let args = json!({"order_id": "A-1", "amount": 50});
//! let args = args.as_object().unwrap();
//! let first = guard.check_tool("refund", args, Some("T-1"), None).unwrap();
//! assert_eq!(first.action, Action::Allow);
//! guard.record_result(ToolResult::ok(json!({"status": "refunded"}))).unwrap();
//! // The model asks again: the refund is not executed twice.
//! let again = guard.check_tool("refund", args, Some("T-1"), None).unwrap();
//! assert_eq!(again.action, Action::Cache);
//! assert_eq!(again.reason, "idempotent_replay");
//! ```
//!
//! The layout follows the pipeline: [`config`], [`signature`] and [`text`]
//! hold the building blocks, [`primitives`] one file per enforcement
//! primitive, [`guard`] the order in which they run, [`state`] and
//! [`snapshot`] the run's memory, [`memory`] its byte bound, [`report`] the counters, and [`ffi`] the
//! C surface.

pub mod clock;
pub mod config;
pub mod config_detect;
pub mod count_map;
pub mod decimal_round;
pub mod decision;
pub mod error;
pub mod events;
pub mod ffi;
pub mod guard;
pub mod intervention_log;
pub mod json_number;
pub mod json_scan;
pub mod ledger;
pub mod memory;
pub mod messages;
pub mod payload;
pub mod primitives;
pub mod report;
pub mod result_schema;
pub mod shared;
pub mod short_eq;
pub mod sig_memo;
pub mod signature;
pub mod snapshot;
pub mod snapshot_detect;
pub mod state;
pub mod state_detect;
pub mod text;
pub mod text_multilingual;
pub mod text_phrases;
pub mod text_stall;
pub mod token_memo;
pub mod token_set;
pub mod window;

pub use config::Config;
pub use decision::{Action, CachedResult, Decision, EscalationPacket, FinalizedOutput};
pub use error::{Error, ErrorKind, Result};
pub use events::Event;
pub use guard::{Guard, ToolResult};
pub use payload::Payload;
pub use primitives::idempotency::{IdempotencyLedger, LedgerEntry, MemoryLedger};
pub use report::{Report, Stats};
pub use shared::{EventSink, SharedGuard};

/// The library's version, as every wrapper and the header report it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
