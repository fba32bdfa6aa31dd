//! Cost budget (step 4): escalate before a call that would reach the run's
//! budget; note once when the run crosses the warning threshold.

use serde_json::Value;

use crate::config::Config;
use crate::decision::{Decision, EscalationPacket};
use crate::messages;
use crate::state::{LoggedCost, RunState, ToolId};

/// `x` rounded to `places` decimals, of the float's exact binary value, to
/// nearest with ties to even: what printing it with that many decimals gives.
pub fn round_to(x: f64, places: usize) -> f64 {
    crate::decimal_round::round_decimal(x, places)
}

/// Result bookkeeping: an executed call costs its tool's price, failed or
/// not.
pub fn charge_tool_call(cfg: &Config, run: &mut RunState, tool: ToolId, listening: bool) {
    let cost = run.tool_at(tool).rules.cost;
    run.cost.spent += cost;
    let event = LoggedCost { kind: "tool_call", tool: Some(tool), amount_usd: cost, spent_usd: run.cost.spent };
    run.log_cost(cfg, event, listening);
}

pub fn check(cfg: &Config, run: &mut RunState, tool: ToolId, listening: bool) -> Option<Decision> {
    let limit = cfg.max_cost_per_run?;
    let spent = run.cost.spent;
    let projected = spent + run.tool_at(tool).rules.cost;
    // The lines are compared after rounding to 8 places, which moves a
    // value by at most half of 1e-8 and half an ulp. A projection below the
    // lowest line still ahead by more than that cannot reach it: the usual
    // call, far from the limit, is answered without rounding anything.
    let lowest = if run.cost.warned { limit } else { limit * cfg.cost_warning_threshold.min(1.0) };
    if projected < lowest - (1e-7 + lowest.abs() * 1e-12) {
        return None;
    }
    let rounded = round_to(projected, 8);
    // The event names the run and the tool; it is built only when there is
    // one to log, which is not on the usual call far from the limit.
    let event = |kind| LoggedCost { kind, tool: Some(tool), amount_usd: 0.0, spent_usd: projected };
    if rounded >= round_to(limit, 8) {
        let e = event("budget_exceeded");
        run.log_cost(cfg, e, listening);
        let mut packet =
            EscalationPacket::new(Value::Null, &["budget_exceeded"], messages::summary_budget(projected, limit));
        packet.cumulative_cost = Some(round_to(spent, 8));
        packet.projected_cost = Some(rounded);
        packet.limit = Some(limit);
        return Some(Decision::escalate("cost_budget_exceeded", packet));
    }
    if !run.cost.warned && rounded >= round_to(limit * cfg.cost_warning_threshold, 8) {
        run.cost.warned = true;
        let e = event("budget_warning");
        run.log_cost(cfg, e, listening);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Signer;
    use serde_json::json;

    #[test]
    fn rounding_is_of_the_exact_binary_value_ties_to_even() {
        assert_eq!(round_to(0.125, 2), 0.12);
        assert_eq!(round_to(0.375, 2), 0.38);
        assert_eq!(round_to(2.675, 2), 2.67, "2.675 is really 2.67499999...");
        assert_eq!(round_to(0.1 + 0.2, 8), 0.3);
        assert_eq!(round_to(0.300000005000001, 8), 0.30000001);
    }

    fn setup(limit: f64) -> (Config, RunState, ToolId) {
        let cfg = Config::from_value(&json!({"secret_key": "k", "max_cost_per_run": limit,
            "cost_model": {"default_tool_call_cost": 0.1}}))
        .unwrap();
        let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        let t = run.intern(&cfg, "t").unwrap();
        (cfg, run, t)
    }

    #[test]
    fn escalates_when_the_projection_reaches_the_limit() {
        let (cfg, mut run, t) = setup(0.3);
        run.cost.spent = 0.1 + 0.1; // 0.2 in binary is a hair off; rounding absorbs it
        let d = check(&cfg, &mut run, t, false).unwrap();
        assert_eq!(d.reason, "cost_budget_exceeded");
        let p = d.escalation_packet.unwrap();
        assert_eq!(p.tags, vec![json!("budget_exceeded")]);
        assert_eq!(p.route, json!(null));
        assert_eq!(p.limit, Some(0.3));
        assert_eq!(run.cost.events.back().unwrap().kind, "budget_exceeded");
    }

    #[test]
    fn warns_once_past_the_warning_threshold() {
        let (cfg, mut run, t) = setup(1.0);
        run.cost.spent = 0.6;
        assert!(check(&cfg, &mut run, t, false).is_none());
        assert!(!run.cost.warned, "0.7 < 0.8");
        run.cost.spent = 0.7;
        assert!(check(&cfg, &mut run, t, true).is_none());
        assert!(run.cost.warned);
        assert_eq!(run.events.len(), 1);
        assert!(check(&cfg, &mut run, t, true).is_none());
        assert_eq!(run.events.len(), 1, "only the first time");
    }

    proptest::proptest! {
        /// Answering far below the lines without rounding changes nothing:
        /// on spends at, next to and far from both lines, the check does
        /// what comparing the rounded values says.
        #[test]
        fn skipping_the_rounding_far_below_the_lines_changes_nothing(
            limit in proptest::sample::select(vec![0.3, 1.0, 7.77, 1e-6, 123456.789]),
            threshold in proptest::sample::select(vec![0.0, 0.5, 0.8, 0.999, 1.0]),
            cost in proptest::sample::select(vec![0.0, 1e-9, 0.1, 0.01]),
            line_is_limit in proptest::bool::ANY,
            warned in proptest::bool::ANY,
            offset in proptest::sample::select(vec![-1.0, -1e-6, -1.1e-7, -1e-7, -9e-8, -1e-8, -5e-9, -1e-12, 0.0, 1e-12, 5e-9, 1e-8, 1.0]),
        ) {
            let cfg = Config::from_value(&json!({"secret_key": "k", "max_cost_per_run": limit,
                "cost_warning_threshold": threshold, "cost_model": {"default_tool_call_cost": cost}})).unwrap();
            let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
            let t = run.intern(&cfg, "t").unwrap();
            let line: f64 = if line_is_limit { limit } else { limit * threshold };
            run.cost.spent = (line + offset - cost).max(0.0);
            run.cost.warned = warned;
            let projected = run.cost.spent + cost;
            let exceeded = round_to(projected, 8) >= round_to(limit, 8);
            let warns = !exceeded && !warned && round_to(projected, 8) >= round_to(limit * threshold, 8);
            let d = check(&cfg, &mut run, t, false);
            proptest::prop_assert_eq!(d.map(|d| d.reason.to_string()), exceeded.then(|| "cost_budget_exceeded".to_string()));
            proptest::prop_assert_eq!(run.cost.warned, warned || warns);
            proptest::prop_assert_eq!(run.cost.events.len(), usize::from(exceeded || warns));
        }
    }

    #[test]
    fn no_limit_means_no_check() {
        let cfg = Config::from_value(&json!({"secret_key": "k"})).unwrap();
        let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        let t = run.intern(&cfg, "t").unwrap();
        run.cost.spent = 1e9;
        assert!(check(&cfg, &mut run, t, false).is_none());
    }
}
