//! Identical repeats (steps 3 and 7): the same read with the same arguments,
//! again and again within the recent-call window, is served from the cache
//! when a live result exists and blocked otherwise.

use std::collections::{HashMap, VecDeque};

use super::Call;
use crate::config::Config;
use crate::decision::{CachedResult, Decision};
use crate::payload::Payload;
use crate::signature::Sig;
use crate::state::{CacheEntry, CallKey, RunState, SigHashing, StoredResult, ToolId, WindowEntry};

/// Occurrences of (tool, args_sig) in the window, plus one for this call.
pub fn count(window: &VecDeque<WindowEntry>, tool: ToolId, args_sig: &Sig) -> usize {
    // Signatures are uniform: their first eight bytes, one comparison,
    // settle all but a true repeat, which is then compared in full.
    let head = sig_head(args_sig);
    1 + window.iter().filter(|w| w.tool == tool && sig_head(&w.args_sig) == head && w.args_sig == *args_sig).count()
}

fn sig_head(sig: &Sig) -> u64 {
    u64::from_ne_bytes(sig[..8].try_into().expect("a signature has 32 bytes"))
}

/// A successful read's result, as `store` is given it: the payload is
/// copied only when the cache takes it.
pub struct ReadResult<'a> {
    pub ok: bool,
    /// Canonical JSON text.
    pub payload: &'a str,
    pub error_code: Option<String>,
    pub side_effect_executed: bool,
}

/// Result bookkeeping: keep a successful read's result for step 3, while
/// the cache has room: fewer than `max_cache_entries` entries, and its
/// payloads' bytes within `max_cache_bytes` with this one (replacing an
/// entry frees its bytes first). A result that does not fit is not cached;
/// its repeats are blocked rather than served. Nothing is allocated for a
/// result the cache does not take (a long run's cache is full).
pub fn store(cfg: &Config, run: &mut RunState, key: CallKey, result: ReadResult<'_>, now: f64) {
    if run.cache.len() >= cfg.max_cache_entries {
        return;
    }
    let freed = run.cache.get(&key).map_or(0, |e| e.result.payload.len());
    let bytes = run.cache_bytes - freed + result.payload.len();
    if bytes > cfg.max_cache_bytes {
        return;
    }
    run.cache_bytes = bytes;
    let kept = StoredResult {
        ok: result.ok,
        payload: result.payload.into(),
        error_code: result.error_code,
        side_effect_executed: result.side_effect_executed,
    };
    run.cache.insert(key, CacheEntry { result: kept, stored_at: now });
}

/// Whether a cache entry is still live at `now` (monotonic seconds).
pub fn is_live(cfg: &Config, entry: &CacheEntry, now: f64) -> bool {
    cfg.cache_ttl_seconds.is_none_or(|ttl| now - entry.stored_at < ttl)
}

/// Step 3: a repeated read with a live cached result is served from the cache.
pub fn cached(
    cfg: &Config,
    cache: &HashMap<CallKey, CacheEntry, SigHashing>,
    call: &Call,
    now: f64,
) -> Option<Decision> {
    if call.side_effect || call.repeats < cfg.repeat_toolcall_threshold {
        return None;
    }
    let entry = cache.get(&CallKey { tool: call.tool, args_sig: call.args_sig })?;
    if !is_live(cfg, entry, now) {
        return None;
    }
    let r = &entry.result;
    Some(Decision::cache(
        "identical_toolcall_loop_cache",
        CachedResult {
            ok: r.ok,
            payload: Payload::from_canonical(r.payload.clone()),
            error_code: r.error_code.clone(),
            cached: true,
            side_effect_executed: r.side_effect_executed,
            payload_kept: true,
        },
    ))
}

/// Step 7: a repeated read without a usable cached result is blocked.
pub fn block(cfg: &Config, call: &Call) -> Option<Decision> {
    (!call.side_effect && call.repeats >= cfg.repeat_toolcall_threshold)
        .then(|| Decision::block("identical_toolcall_loop"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::StoredResult;
    use serde_json::{json, Map};

    fn cfg(extra: serde_json::Value) -> Config {
        let mut v = json!({"secret_key": "k"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        Config::from_value(&v).unwrap()
    }

    fn window(entries: &[(u32, u8)]) -> VecDeque<WindowEntry> {
        entries.iter().map(|(t, s)| WindowEntry { tool: ToolId(*t), args_sig: [*s; 32], ticket_sig: [0; 32] }).collect()
    }

    #[test]
    fn counts_matching_tool_and_args_only() {
        let w = window(&[(0, 1), (0, 2), (1, 1), (0, 1)]);
        assert_eq!(count(&w, ToolId(0), &[1; 32]), 3);
        assert_eq!(count(&w, ToolId(1), &[2; 32]), 1);
        // The same first eight bytes, a difference after them: no repeat.
        let mut near = [1; 32];
        near[31] = 9;
        assert_eq!(count(&w, ToolId(0), &near), 1);
        let mut w = w;
        w.push_back(WindowEntry { tool: ToolId(0), args_sig: near, ticket_sig: [0; 32] });
        assert_eq!(count(&w, ToolId(0), &near), 2);
        assert_eq!(count(&w, ToolId(0), &[1; 32]), 3);
    }

    #[test]
    fn cache_needs_threshold_live_entry_and_a_read() {
        let c = cfg(json!({"cache_ttl_seconds": 10}));
        let args = Map::new();
        let mut cache = HashMap::default();
        cache.insert(
            CallKey { tool: ToolId(0), args_sig: [1; 32] },
            CacheEntry {
                result: StoredResult {
                    ok: true,
                    payload: "\"p\"".into(),
                    error_code: None,
                    side_effect_executed: false,
                },
                stored_at: 100.0,
            },
        );
        let mut call = Call {
            tool: ToolId(0),
            name: "a",
            args: crate::primitives::Args::Map(&args),
            args_sig: [1; 32],
            ticket_sig: [0; 32],
            side_effect: false,
            repeats: 2,
        };
        assert!(cached(&c, &cache, &call, 101.0).is_none(), "below the threshold");
        call.repeats = 3;
        let d = cached(&c, &cache, &call, 109.9).unwrap();
        assert_eq!(d.reason, "identical_toolcall_loop_cache");
        assert_eq!(d.cached_result.unwrap().payload, json!("p"));
        assert!(cached(&c, &cache, &call, 110.0).is_none(), "expired at exactly the ttl");
        call.side_effect = true;
        assert!(cached(&c, &cache, &call, 101.0).is_none());
        assert!(block(&c, &call).is_none(), "side effects are never blocked as repeats");
        call.side_effect = false;
        assert_eq!(block(&c, &call).unwrap().reason, "identical_toolcall_loop");
        call.repeats = 2;
        assert!(block(&c, &call).is_none());
    }
}
