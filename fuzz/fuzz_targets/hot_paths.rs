//! The hot paths decide as the JSON path does, on any bytes.
//!
//! Input: one flags byte, then `tool 0xFF args 0xFF ticket 0xFF payload
//! 0xFF error_code 0xFF message` (0xFF is never UTF-8, so a part may hold
//! any other byte, NUL included). Flags: bits 0-1 pick `side_effect` (-1, 0, 1, or the
//! out-of-range 7), bit 2 passes NULL arguments, bit 3 a NULL ticket, bit 4
//! strict mode, bit 5 asks the same call twice more, each time after an
//! ordinary read (so that a call block meets two different cache hits in
//! turn), bit 6 records a failure (`ok` false), bit 7 sets
//! `side_effect_executed`.
//!
//! Three guards with one configuration take the same calls: one through
//! `auraguard_check_tool_fast` and `auraguard_record_result_fast`, one
//! through a call block (`auraguard_call_check_bytes`,
//! `auraguard_call_record(_ok)`), one through the JSON API while the text
//! can be said in it (no NUL in a check's text; a payload that is JSON).
//! Then the message, twice, through `auraguard_check_output_fast` (which
//! the bindings use) and `auraguard_check_output`.
//! After every call: the same status; on success the same decision; on
//! failure the same message from the two hot paths, and no guard changed.
//! At the end the same stats.

#![no_main]

use auraguard::ffi::auraguard_status as Status;
use auraguard_fuzz::hot::{check_fast, check_output_fast, record_fast, Block};
use auraguard_fuzz::{c_text, contract, CGuard};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let mut parts = rest.split(|&b| b == 0xFF);
    let tool = parts.next().unwrap_or_default();
    let args = parts.next().filter(|_| flags & 4 == 0);
    let ticket = parts.next().filter(|_| flags & 8 == 0);
    let payload = c_text(parts.next().unwrap_or(b"null"));
    let code = parts.next().map(c_text);
    let message = parts.next();
    let side_effect = [-1, 0, 1, 7][usize::from(flags & 3)];
    let (ok, executed) = (flags & 64 == 0, if flags & 128 != 0 { 1 } else { -1 });
    let config = format!(
        r#"{{"secret_key": "fuzz", "run_id": "fuzz-run", "strict_mode": {}, "max_json_bytes": 1024,
            "max_tools_tracked": 8, "repeat_toolcall_threshold": 2, "side_effect_tools": ["refund"]}}"#,
        flags & 16 != 0
    );
    let (fast, by_block, by_json) = (CGuard::valid(&config), CGuard::valid(&config), CGuard::valid(&config));
    let block = Block::new(&by_block);
    // Whether the JSON guard still took every call the others took.
    let mut json_alike = true;

    let rounds = if flags & 32 != 0 { 6 } else { 1 };
    for round in 0..rounds {
        // Every other round an ordinary read, recorded as such.
        let ordinary = round % 2 == 1;
        let (tool, args, ticket, side_effect) = if ordinary {
            (&b"get_order"[..], Some(&br#"{"id": 7}"#[..]), None, -1)
        } else {
            (tool, args, ticket, side_effect)
        };
        let (ok, payload, code, executed) = if ordinary {
            (true, c"{\"status\": \"done\"}", None, -1)
        } else {
            (ok, payload.as_c_str(), code.as_deref(), executed)
        };
        let before = [fast.save(), by_block.save(), by_json.save()];
        let f = check_fast(&fast, tool, args, ticket, side_effect);
        let b = block.check(tool, args, ticket, side_effect);
        let says_it = ![Some(tool), args, ticket].iter().flatten().any(|t| t.contains(&0));
        let j = (json_alike && says_it).then(|| by_json.check_tool(tool, args, ticket, side_effect));
        match (&f, &b) {
            (Ok(fd), Ok(bd)) => assert_eq!(fd, bd, "a call block decided otherwise"),
            (Err(ff), Err(bf)) => {
                assert_eq!((ff.status, &ff.message), (bf.status, &bf.message), "the hot paths refused otherwise");
            }
            _ => panic!("one hot path refused what the other accepted: {f:?} / {b:?}"),
        }
        match (&f, &j) {
            (Ok(fd), Some(Ok(jd))) => assert_eq!(fd, jd, "the JSON path decided otherwise"),
            (Err(ff), Some(Err(jf))) => {
                assert_eq!(ff.status, jf.status, "the JSON path refused otherwise: {}", jf.message)
            }
            (_, None) => json_alike &= f.is_err(),
            _ => panic!("the JSON path and the fast path disagree: {f:?} / {j:?}"),
        }
        let decision = match f {
            Ok(d) => d,
            Err(refusal) => {
                let allowed: &[Status] = &[Status::AURAGUARD_ERR_INVALID_ARGUMENT];
                contract::status_in("check_tool_fast", &refusal, allowed);
                contract::unchanged(&fast, &before[0], "check_tool_fast", &refusal);
                contract::unchanged(&by_block, &before[1], "call_check_bytes", &refusal);
                if json_alike {
                    contract::unchanged(&by_json, &before[2], "check_tool", &refusal);
                }
                break;
            }
        };
        if decision["action"] != "allow" {
            continue;
        }
        let call_id = decision["call_id"].as_u64().expect("an allow has a call id");
        let f = record_fast(&fast, call_id, ok, Some(payload.to_bytes()), code.map(|c| c.to_bytes()), executed);
        let b = block.record(call_id, ok, Some(payload), code, executed);
        match (&f, &b) {
            (Ok(()), Ok(())) => {}
            (Err(ff), Err(bf)) => {
                assert_eq!(
                    (ff.status, &ff.message),
                    (bf.status, &bf.message),
                    "the hot paths refused a result otherwise"
                );
            }
            _ => panic!("one hot path refused a result the other recorded: {f:?} / {b:?}"),
        }
        if json_alike {
            match result_json(call_id, ok, payload, code, executed) {
                Some(text) => {
                    let j = by_json.record_result(text.as_bytes());
                    assert_eq!(f.as_ref().err().map(|e| e.status), j.as_ref().err().map(|e| e.status), "{text}");
                }
                None => json_alike = f.is_err(),
            }
        }
        if let Err(refusal) = f {
            let allowed: &[Status] = &[Status::AURAGUARD_ERR_INVALID_ARGUMENT];
            contract::status_in("record_result_fast", &refusal, allowed);
            break;
        }
    }
    for _ in 0..2 {
        let Some(text) = message else { break };
        let before = [fast.save(), by_block.save(), by_json.save()];
        let f = check_output_fast(&fast, text);
        let b = check_output_fast(&by_block, text);
        assert_eq!(f.as_ref().map_err(|e| (e.status, &e.message)), b.as_ref().map_err(|e| (e.status, &e.message)));
        if json_alike && !text.contains(&0) {
            let j = by_json.check_output(text);
            match (&f, &j) {
                (Ok(fd), Ok(jd)) => assert_eq!(fd, jd, "check_output decided otherwise"),
                (Err(ff), Err(jf)) => {
                    assert_eq!(ff.status, jf.status, "check_output refused otherwise: {}", jf.message)
                }
                _ => panic!("check_output_fast and check_output disagree: {f:?} / {j:?}"),
            }
        } else {
            json_alike &= f.is_err();
        }
        if let Err(refusal) = f {
            contract::status_in("check_output_fast", &refusal, &[Status::AURAGUARD_ERR_INVALID_ARGUMENT]);
            contract::unchanged(&fast, &before[0], "check_output_fast", &refusal);
            contract::unchanged(&by_block, &before[1], "check_output_fast", &refusal);
            break;
        }
    }
    let stats = fast.stats();
    assert_eq!(stats, by_block.stats(), "the call block's guard counted otherwise");
    if json_alike {
        assert_eq!(stats, by_json.stats(), "the JSON guard counted otherwise");
    }
    drop(block);
});

/// The result as `auraguard_record_result` takes it, when the JSON API can
/// say it: a payload that is one JSON value, an error code that is UTF-8.
fn result_json(
    call_id: u64,
    ok: bool,
    payload: &std::ffi::CStr,
    code: Option<&std::ffi::CStr>,
    executed: i32,
) -> Option<String> {
    let payload = payload.to_str().ok()?;
    contract::parse_unbounded(payload)?;
    let mut envelope = serde_json::json!({"ok": ok, "call_id": call_id});
    if let Some(code) = code {
        envelope["error_code"] = Value::from(code.to_str().ok()?);
    }
    if executed >= 0 {
        envelope["side_effect_executed"] = (executed == 1).into();
    }
    let mut text = envelope.to_string();
    text.insert_str(text.len() - 1, &format!(",\"payload\":{payload}"));
    Some(text)
}
