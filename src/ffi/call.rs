//! Call blocks: the hot path for callers to whom every parameter and every
//! crossing into the library is expensive (interpreted languages, where a
//! foreign call costs some hundreds of instructions plus about 300 per
//! parameter, and each field read or each handle freed is a call of its own).
//!
//! An `auraguard_call` holds the guard a call is made on, the decision it
//! wrote and its error message, so that a check takes five parameters and a
//! record six; text is NUL-terminated. A cache hit whose one rare field is
//! its cached result needs no handle: the block keeps the decision and hands
//! its cached result out in place, and a hit on the result it already keeps
//! is recognised (the same stored payload, not merely an equal one), so that
//! the caller can reuse what it made of the previous one.

use std::ffi::c_char;
use std::ptr::{addr_of_mut, null_mut};

use super::decision::{auraguard_cached_result, auraguard_decision};
use super::fast::{auraguard_check_flag, auraguard_check_result, check_text, record_fields, static_reason_number};
use super::guard::{auraguard_guard, shared, side_effect_flag};
use super::{arg_opt_bytes, arg_opt_str, arg_str, auraguard_status, boundary, non_null};
use crate::decision::{CachedResult, Decision};
use crate::error::Error;

/// The memory of one call at a time on a guard. Made by `auraguard_call_new`
/// for a guard, freed by `auraguard_call_free`. A block serves one call at a
/// time (calls on the same guard from several threads need a block each);
/// the guard must outlive every call made through it, not the block.
///
/// Every field is written by the library; the caller reads them after a
/// call, and writes none. Unlike the other functions, the `auraguard_call_*`
/// calls have no `error_out` parameter: `error` is theirs.
#[repr(C)]
#[derive(Debug)]
pub struct auraguard_call {
    /// The guard the block's calls are made on.
    pub guard: *mut auraguard_guard,
    /// Written by a successful check, the common fields in one word:
    /// `result.action | result.flags << 8 | reason number << 16 | kept << 32`.
    /// The reason number is 1 and up for the fixed reason codes (the same
    /// code has the same number for as long as the library is loaded; its
    /// text is at `result.reason`) and 0 for a reason made for the call.
    /// `kept` (32 bits) changes whenever the block keeps a new cached
    /// result, so that a caller may key what it made of `cached` by this
    /// word.
    pub summary: u64,
    /// Written by a successful check: the decision as
    /// `auraguard_check_tool_fast` writes it, except for a cache hit whose
    /// one rare field is its cached result and whose reason is a fixed code:
    /// then `flags` is `AURAGUARD_CHECK_KEPT`, `details` is NULL and the
    /// cached result is in `cached`. A non-NULL `details` is the caller's,
    /// as with `auraguard_check_tool_fast`.
    pub result: auraguard_check_result,
    /// Written by a check that sets `AURAGUARD_CHECK_KEPT`: the cached
    /// result, its strings owned by the block (valid until the block's next
    /// check or `auraguard_call_free`).
    pub cached: auraguard_cached_result,
    /// NULL after a successful call; after a failed one, its message, owned
    /// by the caller (release it with `auraguard_string_free`; the next call
    /// overwrites the field without releasing it).
    pub error: *mut c_char,
    /// The decision whose cached result is in `cached` (library-owned).
    pub(crate) kept: *mut auraguard_decision,
    /// How many decisions the block has kept.
    pub(crate) kept_count: u64,
}

impl auraguard_call {
    fn summary(&self) -> u64 {
        let r = &self.result;
        // SAFETY: `reason` is a NUL-terminated string of `reason_len` bytes
        // (static, or owned by `details`), written by this check.
        let reason = unsafe { std::slice::from_raw_parts(r.reason.cast::<u8>(), r.reason_len) };
        let number = static_reason_number(reason);
        (r.action as u64 & 0xff) | (u64::from(r.flags) & 0xff) << 8 | u64::from(number) << 16 | self.kept_count << 32
    }

    /// Keeps a plain cache hit: the decision already kept when its cached
    /// result is the same (its payload the very same stored text), else this
    /// one. Fills `result` and `cached`.
    fn keep(&mut self, d: Decision) {
        // SAFETY: `kept` is NULL or a decision this block made and owns.
        let same = unsafe { self.kept.as_ref() }.is_some_and(|k| same_hit(k.decision(), &d));
        if !same {
            if !self.kept.is_null() {
                // SAFETY: made by Box::into_raw below, freed only here and in auraguard_call_free.
                drop(unsafe { Box::from_raw(self.kept) });
            }
            self.kept = Box::into_raw(auraguard_decision::new(d));
            self.kept_count = (self.kept_count + 1) & 0xffff_ffff;
        }
        // SAFETY: set above, owned by the block.
        let kept = unsafe { &*self.kept };
        let fields = kept.cached_fields().expect("a kept decision has a cached result");
        self.result = auraguard_check_result {
            action: super::decision::auraguard_action::AURAGUARD_ACTION_CACHE,
            flags: auraguard_check_flag::AURAGUARD_CHECK_KEPT as u32,
            call_id: 0,
            lease_ms: 0,
            retry_after_ms: 0,
            reason: kept.reason_ptr(),
            reason_len: kept.decision().reason.len(),
            details: null_mut(),
            idempotency_key: [0; 33],
        };
        self.cached = fields;
    }
}

/// A cache hit with nothing but its cached result and a fixed reason.
fn plain_hit(d: &Decision) -> bool {
    d.is_plain_cache() && d.warning.is_none() && static_reason_number(d.reason.as_bytes()) != 0
}

/// Two plain cache hits alike in every field, their payloads one stored text
/// (both decisions hold it, so equal addresses are the same text).
fn same_hit(kept: &Decision, d: &Decision) -> bool {
    let same_result = |a: &CachedResult, b: &CachedResult| {
        let (pa, pb) = (a.payload.json(), b.payload.json());
        pa.as_ptr() == pb.as_ptr()
            && pa.len() == pb.len()
            && a.ok == b.ok
            && a.cached == b.cached
            && a.side_effect_executed == b.side_effect_executed
            && a.payload_kept == b.payload_kept
            && a.error_code == b.error_code
    };
    kept.reason == d.reason
        && match (&kept.cached_result, &d.cached_result) {
            (Some(a), Some(b)) => same_result(a, b),
            _ => false,
        }
}

/// A call block for `guard`.
///
/// On success `*call_out` receives a new block, owned by the caller, to be
/// freed with `auraguard_call_free`; on failure it is untouched. The block
/// does not own the guard.
#[no_mangle]
pub unsafe extern "C" fn auraguard_call_new(
    guard: *mut auraguard_guard,
    call_out: *mut *mut auraguard_call,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        non_null!(guard, "guard");
        non_null!(call_out, "call_out");
        let block = Box::new(auraguard_call {
            guard,
            summary: 0,
            result: auraguard_check_result {
                action: super::decision::auraguard_action::AURAGUARD_ACTION_BLOCK,
                flags: 0,
                call_id: 0,
                lease_ms: 0,
                retry_after_ms: 0,
                reason: c"".as_ptr(),
                reason_len: 0,
                details: null_mut(),
                idempotency_key: [0; 33],
            },
            cached: auraguard_cached_result {
                payload_json: c"null".as_ptr(),
                payload_len: 4,
                error_code: std::ptr::null(),
                error_code_len: 0,
                ok: false,
                cached: false,
                side_effect_executed: false,
                payload_kept: false,
            },
            error: null_mut(),
            kept: null_mut(),
            kept_count: 0,
        });
        // SAFETY: checked non-NULL above.
        unsafe { *call_out = Box::into_raw(block) };
        Ok(())
    })
}

/// Free a call block and the decision it keeps (not the guard, nor a
/// message left in `error`, nor a `details` handle). NULL is a no-op. Call
/// it once, when no call is using the block; the guard may be gone.
#[no_mangle]
pub unsafe extern "C" fn auraguard_call_free(call: *mut auraguard_call) {
    if call.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: the caller passes a block from auraguard_call_new, once.
        let block = unsafe { Box::from_raw(call) };
        if !block.kept.is_null() {
            // SAFETY: the block owns its kept decision.
            drop(unsafe { Box::from_raw(block.kept) });
        }
    });
}

/// `auraguard_check_tool_fast` through a call block, the text NUL-terminated:
/// `tool` is required; `args_json` NULL means `{}`; `ticket_id` NULL or ""
/// means the run itself; `side_effect` is -1 (from the configuration), 0 or
/// 1. The text is only read during the call.
///
/// On success writes `summary` and `result` (and `cached` for
/// `AURAGUARD_CHECK_KEPT`; see `auraguard_call`), and sets `error` to NULL.
/// On failure writes only `error`; the status, the message and the guard
/// (unchanged) are those of `auraguard_check_tool_fast`. A NULL `call` is
/// `AURAGUARD_ERR_INVALID_ARGUMENT` with no message.
#[no_mangle]
pub unsafe extern "C" fn auraguard_call_check(
    call: *mut auraguard_call,
    tool: *const c_char,
    args_json: *const c_char,
    ticket_id: *const c_char,
    side_effect: i32,
) -> auraguard_status {
    // SAFETY: the caller's promises, as documented above.
    unsafe {
        check_through(call, |block| {
            let g = shared(block.guard)?;
            let tool = arg_str(tool, "tool")?;
            let (args, ticket) = (arg_opt_bytes(args_json), arg_opt_bytes(ticket_id));
            g.check_tool_utf8(tool, args, ticket, side_effect_flag(side_effect)?)
        })
    }
}

/// `auraguard_call_check` with text as pointer and length, as
/// `auraguard_check_tool_fast` takes it, for callers whose strings carry
/// their length and no NUL (Go, C#): a cache hit then costs one crossing
/// into the library instead of three (check, cached result, free). `tool`
/// (`tool_len` bytes) is required; `args_json` (`args_len` bytes) NULL with
/// length 0 means `{}`; `ticket_id` (`ticket_len` bytes) NULL or length 0
/// means the run itself; `side_effect` is -1 (from the configuration), 0 or
/// 1. The text is only read during the call.
///
/// What it writes, and its failures, are those of `auraguard_call_check`; a
/// NULL pointer with a non-zero length is `AURAGUARD_ERR_INVALID_ARGUMENT`
/// naming the parameter, as with `auraguard_check_tool_fast`.
#[no_mangle]
pub unsafe extern "C" fn auraguard_call_check_bytes(
    call: *mut auraguard_call,
    tool: *const u8,
    tool_len: usize,
    args_json: *const u8,
    args_len: usize,
    ticket_id: *const u8,
    ticket_len: usize,
    side_effect: i32,
) -> auraguard_status {
    // SAFETY: the caller's promises, as documented above.
    unsafe {
        check_through(call, |block| {
            let g = shared(block.guard)?;
            let (tool, args, ticket) = check_text(tool, tool_len, args_json, args_len, ticket_id, ticket_len)?;
            g.check_tool_utf8(tool, args, ticket, side_effect_flag(side_effect)?)
        })
    }
}

/// A check through `call`: `decide` reads the caller's text and asks the
/// block's guard; its decision is written into the block (kept, for a plain
/// cache hit) and its failure into `error`.
///
/// # Safety
/// `call` is NULL or a live block serving this call alone, whose guard is
/// live; `decide` reads only what its caller's documentation promises.
unsafe fn check_through(
    call: *mut auraguard_call,
    decide: impl FnOnce(&auraguard_call) -> Result<Decision, Error>,
) -> auraguard_status {
    if call.is_null() {
        return auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT;
    }
    // SAFETY: `call` is a live block (the caller's promise); the closure
    // below never touches `error`, which boundary writes after it returns.
    let error_out = unsafe { addr_of_mut!((*call).error) };
    boundary(error_out, || {
        // SAFETY: as above; the block serves this call alone.
        let block = unsafe { &mut *call };
        let decision = decide(block)?;
        if plain_hit(&decision) {
            block.keep(decision);
        } else {
            block.result = auraguard_check_result::from_decision(decision);
        }
        block.summary = block.summary();
        Ok(())
    })
}

/// `auraguard_record_result_fast` through a call block, the text
/// NUL-terminated: `payload_json` NULL means `null`, `error_code` NULL none.
/// The booking and failures are those of `auraguard_record_result_fast`; on
/// failure only `error` is written (NULL on success). A NULL `call` is
/// `AURAGUARD_ERR_INVALID_ARGUMENT` with no message.
#[no_mangle]
pub unsafe extern "C" fn auraguard_call_record(
    call: *mut auraguard_call,
    call_id: u64,
    ok: bool,
    payload_json: *const c_char,
    error_code: *const c_char,
    side_effect_executed: i32,
) -> auraguard_status {
    if call.is_null() {
        return auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT;
    }
    // SAFETY: as in auraguard_call_check.
    let error_out = unsafe { addr_of_mut!((*call).error) };
    boundary(error_out, || {
        // SAFETY (all three): a live block and guard; NUL-terminated text.
        let g = unsafe { shared((*call).guard) }?;
        let payload = unsafe { arg_opt_str(payload_json, "payload_json") }?;
        let code = unsafe { arg_opt_str(error_code, "error_code") }?;
        record_fields(g, call_id, ok, payload, code, side_effect_executed)
    })
}

/// `auraguard_call_record` for the usual result, a success with no error
/// code and `side_effect_executed` left to its default: the same as
/// `auraguard_call_record(call, call_id, true, payload_json, NULL, -1)`,
/// with three parameters fewer. A binding that pays for each parameter it
/// passes (Ruby's ffi: about 200 machine instructions each) records most
/// results this way. `payload_json` NULL means `null`; the text is only
/// read during the call. Booking, failures and the block's `error` are
/// those of `auraguard_call_record`.
#[no_mangle]
pub unsafe extern "C" fn auraguard_call_record_ok(
    call: *mut auraguard_call,
    call_id: u64,
    payload_json: *const c_char,
) -> auraguard_status {
    // SAFETY: the caller's promises are those of auraguard_call_record.
    unsafe { auraguard_call_record(call, call_id, true, payload_json, std::ptr::null(), -1) }
}

#[cfg(test)]
mod tests;
