//! The fast path and the call blocks decide exactly as the JSON path: the
//! same random call sequences through all three give the same actions,
//! reasons, call ids, idempotency keys and rare fields, and leave the same
//! counters.

use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::ffi::call::{
    auraguard_call, auraguard_call_check, auraguard_call_check_bytes, auraguard_call_free, auraguard_call_new,
    auraguard_call_record, auraguard_call_record_ok,
};
use crate::ffi::decision::{auraguard_cached_result, auraguard_decision_free, auraguard_decision_json};
use crate::ffi::guard::*;
use crate::ffi::strings::auraguard_string_free;

const CONFIG: &str = r#"{"secret_key":"k","run_id":"run-1","side_effect_tools":["refund"],"repeat_toolcall_threshold":2,
  "arg_jitter_repeat_threshold":3,"max_cost_per_run":0.35,"max_calls_per_tool":9,
  "cost_model":{"default_tool_call_cost":0.011,"tool_cost_by_name":{"refund":0.05}},
  "tool_policies":{"delete_all":{"access":"deny"},"send_email":{"require_args":["to"]}}}"#;

#[derive(Debug, Clone)]
enum Op {
    Check { tool: &'static str, args: String, ticket: Option<&'static str>, side_effect: i32 },
    Record { which: u8, ok: bool, payload: Option<&'static str>, code: Option<&'static str>, executed: i32 },
}

fn op() -> impl Strategy<Value = Op> {
    let tool = prop::sample::select(vec!["get_order", "search_kb", "refund", "delete_all", "send_email"]);
    let args = prop_oneof![
        (0u8..4).prop_map(|n| format!(r#"{{"order_id":"A-{n}"}}"#)),
        (0u8..6).prop_map(|n| format!(r#"{{"query":"refund policy germany word{n}"}}"#)),
        Just("{}".to_string()),
        Just("{ \"b\" : [1, 2.50], \"a\": null }".to_string()),
    ];
    let ticket = prop::option::of(prop::sample::select(vec!["T-1", "T-2", ""]));
    let check = (tool, args, ticket, -1i32..=1).prop_map(|(tool, args, ticket, side_effect)| Op::Check {
        tool,
        args,
        ticket,
        side_effect,
    });
    let payload = prop::option::of(prop::sample::select(vec![
        r#"{"status":"shipped"}"#,
        "[1, 2, {\"x\": 1e2}]",
        "\"text\"",
        "null",
        "1e999",
    ]));
    let code = prop::option::of(prop::sample::select(vec!["429", "500", "timeout"]));
    let record = (0u8..4, any::<bool>(), payload, code, -1i32..=1)
        .prop_map(|(which, ok, payload, code, executed)| Op::Record { which, ok, payload, code, executed });
    prop_oneof![3 => check, 2 => record]
}

/// The same configuration with every opt-in detector on: warnings, run
/// limits, result-aware loops and a recovering breaker travel too.
const DETECT_CONFIG: &str = r#"{"secret_key":"k","run_id":"run-1","side_effect_tools":["refund"],"repeat_toolcall_threshold":2,
  "arg_jitter_repeat_threshold":3,"max_cost_per_run":0.35,"max_calls_per_tool":9,
  "cost_model":{"default_tool_call_cost":0.011,"tool_cost_by_name":{"refund":0.05}},
  "tool_policies":{"delete_all":{"access":"deny"},"send_email":{"require_args":["to"]}},
  "warn_before_enforce":true,"same_result_threshold":2,"quarantine_cooldown_calls":3,
  "max_tool_calls_per_run":25,"sequence_gap_tolerance":1,"poll_tools":["get_order"]}"#;

fn new_guard() -> *mut auraguard_guard {
    guard_for(CONFIG)
}

fn guard_for(config: &str) -> *mut auraguard_guard {
    let cfg = CString::new(config).unwrap();
    let mut g = null_mut();
    assert_eq!(unsafe { auraguard_guard_new(cfg.as_ptr(), &mut g, null_mut()) }, auraguard_status::AURAGUARD_OK);
    g
}

unsafe fn take(s: *mut c_char) -> String {
    if s.is_null() {
        return String::new();
    }
    let out = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_string();
    unsafe { auraguard_string_free(s) };
    out
}

fn stats(g: *mut auraguard_guard) -> String {
    let mut out = null_mut();
    assert_eq!(unsafe { auraguard_stats_json(g, &mut out, null_mut()) }, auraguard_status::AURAGUARD_OK);
    // Every guard names its run at random; the rest must agree.
    let mut v: Value = serde_json::from_str(&unsafe { take(out) }).unwrap();
    v.as_object_mut().unwrap().remove("run_id");
    v.to_string()
}

fn opt_c(s: Option<&str>) -> Option<CString> {
    s.map(|s| CString::new(s).unwrap())
}

fn ptr_len(s: Option<&str>) -> (*const u8, usize) {
    s.map_or((null(), 0), |s| (s.as_ptr(), s.len()))
}

fn action_name(a: auraguard_action) -> &'static str {
    use crate::decision::Action::*;
    [Allow, Block, Cache, Rewrite, Escalate, Finalize]
        .into_iter()
        .find(|x| auraguard_action::from(*x) == a)
        .unwrap()
        .as_str()
}

/// The fast result seen as the JSON path's decision: the struct's fields, or
/// the details' whole text when there are details.
fn fast_as_json(r: &auraguard_check_result) -> Value {
    if !r.details.is_null() {
        let text = unsafe { CStr::from_ptr(auraguard_decision_json(r.details)) }.to_str().unwrap();
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["reason"].as_str().unwrap().as_bytes(), unsafe { CStr::from_ptr(r.reason) }.to_bytes());
        // The cached result's accessor gives what the JSON holds.
        let mut c = std::mem::MaybeUninit::<crate::ffi::decision::auraguard_cached_result>::zeroed();
        let has = unsafe { crate::ffi::decision::auraguard_decision_cached_result(r.details, c.as_mut_ptr()) };
        assert_eq!(has, v.get("cached_result").is_some());
        if has {
            let c = unsafe { c.assume_init() };
            let text = |p: *const c_char, n: usize| {
                unsafe { std::str::from_utf8(std::slice::from_raw_parts(p.cast::<u8>(), n)) }.unwrap()
            };
            let cr = &v["cached_result"];
            assert_eq!(serde_json::from_str::<Value>(text(c.payload_json, c.payload_len)).unwrap(), cr["payload"]);
            let code = (!c.error_code.is_null()).then(|| text(c.error_code, c.error_code_len));
            assert_eq!(code, cr["error_code"].as_str());
            assert_eq!(
                (c.ok, c.cached, c.side_effect_executed),
                (cr["ok"] == true, cr["cached"] == true, cr["side_effect_executed"] == true)
            );
            assert_eq!(c.payload_kept, cr.get("payload_kept").is_none());
        }
        return v;
    }
    let reason = unsafe { CStr::from_ptr(r.reason) }.to_str().unwrap();
    assert_eq!(reason.len(), r.reason_len);
    let mut v = serde_json::json!({"action": action_name(r.action), "reason": reason});
    let has = |f: auraguard_check_flag| r.flags & f as u32 != 0;
    if has(auraguard_check_flag::AURAGUARD_CHECK_CALL_ID) {
        v["call_id"] = r.call_id.into();
    }
    if has(auraguard_check_flag::AURAGUARD_CHECK_IDEMPOTENCY_KEY) {
        let key = unsafe { CStr::from_ptr(r.idempotency_key.as_ptr()) }.to_str().unwrap();
        v["idempotency_key"] = key.into();
    }
    if has(auraguard_check_flag::AURAGUARD_CHECK_LEASE) {
        v["lease_ms"] = r.lease_ms.into();
    }
    if has(auraguard_check_flag::AURAGUARD_CHECK_RETRY_AFTER) {
        v["retry_after_ms"] = r.retry_after_ms.into();
    }
    v
}

/// What the JSON path answered to an op: its status, and its decision when
/// the op was a check that succeeded.
type Answer = (auraguard_status, Option<Value>);

/// One op on both guards; panics where they disagree. The JSON path's answer.
fn run_both(json_g: *mut auraguard_guard, fast_g: *mut auraguard_guard, op: &Op, issued: &mut Vec<u64>) -> Answer {
    match op {
        Op::Check { tool, args, ticket, side_effect } => {
            let (t, a, k) = (CString::new(*tool).unwrap(), CString::new(args.as_str()).unwrap(), opt_c(*ticket));
            let mut text = null_mut();
            let st_json = unsafe {
                auraguard_check_tool(
                    json_g,
                    t.as_ptr(),
                    a.as_ptr(),
                    k.as_ref().map_or(null(), |k| k.as_ptr()),
                    *side_effect,
                    &mut text,
                    null_mut(),
                )
            };
            let mut r = std::mem::MaybeUninit::<auraguard_check_result>::zeroed();
            let (kp, kl) = ptr_len(*ticket);
            let st_fast = unsafe {
                auraguard_check_tool_fast(
                    fast_g,
                    tool.as_ptr(),
                    tool.len(),
                    args.as_ptr(),
                    args.len(),
                    kp,
                    kl,
                    *side_effect,
                    r.as_mut_ptr(),
                    null_mut(),
                )
            };
            assert_eq!(st_json, st_fast);
            if st_json != auraguard_status::AURAGUARD_OK {
                return (st_json, None);
            }
            let r = unsafe { r.assume_init() };
            let from_json: Value = serde_json::from_str(&unsafe { take(text) }).unwrap();
            assert_eq!(fast_as_json(&r), from_json);
            if let Some(id) = from_json["call_id"].as_u64() {
                issued.push(id);
            }
            unsafe { auraguard_decision_free(r.details) };
            (st_json, Some(from_json))
        }
        Op::Record { which, ok, payload, code, executed } => {
            let call_id = record_id(*which, issued);
            let mut obj = serde_json::json!({"ok": ok});
            if call_id != 0 {
                obj["call_id"] = call_id.into();
            }
            if let Some(c) = code {
                obj["error_code"] = (*c).into();
            }
            if *executed >= 0 {
                obj["side_effect_executed"] = (*executed == 1).into();
            }
            let mut text = serde_json::to_string(&obj).unwrap();
            if let Some(p) = payload {
                text.insert_str(text.len() - 1, &format!(",\"payload\":{p}"));
            }
            let text = CString::new(text).unwrap();
            let st_json = unsafe { auraguard_record_result(json_g, text.as_ptr(), null_mut()) };
            let (pp, pl) = ptr_len(*payload);
            let (cp, cl) = ptr_len(*code);
            let st_fast =
                unsafe { auraguard_record_result_fast(fast_g, call_id, *ok, pp, pl, cp, cl, *executed, null_mut()) };
            assert_eq!(st_json, st_fast, "record {text:?}");
            (st_json, None)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_fast_path_and_call_blocks_decide_as_the_json_path(
        ops in prop::collection::vec(op(), 1..60),
        detect in any::<bool>(),
    ) {
        let config = if detect { DETECT_CONFIG } else { CONFIG };
        let (json_g, fast_g) = (guard_for(config), guard_for(config));
        let blocks = Blocks::new(guard_for(config));
        let mut issued = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            let answer = run_both(json_g, fast_g, op, &mut issued);
            blocks.run(i, op, &issued, answer);
        }
        prop_assert_eq!(stats(json_g), stats(fast_g));
        prop_assert_eq!(stats(json_g), stats(blocks.guard));
        unsafe { auraguard_guard_free(json_g) };
        unsafe { auraguard_guard_free(fast_g) };
    }
}

/// The third guard of the comparison and two call blocks on it, used in
/// turn (a block keeps a cache hit's result; the other must not be misled
/// by it). Its checks and records alternate between the calls by length
/// and the calls by NUL-terminated text, and a plain success is recorded
/// with `auraguard_call_record_ok`, as the bindings do.
struct Blocks {
    guard: *mut auraguard_guard,
    blocks: [*mut auraguard_call; 2],
}

impl Blocks {
    fn new(guard: *mut auraguard_guard) -> Blocks {
        let mut blocks = [null_mut(); 2];
        for b in &mut blocks {
            assert_eq!(unsafe { auraguard_call_new(guard, b, null_mut()) }, auraguard_status::AURAGUARD_OK);
        }
        Blocks { guard, blocks }
    }

    /// One op through a block; panics where it disagrees with the JSON
    /// path's answer to it.
    fn run(&self, i: usize, op: &Op, issued: &[u64], (status, want): Answer) {
        let call = self.blocks[i % 2];
        let by_length = i % 3 != 0;
        let st = match op {
            Op::Check { tool, args, ticket, side_effect } => unsafe {
                if by_length {
                    let (kp, kl) = ptr_len(*ticket);
                    auraguard_call_check_bytes(
                        call,
                        tool.as_ptr(),
                        tool.len(),
                        args.as_ptr(),
                        args.len(),
                        kp,
                        kl,
                        *side_effect,
                    )
                } else {
                    let (t, a, k) =
                        (CString::new(*tool).unwrap(), CString::new(args.as_str()).unwrap(), opt_c(*ticket));
                    auraguard_call_check(
                        call,
                        t.as_ptr(),
                        a.as_ptr(),
                        k.as_ref().map_or(null(), |k| k.as_ptr()),
                        *side_effect,
                    )
                }
            },
            Op::Record { which, ok, payload, code, executed } => {
                let call_id = record_id(*which, issued);
                let (p, c) = (opt_c(*payload), opt_c(*code));
                let pp = p.as_ref().map_or(null(), |p| p.as_ptr());
                unsafe {
                    if *ok && code.is_none() && *executed == -1 {
                        auraguard_call_record_ok(call, call_id, pp)
                    } else {
                        auraguard_call_record(
                            call,
                            call_id,
                            *ok,
                            pp,
                            c.as_ref().map_or(null(), |c| c.as_ptr()),
                            *executed,
                        )
                    }
                }
            }
        };
        assert_eq!(st, status, "{op:?} through a call block");
        let block = unsafe { &mut *call };
        if st != auraguard_status::AURAGUARD_OK {
            assert!(!block.error.is_null(), "a failure leaves its message in the block");
            unsafe { auraguard_string_free(std::mem::replace(&mut block.error, null_mut())) };
            return;
        }
        assert!(block.error.is_null());
        let Some(want) = want else { return };
        let r = &block.result;
        assert_eq!(
            block.summary & 0xffff,
            (r.action as u64 & 0xff) | u64::from(r.flags & 0xff) << 8,
            "the summary's action and flags"
        );
        assert_eq!(block.summary >> 32, block.kept_count, "the summary's count of kept results");
        let got = if r.flags & auraguard_check_flag::AURAGUARD_CHECK_KEPT as u32 != 0 {
            assert!(r.details.is_null() && !block.kept.is_null());
            assert_ne!(block.summary >> 16 & 0xffff, 0, "a kept hit's reason is a fixed code");
            kept_as_json(r, &block.cached)
        } else {
            let v = fast_as_json(r);
            unsafe { auraguard_decision_free(std::mem::replace(&mut block.result.details, null_mut())) };
            v
        };
        assert_eq!(got, want, "{op:?} through a call block");
    }
}

impl Drop for Blocks {
    fn drop(&mut self) {
        for b in self.blocks {
            unsafe { auraguard_call_free(b) };
        }
        unsafe { auraguard_guard_free(self.guard) };
    }
}

/// A kept cache hit as the JSON path writes it: the reason and the cached
/// result read from the block.
fn kept_as_json(r: &auraguard_check_result, c: &auraguard_cached_result) -> Value {
    let text = |p: *const c_char, n: usize| {
        unsafe { std::str::from_utf8(std::slice::from_raw_parts(p.cast::<u8>(), n)) }.unwrap().to_string()
    };
    let reason = unsafe { CStr::from_ptr(r.reason) }.to_str().unwrap();
    assert_eq!(reason.len(), r.reason_len);
    let mut cached = serde_json::json!({
        "ok": c.ok,
        "payload": serde_json::from_str::<Value>(&text(c.payload_json, c.payload_len)).unwrap(),
        "error_code": (!c.error_code.is_null()).then(|| text(c.error_code, c.error_code_len)),
        "cached": c.cached,
        "side_effect_executed": c.side_effect_executed,
    });
    if !c.payload_kept {
        cached["payload_kept"] = false.into();
    }
    serde_json::json!({"action": "cache", "reason": reason, "cached_result": cached})
}

/// The call id a record op names: 0 (the latest call, no id), one of the
/// last two issued (maybe recorded already), or one never issued.
fn record_id(which: u8, issued: &[u64]) -> u64 {
    match which {
        0 => 0,
        3 => 9_999,
        n => issued.iter().rev().nth(n as usize - 1).copied().unwrap_or(0),
    }
}

#[test]
fn bad_input_is_refused_by_name_and_changes_nothing() {
    let g = new_guard();
    let before = stats(g);
    let mut r = std::mem::MaybeUninit::<auraguard_check_result>::zeroed();
    let try_check = |tool: (*const u8, usize),
                     args: (*const u8, usize),
                     ticket: (*const u8, usize),
                     r: *mut auraguard_check_result| {
        let mut err = null_mut();
        let st = unsafe {
            auraguard_check_tool_fast(g, tool.0, tool.1, args.0, args.1, ticket.0, ticket.1, -1, r, &mut err)
        };
        (st, unsafe { take(err) })
    };
    let tool = ptr_len(Some("get_order"));
    type Text = (*const u8, usize);
    let cases: [(Text, Text, Text, &str); 6] = [
        ((null(), 0), (null(), 0), (null(), 0), "`tool` must not be NULL"),
        (tool, (null(), 3), (null(), 0), "`args_json` is NULL but its length is 3"),
        (tool, (b"{\"a\":\xff}".as_ptr(), 7), (null(), 0), "`args_json` is not valid UTF-8 (at byte 5)"),
        (tool, (b"{\"a\":1".as_ptr(), 6), (null(), 0), "args is not valid JSON"),
        (tool, (null(), 0), (b"T\xc3".as_ptr(), 2), "`ticket_id` is not valid UTF-8 (at byte 1)"),
        (tool, (b"{} ".as_ptr(), usize::MAX), (null(), 0), "`args_json` has an impossible length"),
    ];
    for (t, a, k, want) in cases {
        let (st, msg) = try_check(t, a, k, r.as_mut_ptr());
        assert_eq!(st, auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT, "{want}");
        assert!(msg.contains(want), "{msg:?} should say {want:?}");
    }
    let (st, msg) = try_check(tool, (null(), 0), (null(), 0), null_mut());
    assert_eq!((st, msg.as_str()), (auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT, "`out` must not be NULL"));
    let all_zero = unsafe { std::slice::from_raw_parts(r.as_ptr().cast::<u8>(), size_of::<auraguard_check_result>()) };
    assert!(all_zero.iter().all(|&b| b == 0), "the output is untouched on failure");
    assert_eq!(stats(g), before);

    let record = |call_id: u64, payload: (*const u8, usize), code: (*const u8, usize), executed: i32| {
        let mut err = null_mut();
        let st = unsafe {
            auraguard_record_result_fast(g, call_id, true, payload.0, payload.1, code.0, code.1, executed, &mut err)
        };
        (st, unsafe { take(err) })
    };
    // A waiting call, so that the failures below have something to change.
    assert_eq!(try_check(tool, (null(), 0), (null(), 0), r.as_mut_ptr()).0, auraguard_status::AURAGUARD_OK);
    let r = unsafe { r.assume_init() };
    let waiting = stats(g);
    for (st, msg, want) in [
        (record(77, (null(), 0), (null(), 0), -1), "call_id 77 does not await a result"),
        (record(r.call_id, (b"{".as_ptr(), 1), (null(), 0), -1), "payload is not valid JSON"),
        (record(r.call_id, (b"\"\xfe\"".as_ptr(), 3), (null(), 0), -1), "`payload_json` is not valid UTF-8"),
        (record(r.call_id, (null(), 1), (null(), 0), -1), "`payload_json` is NULL but its length is 1"),
        (record(r.call_id, (null(), 0), (b"\xc0".as_ptr(), 1), -1), "`error_code` is not valid UTF-8"),
        (record(r.call_id, (null(), 0), (null(), 0), 2), "`side_effect_executed` must be -1, 0 or 1, got 2"),
    ]
    .map(|((st, msg), want)| (st, msg, want))
    {
        assert_eq!(st, auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT, "{want}");
        assert!(msg.contains(want), "{msg:?} should say {want:?}");
        assert_eq!(stats(g), waiting, "nothing changed after {want:?}");
    }
    let mut err = null_mut();
    let st = unsafe { auraguard_record_result_fast(g, r.call_id, true, b"[1]".as_ptr(), 3, null(), 0, -1, &mut err) };
    assert_eq!(st, auraguard_status::AURAGUARD_OK);
    assert!(err.is_null());
    assert_ne!(stats(g), waiting);
    unsafe { auraguard_guard_free(g) };
}
