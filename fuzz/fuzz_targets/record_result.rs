//! `auraguard_record_result` with arbitrary result text after allowed calls.
//!
//! Input: one flags byte, then the result text. Flags: bit 0 strict mode,
//! bit 1 makes the waiting call a side effect (a refund on a ticket), bit 2
//! leaves two calls waiting instead of one.
//!
//! A result of at most `max_json_bytes` whose envelope is well formed (an
//! object with a boolean `ok` and only the documented fields, of their
//! documented types, naming a waiting call or none) is recorded: the tool
//! did run, and its record must not be lost. Anything else is refused as
//! an invalid argument, and the call keeps waiting.

#![no_main]

use auraguard::ffi::auraguard_status as Status;
use auraguard_fuzz::{c_text, contract, CGuard};
use libfuzzer_sys::fuzz_target;

const MAX_JSON_BYTES: usize = 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, text)) = data.split_first() else { return };
    let strict = flags & 1 != 0;
    let g = CGuard::valid(&format!(
        r#"{{"secret_key": "fuzz", "strict_mode": {strict}, "max_json_bytes": {MAX_JSON_BYTES}, "max_pending_calls": 2}}"#
    ));
    let (tool, args, ticket): (&[u8], &[u8], _) = if flags & 2 != 0 {
        (b"refund", br#"{"order_id": "A-1", "amount": 50}"#, Some(&b"T-1"[..]))
    } else {
        (b"get_order", br#"{"id": 7}"#, None)
    };
    let mut waiting = vec![allowed(&g, tool, args, ticket)];
    if flags & 4 != 0 && !strict {
        waiting.push(allowed(&g, b"get_order", br#"{"id": 8}"#, None));
    }

    let before = g.save();
    let text = c_text(text);
    match g.record_result(text.as_bytes()) {
        Ok(()) => {
            let s = g.stats();
            assert_eq!(
                contract::count(&s, "pending_calls"),
                waiting.len() as u64 - 1,
                "a recorded result freed no call"
            );
            contract::round_trip(&g);
        }
        Err(f) => {
            contract::status_in("record_result", &f, &[Status::AURAGUARD_ERR_INVALID_ARGUMENT]);
            if let Ok(t) = text.to_str() {
                assert!(!well_formed(t, &waiting), "a well-formed result was refused ({}): {t}", f.message);
            }
            contract::unchanged(&g, &before, "record_result", &f);
            // The call still waits, and an ordinary result is recorded for it.
            assert_eq!(contract::count(&g.stats(), "pending_calls"), waiting.len() as u64);
            if let Err(f) = g.record_result(br#"{"ok": true, "payload": {"status": "shipped"}}"#) {
                panic!("an ordinary result was refused after a refusal: {}", f.message);
            }
        }
    }
});

fn allowed(g: &CGuard, tool: &[u8], args: &[u8], ticket: Option<&[u8]>) -> u64 {
    let d = g.check_tool(tool, Some(args), ticket, -1).expect("an ordinary call");
    assert_eq!(d["action"], "allow", "{d}");
    d["call_id"].as_u64().expect("call_id")
}

/// The documented envelope, checked with serde_json as the reference reader
/// (a repeated field is ambiguous, and may be refused).
fn well_formed(text: &str, waiting: &[u64]) -> bool {
    if text.len() > MAX_JSON_BYTES {
        return false;
    }
    let Ok(contract::Members(fields)) = serde_json::from_str(text) else { return false };
    let mut keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    let repeated = keys.windows(2).any(|w| w[0] == w[1]);
    !repeated
        && fields.iter().any(|(k, v)| k == "ok" && v.is_boolean())
        && fields.iter().all(|(k, v)| match k.as_str() {
            "ok" | "payload" => true,
            "error_code" => v.is_null() || v.is_string(),
            "side_effect_executed" => v.is_null() || v.is_boolean(),
            "call_id" => v.is_null() || v.as_u64().is_some_and(|id| waiting.contains(&id)),
            _ => false,
        })
}
