//! The inputs of every workload, shared by the engine and C API benchmarks,
//! and the configurations that keep each workload what its name says.

/// Calls per run: a guard is reset after this many calls (outside the timed
/// region), so every measurement sees the state of a realistic run.
pub const RUN_LENGTH: usize = 1000;

pub const SECRET: &str = "bench-secret-key-0123456789abcdef";
pub const TICKET: &str = "T-104233";

/// Distinct reads and the cache path: the default configuration. Distinct
/// reads never repeat, so no primitive fires; an identical read comes back
/// as a cache decision from its third occurrence on.
pub fn default_config() -> String {
    format!(r#"{{"secret_key": "{SECRET}"}}"#)
}

/// Distinct reads with every opt-in detector on (docs/DETECTION.md), its
/// limits far above a run: what the detectors cost when nothing fires.
pub fn opt_in_config() -> String {
    format!(
        r#"{{"secret_key": "{SECRET}", "same_result_threshold": 3, "poll_tools": ["get_job_status"],
            "quarantine_cooldown_s": 30, "quarantine_cooldown_calls": 10, "warn_before_enforce": true,
            "sequence_gap_tolerance": 2, "max_model_calls": 1000000, "max_tokens_per_run": 1000000000,
            "max_tool_calls_per_run": 1000000000, "max_run_seconds": 86400, "multilingual_text": true}}"#
    )
}

/// Jittery queries: overlapping queries would quarantine `search_kb` after
/// three similar ones; a repeat threshold above the window size keeps every
/// call allowed, so each pair runs the full similarity check.
pub fn jitter_config() -> String {
    format!(r#"{{"secret_key": "{SECRET}", "arg_jitter_repeat_threshold": 1000}}"#)
}

/// The saved run mixes tools in a fixed rhythm, which the sequence check
/// would read as a loop; it is off so that every call of the run executes.
/// A tool call costs a power of two: the running cost total is then exact
/// in binary, and the saved state loads back (a total such as
/// 0.24000000000000002 does not survive the engine's JSON number parsing,
/// so its MAC would not verify: see docs/PERFORMANCE.md).
pub fn mixed_run_config() -> String {
    format!(
        r#"{{"secret_key": "{SECRET}", "arg_jitter_repeat_threshold": 1000, "sequence_detection_enabled": false,
            "cost_model": {{"default_tool_call_cost": 0.03125}}}}"#
    )
}

/// `get_order` arguments with a new order id for every `i`.
pub fn order_args(i: usize) -> String {
    format!(r#"{{"order_id": "ORD-{i:08}", "include_items": true}}"#)
}

/// The result of `get_order` for order `i`.
pub fn order_result(i: usize) -> String {
    format!(r#"{{"ok": true, "payload": {{"order_id": "ORD-{i:08}", "status": "shipped", "eta_days": 2}}}}"#)
}

const QUERY_WORDS: [&str; 20] = [
    "refund", "policy", "eu", "germany", "2024", "return", "window", "damaged", "item", "shipping", "label",
    "exchange", "warranty", "claim", "invoice", "vat", "customs", "delay", "express", "courier",
];

/// The `i`-th of 20 five-word `search_kb` queries: neighbours share four
/// words (jitter), and no query recurs within the 12-call window (so the
/// identical-repeat check never fires).
pub fn query(i: usize) -> String {
    let q: Vec<&str> = (0..5).map(|j| QUERY_WORDS[(i + j) % QUERY_WORDS.len()]).collect();
    q.join(" ")
}

pub fn query_args(i: usize) -> String {
    format!(r#"{{"query": "{}"}}"#, query(i))
}

pub const QUERY_RESULT: &str =
    r#"{"ok": true, "payload": {"hits": [{"doc": "kb-17", "score": 0.82}, {"doc": "kb-4", "score": 0.61}]}}"#;

/// The call repeated on the cache path.
pub const REPEAT_ARGS: &str = r#"{"order_id": "ORD-00000042", "include_items": true}"#;
pub const REPEAT_RESULT: &str =
    r#"{"ok": true, "payload": {"order_id": "ORD-00000042", "status": "shipped", "eta_days": 2}}"#;

const MESSAGE_WORDS: [&str; 80] = [
    "your",
    "order",
    "left",
    "our",
    "warehouse",
    "on",
    "monday",
    "and",
    "the",
    "courier",
    "expects",
    "to",
    "deliver",
    "it",
    "by",
    "thursday",
    "afternoon",
    "you",
    "can",
    "follow",
    "parcel",
    "with",
    "tracking",
    "link",
    "in",
    "confirmation",
    "email",
    "if",
    "anything",
    "arrives",
    "damaged",
    "reply",
    "here",
    "a",
    "photo",
    "we",
    "will",
    "send",
    "replacement",
    "free",
    "of",
    "charge",
    "refunds",
    "for",
    "returned",
    "items",
    "are",
    "issued",
    "within",
    "five",
    "business",
    "days",
    "after",
    "inspection",
    "store",
    "credit",
    "is",
    "available",
    "immediately",
    "all",
    "prices",
    "include",
    "vat",
    "customs",
    "fees",
    "apply",
    "outside",
    "european",
    "union",
    "thanks",
    "shopping",
    "have",
    "great",
    "week",
    "best",
    "regards",
    "support",
    "team",
    "northwind",
    "goods",
];

/// The `i`-th 40-word assistant message. Neighbours share too few words to
/// count as "the same thing again" and none apologises or stalls, so
/// `check_output` runs every step and answers "nothing to do".
pub fn message(i: usize) -> String {
    let n = MESSAGE_WORDS.len();
    let w: Vec<&str> = (0..40).map(|j| MESSAGE_WORDS[(i * 11 + j * 3) % n]).collect();
    w.join(" ")
}
