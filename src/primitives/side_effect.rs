//! Side-effect gate (step 6): a side-effect tool executes at most
//! `side_effect_max_executed_per_run` times per run, whatever the ticket.

use crate::config::Config;
use crate::decision::Decision;
use crate::state::{RunState, ToolId};

pub fn check(cfg: &Config, run: &mut RunState, tool: ToolId, side_effect: bool) -> Option<Decision> {
    if !side_effect {
        return None;
    }
    let state = run.tool_mut(tool);
    state.side_effects_attempted += 1;
    (state.side_effects_executed >= cfg.side_effect_max_executed_per_run)
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
}
