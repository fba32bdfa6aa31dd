//! `auraguard_guard`: create, use and free a guard from C.

use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;

use super::{arg_opt_bytes, arg_str, auraguard_status, boundary, non_null, write_out};
use crate::decision::Decision;
use crate::error::Error;
use crate::shared::SharedGuard;

/// A guard: the state of one agent run and its configuration.
///
/// Opaque. Created by `auraguard_guard_new`, freed exactly once by
/// `auraguard_guard_free`. Thread-safe: any function may be called on the
/// same guard from several threads at once; calls are serialized inside.
pub struct auraguard_guard {
    shared: SharedGuard,
}

/// Receives one event as JSON (counts, costs, reasons and signatures only;
/// never raw arguments, payloads, ticket ids or text).
///
/// `event_json` is valid only during the call; copy it to keep it. The
/// callback runs synchronously on the thread that made the call which
/// produced the event, before that call returns, after the guard's lock is
/// released: it may call functions on any guard, this one included, but
/// must not free the guard it was called from.
///
/// The callback must return normally: a `longjmp` out of it, a C++
/// exception, or a thread cancelled inside it leaves the delivery unfinished,
/// and a later `auraguard_set_event_callback` on this guard then waits for
/// it forever. Language wrappers copy the event here and run their handlers
/// after the library call returns.
pub type auraguard_event_fn = Option<unsafe extern "C" fn(event_json: *const c_char, user_data: *mut c_void)>;

impl auraguard_guard {
    /// The engine behind the handle, for tests that inject faults.
    #[cfg(test)]
    pub(crate) fn shared_for_tests(&self) -> &SharedGuard {
        &self.shared
    }
}

/// A registered C callback and its user data. The caller of
/// `auraguard_set_event_callback` promises that both may be used from any
/// thread that calls the guard.
struct CCallback {
    f: unsafe extern "C" fn(*const c_char, *mut c_void),
    user_data: *mut c_void,
}

impl CCallback {
    fn call(&self, event: &crate::events::Event) {
        if let Ok(json) = CString::new(event.to_json()) {
            // SAFETY: the registration contract makes the callback callable here.
            unsafe { (self.f)(json.as_ptr(), self.user_data) };
        }
    }
}

// SAFETY: the registration contract above makes the pair thread-safe.
unsafe impl Send for CCallback {}
// SAFETY: as above.
unsafe impl Sync for CCallback {}

/// The guard behind a handle, or an invalid-argument error.
///
/// # Safety
/// `guard` is NULL or a live handle from `auraguard_guard_new`.
pub(super) unsafe fn shared<'a>(guard: *const auraguard_guard) -> Result<&'a SharedGuard, Error> {
    non_null!(guard, "guard");
    // SAFETY: guaranteed by the caller.
    Ok(unsafe { &(*guard).shared })
}

/// The decision on a tool call, from the arguments of `auraguard_check_tool`.
///
/// # Safety
/// `guard` is NULL or a live handle; the strings are NULL or NUL-terminated.
pub(super) unsafe fn check_tool(
    guard: *mut auraguard_guard,
    tool: *const c_char,
    args_json: *const c_char,
    ticket_id: *const c_char,
    side_effect: i32,
) -> Result<Decision, Error> {
    // SAFETY (all four): guaranteed by the caller.
    let g = unsafe { shared(guard) }?;
    let tool = unsafe { arg_str(tool, "tool") }?;
    let (args, ticket) = unsafe { (arg_opt_bytes(args_json), arg_opt_bytes(ticket_id)) };
    g.check_tool_utf8(tool, args, ticket, side_effect_flag(side_effect)?)
}

/// The `side_effect` flag of the check functions: -1 (from the
/// configuration), 0 or 1.
pub(super) fn side_effect_flag(flag: i32) -> Result<Option<bool>, Error> {
    match flag {
        -1 => Ok(None),
        0 => Ok(Some(false)),
        1 => Ok(Some(true)),
        other => Err(Error::invalid(format!("`side_effect` must be -1, 0 or 1, got {other}"))),
    }
}

/// Create a guard from a JSON configuration (see the configuration table in
/// the README; `secret_key` is required unless `shadow_mode` is true).
///
/// On success `*guard_out` receives a new guard, owned by the caller, to be
/// freed with `auraguard_guard_free`. On failure `*guard_out` is untouched
/// and the status is `AURAGUARD_ERR_CONFIG` (the message names the key) or
/// `AURAGUARD_ERR_INVALID_ARGUMENT` (a NULL or non-UTF-8 argument).
/// `config_json` is only read during the call.
///
/// The idempotency ledger's store is the `ledger` key:
/// - `{"kind": "memory"}` (the default): this guard only, nothing to set up,
///   gone with the process.
/// - `{"kind": "sqlite", "path": "/var/lib/app/ledger.db"}`: a file on a
///   local disk, created if missing, shared by every process of the machine
///   that opens it; its folder must exist and be writable.
/// - `{"kind": "redis", "url": "redis://host:6379/0", "prefix": "auraguard:"}`:
///   a Redis server shared by many machines (run it with `appendonly yes`);
///   it is reached on first use, not here.
///
/// Each takes an optional `timeout_ms` (default 2000) per store operation.
/// A SQLite file that cannot be opened or a malformed URL fails here with
/// `AURAGUARD_ERR_CONFIG`. A store that fails later (server down, disk full,
/// timeout) makes side-effect calls `block` with `ledger_unavailable` under
/// `"ledger_on_error": "fail_closed"` (the default) or allows them with an
/// event and the `ledger_errors` counter under `"fail_open"`; other tools go
/// on, and the store is tried again at every call.
#[no_mangle]
pub unsafe extern "C" fn auraguard_guard_new(
    config_json: *const c_char,
    guard_out: *mut *mut auraguard_guard,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        non_null!(guard_out, "guard_out");
        // SAFETY: the caller passes a NUL-terminated string.
        let config = unsafe { arg_str(config_json, "config_json") }?;
        let shared = SharedGuard::from_json(config)?;
        let boxed = Box::new(auraguard_guard { shared });
        // SAFETY: checked non-NULL above.
        unsafe { *guard_out = Box::into_raw(boxed) };
        Ok(())
    })
}

/// Free a guard and everything it holds; its secret key is wiped.
///
/// NULL is a no-op. Call it exactly once per guard, when no other thread is
/// using it; the handle is invalid afterwards.
#[no_mangle]
pub unsafe extern "C" fn auraguard_guard_free(guard: *mut auraguard_guard) {
    if guard.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: the caller passes a handle from `auraguard_guard_new`, once.
        drop(unsafe { Box::from_raw(guard) });
    });
}

/// Decide on a tool call before executing it.
///
/// `tool` is the tool's name. `args_json` is a JSON object of its arguments
/// (NULL means `{}`). `ticket_id` names the customer ticket or task (NULL or
/// "" means the run itself). `side_effect` is -1 to use the configuration's
/// `side_effect_tools`, 0 for no, 1 for yes; anything else is
/// `AURAGUARD_ERR_INVALID_ARGUMENT`.
///
/// On success `*decision_json_out` receives the decision as JSON, owned by
/// the caller (free with `auraguard_string_free`). An `allow` decision
/// carries a `call_id`: execute the tool and report with
/// `auraguard_record_result`. An allowed side-effect call also carries its
/// `idempotency_key` and, having reserved it in the ledger, `lease_ms`.
/// While another call holds that key the answer is `block`,
/// `side_effect_in_flight` with `retry_after_ms`; once its lease ran out
/// without a result, `escalate`, `side_effect_outcome_unknown` (settle it
/// with `auraguard_ledger_resolve`). Fails with `AURAGUARD_ERR_MISUSE` in strict
/// mode when earlier allowed calls still await their results (nothing
/// changes then), and with `AURAGUARD_ERR_INVALID_ARGUMENT` for malformed
/// or oversized input. Inputs are only read during the call.
#[no_mangle]
pub unsafe extern "C" fn auraguard_check_tool(
    guard: *mut auraguard_guard,
    tool: *const c_char,
    args_json: *const c_char,
    ticket_id: *const c_char,
    side_effect: i32,
    decision_json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        non_null!(decision_json_out, "decision_json_out");
        // SAFETY: the caller passes a live handle and NUL-terminated strings.
        let decision = unsafe { check_tool(guard, tool, args_json, ticket_id, side_effect) }?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(decision_json_out, decision.to_json()) };
        Ok(())
    })
}

/// Report the result of an allowed call.
///
/// `result_json` is `{"ok": true|false, "payload": any, "error_code":
/// "429", "side_effect_executed": true|false, "call_id": N, "cached":
/// true|false}`; all but `ok` optional. Without `call_id` the most recent
/// waiting call is meant. Say `side_effect_executed: true` when a side
/// effect may have happened despite an error (a timeout after the request
/// was sent). Say `cached: true` when the caller answered the call from a
/// cache of its own instead of running the tool (the package's
/// `ToolResult.cached`): it is not counted as executed and costs nothing;
/// only the error streaks and the ledger see it. For a side-effect call, `ok: true` or
/// `side_effect_executed: true` marks its key done in the ledger (replayed
/// from then on, in every guard sharing the store); any other failure
/// releases the key, so a retry may run.
///
/// A payload that cannot be kept (over `max_json_bytes`, nested too deep, a
/// number beyond binary64) does not fail the call: the result is booked
/// without it, counted in `payloads_not_kept`, and a later replay says
/// `"payload_kept": false`.
///
/// Fails with `AURAGUARD_ERR_INVALID_ARGUMENT` for malformed JSON, a missing
/// `ok`, an unknown field or a `call_id` that awaits no result (nothing
/// changes then), and in strict mode with `AURAGUARD_ERR_MISUSE` when no
/// call awaits a result. `result_json` is only read during the call.
#[no_mangle]
pub unsafe extern "C" fn auraguard_record_result(
    guard: *mut auraguard_guard,
    result_json: *const c_char,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        // SAFETY: the caller passes a live handle and a NUL-terminated string.
        let g = unsafe { shared(guard) }?;
        let result = unsafe { arg_str(result_json, "result_json") }?;
        g.record_result_json(result)
    })
}

/// Check an assistant message for a stall (apologies, "still checking",
/// the same text again while no tool makes progress).
///
/// On success `*decision_json_out` receives a decision as JSON (owned by the
/// caller) or NULL when there is nothing to do. After a `rewrite`, the
/// model's next message may be the JSON outcome it was asked for, answered
/// with `finalize` or `escalate`. `text` is only read during the call; it
/// is never stored.
#[no_mangle]
pub unsafe extern "C" fn auraguard_check_output(
    guard: *mut auraguard_guard,
    text: *const c_char,
    decision_json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        // SAFETY: the caller passes a live handle and a NUL-terminated string.
        let g = unsafe { shared(guard) }?;
        non_null!(decision_json_out, "decision_json_out");
        let text = unsafe { arg_str(text, "text") }?;
        let decision = g.check_output(text)?;
        // SAFETY: checked non-NULL above.
        match decision {
            Some(d) => unsafe { write_out(decision_json_out, d.to_json()) },
            None => unsafe { *decision_json_out = std::ptr::null_mut() },
        }
        Ok(())
    })
}

/// Add a model call's usage to the run's cost.
///
/// `cost_override` NaN means "price the tokens with the cost model";
/// otherwise it is the cost in USD and must be finite and >= 0, else
/// `AURAGUARD_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn auraguard_record_tokens(
    guard: *mut auraguard_guard,
    input_tokens: u64,
    output_tokens: u64,
    cost_override: f64,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        // SAFETY: the caller passes a live handle.
        let g = unsafe { shared(guard) }?;
        let cost = if cost_override.is_nan() { None } else { Some(cost_override) };
        g.record_tokens(input_tokens, output_tokens, cost)
    })
}

/// Write a JSON string produced under the guard's lock to `out`.
fn string_out(
    guard: *mut auraguard_guard,
    out: *mut *mut c_char,
    out_name: &str,
    error_out: *mut *mut c_char,
    produce: impl FnOnce(&SharedGuard) -> Result<String, Error>,
) -> auraguard_status {
    boundary(error_out, || {
        // SAFETY: the caller passes a live handle.
        let g = unsafe { shared(guard) }?;
        if out.is_null() {
            return Err(Error::invalid(format!("`{out_name}` must not be NULL")));
        }
        let s = produce(g)?;
        // SAFETY: checked non-NULL above.
        unsafe { write_out(out, s) };
        Ok(())
    })
}

/// The run's counters as a JSON object (owned by the caller).
#[no_mangle]
pub unsafe extern "C" fn auraguard_stats_json(
    guard: *mut auraguard_guard,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    string_out(guard, json_out, "json_out", error_out, |g| {
        Ok(serde_json::to_string(&g.stats()?).expect("stats serialize"))
    })
}

/// The run's report as a JSON object (owned by the caller): interventions
/// by primitive and by tool, side effects, quarantines, top reasons,
/// efficiency, recent interventions and cost events.
#[no_mangle]
pub unsafe extern "C" fn auraguard_report_json(
    guard: *mut auraguard_guard,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    string_out(guard, json_out, "json_out", error_out, |g| {
        Ok(serde_json::to_string(&g.report()?).expect("report serializes"))
    })
}

/// The run's report as text for a person (owned by the caller).
#[no_mangle]
pub unsafe extern "C" fn auraguard_report_text(
    guard: *mut auraguard_guard,
    text_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    string_out(guard, text_out, "text_out", error_out, |g| Ok(crate::report::render_text(&g.report()?)))
}

/// Save the run's state as JSON (owned by the caller): signatures, counts,
/// reasons and costs only, with a MAC under the guard's key. Load it into a
/// guard with the same secret key.
#[no_mangle]
pub unsafe extern "C" fn auraguard_state_save(
    guard: *mut auraguard_guard,
    state_json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    string_out(guard, state_json_out, "state_json_out", error_out, |g| g.save_state())
}

/// Replace the run's state with a saved one.
///
/// Fails with `AURAGUARD_ERR_STATE` when the state cannot be read, is of an
/// unknown version, or its MAC does not verify (edited, or saved under
/// another key); the guard is then unchanged.
#[no_mangle]
pub unsafe extern "C" fn auraguard_state_load(
    guard: *mut auraguard_guard,
    state_json: *const c_char,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        // SAFETY: the caller passes a live handle and a NUL-terminated string.
        let g = unsafe { shared(guard) }?;
        let state = unsafe { arg_str(state_json, "state_json") }?;
        g.load_state(state)
    })
}

/// Start a new run: every counter, cache, quarantine, log entry and waiting
/// call is cleared; the configuration is kept. The in-memory ledger's
/// entries are cleared with the run; a durable ledger (`"sqlite"`,
/// `"redis"`) is shared with other guards and processes, so its entries and
/// reservations stay: a side effect done before the reset is still replayed
/// after it. A run keyed without a ticket gets a new `run_id` (unless the
/// configuration names one), so its keys are new.
#[no_mangle]
pub unsafe extern "C" fn auraguard_reset(guard: *mut auraguard_guard, error_out: *mut *mut c_char) -> auraguard_status {
    boundary(error_out, || {
        // SAFETY: the caller passes a live handle.
        unsafe { shared(guard) }?.reset()
    })
}

/// Register `fn` to receive every event of this guard (NULL removes it).
///
/// `user_data` is passed back untouched; the caller keeps it valid, and
/// usable from any thread that calls the guard, until the callback is
/// replaced or the guard is freed. Replacing waits until no call is still
/// delivering to the old callback, so its `user_data` may be released as
/// soon as this function returns; called from inside a callback it cannot
/// wait (it would wait on itself), and calls already delivering may finish
/// with the old callback. See `auraguard_event_fn` for when the callback runs.
/// Registrations from several threads at once are applied one after the
/// other: the last one applied is the callback that receives the events.
#[no_mangle]
pub unsafe extern "C" fn auraguard_set_event_callback(
    guard: *mut auraguard_guard,
    r#fn: auraguard_event_fn,
    user_data: *mut c_void,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        // SAFETY: the caller passes a live handle.
        let g = unsafe { shared(guard) }?;
        let sink = r#fn.map(|f| {
            let cb = CCallback { f, user_data };
            Arc::new(move |e: &crate::events::Event| cb.call(e)) as crate::shared::EventSink
        });
        g.set_event_sink(sink)
    })
}
