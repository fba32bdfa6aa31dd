//! The most memory one guard holds between calls, whatever its inputs.
//!
//! Every collection of a run is capped by a count, and the three that hold
//! data of the caller's size are capped in bytes as well: the result
//! cache's payloads (`max_cache_bytes`), the in-memory ledger's payloads
//! (`max_ledger_payload_bytes`) and the query tokens of the jitter
//! histories (`max_jitter_bytes`). [`bound_bytes`] adds the caps up with a
//! generous cost per entry (allocator slack and hash-table load included),
//! so a run driven to every cap at once stays below it; the figure is
//! documented in docs/HARDENING.md and checked against a real process by
//! `tests/memory_bound.rs`.
//!
//! Not counted: the configuration itself (at most `MAX_CONFIG_BYTES` of
//! text, held once), and the stores of a durable ledger, which live in
//! SQLite or Redis.

use std::collections::VecDeque;

use crate::config::Config;
use crate::guard::{MAX_ERROR_CODE_BYTES, MAX_TOOL_NAME_BYTES};
use crate::state::{MAX_TALLIED_REASONS, MAX_UNDRAINED_EVENTS};
use crate::token_memo::TOKEN_MEMO;

/// What one query's token set is charged in a jitter history. It costs
/// less (16 bytes a token in one allocation, its allocator header and a
/// 16-byte slot in the history); the charge is kept from when sets were
/// hash tables, so `max_jitter_bytes` holds as many queries as it did.
pub fn token_set_bytes(tokens: usize) -> usize {
    192 + 40 * tokens
}

/// Give a queue that emptied out most of its room back, so a history that
/// was long once does not keep its peak size for the rest of the run.
pub fn shrink_deque<T>(queue: &mut VecDeque<T>) {
    if queue.capacity() > 4 * queue.len() + 16 {
        queue.shrink_to(2 * queue.len());
    }
}

// Cost of one entry of each collection, in bytes, rounded up.
const WINDOW_ENTRY: usize = 80;
const UNIQUE_CALL: usize = 96;
const UNIQUE_RESULT: usize = 96;
const CACHE_ENTRY: usize = 288 + MAX_ERROR_CODE_BYTES;
const LEDGER_ENTRY: usize = 384 + MAX_ERROR_CODE_BYTES;
const PENDING_CALL: usize = 192;
const COST_EVENT: usize = 128;
/// A logged intervention or an undrained event: fixed fields, an action, a
/// reason (a code with at most an error class in it) and a hex signature.
const INTERVENTION: usize = 384 + MAX_ERROR_CODE_BYTES;
/// A tool: its name (interned once, and once more in the report's tally),
/// its state and its index entry.
const TOOL: usize = 2 * MAX_TOOL_NAME_BYTES + 768;
/// One error class's streak, kept per tool for the quarantining classes.
const ERROR_STREAK: usize = 96 + MAX_ERROR_CODE_BYTES;
/// One distinct reason in the report's tally.
const TALLIED_REASON: usize = 128 + MAX_ERROR_CODE_BYTES;
/// A remembered signature (of a token, and the fixed part of a slot of
/// the memos of arguments, payloads and tickets).
const MEMO_ENTRY: usize = 64;
const _: () = assert!(crate::token_memo::BYTES_PER_SLOT <= MEMO_ENTRY);
/// Buffers kept between calls (decision text, scratch strings).
const FIXED: usize = 256 << 10;

/// The most bytes a guard with `cfg` holds between calls, driven to every
/// cap at once, plus the working space of one call (a few copies of the
/// largest input it accepts).
pub fn bound_bytes(cfg: &Config) -> u64 {
    let tools = cfg.max_tools_tracked as u64;
    let classes = cfg.quarantine_error_codes.len() as u64;
    let parts: [u64; 15] = [
        FIXED as u64,
        cfg.tool_loop_window as u64 * WINDOW_ENTRY as u64,
        cfg.max_unique_calls_tracked as u64 * (UNIQUE_CALL + UNIQUE_RESULT) as u64,
        cfg.max_cache_entries as u64 * CACHE_ENTRY as u64 + cfg.max_cache_bytes as u64,
        cfg.max_ledger_entries as u64 * LEDGER_ENTRY as u64 + cfg.max_ledger_payload_bytes as u64,
        cfg.max_pending_calls as u64 * PENDING_CALL as u64,
        cfg.max_cost_events as u64 * COST_EVENT as u64,
        (cfg.max_intervention_log + MAX_UNDRAINED_EVENTS) as u64 * INTERVENTION as u64,
        tools * (TOOL as u64 + classes * ERROR_STREAK as u64),
        (MAX_TALLIED_REASONS * TALLIED_REASON) as u64,
        // The histories, and an empty queue per tool.
        cfg.max_jitter_bytes as u64 + tools * 64,
        // The stall detector's last message.
        token_set_bytes(cfg.max_text_bytes / 2 + 1) as u64,
        (TOKEN_MEMO * MEMO_ENTRY) as u64,
        // The remembered signatures: of arguments by canonical and by given
        // text, of payloads, of ticket ids.
        (4 * crate::sig_memo::SLOTS * (crate::sig_memo::MAX_REMEMBERED_BYTES + MEMO_ENTRY)) as u64,
        4 * cfg.max_json_bytes.max(cfg.max_text_bytes) as u64,
    ];
    parts.iter().fold(0u64, |a, b| a.saturating_add(*b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token_set::TokenSet;

    #[test]
    fn a_kept_token_set_costs_no_more_than_it_is_charged() {
        for n in [0usize, 1, 3, 4, 7, 8, 9, 100, 1000, 70_000] {
            let set: TokenSet =
                (0..n as u128).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)).collect();
            assert_eq!(set.len(), n);
            // The tokens, the allocator's header (16 bytes at most on the
            // platforms we build for) and the set's slot in the history.
            let cost = 16 * set.len() + 16 + std::mem::size_of::<TokenSet>();
            assert!(cost <= token_set_bytes(n), "{n} tokens: {cost} bytes");
        }
    }

    #[test]
    fn a_cached_result_and_a_unique_call_cost_no_more_than_they_are_charged() {
        use crate::state::{CacheEntry, CallKey};
        // The cache's table has at most 16/7 buckets an entry (it doubles
        // when 7/8 full), each the key, the entry and a control byte; then
        // the payload's shared allocation (its header and the allocator's;
        // the text itself is `max_cache_bytes`') and an error code of the
        // longest kind, in an allocation of its own.
        let bucket = std::mem::size_of::<(CallKey, CacheEntry)>() + 1;
        let cost = bucket * 16 / 7 + 1 + 2 * 16 + MAX_ERROR_CODE_BYTES + 16;
        assert!(cost <= CACHE_ENTRY, "{cost} bytes");
        // The unique calls and results: a key and a control byte a bucket.
        let call = (std::mem::size_of::<CallKey>() + 1) * 16 / 7 + 1;
        let result = (std::mem::size_of::<crate::signature::Sig>() + 1) * 16 / 7 + 1;
        assert!(call <= UNIQUE_CALL && result <= UNIQUE_RESULT, "{call} and {result} bytes");
    }

    #[test]
    fn the_bound_grows_with_every_cap() {
        let base = Config::default();
        let b = bound_bytes(&base);
        for key in ["max_cache_bytes", "max_ledger_payload_bytes", "max_jitter_bytes", "max_tools_tracked"] {
            let cfg = Config::from_value(&serde_json::json!({"secret_key": "k", key: 20_000})).unwrap();
            let big = Config::from_value(&serde_json::json!({"secret_key": "k", key: 40_000})).unwrap();
            assert!(bound_bytes(&big) > bound_bytes(&cfg), "{key}");
        }
        // The defaults, as docs/HARDENING.md quotes them.
        assert_eq!(b >> 20, 235, "{b}");
    }
}
