//! The hot path of the C surface: a check that fills a small caller-owned
//! struct instead of writing JSON, and a record that takes the result's
//! fields as parameters. Text comes in as pointer and length (no `strlen`,
//! no NUL-terminated copies in the callers' languages).
//!
//! A decision's common fields (action, reason, call id, idempotency key,
//! lease, retry delay) are written into `auraguard_check_result`; the rare
//! ones (cached result, injected text, escalation packet, finalized output,
//! a detector's warning) travel in a `details` handle that exists only when
//! the decision has them, read through the `auraguard_decision_*` accessors.

use std::ffi::{c_char, CStr};

use super::decision::{auraguard_action, auraguard_decision};
use super::guard::{auraguard_guard, shared, side_effect_flag};
use super::{auraguard_status, boundary, non_null};
use crate::decision::Decision;
use crate::error::Error;
use crate::json_scan::ResultFields;
use crate::shared::SharedGuard;

/// Bits of `auraguard_check_result.flags`: which optional fields hold a value.
/// The values never change.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum auraguard_check_flag {
    /// `call_id` is set (an allowed call: report it with its result).
    AURAGUARD_CHECK_CALL_ID = 1,
    /// `idempotency_key` holds 32 hex digits and a NUL (an allowed side effect).
    AURAGUARD_CHECK_IDEMPOTENCY_KEY = 2,
    /// `lease_ms` is set (the side effect's key is reserved for that long).
    AURAGUARD_CHECK_LEASE = 4,
    /// `retry_after_ms` is set (`side_effect_in_flight`).
    AURAGUARD_CHECK_RETRY_AFTER = 8,
    /// `details` is a decision handle with the rare fields.
    AURAGUARD_CHECK_DETAILS = 16,
    /// Only from `auraguard_call_check`: a cache hit whose one rare field is
    /// its cached result, which is in the call block's `cached` (`details`
    /// is NULL).
    AURAGUARD_CHECK_KEPT = 32,
}

/// A decision on a tool call, as plain fields. Filled by
/// `auraguard_check_tool_fast`; the caller owns the struct (a local
/// variable will do) and may reuse it for every call.
///
/// `reason` is NUL-terminated, `reason_len` bytes long. It is static when
/// `details` is NULL; otherwise it belongs to `details`. `details` is NULL
/// unless the decision carries a cached result, injected text, an escalation
/// packet, a finalized output or a reason made for the call; then it is a
/// decision handle owned by the caller, read with `auraguard_decision_json`
/// (the whole decision, as `auraguard_check_tool` writes it) and freed once
/// with `auraguard_decision_free`. Fields whose bit is not in `flags` are 0
/// (`idempotency_key`: all NUL).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct auraguard_check_result {
    /// What to do with the call.
    pub action: auraguard_action,
    /// `auraguard_check_flag` bits: which optional fields are set.
    pub flags: u32,
    /// The allowed call's id, for `auraguard_record_result_fast`.
    pub call_id: u64,
    /// How long the side effect's key is reserved (ms).
    pub lease_ms: u64,
    /// When the holder of the key's lease ends (ms), on `side_effect_in_flight`.
    pub retry_after_ms: u64,
    /// The reason code, e.g. "allow" or "identical_toolcall_loop_cache".
    pub reason: *const c_char,
    /// The reason's length in bytes, without the NUL.
    pub reason_len: usize,
    /// The rare fields, or NULL (see above).
    pub details: *mut auraguard_decision,
    /// The idempotency key of an allowed side effect: 32 hex digits and a NUL.
    pub idempotency_key: [c_char; 33],
}

/// The reason codes that are fixed strings: handed out as static C strings,
/// so that their decisions need no allocation. A reason not listed (one made
/// for the call, as `policy_deny:<why>`) travels in the details handle.
const STATIC_REASONS: &[&CStr] = &[
    c"allow",
    c"identical_toolcall_loop_cache",
    c"identical_toolcall_loop",
    c"idempotent_replay",
    c"shadow_allow",
    c"arg_jitter_loop",
    c"max_calls_per_tool",
    c"cost_budget_exceeded",
    c"side_effect_in_flight",
    c"side_effect_outcome_unknown",
    c"side_effect_limit_exceeded",
    c"ledger_unavailable",
    c"policy_human_approval_required",
    c"no_state_change_loop",
    c"stall_noncompliant_forced_outcome",
    c"stall_fallback_escalate",
];

pub(super) fn static_reason(reason: &str) -> Option<&'static CStr> {
    STATIC_REASONS.iter().copied().find(|r| r.to_bytes() == reason.as_bytes())
}

/// The reason's number among the fixed reason codes, from 1 (0: not one of
/// them). Numbers hold for the library's lifetime, not across versions.
pub(super) fn static_reason_number(reason: &[u8]) -> u32 {
    STATIC_REASONS.iter().position(|r| r.to_bytes() == reason).map_or(0, |i| i as u32 + 1)
}

impl auraguard_check_result {
    pub(super) fn from_decision(d: Decision) -> auraguard_check_result {
        use auraguard_check_flag::*;
        let mut flags = 0u32;
        let mut key = [0 as c_char; 33];
        if let Some(k) = d.idempotency_key() {
            // Always 32 hex digits; anything longer would be cut, never overrun.
            for (slot, b) in key.iter_mut().zip(k.bytes().take(32)) {
                *slot = b as c_char;
            }
            flags |= AURAGUARD_CHECK_IDEMPOTENCY_KEY as u32;
        }
        let mut set = |v: Option<u64>, flag: auraguard_check_flag| {
            flags |= if v.is_some() { flag as u32 } else { 0 };
            v.unwrap_or(0)
        };
        let call_id = set(d.call_id, AURAGUARD_CHECK_CALL_ID);
        let lease_ms = set(d.lease_ms(), AURAGUARD_CHECK_LEASE);
        let retry_after_ms = set(d.retry_after_ms(), AURAGUARD_CHECK_RETRY_AFTER);
        let action = d.action.into();
        let reason_len = d.reason.len();
        let rare = d.cached_result.is_some()
            || d.injected_system.is_some()
            || d.escalation_packet.is_some()
            || d.finalized_output.is_some()
            || d.warning.is_some();
        let fixed = static_reason(&d.reason);
        let (reason, details) = match fixed {
            Some(r) if !rare => (r.as_ptr(), std::ptr::null_mut()),
            _ => {
                flags |= AURAGUARD_CHECK_DETAILS as u32;
                let handle = auraguard_decision::with_reason(d, fixed);
                let reason = fixed.map_or(handle.reason_ptr(), CStr::as_ptr);
                (reason, Box::into_raw(handle))
            }
        };
        auraguard_check_result {
            action,
            flags,
            call_id,
            lease_ms,
            retry_after_ms,
            reason,
            reason_len,
            details,
            idempotency_key: key,
        }
    }
}

/// Text given as pointer and length: NULL with length 0 is absent; NULL with
/// another length, a length past `isize::MAX` or bytes that are not UTF-8
/// are invalid arguments naming the parameter.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes valid for `'a`.
pub(super) unsafe fn arg_bytes<'a>(ptr: *const u8, len: usize, name: &str) -> Result<Option<&'a str>, Error> {
    // SAFETY: guaranteed by the caller.
    let Some(bytes) = (unsafe { arg_raw(ptr, len, name) })? else {
        return Ok(None);
    };
    crate::guard::utf8(bytes, name).map(Some)
}

/// [`arg_bytes`] without the UTF-8 check, for text the guard checks itself
/// (`check_tool_utf8`).
///
/// # Safety
/// As [`arg_bytes`].
pub(super) unsafe fn arg_raw<'a>(ptr: *const u8, len: usize, name: &str) -> Result<Option<&'a [u8]>, Error> {
    if ptr.is_null() {
        if len != 0 {
            return Err(Error::invalid(format!("`{name}` is NULL but its length is {len}")));
        }
        return Ok(None);
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid(format!("`{name}` has an impossible length {len}")));
    }
    // SAFETY: guaranteed by the caller.
    Ok(Some(unsafe { std::slice::from_raw_parts(ptr, len) }))
}

/// A check's tool name, arguments and ticket id, as [`check_text`] reads them.
pub(super) type CheckText<'a> = (&'a str, Option<&'a [u8]>, Option<&'a [u8]>);

/// A check's text as pointer and length, read as the checks by length take
/// it: the tool's name (required, UTF-8), the arguments and the ticket id
/// (absent when NULL; their UTF-8 is the guard's to check).
///
/// # Safety
/// Each pointer is NULL or points to its length in readable bytes, valid
/// for `'a`.
// Inlined: returned through memory, the three parts cost every check about
// 40 instructions (callgrind).
#[inline(always)]
pub(super) unsafe fn check_text<'a>(
    tool: *const u8,
    tool_len: usize,
    args_json: *const u8,
    args_len: usize,
    ticket_id: *const u8,
    ticket_len: usize,
) -> Result<CheckText<'a>, Error> {
    // SAFETY (all three): guaranteed by the caller.
    let tool =
        unsafe { arg_bytes(tool, tool_len, "tool") }?.ok_or_else(|| Error::invalid("`tool` must not be NULL"))?;
    let args = unsafe { arg_raw(args_json, args_len, "args_json") }?;
    let ticket = unsafe { arg_raw(ticket_id, ticket_len, "ticket_id") }?;
    Ok((tool, args, ticket))
}

/// `auraguard_check_tool` with text as pointer and length, filling `*out`
/// instead of writing JSON.
///
/// `tool` (`tool_len` bytes, required) is the tool's name. `args_json`
/// (`args_len` bytes) is a JSON object of its arguments; NULL with length 0
/// means `{}`. `ticket_id` (`ticket_len` bytes) names the ticket; NULL or
/// length 0 means the run itself. None needs a NUL; each is only read during
/// the call. `side_effect` is -1 (from the configuration), 0 or 1.
///
/// On success `*out` is overwritten whole (see `auraguard_check_result`:
/// free `out->details` when it is not NULL). On failure `*out` is untouched
/// and nothing in the guard changed; the status and message are those of
/// `auraguard_check_tool`, and a NULL pointer with a non-zero length or text
/// that is not UTF-8 is `AURAGUARD_ERR_INVALID_ARGUMENT` naming the
/// parameter.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn auraguard_check_tool_fast(
    guard: *mut auraguard_guard,
    tool: *const u8,
    tool_len: usize,
    args_json: *const u8,
    args_len: usize,
    ticket_id: *const u8,
    ticket_len: usize,
    side_effect: i32,
    out: *mut auraguard_check_result,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        non_null!(out, "out");
        // SAFETY (all four): the caller passes a live handle and readable bytes.
        let g = unsafe { shared(guard) }?;
        let (tool, args, ticket) = unsafe { check_text(tool, tool_len, args_json, args_len, ticket_id, ticket_len) }?;
        let decision = g.check_tool_utf8(tool, args, ticket, side_effect_flag(side_effect)?)?;
        // SAFETY: checked non-NULL above; the caller passes a writable struct.
        unsafe { out.write(auraguard_check_result::from_decision(decision)) };
        Ok(())
    })
}

/// `auraguard_record_result` with the result's fields as parameters: no
/// result object is built or parsed.
///
/// `call_id` is the id from the check (0: the most recent waiting call).
/// `ok` says whether the tool succeeded. `payload_json` (`payload_len`
/// bytes) is the payload as JSON text; NULL with length 0 means `null`.
/// `error_code` (`error_code_len` bytes, not JSON) is the failure's code,
/// e.g. "429"; NULL means none. `side_effect_executed` is -1 (the default:
/// executed when the side effect succeeded), 0 or 1. The text is only read
/// during the call. A result the caller served from a cache of its own
/// (`"cached": true`) is rare and goes through `auraguard_record_result`.
///
/// The booking is that of `auraguard_record_result` with these fields,
/// except that `max_json_bytes` applies to the payload alone. Fails with
/// `AURAGUARD_ERR_INVALID_ARGUMENT` for a payload that is not JSON, text
/// that is not UTF-8, a NULL pointer with a non-zero length, an out-of-range
/// flag or a `call_id` that awaits no result, and in strict mode with
/// `AURAGUARD_ERR_MISUSE` when no call awaits a result; nothing changes then.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn auraguard_record_result_fast(
    guard: *mut auraguard_guard,
    call_id: u64,
    ok: bool,
    payload_json: *const u8,
    payload_len: usize,
    error_code: *const u8,
    error_code_len: usize,
    side_effect_executed: i32,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        // SAFETY (all three): the caller passes a live handle and readable bytes.
        let g = unsafe { shared(guard) }?;
        let payload = unsafe { arg_bytes(payload_json, payload_len, "payload_json") }?;
        let code = unsafe { arg_bytes(error_code, error_code_len, "error_code") }?;
        record_fields(g, call_id, ok, payload, code, side_effect_executed)
    })
}

/// The booking of `auraguard_record_result_fast`, its text already read.
pub(super) fn record_fields(
    g: &SharedGuard,
    call_id: u64,
    ok: bool,
    payload: Option<&str>,
    code: Option<&str>,
    side_effect_executed: i32,
) -> Result<(), Error> {
    let executed = side_effect_flag(side_effect_executed).map_err(|_| {
        Error::invalid(format!("`side_effect_executed` must be -1, 0 or 1, got {side_effect_executed}"))
    })?;
    let fields = ResultFields {
        ok,
        error_code: code.map(str::to_string),
        side_effect_executed: executed,
        call_id: (call_id != 0).then_some(call_id),
        cached: false,
    };
    g.with(|g| g.record_result_fields(fields, payload))
}

/// `auraguard_check_output_decision` with the text as pointer and length
/// (`text_len` bytes, no NUL needed; NULL only with length 0, read as "").
///
/// On success `*decision_out` receives a new decision owned by the caller
/// (free it with `auraguard_decision_free`), or NULL when there is nothing
/// to do; on failure it is untouched and nothing changed. The text is only
/// read during the call; it is never stored.
#[no_mangle]
pub unsafe extern "C" fn auraguard_check_output_fast(
    guard: *mut auraguard_guard,
    text: *const u8,
    text_len: usize,
    decision_out: *mut *mut auraguard_decision,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        non_null!(decision_out, "decision_out");
        // SAFETY (both): the caller passes a live handle and readable bytes.
        let g = unsafe { shared(guard) }?;
        let text = unsafe { arg_bytes(text, text_len, "text") }?.unwrap_or("");
        let handle = g.check_output(text)?.map_or(std::ptr::null_mut(), |d| Box::into_raw(auraguard_decision::new(d)));
        // SAFETY: checked non-NULL above.
        unsafe { *decision_out = handle };
        Ok(())
    })
}

#[cfg(test)]
mod tests;
