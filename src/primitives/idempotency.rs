//! Idempotent side effects (step 2): a side effect keyed by ticket, tool and
//! arguments runs at most once. This primitive owns both halves of that
//! promise: the check before a call (replay what is done, hold back what is
//! in flight, escalate what is unknown), the reservation when the call is
//! allowed, and the bookkeeping of its result (commit or release). The
//! store behind it is the ledger (see `crate::ledger`).

use serde_json::Value;

use crate::config::{Config, LedgerOnError};
use crate::decision::{CachedResult, Decision, EscalationPacket};
pub use crate::ledger::{IdempotencyLedger, LedgerEntry, MemoryLedger};
use crate::ledger::{Lookup, Reservation, StoreError, Token};
use crate::payload::Payload;
use crate::signature::{hex, Sig};
use crate::state::{PendingCall, RunState};

use super::Call;

/// What the check of step 2 found. (Returned and matched at once, never
/// stored: boxing the decision would only add an allocation.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Checked {
    /// The primitive decides (replay, in flight, unknown, store down).
    Decided(Decision),
    /// Nothing known about the key: the next primitive looks.
    Pass,
    /// The store failed and `ledger_on_error` is `fail_open`: the call goes
    /// on, and the failure is reported.
    FailOpen(StoreError),
}

/// What reserving an allowed call's key gave (returned and matched at once).
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Reserved {
    /// The call holds the key with this token for `lease_ms`.
    Held(Token, u64),
    /// Someone else got there first, or the store is down (fail-closed).
    Decided(Decision),
    /// The store failed under `fail_open`: allowed without a reservation.
    FailOpen(StoreError),
}

/// The replay decision for a done entry.
pub fn replay_of(entry: &LedgerEntry) -> Decision {
    let cached = CachedResult {
        ok: entry.ok,
        payload: Payload::from_value(&entry.payload),
        error_code: entry.error_code.clone(),
        cached: true,
        side_effect_executed: entry.side_effect_executed,
        payload_kept: entry.payload_kept,
    };
    Decision::cache("idempotent_replay", cached)
}

/// The decision for a key someone else holds, or `None` when it is free.
fn decision_for(state: Lookup, call: &Call, key: &Sig) -> Option<Decision> {
    match state {
        Lookup::Absent => None,
        Lookup::Done(entry) => Some(replay_of(&entry)),
        Lookup::InFlight { lease_remaining_ms } => {
            Some(Decision::block("side_effect_in_flight").with_terms(None, None, Some(lease_remaining_ms.max(1))))
        }
        Lookup::Expired => {
            let mut packet = EscalationPacket::new(
                Value::String("operator".into()),
                &["side_effect_outcome_unknown"],
                format!(
                    "A call of `{}` was allowed and never reported its result before its lease ran out: it may or \
                     may not have happened. Check the downstream system, then resolve idempotency key {} as \
                     executed or not executed.",
                    call.name,
                    hex(&key[..16])
                ),
            );
            packet.tool = Some(call.name.to_string());
            packet.args_sig = Some(hex(&call.args_sig));
            packet.reason = Some("side_effect_outcome_unknown".into());
            Some(Decision::escalate("side_effect_outcome_unknown", packet))
        }
    }
}

fn store_down(cfg: &Config, e: StoreError) -> Result<Decision, StoreError> {
    match cfg.ledger.on_error {
        LedgerOnError::FailClosed => Ok(Decision::block("ledger_unavailable")),
        LedgerOnError::FailOpen => Err(e),
    }
}

/// Step 2: what the ledger knows about a side-effect call's key.
pub fn check(cfg: &Config, run: &mut RunState, call: &Call, key: &Sig) -> Checked {
    match run.ledger.lookup(key) {
        Ok(state) => decision_for(state, call, key).map_or(Checked::Pass, Checked::Decided),
        Err(e) => match store_down(cfg, e) {
            Ok(d) => Checked::Decided(d),
            Err(e) => Checked::FailOpen(e),
        },
    }
}

/// Reserve the key of a side-effect call that every primitive allowed. A
/// racer that reserved between the check and now wins; this call then gets
/// what the racer's reservation means.
pub fn reserve(cfg: &Config, run: &mut RunState, call: &Call, key: &Sig) -> Reserved {
    let lease = run.tool_at(call.tool).rules.lease_ms;
    match run.ledger.reserve(key, lease) {
        Ok(Reservation::Acquired(token)) => Reserved::Held(token, lease),
        // A free key cannot be "taken": the store answered inconsistently,
        // which is treated as in flight rather than as a licence to run.
        Ok(Reservation::Taken(state)) => Reserved::Decided(decision_for(state, call, key).unwrap_or_else(|| {
            decision_for(Lookup::InFlight { lease_remaining_ms: lease }, call, key).expect("in flight decides")
        })),
        Err(e) => match store_down(cfg, e) {
            Ok(d) => Reserved::Decided(d),
            Err(e) => Reserved::FailOpen(e),
        },
    }
}

/// The result of an allowed side-effect call: a side effect that happened
/// (or succeeded) makes its key done; one that did not frees it. Returns a
/// store error for the caller to report (the reservation then stays, and
/// its lease ending makes the outcome unknown: never a silent duplicate).
pub fn on_result(run: &mut RunState, call: &PendingCall, entry: LedgerEntry) -> Result<(), StoreError> {
    let Some(key) = call.idem else { return Ok(()) };
    if entry.ok || entry.side_effect_executed {
        run.ledger.commit(&key, call.token, &entry).map(drop)
    } else if let Some(token) = call.token {
        run.ledger.release(&key, token).map(drop)
    } else {
        Ok(())
    }
}

/// A call dropped as missed (no result will come). With the in-memory store
/// and one call in flight at a time, as in the package, its key is freed;
/// otherwise it stays reserved until its lease ends, since the call may
/// have run.
pub fn on_dropped(cfg: &Config, run: &mut RunState, call: &PendingCall) -> Result<(), StoreError> {
    match (call.idem, call.token) {
        (Some(key), Some(token)) if !run.ledger.durable() && cfg.max_pending_calls == 1 => {
            run.ledger.release(&key, token).map(drop)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replay_returns_a_copy_marked_cached() {
        let entry = LedgerEntry {
            ok: false,
            payload: json!(5),
            error_code: Some("timeout".into()),
            payload_sig: None,
            side_effect_executed: true,
            payload_kept: true,
        };
        let d = replay_of(&entry);
        assert_eq!(d.reason, "idempotent_replay");
        let c = d.cached_result.unwrap();
        assert!(c.cached && !c.ok && c.side_effect_executed);
        assert_eq!(c.error_code.as_deref(), Some("timeout"));
        assert_eq!(c.payload, json!(5));
    }
}
