//! Side-effect gate (step 6): a side-effect tool executes at most
//! `side_effect_max_executed_per_run` times per run, whatever the ticket.
//!
//! Allowed calls still awaiting their result count against the limit: with
//! `max_pending_calls` > 1 (parallel calls, threads sharing a guard) two
//! refunds for two tickets may be in flight at once, and either may have
//! executed. With the default of one pending call the earlier call is
//! dropped before this check, so nothing is in flight here and the rule is
//! the package's.

use crate::config::Config;
use crate::decision::Decision;
use crate::state::{RunState, ToolId};

pub fn check(cfg: &Config, run: &mut RunState, tool: ToolId, side_effect: bool) -> Option<Decision> {
    if !side_effect {
        return None;
    }
    let in_flight = run.pending.iter().filter(|p| p.tool == tool && p.side_effect).count() as u64;
    let state = run.tool_mut(tool);
    state.side_effects_attempted += 1;
    (state.side_effects_executed.saturating_add(in_flight) >= cfg.side_effect_max_executed_per_run)
        .then(|| Decision::block("side_effect_limit_exceeded"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Signer;
    use serde_json::json;

    #[test]
    fn counts_attempts_and_blocks_at_the_limit() {
        let cfg = Config::from_value(&json!({"secret_key": "k", "side_effect_max_executed_per_run": 2})).unwrap();
        let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        let r = run.intern(&cfg, "refund").unwrap();
        assert!(check(&cfg, &mut run, r, false).is_none());
        assert_eq!(run.tool_at(r).side_effects_attempted, 0, "reads are not attempts");
        run.tool_mut(r).side_effects_executed = 1;
        assert!(check(&cfg, &mut run, r, true).is_none());
        run.tool_mut(r).side_effects_executed = 2;
        assert_eq!(check(&cfg, &mut run, r, true).unwrap().reason, "side_effect_limit_exceeded");
        assert_eq!(run.tool_at(r).side_effects_attempted, 2);
    }

    #[test]
    fn calls_in_flight_count_against_the_limit() {
        let cfg = Config::from_value(&json!({"secret_key": "k", "max_pending_calls": 4})).unwrap();
        let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        let r = run.intern(&cfg, "refund").unwrap();
        let read = run.intern(&cfg, "get_order").unwrap();
        let pending = |tool, side_effect| crate::state::PendingCall {
            call_id: 1,
            tool,
            args_sig: [0; 32],
            ticket_sig: [0; 32],
            side_effect,
            idem: None,
            token: None,
        };
        run.pending.push_back(pending(read, false));
        assert!(check(&cfg, &mut run, r, true).is_none(), "a read in flight is not a refund in flight");
        run.pending.push_back(pending(r, true));
        assert_eq!(check(&cfg, &mut run, r, true).unwrap().reason, "side_effect_limit_exceeded");
        run.pending.pop_back();
        assert!(check(&cfg, &mut run, r, true).is_none(), "the limit frees when the call in flight is settled");
    }
}
