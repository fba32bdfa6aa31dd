//! `auraguard_decision`: a decision as a handle, so that C reads its common
//! fields (action, reason, call id, idempotency key) without parsing JSON.
//!
//! The handle is made by the `_decision` companions of the check functions;
//! the JSON text is still there for the fields without an accessor.

use std::borrow::Cow;
use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

use super::guard::{auraguard_guard, check_tool, shared};
use super::{arg_str, auraguard_status, boundary, c_string, non_null};
use crate::decision::{Action, Decision};

/// What the agent should do with a call or message. The values never change.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum auraguard_action {
    /// Execute the tool, then report with `auraguard_record_result`.
    AURAGUARD_ACTION_ALLOW = 0,
    /// Do not execute; tell the model it was refused.
    AURAGUARD_ACTION_BLOCK = 1,
    /// Do not execute; reuse `cached_result` (in the decision's JSON).
    AURAGUARD_ACTION_CACHE = 2,
    /// Do not execute; add `injected_system` to the prompt and ask again.
    AURAGUARD_ACTION_REWRITE = 3,
    /// Stop the run and hand it to a person with `escalation_packet`.
    AURAGUARD_ACTION_ESCALATE = 4,
    /// Stop the run and send `finalized_output`.
    AURAGUARD_ACTION_FINALIZE = 5,
}

impl From<Action> for auraguard_action {
    fn from(a: Action) -> Self {
        use auraguard_action::*;
        match a {
            Action::Allow => AURAGUARD_ACTION_ALLOW,
            Action::Block => AURAGUARD_ACTION_BLOCK,
            Action::Cache => AURAGUARD_ACTION_CACHE,
            Action::Rewrite => AURAGUARD_ACTION_REWRITE,
            Action::Escalate => AURAGUARD_ACTION_ESCALATE,
            Action::Finalize => AURAGUARD_ACTION_FINALIZE,
        }
    }
}

/// A decision: its action, reason, call id and idempotency key, and its
/// whole JSON text.
///
/// Opaque. Made by `auraguard_check_tool_decision`,
/// `auraguard_check_output_decision`, `auraguard_check_output_fast` and (for
/// decisions with rare fields) `auraguard_check_tool_fast`, owned by the caller, freed exactly
/// once with `auraguard_decision_free`. Immutable: it may be read from
/// several threads at once. The strings its accessors return belong to it
/// and stay valid until it is freed.
pub struct auraguard_decision {
    action: auraguard_action,
    call_id: Option<u64>,
    /// Static for the fixed reason codes (no allocation), else owned.
    reason: Cow<'static, CStr>,
    idempotency_key: Option<CString>,
    /// The decision itself: the cached result is read from it in place, and
    /// the JSON written from it when first asked for (most callers read the
    /// fields and never ask, so a cache hit writes no JSON at all).
    decision: Decision,
    json: OnceLock<CString>,
}

/// The cached result of a `cache` decision, as plain fields. Filled by
/// `auraguard_decision_cached_result`; the strings belong to the decision
/// (valid until `auraguard_decision_free`) and are not NUL-terminated: use
/// their lengths.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct auraguard_cached_result {
    /// The stored payload as JSON text, `payload_len` bytes ("null" when none).
    pub payload_json: *const c_char,
    pub payload_len: usize,
    /// The stored error code, `error_code_len` bytes; NULL when there is none.
    pub error_code: *const c_char,
    pub error_code_len: usize,
    pub ok: bool,
    /// Always true for a result handed back from the cache or the ledger.
    pub cached: bool,
    pub side_effect_executed: bool,
    /// False when the payload could not be kept (then `payload_json` is "null").
    pub payload_kept: bool,
}

impl auraguard_decision {
    /// The reason as a C string, owned by the handle.
    pub(super) fn reason_ptr(&self) -> *const c_char {
        self.reason.as_ptr()
    }

    pub(super) fn new(d: Decision) -> Box<auraguard_decision> {
        let fixed = super::fast::static_reason(&d.reason);
        auraguard_decision::with_reason(d, fixed)
    }

    /// [`new`](auraguard_decision::new) for a caller that has looked up
    /// whether the reason is a fixed code already (`fixed`, from
    /// `static_reason`).
    pub(super) fn with_reason(d: Decision, fixed: Option<&'static CStr>) -> Box<auraguard_decision> {
        Box::new(auraguard_decision {
            action: d.action.into(),
            call_id: d.call_id,
            reason: fixed.map_or_else(|| Cow::Owned(c_string(d.reason.to_string())), Cow::Borrowed),
            idempotency_key: d.idempotency_key().map(|k| c_string(k.to_string())),
            decision: d,
            json: OnceLock::new(),
        })
    }

    /// The decision itself.
    pub(super) fn decision(&self) -> &Decision {
        &self.decision
    }

    /// Its cached result as plain fields (strings owned by the handle).
    pub(super) fn cached_fields(&self) -> Option<auraguard_cached_result> {
        self.decision.cached_result.as_ref().map(|c| auraguard_cached_result {
            payload_json: c.payload.json().as_ptr().cast(),
            payload_len: c.payload.json().len(),
            error_code: c.error_code.as_ref().map_or(std::ptr::null(), |e| e.as_ptr().cast()),
            error_code_len: c.error_code.as_ref().map_or(0, |e| e.len()),
            ok: c.ok,
            cached: c.cached,
            side_effect_executed: c.side_effect_executed,
            payload_kept: c.payload_kept,
        })
    }

    /// The decision's JSON, written on the first call (thread-safe: the
    /// handle may be read from several threads at once).
    fn json(&self) -> &CStr {
        self.json.get_or_init(|| c_string(self.decision.to_json()))
    }
}

/// `auraguard_check_tool`, with the decision as a handle instead of JSON.
///
/// The arguments and failures are those of `auraguard_check_tool`. On
/// success `*decision_out` receives a new decision, owned by the caller
/// (free it with `auraguard_decision_free`); on failure it is untouched.
#[no_mangle]
pub unsafe extern "C" fn auraguard_check_tool_decision(
    guard: *mut auraguard_guard,
    tool: *const c_char,
    args_json: *const c_char,
    ticket_id: *const c_char,
    side_effect: i32,
    decision_out: *mut *mut auraguard_decision,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        non_null!(decision_out, "decision_out");
        // SAFETY: the caller passes a live handle and NUL-terminated strings.
        let decision = unsafe { check_tool(guard, tool, args_json, ticket_id, side_effect) }?;
        // SAFETY: checked non-NULL above.
        unsafe { *decision_out = Box::into_raw(auraguard_decision::new(decision)) };
        Ok(())
    })
}

/// `auraguard_check_output`, with the decision as a handle instead of JSON.
///
/// On success `*decision_out` receives a new decision owned by the caller
/// (free it with `auraguard_decision_free`), or NULL when there is nothing
/// to do; on failure it is untouched. `text` is only read during the call.
#[no_mangle]
pub unsafe extern "C" fn auraguard_check_output_decision(
    guard: *mut auraguard_guard,
    text: *const c_char,
    decision_out: *mut *mut auraguard_decision,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        // SAFETY: the caller passes a live handle and a NUL-terminated string.
        let g = unsafe { shared(guard) }?;
        non_null!(decision_out, "decision_out");
        let text = unsafe { arg_str(text, "text") }?;
        let handle = g.check_output(text)?.map_or(std::ptr::null_mut(), |d| Box::into_raw(auraguard_decision::new(d)));
        // SAFETY: checked non-NULL above.
        unsafe { *decision_out = handle };
        Ok(())
    })
}

/// Read a field of a decision inside the panic boundary; `fallback` for NULL.
fn read<T>(decision: *const auraguard_decision, fallback: T, f: impl FnOnce(&auraguard_decision) -> T) -> T {
    if decision.is_null() {
        return fallback;
    }
    // SAFETY: the caller passes NULL (handled above) or a live decision.
    let d = unsafe { &*decision };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(d))).unwrap_or(fallback)
}

/// The decision's action. NULL is not a decision and reads as
/// `AURAGUARD_ACTION_BLOCK`, so that a caller that executes only on
/// `AURAGUARD_ACTION_ALLOW` fails closed.
#[no_mangle]
pub unsafe extern "C" fn auraguard_decision_action(decision: *const auraguard_decision) -> auraguard_action {
    read(decision, auraguard_action::AURAGUARD_ACTION_BLOCK, |d| d.action)
}

/// The decision's reason, e.g. "allow" or "identical_toolcall_loop_cache".
/// Owned by the decision (valid until `auraguard_decision_free`); NULL for a
/// NULL decision.
#[no_mangle]
pub unsafe extern "C" fn auraguard_decision_reason(decision: *const auraguard_decision) -> *const c_char {
    read(decision, std::ptr::null(), |d| d.reason.as_ptr())
}

/// The call id of an allowed call, for `auraguard_record_result`.
///
/// Returns true and writes `*call_id_out` when the decision carries one (an
/// allow); returns false and leaves `*call_id_out` untouched otherwise, or
/// when either pointer is NULL.
#[no_mangle]
pub unsafe extern "C" fn auraguard_decision_call_id(
    decision: *const auraguard_decision,
    call_id_out: *mut u64,
) -> bool {
    if call_id_out.is_null() {
        return false;
    }
    match read(decision, None, |d| d.call_id) {
        Some(id) => {
            // SAFETY: checked non-NULL above; the caller passes a valid `uint64_t *`.
            unsafe { *call_id_out = id };
            true
        }
        None => false,
    }
}

/// The idempotency key of an allowed side-effect call (32 hex digits), to
/// hand to the tool's API so that a retry is not executed twice. Owned by
/// the decision (valid until `auraguard_decision_free`); NULL when the
/// decision has none or is NULL.
#[no_mangle]
pub unsafe extern "C" fn auraguard_decision_idempotency_key(decision: *const auraguard_decision) -> *const c_char {
    read(decision, std::ptr::null(), |d| d.idempotency_key.as_ref().map_or(std::ptr::null(), |k| k.as_ptr()))
}

/// The whole decision as JSON, the text `auraguard_check_tool` returns, for
/// the fields without an accessor (`cached_result`, `injected_system`,
/// `escalation_packet`, `finalized_output`). Owned by the decision (valid
/// until `auraguard_decision_free`; never pass it to
/// `auraguard_string_free`); NULL for a NULL decision.
#[no_mangle]
pub unsafe extern "C" fn auraguard_decision_json(decision: *const auraguard_decision) -> *const c_char {
    read(decision, std::ptr::null(), |d| d.json().as_ptr())
}

/// The cached result of a `cache` decision, read without JSON.
///
/// Returns true and writes `*out` when the decision carries a cached result;
/// returns false and leaves `*out` untouched otherwise, or when either
/// pointer is NULL. The strings written belong to the decision.
#[no_mangle]
pub unsafe extern "C" fn auraguard_decision_cached_result(
    decision: *const auraguard_decision,
    out: *mut auraguard_cached_result,
) -> bool {
    if out.is_null() {
        return false;
    }
    let fields = read(decision, None, auraguard_decision::cached_fields);
    match fields {
        Some(f) => {
            // SAFETY: checked non-NULL above; the caller passes a writable struct.
            unsafe { out.write(f) };
            true
        }
        None => false,
    }
}

/// Free a decision and the strings it owns. NULL is a no-op. Call it
/// exactly once per decision; the handle and its strings are invalid
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn auraguard_decision_free(decision: *mut auraguard_decision) {
    if decision.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: the caller passes a decision from this library, once.
        drop(unsafe { Box::from_raw(decision) });
    });
}
