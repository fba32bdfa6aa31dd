//! Call blocks decide as the fast path does, keep a plain cache hit without
//! a handle and recognise a repeat of the result they keep, and report
//! failures in the block.

use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

use super::*;
use crate::ffi::decision::{auraguard_action, auraguard_decision_free};
use crate::ffi::fast::auraguard_check_tool_fast;
use crate::ffi::guard::{auraguard_guard_free, auraguard_guard_new};
use crate::ffi::strings::auraguard_string_free;

const CONFIG: &str = r#"{"secret_key":"k","repeat_toolcall_threshold":2,"side_effect_tools":["refund"],
  "tool_policies":{"delete_all":{"access":"deny"}}}"#;

fn guard() -> *mut auraguard_guard {
    let cfg = CString::new(CONFIG).unwrap();
    let mut g = null_mut();
    assert_eq!(unsafe { auraguard_guard_new(cfg.as_ptr(), &mut g, null_mut()) }, auraguard_status::AURAGUARD_OK);
    g
}

fn block(g: *mut auraguard_guard) -> *mut auraguard_call {
    let mut call = null_mut();
    assert_eq!(unsafe { auraguard_call_new(g, &mut call, null_mut()) }, auraguard_status::AURAGUARD_OK);
    call
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn check(call: *mut auraguard_call, tool: &str, args: &str) -> auraguard_status {
    unsafe { auraguard_call_check(call, c(tool).as_ptr(), c(args).as_ptr(), c("T-1").as_ptr(), -1) }
}

fn record(call: *mut auraguard_call, id: u64, payload: &str) {
    let st = unsafe { auraguard_call_record(call, id, true, c(payload).as_ptr(), null(), -1) };
    assert_eq!(st, auraguard_status::AURAGUARD_OK);
}

fn reason(r: &auraguard_check_result) -> &str {
    let text = unsafe { CStr::from_ptr(r.reason) }.to_str().unwrap();
    assert_eq!(text.len(), r.reason_len);
    text
}

fn payload(call: &auraguard_call) -> &str {
    let c = &call.cached;
    unsafe { std::str::from_utf8(std::slice::from_raw_parts(c.payload_json.cast::<u8>(), c.payload_len)) }.unwrap()
}

#[test]
fn an_allow_fills_the_summary_and_records_through_the_block() {
    let g = guard();
    let call = block(g);
    assert_eq!(check(call, "get_order", r#"{"order_id":"A-1"}"#), auraguard_status::AURAGUARD_OK);
    let b = unsafe { &*call };
    assert!(b.error.is_null());
    assert_eq!(b.result.action, auraguard_action::AURAGUARD_ACTION_ALLOW);
    assert_eq!(b.result.flags, auraguard_check_flag::AURAGUARD_CHECK_CALL_ID as u32);
    assert_eq!(reason(&b.result), "allow");
    assert_eq!(b.summary & 0xff, 0);
    assert_eq!(b.summary >> 8 & 0xff, u64::from(b.result.flags));
    assert_eq!(b.summary >> 16 & 0xffff, u64::from(static_reason_number(b"allow")));
    assert_ne!(static_reason_number(b"allow"), 0);
    record(call, b.result.call_id, r#"{"n":1}"#);
    // A side effect: its key and lease come as with the fast path.
    assert_eq!(check(call, "refund", r#"{"order_id":"A-1"}"#), auraguard_status::AURAGUARD_OK);
    let b = unsafe { &*call };
    assert_ne!(b.result.flags & auraguard_check_flag::AURAGUARD_CHECK_IDEMPOTENCY_KEY as u32, 0);
    assert_eq!(b.summary >> 8 & 0xff, u64::from(b.result.flags));
    unsafe { auraguard_call_free(call) };
    unsafe { auraguard_guard_free(g) };
}

#[test]
fn a_plain_cache_hit_is_kept_and_its_repeat_recognised() {
    let g = guard();
    let call = block(g);
    for _ in 0..2 {
        assert_eq!(check(call, "get_order", r#"{"order_id":"A-1"}"#), auraguard_status::AURAGUARD_OK);
        let id = unsafe { (*call).result.call_id };
        record(call, id, r#"{ "n" : 1 }"#);
    }
    assert_eq!(check(call, "get_order", r#"{"order_id":"A-1"}"#), auraguard_status::AURAGUARD_OK);
    let first = unsafe { &*call }.summary;
    {
        let b = unsafe { &*call };
        assert_eq!(b.result.action, auraguard_action::AURAGUARD_ACTION_CACHE);
        assert_eq!(b.result.flags, auraguard_check_flag::AURAGUARD_CHECK_KEPT as u32);
        assert!(b.result.details.is_null());
        assert_eq!(reason(&b.result), "identical_toolcall_loop_cache");
        assert_eq!(payload(b), r#"{"n":1}"#);
        assert!(b.cached.ok && b.cached.cached && b.cached.payload_kept && b.cached.error_code.is_null());
    }
    let text_at = unsafe { &*call }.cached.payload_json;
    for _ in 0..3 {
        assert_eq!(check(call, "get_order", r#"{"order_id":"A-1"}"#), auraguard_status::AURAGUARD_OK);
        let b = unsafe { &*call };
        assert_eq!(b.summary, first, "the same stored result: the same summary");
        assert_eq!(b.cached.payload_json, text_at);
    }
    // Another stored result: kept in place of the first, a new summary.
    for _ in 0..2 {
        assert_eq!(check(call, "get_order", r#"{"order_id":"B-2"}"#), auraguard_status::AURAGUARD_OK);
        let id = unsafe { (*call).result.call_id };
        record(call, id, r#"[2]"#);
    }
    assert_eq!(check(call, "get_order", r#"{"order_id":"B-2"}"#), auraguard_status::AURAGUARD_OK);
    let b = unsafe { &*call };
    assert_eq!(b.result.action, auraguard_action::AURAGUARD_ACTION_CACHE);
    assert_ne!(b.summary, first);
    assert_eq!(b.summary & 0xffff_ffff, first & 0xffff_ffff);
    assert_eq!(payload(b), "[2]");
    // The guard may go first; the block frees what it keeps.
    unsafe { auraguard_guard_free(g) };
    unsafe { auraguard_call_free(call) };
}

#[test]
fn decisions_with_rare_fields_come_with_details_as_from_the_fast_path() {
    let g = guard();
    let twin = guard();
    let call = block(g);
    assert_eq!(check(call, "delete_all", "{}"), auraguard_status::AURAGUARD_OK);
    let mut fast = std::mem::MaybeUninit::<auraguard_check_result>::zeroed();
    let tool = "delete_all";
    let st = unsafe {
        auraguard_check_tool_fast(
            twin,
            tool.as_ptr(),
            tool.len(),
            null(),
            0,
            null(),
            0,
            -1,
            fast.as_mut_ptr(),
            null_mut(),
        )
    };
    assert_eq!(st, auraguard_status::AURAGUARD_OK);
    let fast = unsafe { fast.assume_init() };
    let b = unsafe { &*call };
    assert_eq!((b.result.action, b.result.flags), (fast.action, fast.flags));
    assert_eq!(reason(&b.result), reason(&fast));
    assert_eq!(b.summary >> 16 & 0xffff, u64::from(static_reason_number(reason(&fast).as_bytes())));
    unsafe { auraguard_decision_free(b.result.details) };
    unsafe { auraguard_decision_free(fast.details) };
    unsafe { auraguard_call_free(call) };
    unsafe { auraguard_guard_free(g) };
    unsafe { auraguard_guard_free(twin) };
}

#[test]
fn failures_write_the_message_into_the_block_and_nothing_else() {
    let g = guard();
    let call = block(g);
    assert_eq!(check(call, "get_order", "{}"), auraguard_status::AURAGUARD_OK);
    let before = unsafe { (*call).summary };
    assert_eq!(check(call, "get_order", "[1]"), auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT);
    let b = unsafe { &mut *call };
    assert_eq!(b.summary, before);
    assert!(!b.error.is_null());
    let message = unsafe { CStr::from_ptr(b.error) }.to_str().unwrap().to_string();
    unsafe { auraguard_string_free(b.error) };
    assert!(!message.is_empty());
    let bad = [0xffu8, 0];
    let st = unsafe { auraguard_call_check(call, bad.as_ptr().cast::<c_char>(), null(), null(), -1) };
    assert_eq!(st, auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT);
    let b = unsafe { &mut *call };
    assert!(unsafe { CStr::from_ptr(b.error) }.to_str().unwrap().contains("tool"));
    unsafe { auraguard_string_free(b.error) };
    let st = unsafe { auraguard_call_record(call, 424_242, true, null(), null(), -1) };
    assert_eq!(st, auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT);
    unsafe { auraguard_string_free((*call).error) };
    let st = unsafe { auraguard_call_record(call, 0, true, null(), null(), 7) };
    assert_eq!(st, auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT);
    unsafe { auraguard_string_free((*call).error) };
    assert_eq!(check(call, "get_order", "{}"), auraguard_status::AURAGUARD_OK);
    assert!(unsafe { (*call).error }.is_null());
    // NULL everywhere a block or guard is required.
    assert_eq!(
        unsafe { auraguard_call_check(null_mut(), null(), null(), null(), -1) },
        auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT
    );
    assert_eq!(
        unsafe { auraguard_call_record(null_mut(), 0, true, null(), null(), -1) },
        auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT
    );
    let mut out = null_mut();
    assert_eq!(
        unsafe { auraguard_call_new(null_mut(), &mut out, null_mut()) },
        auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT
    );
    assert!(out.is_null());
    unsafe { auraguard_call_free(null_mut()) };
    unsafe { auraguard_call_free(call) };
    unsafe { auraguard_guard_free(g) };
}

/// The guard's report as JSON (stats, side effects, interventions, cost
/// events), its run's id left out (each guard has its own).
fn report(g: *mut auraguard_guard) -> serde_json::Value {
    let mut out = null_mut();
    let st = unsafe { crate::ffi::guard::auraguard_report_json(g, &mut out, null_mut()) };
    assert_eq!(st, auraguard_status::AURAGUARD_OK);
    let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_string();
    unsafe { auraguard_string_free(out) };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let run_id = v["stats"]["run_id"].as_str().unwrap().to_string();
    serde_json::from_str(&text.replace(&run_id, "RUN")).unwrap()
}

#[test]
fn record_ok_books_what_a_full_record_of_a_success_books() {
    // The same calls on two guards, one recording with all six parameters,
    // the other with record_ok: the same report after every step, the same
    // replay, the same refusals.
    let (full, short) = (guard(), guard());
    let (fb, sb) = (block(full), block(short));
    let record_full = |id, payload: Option<&str>| {
        let text = payload.map(c);
        let ptr = text.as_ref().map_or(null(), |t| t.as_ptr());
        unsafe { auraguard_call_record(fb, id, true, ptr, null(), -1) }
    };
    let record_short = |id, payload: Option<&str>| {
        let text = payload.map(c);
        let ptr = text.as_ref().map_or(null(), |t| t.as_ptr());
        unsafe { auraguard_call_record_ok(sb, id, ptr) }
    };
    let steps: [(&str, &str, Option<&str>); 6] = [
        ("get_order", r#"{"order_id":"A-1"}"#, Some(r#"{ "n" : 1 }"#)),
        ("refund", r#"{"order_id":"A-1"}"#, Some(r#"{"refund_id":"R-1"}"#)),
        ("get_order", r#"{"order_id":"A-2"}"#, None),
        ("search", r#"{"q":"x"}"#, Some("[")),
        ("get_order", r#"{"order_id":"A-1"}"#, Some("{}")),
        // Replayed when the first refund counts as executed, as it does by default.
        ("refund", r#"{"order_id":"A-1"}"#, Some(r#"{"refund_id":"R-2"}"#)),
    ];
    for (tool, args, payload) in steps {
        assert_eq!(check(fb, tool, args), auraguard_status::AURAGUARD_OK);
        assert_eq!(check(sb, tool, args), auraguard_status::AURAGUARD_OK);
        let (f, s) = unsafe { (&*fb, &*sb) };
        assert_eq!((f.result.action, f.result.call_id), (s.result.action, s.result.call_id), "{tool} {args}");
        if f.result.action != auraguard_action::AURAGUARD_ACTION_ALLOW {
            continue;
        }
        let (a, b) = (record_full(f.result.call_id, payload), record_short(s.result.call_id, payload));
        assert_eq!(a, b, "{payload:?}");
        if a != auraguard_status::AURAGUARD_OK {
            let message = |block: *mut auraguard_call| {
                let text = unsafe { CStr::from_ptr((*block).error) }.to_str().unwrap().to_string();
                unsafe { auraguard_string_free((*block).error) };
                text
            };
            assert_eq!(message(fb), message(sb));
        }
        assert_eq!(report(full), report(short), "after {tool} {args}");
    }
    // The repeat of the first read is served the first payload, canonical.
    assert_eq!(check(sb, "get_order", r#"{"order_id":"A-1"}"#), auraguard_status::AURAGUARD_OK);
    assert_eq!(unsafe { (*sb).result.action }, auraguard_action::AURAGUARD_ACTION_CACHE);
    assert_eq!(payload(unsafe { &*sb }), r#"{"n":1}"#);
    // An id that awaits nothing, and no block.
    assert_eq!(record_short(424_242, None), auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT);
    assert!(!unsafe { (*sb).error }.is_null());
    unsafe { auraguard_string_free((*sb).error) };
    assert_eq!(
        unsafe { auraguard_call_record_ok(null_mut(), 0, null()) },
        auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT
    );
    for (b, g) in [(fb, full), (sb, short)] {
        unsafe { auraguard_call_free(b) };
        unsafe { auraguard_guard_free(g) };
    }
}

fn check_bytes(call: *mut auraguard_call, tool: &str, args: Option<&str>, ticket: Option<&str>) -> auraguard_status {
    let (ap, al) = args.map_or((null(), 0), |a| (a.as_ptr(), a.len()));
    let (tp, tl) = ticket.map_or((null(), 0), |t| (t.as_ptr(), t.len()));
    unsafe { auraguard_call_check_bytes(call, tool.as_ptr(), tool.len(), ap, al, tp, tl, -1) }
}

/// What a check wrote into a block, as comparable values.
#[derive(Debug, PartialEq)]
struct Written {
    summary: u64,
    action: auraguard_action,
    flags: u32,
    call_id: u64,
    reason: String,
    idempotency_key: String,
    /// A kept cache hit's payload and `ok`.
    kept: Option<(String, bool)>,
}

fn written(call: *mut auraguard_call) -> Written {
    let b = unsafe { &*call };
    let r = &b.result;
    Written {
        summary: b.summary,
        action: r.action,
        flags: r.flags,
        call_id: r.call_id,
        reason: reason(r).to_string(),
        idempotency_key: unsafe { CStr::from_ptr(r.idempotency_key.as_ptr()) }.to_str().unwrap().to_string(),
        kept: (r.flags & auraguard_check_flag::AURAGUARD_CHECK_KEPT as u32 != 0)
            .then(|| (payload(b).to_string(), b.cached.ok)),
    }
}

#[test]
fn a_check_by_length_writes_what_a_check_by_nul_writes() {
    // The same steps on two guards, one checked through NUL-terminated text
    // and the other through pointer and length: the same block contents
    // after every check (a plain allow, a side effect's key, a kept cache
    // hit and its repeat, a policy refusal with details), the same report.
    let (by_nul, by_len) = (guard(), guard());
    let (nb, lb) = (block(by_nul), block(by_len));
    let steps = [
        ("get_order", r#"{"order_id":"A-1"}"#),
        ("get_order", r#"{"order_id":"A-1"}"#),
        ("get_order", r#"{"order_id":"A-1"}"#),
        ("get_order", r#"{"order_id":"A-1"}"#),
        ("refund", r#"{"order_id":"A-1"}"#),
        ("delete_all", "{}"),
        ("get_order", r#"{ "order_id" : "A-2" }"#),
    ];
    for (tool, args) in steps {
        assert_eq!(check(nb, tool, args), auraguard_status::AURAGUARD_OK);
        assert_eq!(check_bytes(lb, tool, Some(args), Some("T-1")), auraguard_status::AURAGUARD_OK);
        assert_eq!(written(nb), written(lb), "{tool} {args}");
        for b in [nb, lb] {
            let r = unsafe { &mut (*b).result };
            if r.action == auraguard_action::AURAGUARD_ACTION_ALLOW {
                record(b, r.call_id, r#"{"n":1}"#);
            }
            unsafe { auraguard_decision_free(r.details) };
            r.details = null_mut();
        }
        assert_eq!(report(by_nul), report(by_len), "after {tool} {args}");
    }
    // No arguments and no ticket: `{}` and the run itself, as by NUL.
    assert_eq!(
        unsafe { auraguard_call_check(nb, c("ping").as_ptr(), null(), null(), -1) },
        auraguard_status::AURAGUARD_OK
    );
    assert_eq!(check_bytes(lb, "ping", None, None), auraguard_status::AURAGUARD_OK);
    assert_eq!(written(nb).action, written(lb).action);
    // Text is read by its length: what follows it is not read.
    let padded = r#"{"order_id":"A-9"}garbage"#;
    let st = unsafe { auraguard_call_check_bytes(lb, "get_order".as_ptr(), 9, padded.as_ptr(), 18, null(), 0, -1) };
    assert_eq!(st, auraguard_status::AURAGUARD_OK);
    assert_eq!(unsafe { (*lb).result.action }, auraguard_action::AURAGUARD_ACTION_ALLOW);
    // Refusals name the parameter and change nothing.
    let before = report(by_len);
    let summary = unsafe { (*lb).summary };
    let refused = |st: auraguard_status, name: &str| {
        assert_eq!(st, auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT, "{name}");
        let message = unsafe { CStr::from_ptr((*lb).error) }.to_str().unwrap().to_string();
        unsafe { auraguard_string_free((*lb).error) };
        assert!(message.contains(name), "{message} names {name}");
    };
    refused(unsafe { auraguard_call_check_bytes(lb, null(), 3, null(), 0, null(), 0, -1) }, "tool");
    refused(unsafe { auraguard_call_check_bytes(lb, null(), 0, null(), 0, null(), 0, -1) }, "tool");
    refused(unsafe { auraguard_call_check_bytes(lb, "t".as_ptr(), 1, null(), 5, null(), 0, -1) }, "args_json");
    refused(unsafe { auraguard_call_check_bytes(lb, "t".as_ptr(), 1, null(), 0, null(), 2, -1) }, "ticket_id");
    let bad = [0xffu8];
    refused(unsafe { auraguard_call_check_bytes(lb, bad.as_ptr(), 1, null(), 0, null(), 0, -1) }, "tool");
    refused(unsafe { auraguard_call_check_bytes(lb, "t".as_ptr(), 1, bad.as_ptr(), 1, null(), 0, -1) }, "args");
    refused(unsafe { auraguard_call_check_bytes(lb, "t".as_ptr(), 1, null(), 0, null(), 0, 5) }, "side_effect");
    assert_eq!(unsafe { (*lb).summary }, summary);
    assert_eq!(report(by_len), before);
    assert_eq!(
        unsafe { auraguard_call_check_bytes(null_mut(), null(), 0, null(), 0, null(), 0, -1) },
        auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT
    );
    for (b, g) in [(nb, by_nul), (lb, by_len)] {
        unsafe { auraguard_call_free(b) };
        unsafe { auraguard_guard_free(g) };
    }
}
