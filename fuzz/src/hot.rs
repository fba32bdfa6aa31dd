//! The hot-path C functions, called as a C program calls them (text as
//! pointer and length, a decision as a struct, a call block per thread),
//! each call checked against its contract:
//!
//! - `auraguard_check_tool_fast`: on success the struct is overwritten whole
//!   and consistent (a `call_id` exactly on `allow`, a NUL-terminated reason
//!   of `reason_len` bytes, details exactly for the rare fields); on failure
//!   it still holds what the caller put there and `error_out` a message;
//! - `auraguard_call_check_bytes` / `auraguard_call_record(_ok)`: on success
//!   `error` is NULL and the summary word agrees with the fields; on failure
//!   `error` holds a message;
//! - `auraguard_check_output_fast`: the decision handle written only on
//!   success;
//! - never `AURAGUARD_ERR_INTERNAL`.
//!
//! Decisions come back as the JSON the JSON API writes, so that a target can
//! compare the three paths.

use std::ffi::{c_char, CStr};
use std::mem::MaybeUninit;
use std::ptr::{self, null, null_mut};

use auraguard::ffi::auraguard_status as Status;
use auraguard::ffi::call::*;
use auraguard::ffi::decision::*;
use auraguard::ffi::fast::*;
use auraguard::ffi::strings::auraguard_string_free;
use serde_json::{json, Value};

use crate::{CGuard, Failure, Outcome};

const CALL_ID: u32 = auraguard_check_flag::AURAGUARD_CHECK_CALL_ID as u32;
const KEY: u32 = auraguard_check_flag::AURAGUARD_CHECK_IDEMPOTENCY_KEY as u32;
const LEASE: u32 = auraguard_check_flag::AURAGUARD_CHECK_LEASE as u32;
const RETRY: u32 = auraguard_check_flag::AURAGUARD_CHECK_RETRY_AFTER as u32;
const DETAILS: u32 = auraguard_check_flag::AURAGUARD_CHECK_DETAILS as u32;
const KEPT: u32 = auraguard_check_flag::AURAGUARD_CHECK_KEPT as u32;

/// Text as a C caller passes it by length: NULL for none.
fn ptr_len(text: Option<&[u8]>) -> (*const u8, usize) {
    text.map_or((null(), 0), |t| (t.as_ptr(), t.len()))
}

/// A library-owned message, taken and freed.
fn message(what: &str, status: Status, err: *mut c_char) -> Failure {
    assert!(!err.is_null(), "{what}: failed ({status:?}) without a message");
    // SAFETY: a string the library handed out, freed once here.
    let text = unsafe { CStr::from_ptr(err) }.to_str().map(str::to_string);
    unsafe { auraguard_string_free(err) };
    let message = text.expect("libauraguard hands out UTF-8 only");
    assert!(status != Status::AURAGUARD_ERR_INTERNAL, "{what}: internal error (a caught panic): {message}");
    assert!(!message.trim().is_empty(), "{what}: failed ({status:?}) with an empty message");
    Failure { status, message }
}

fn action_name(a: auraguard_action) -> &'static str {
    use auraguard_action::*;
    match a {
        AURAGUARD_ACTION_ALLOW => "allow",
        AURAGUARD_ACTION_BLOCK => "block",
        AURAGUARD_ACTION_CACHE => "cache",
        AURAGUARD_ACTION_REWRITE => "rewrite",
        AURAGUARD_ACTION_ESCALATE => "escalate",
        AURAGUARD_ACTION_FINALIZE => "finalize",
    }
}

/// A result's reason, checked to be NUL-terminated at `reason_len`.
fn reason(r: &auraguard_check_result) -> &str {
    // SAFETY: a reason written by a successful check, valid while its owner lives.
    let text = unsafe { CStr::from_ptr(r.reason) }.to_str().expect("a reason is UTF-8");
    assert_eq!(text.len(), r.reason_len, "reason_len is not the reason's length");
    text
}

/// A filled struct as the JSON API's decision; frees its details.
fn decision_of(r: &mut auraguard_check_result) -> Value {
    assert_eq!(
        r.flags & CALL_ID != 0,
        r.action == auraguard_action::AURAGUARD_ACTION_ALLOW,
        "call_id exactly on allow"
    );
    assert_eq!(r.flags & DETAILS != 0, !r.details.is_null(), "the details flag and the handle agree");
    let reason = reason(r).to_string();
    if !r.details.is_null() {
        // SAFETY: a handle the caller owns, freed once here.
        let text = unsafe { CStr::from_ptr(auraguard_decision_json(r.details)) }.to_str().unwrap().to_string();
        unsafe { auraguard_decision_free(std::mem::replace(&mut r.details, null_mut())) };
        let v: Value = serde_json::from_str(&text).expect("a decision's JSON parses");
        assert_eq!(v["reason"], reason.as_str(), "the struct's reason is the details' reason");
        return v;
    }
    let mut v = json!({"action": action_name(r.action), "reason": reason});
    if r.flags & CALL_ID != 0 {
        v["call_id"] = r.call_id.into();
    }
    if r.flags & KEY != 0 {
        // SAFETY: 32 hex digits and a NUL, written by the check.
        let key = unsafe { CStr::from_ptr(r.idempotency_key.as_ptr()) }.to_str().unwrap();
        assert!(key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()), "idempotency key {key:?}");
        v["idempotency_key"] = key.into();
    }
    if r.flags & LEASE != 0 {
        v["lease_ms"] = r.lease_ms.into();
    }
    if r.flags & RETRY != 0 {
        v["retry_after_ms"] = r.retry_after_ms.into();
    }
    v
}

/// `auraguard_check_tool_fast`, its decision as the JSON API writes it.
pub fn check_fast(
    g: &CGuard,
    tool: &[u8],
    args: Option<&[u8]>,
    ticket: Option<&[u8]>,
    side_effect: i32,
) -> Outcome<Value> {
    // A pattern the library never writes: a failure must leave it.
    let mut out = MaybeUninit::<auraguard_check_result>::uninit();
    // SAFETY: any bytes are a valid pattern to compare against; the struct is plain data.
    unsafe { ptr::write_bytes(out.as_mut_ptr().cast::<u8>(), 0xA5, size_of::<auraguard_check_result>()) };
    let before =
        unsafe { std::slice::from_raw_parts(out.as_ptr().cast::<u8>(), size_of::<auraguard_check_result>()) }.to_vec();
    let ((tp, tl), (ap, al), (kp, kl)) = (ptr_len(Some(tool)), ptr_len(args), ptr_len(ticket));
    let mut err = null_mut();
    // SAFETY: a live guard; each text valid for its length; valid out-pointers.
    let status = unsafe {
        auraguard_check_tool_fast(g.as_ptr(), tp, tl, ap, al, kp, kl, side_effect, out.as_mut_ptr(), &mut err)
    };
    if status != Status::AURAGUARD_OK {
        let after =
            unsafe { std::slice::from_raw_parts(out.as_ptr().cast::<u8>(), size_of::<auraguard_check_result>()) };
        assert!(after == before.as_slice(), "check_tool_fast failed ({status:?}) but wrote its output");
        return Err(message("check_tool_fast", status, err));
    }
    assert!(err.is_null(), "check_tool_fast: succeeded but set error_out");
    // SAFETY: overwritten whole on success.
    let mut r = unsafe { out.assume_init() };
    assert_eq!(r.flags & KEPT, 0, "only call blocks keep a result");
    Ok(decision_of(&mut r))
}

/// `auraguard_record_result_fast`.
pub fn record_fast(
    g: &CGuard,
    call_id: u64,
    ok: bool,
    payload: Option<&[u8]>,
    code: Option<&[u8]>,
    executed: i32,
) -> Outcome<()> {
    let ((pp, pl), (cp, cl)) = (ptr_len(payload), ptr_len(code));
    let mut err = null_mut();
    // SAFETY: a live guard; each text valid for its length; a valid out-pointer.
    let status = unsafe { auraguard_record_result_fast(g.as_ptr(), call_id, ok, pp, pl, cp, cl, executed, &mut err) };
    if status != Status::AURAGUARD_OK {
        return Err(message("record_result_fast", status, err));
    }
    assert!(err.is_null(), "record_result_fast: succeeded but set error_out");
    Ok(())
}

/// `auraguard_check_output_fast`: the decision's JSON, or None for "nothing
/// to do".
pub fn check_output_fast(g: &CGuard, text: &[u8]) -> Outcome<Option<Value>> {
    let mut out = ptr::dangling_mut::<auraguard_decision>();
    let mut err = null_mut();
    // SAFETY: a live guard; the text valid for its length; valid out-pointers.
    let status = unsafe { auraguard_check_output_fast(g.as_ptr(), text.as_ptr(), text.len(), &mut out, &mut err) };
    if status != Status::AURAGUARD_OK {
        assert!(out == ptr::dangling_mut(), "check_output_fast failed ({status:?}) but wrote its output");
        return Err(message("check_output_fast", status, err));
    }
    assert!(err.is_null() && out != ptr::dangling_mut(), "check_output_fast: succeeded without its output");
    if out.is_null() {
        return Ok(None);
    }
    // SAFETY: a handle the caller owns, freed once here.
    let text = unsafe { CStr::from_ptr(auraguard_decision_json(out)) }.to_str().unwrap().to_string();
    unsafe { auraguard_decision_free(out) };
    Ok(Some(serde_json::from_str(&text).expect("a decision's JSON parses")))
}

/// A call block on a guard, freed on drop (before the guard: declare it after).
pub struct Block(*mut auraguard_call);

impl Block {
    pub fn new(g: &CGuard) -> Block {
        let mut call = null_mut();
        // SAFETY: a live guard and valid out-pointers.
        let status = unsafe { auraguard_call_new(g.as_ptr(), &mut call, null_mut()) };
        assert_eq!(status, Status::AURAGUARD_OK, "call_new on a live guard");
        Block(call)
    }

    /// The block's message after a failure, taken (the field is left NULL).
    fn failure(&self, what: &str, status: Status) -> Failure {
        // SAFETY: a live block; its error is the caller's after a failure.
        let err = unsafe { std::mem::replace(&mut (*self.0).error, null_mut()) };
        message(what, status, err)
    }

    /// `auraguard_call_check_bytes`, its decision as the JSON API writes it.
    pub fn check(&self, tool: &[u8], args: Option<&[u8]>, ticket: Option<&[u8]>, side_effect: i32) -> Outcome<Value> {
        let ((tp, tl), (ap, al), (kp, kl)) = (ptr_len(Some(tool)), ptr_len(args), ptr_len(ticket));
        // SAFETY: a live block; each text valid for its length.
        let status = unsafe { auraguard_call_check_bytes(self.0, tp, tl, ap, al, kp, kl, side_effect) };
        if status != Status::AURAGUARD_OK {
            return Err(self.failure("call_check_bytes", status));
        }
        // SAFETY: a live block, written by the check.
        let b = unsafe { &mut *self.0 };
        assert!(b.error.is_null(), "call_check_bytes: succeeded but left an error");
        let r = &mut b.result;
        assert_eq!(
            b.summary & 0xffff,
            (r.action as u64 & 0xff) | u64::from(r.flags & 0xff) << 8,
            "summary: action and flags"
        );
        if r.flags & KEPT == 0 {
            return Ok(decision_of(r));
        }
        assert!(r.details.is_null(), "a kept hit comes without details");
        assert_ne!(b.summary >> 16 & 0xffff, 0, "a kept hit's reason is a fixed code");
        let c = &b.cached;
        let text = |p: *const c_char, n: usize| {
            // SAFETY: `n` bytes owned by the block until its next check.
            String::from_utf8(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n) }.to_vec()).expect("UTF-8")
        };
        let payload: Value = serde_json::from_str(&text(c.payload_json, c.payload_len)).expect("a kept payload parses");
        let mut cached = json!({
            "ok": c.ok,
            "payload": payload,
            "error_code": (!c.error_code.is_null()).then(|| text(c.error_code, c.error_code_len)),
            "cached": c.cached,
            "side_effect_executed": c.side_effect_executed,
        });
        if !c.payload_kept {
            cached["payload_kept"] = false.into();
        }
        Ok(json!({"action": "cache", "reason": reason(r), "cached_result": cached}))
    }

    /// `auraguard_call_record_ok` for a plain success, `auraguard_call_record`
    /// otherwise, as the bindings call them; the text NUL-terminated.
    pub fn record(
        &self,
        call_id: u64,
        ok: bool,
        payload: Option<&CStr>,
        code: Option<&CStr>,
        executed: i32,
    ) -> Outcome<()> {
        let (pp, cp) = (payload.map_or(null(), CStr::as_ptr), code.map_or(null(), CStr::as_ptr));
        // SAFETY: a live block and NUL-terminated text.
        let status = unsafe {
            if ok && code.is_none() && executed == -1 {
                auraguard_call_record_ok(self.0, call_id, pp)
            } else {
                auraguard_call_record(self.0, call_id, ok, pp, cp, executed)
            }
        };
        if status != Status::AURAGUARD_OK {
            return Err(self.failure("call_record", status));
        }
        // SAFETY: a live block.
        assert!(unsafe { (*self.0).error.is_null() }, "call_record: succeeded but left an error");
        Ok(())
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        // SAFETY: made by auraguard_call_new, freed once; its guard is still alive.
        unsafe { auraguard_call_free(self.0) };
    }
}
