//! The C surface's contract, exercised from Rust: status codes, error
//! messages, NULL handling, outputs untouched on failure, the panic
//! boundary and re-entrant callbacks.

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::guard::*;
use super::strings::*;
use super::{auraguard_status, auraguard_status::*, boundary, StatusCode};

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

unsafe fn take(s: *mut c_char) -> String {
    assert!(!s.is_null());
    let out = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_string();
    unsafe { auraguard_string_free(s) };
    out
}

fn new_guard(cfg: &str) -> *mut auraguard_guard {
    let mut g = null_mut();
    let mut err = null_mut();
    let st = unsafe { auraguard_guard_new(c(cfg).as_ptr(), &mut g, &mut err) };
    assert_eq!(st, AURAGUARD_OK);
    assert!(err.is_null());
    g
}

fn check(g: *mut auraguard_guard, tool: &str, args: &str) -> (auraguard_status, String) {
    let mut out = null_mut();
    let mut err = null_mut();
    let st = unsafe { auraguard_check_tool(g, c(tool).as_ptr(), c(args).as_ptr(), null(), -1, &mut out, &mut err) };
    if st == AURAGUARD_OK {
        (st, unsafe { take(out) })
    } else {
        assert!(out.is_null(), "output untouched on failure");
        (st, unsafe { take(err) })
    }
}

#[test]
fn config_errors_name_the_key_and_leave_the_output_alone() {
    let mut g = 0x1 as *mut auraguard_guard;
    let mut err = null_mut();
    let st = unsafe { auraguard_guard_new(c(r#"{"secret_key":"k","tool_loop_window":0}"#).as_ptr(), &mut g, &mut err) };
    assert_eq!(st, AURAGUARD_ERR_CONFIG);
    assert_eq!(g as usize, 1, "guard_out untouched");
    assert!(unsafe { take(err) }.contains("tool_loop_window"));
    // error_out may be NULL.
    let st = unsafe { auraguard_guard_new(c("{").as_ptr(), &mut g, null_mut()) };
    assert_eq!(st, AURAGUARD_ERR_CONFIG);
}

#[test]
fn nulls_and_bad_utf8_are_invalid_arguments() {
    let g = new_guard(r#"{"secret_key":"k"}"#);
    let mut out = null_mut();
    let mut err = null_mut();
    let st = unsafe { auraguard_check_tool(null_mut(), c("t").as_ptr(), null(), null(), -1, &mut out, &mut err) };
    assert_eq!(st, AURAGUARD_ERR_INVALID_ARGUMENT);
    assert!(unsafe { take(err) }.contains("`guard`"));
    let st = unsafe { auraguard_check_tool(g, null(), null(), null(), -1, &mut out, &mut err) };
    assert_eq!(st, AURAGUARD_ERR_INVALID_ARGUMENT);
    assert!(unsafe { take(err) }.contains("`tool`"));
    let bad = [0xffu8, 0xfe, 0];
    let st = unsafe { auraguard_check_tool(g, bad.as_ptr().cast(), null(), null(), -1, &mut out, &mut err) };
    assert_eq!(st, AURAGUARD_ERR_INVALID_ARGUMENT);
    assert!(unsafe { take(err) }.contains("UTF-8"));
    let st = unsafe { auraguard_check_tool(g, c("t").as_ptr(), null(), null(), 2, &mut out, &mut err) };
    assert_eq!(st, AURAGUARD_ERR_INVALID_ARGUMENT);
    assert!(unsafe { take(err) }.contains("side_effect"));
    let st = unsafe { auraguard_check_tool(g, c("t").as_ptr(), null(), null(), -1, null_mut(), &mut err) };
    assert_eq!(st, AURAGUARD_ERR_INVALID_ARGUMENT);
    unsafe { auraguard_string_free(err) };
    for args in ["[1]", "{", "\"x\""] {
        let (st, msg) = check(g, "t", args);
        assert_eq!(st, AURAGUARD_ERR_INVALID_ARGUMENT, "{args}");
        assert!(msg.contains("args"), "{msg}");
    }
    let st = unsafe { auraguard_record_result(g, c(r#"{"payload":1}"#).as_ptr(), &mut err) };
    assert_eq!(st, AURAGUARD_ERR_INVALID_ARGUMENT);
    assert!(unsafe { take(err) }.contains("`ok`"));
    let st = unsafe { auraguard_record_tokens(g, 1, 1, -1.0, &mut err) };
    assert_eq!(st, AURAGUARD_ERR_INVALID_ARGUMENT);
    unsafe { auraguard_string_free(err) };
    let st = unsafe { auraguard_record_tokens(g, 1, 1, f64::INFINITY, &mut err) };
    assert_eq!(st, AURAGUARD_ERR_INVALID_ARGUMENT);
    unsafe { auraguard_string_free(err) };
    unsafe { auraguard_guard_free(g) };
    unsafe { auraguard_guard_free(null_mut()) };
    unsafe { auraguard_string_free(null_mut()) };
}

#[test]
fn a_whole_exchange_and_its_stats() {
    let g = new_guard(r#"{"secret_key":"k","side_effect_tools":["refund"]}"#);
    let (st, d) = check(g, "refund", r#"{"order":"A"}"#);
    assert_eq!(st, AURAGUARD_OK);
    let v: serde_json::Value = serde_json::from_str(&d).unwrap();
    assert_eq!(v["action"], "allow");
    assert_eq!(v["idempotency_key"].as_str().unwrap().len(), 32);
    let mut err = null_mut();
    assert_eq!(
        unsafe { auraguard_record_result(g, c(r#"{"ok":true,"payload":{"s":1}}"#).as_ptr(), &mut err) },
        AURAGUARD_OK
    );
    assert!(err.is_null());
    let (_, d) = check(g, "refund", r#"{"order":"A"}"#);
    assert!(d.contains("idempotent_replay"));
    let mut out = null_mut();
    assert_eq!(unsafe { auraguard_stats_json(g, &mut out, &mut err) }, AURAGUARD_OK);
    let stats: serde_json::Value = serde_json::from_str(&unsafe { take(out) }).unwrap();
    assert_eq!(stats["cache_hits"], 1);
    assert_eq!(stats["tool_calls_executed"], 1);
    unsafe { auraguard_guard_free(g) };
}

#[test]
fn check_output_returns_null_when_there_is_nothing_to_do() {
    let g = new_guard(r#"{"secret_key":"k"}"#);
    let mut out = 0x1 as *mut c_char;
    let mut err = null_mut();
    assert_eq!(unsafe { auraguard_check_output(g, c("All done.").as_ptr(), &mut out, &mut err) }, AURAGUARD_OK);
    assert!(out.is_null());
    unsafe { auraguard_guard_free(g) };
}

#[test]
fn a_panic_inside_the_engine_is_an_internal_error_and_poisons_the_guard() {
    let g = new_guard(r#"{"secret_key":"k"}"#);
    let mut err = null_mut();
    // Test-only hook: make the engine panic while it holds the guard's lock.
    let st = boundary(&mut err, || {
        unsafe { &*g }.shared_for_tests().with(|_| -> crate::Result<()> { panic!("injected fault") })
    });
    assert_eq!(st, AURAGUARD_ERR_INTERNAL);
    assert!(unsafe { take(err) }.contains("injected fault"));
    let (st, msg) = check(g, "t", "{}");
    assert_eq!(st, AURAGUARD_ERR_INTERNAL);
    assert!(msg.contains("unusable"), "{msg}");
    unsafe { auraguard_guard_free(g) };
}

static EVENTS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn reentrant(event: *const c_char, user_data: *mut c_void) {
    let json = unsafe { CStr::from_ptr(event) }.to_str().unwrap();
    assert!(json.starts_with("{\"event\":"));
    EVENTS.fetch_add(1, Ordering::SeqCst);
    // Re-enter the same guard from its own callback: no deadlock.
    let g = user_data as *mut auraguard_guard;
    let mut out = null_mut();
    assert_eq!(unsafe { auraguard_stats_json(g, &mut out, null_mut()) }, AURAGUARD_OK);
    unsafe { auraguard_string_free(out) };
}

#[test]
fn callbacks_may_reenter_the_guard() {
    let g = new_guard(r#"{"secret_key":"k"}"#);
    let st = unsafe { auraguard_set_event_callback(g, Some(reentrant), g.cast(), null_mut()) };
    assert_eq!(st, AURAGUARD_OK);
    check(g, "t", "{}");
    assert_eq!(unsafe { auraguard_record_result(g, c(r#"{"ok":true}"#).as_ptr(), null_mut()) }, AURAGUARD_OK);
    assert!(EVENTS.load(Ordering::SeqCst) >= 1, "a cost event was delivered");
    assert_eq!(unsafe { auraguard_set_event_callback(g, None, null_mut(), null_mut()) }, AURAGUARD_OK);
    unsafe { auraguard_guard_free(g) };
}

#[test]
fn status_names_and_version_are_static() {
    let name = |s: i32| unsafe { CStr::from_ptr(auraguard_status_name(StatusCode(s))) }.to_str().unwrap();
    assert_eq!(name(0), "AURAGUARD_OK");
    assert_eq!(name(2), "AURAGUARD_ERR_CONFIG");
    assert_eq!(name(5), "AURAGUARD_ERR_INTERNAL");
    assert_eq!(name(42), "AURAGUARD_UNKNOWN_STATUS");
    assert_eq!(name(-1), "AURAGUARD_UNKNOWN_STATUS");
    assert_eq!(unsafe { CStr::from_ptr(auraguard_version()) }.to_str().unwrap(), crate::VERSION);
}
