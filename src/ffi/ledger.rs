//! `auraguard_ledger_*`: an operator's hand on the idempotency ledger.

use std::ffi::{c_char, c_int};

use super::guard::{auraguard_guard, shared};
use super::{arg_str, auraguard_status, boundary};
use crate::error::Error;
use crate::ledger::Resolution;

/// What an operator found out about a side effect whose outcome was unknown.
/// Passed as an `int`; any other value is `AURAGUARD_ERR_INVALID_ARGUMENT`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum auraguard_ledger_outcome {
    /// It did not happen: the key is freed, and the next identical call is
    /// allowed (and reserves it again).
    AURAGUARD_LEDGER_NOT_EXECUTED = 0,
    /// It happened: every later identical call is answered `cache`,
    /// `idempotent_replay` (with a null payload: the result is not known).
    AURAGUARD_LEDGER_EXECUTED = 1,
}

/// An outcome as received from C: any integer, so that an out-of-range
/// value is an error and not undefined behaviour. Shown as
/// `auraguard_ledger_outcome` in the header.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct OutcomeCode(pub c_int);

/// Resolve a side effect whose outcome is unknown (a decision `escalate`,
/// reason `side_effect_outcome_unknown`: it was allowed, and its lease ran
/// out before `auraguard_record_result` reported it), after checking the
/// downstream system by hand.
///
/// `idempotency_key` is the 32 hex characters of the decision's
/// `idempotency_key` (the same in every process sharing the store), only
/// read during the call. `outcome` is an `auraguard_ledger_outcome`. The
/// resolution applies whatever the key's state, in the guard's store (for
/// SQLite or Redis, for every guard sharing it); a holder that reports late
/// cannot overwrite it.
///
/// Fails with `AURAGUARD_ERR_INVALID_ARGUMENT` for a NULL or malformed key
/// or an unknown outcome, and with `AURAGUARD_ERR_LEDGER` when the store
/// does not answer (nothing is changed then; call again).
#[no_mangle]
pub unsafe extern "C" fn auraguard_ledger_resolve(
    guard: *mut auraguard_guard,
    idempotency_key: *const c_char,
    outcome: OutcomeCode,
    error_out: *mut *mut c_char,
) -> auraguard_status {
    boundary(error_out, || {
        // SAFETY: the caller passes a live handle and a NUL-terminated string.
        let g = unsafe { shared(guard) }?;
        let key = unsafe { arg_str(idempotency_key, "idempotency_key") }?;
        let resolution = match outcome.0 {
            0 => Resolution::NotExecuted,
            1 => Resolution::Executed,
            other => {
                return Err(Error::invalid(format!(
                    "`outcome` must be AURAGUARD_LEDGER_NOT_EXECUTED (0) or AURAGUARD_LEDGER_EXECUTED (1), got {other}"
                )))
            }
        };
        g.ledger_resolve(key, resolution)
    })
}
