//! Run limits beyond dollars (step 4b, and before the stall check of
//! `check_output`): `max_tool_calls_per_run`, `max_model_calls`,
//! `max_tokens_per_run`, `max_run_seconds`.
//!
//! A limit of N allows N: the N+1th tool call is escalated before it runs;
//! once the N+1th model call (a `record_tokens`), the N+1th token or the
//! N+1th second has been used, the next tool call or message is escalated.
//! Each limit gives one warning event when its use first reaches
//! `cost_warning_threshold` of it. The run's time starts at its first call
//! to the guard, on the guard's clock (replaceable in tests).

use serde_json::Value;

use crate::config::Config;
use crate::decision::{Decision, EscalationPacket};
use crate::events::{Event, Warning};
use crate::messages;
use crate::state::RunState;

/// Start the run's clock, if this is its first call to the guard.
pub fn start(run: &mut RunState, now: f64) {
    run.detect.limits.started_at.get_or_insert(now);
}

/// `record_tokens`: one model call and its tokens.
pub fn on_tokens(run: &mut RunState, input: u64, output: u64, now: f64) {
    start(run, now);
    let l = &mut run.detect.limits;
    l.model_calls = l.model_calls.saturating_add(1);
    l.tokens = l.tokens.saturating_add(input).saturating_add(output);
}

/// An allowed (or shadow-allowed) tool call.
pub fn on_allowed(run: &mut RunState) {
    run.detect.limits.tool_calls = run.detect.limits.tool_calls.saturating_add(1);
}

/// One limit: its key, its reason code, what is used (with the call being
/// decided, for tool calls), the limit.
struct Use {
    key: &'static str,
    reason: &'static str,
    used: f64,
    limit: f64,
}

fn uses(cfg: &Config, run: &RunState, now: f64, tool_call: bool) -> Vec<Use> {
    let d = &cfg.detect;
    let l = &run.detect.limits;
    let mut out = Vec::new();
    if let (true, Some(n)) = (tool_call, d.max_tool_calls_per_run) {
        let used = l.tool_calls.saturating_add(1);
        out.push(Use {
            key: "max_tool_calls_per_run",
            reason: "tool_call_limit_exceeded",
            used: used as f64,
            limit: n as f64,
        });
    }
    if let Some(n) = d.max_model_calls {
        out.push(Use {
            key: "max_model_calls",
            reason: "model_call_limit_exceeded",
            used: l.model_calls as f64,
            limit: n as f64,
        });
    }
    if let Some(n) = d.max_tokens_per_run {
        out.push(Use {
            key: "max_tokens_per_run",
            reason: "token_limit_exceeded",
            used: l.tokens as f64,
            limit: n as f64,
        });
    }
    if let Some(n) = d.max_run_seconds {
        let used = l.started_at.map_or(0.0, |t| (now - t).max(0.0));
        out.push(Use { key: "max_run_seconds", reason: "run_time_limit_exceeded", used, limit: n });
    }
    out
}

/// Escalate when a limit is passed; warn once when one nears.
/// `tool_call` says whether a tool call is being decided (its own count
/// then includes it).
pub fn check(cfg: &Config, run: &mut RunState, now: f64, tool_call: bool, listening: bool) -> Option<Decision> {
    start(run, now);
    for u in uses(cfg, run, now, tool_call) {
        if u.used > u.limit {
            let mut packet = EscalationPacket::new(
                Value::Null,
                &["run_limit_exceeded", u.key],
                messages::summary_run_limit(u.key, u.used, u.limit),
            );
            packet.limit = Some(u.limit);
            packet.limit_key = Some(u.key.to_string());
            packet.used = Some(u.used);
            return Some(Decision::escalate(u.reason, packet));
        }
        if u.used >= u.limit * cfg.cost_warning_threshold && run.detect.limits.warned.insert(u.key) && listening {
            let w = Warning { run_id: run.run_id.clone(), tool: None, reason: format!("run_limit_warning:{}", u.key) };
            run.push_event(Event::Warning(w));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Signer;
    use serde_json::json;

    fn setup(extra: Value) -> (Config, RunState) {
        let mut v = json!({"secret_key": "k"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let cfg = Config::from_value(&v).unwrap();
        let run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        (cfg, run)
    }

    #[test]
    fn n_tool_calls_are_allowed_and_the_next_escalates() {
        let (cfg, mut run) = setup(json!({"max_tool_calls_per_run": 3}));
        for _ in 0..3 {
            assert!(check(&cfg, &mut run, 0.0, true, false).is_none());
            on_allowed(&mut run);
        }
        let d = check(&cfg, &mut run, 0.0, true, false).unwrap();
        assert_eq!(d.reason, "tool_call_limit_exceeded");
        let p = d.escalation_packet.unwrap();
        assert_eq!((p.limit_key.as_deref(), p.used, p.limit), (Some("max_tool_calls_per_run"), Some(4.0), Some(3.0)));
        assert_eq!(p.tags, vec![json!("run_limit_exceeded"), json!("max_tool_calls_per_run")]);
        assert!(check(&cfg, &mut run, 0.0, false, false).is_none(), "a message is not a tool call");
    }

    #[test]
    fn model_calls_and_tokens_escalate_once_over() {
        let (cfg, mut run) = setup(json!({"max_model_calls": 2, "max_tokens_per_run": 1000}));
        on_tokens(&mut run, 400, 100, 0.0);
        on_tokens(&mut run, 400, 100, 0.0);
        assert!(check(&cfg, &mut run, 0.0, false, false).is_none(), "2 calls and 1000 tokens are within");
        on_tokens(&mut run, 0, 1, 0.0);
        let d = check(&cfg, &mut run, 0.0, false, false).unwrap();
        assert_eq!(d.reason, "model_call_limit_exceeded", "the first limit passed is named");
        let (cfg, mut run) = setup(json!({"max_tokens_per_run": 1000}));
        on_tokens(&mut run, 1000, 1, 0.0);
        let d = check(&cfg, &mut run, 0.0, true, false).unwrap();
        assert_eq!(d.reason, "token_limit_exceeded");
        assert_eq!(d.escalation_packet.unwrap().used, Some(1001.0));
    }

    #[test]
    fn run_time_counts_from_the_first_call_on_the_clock() {
        let (cfg, mut run) = setup(json!({"max_run_seconds": 60}));
        assert!(check(&cfg, &mut run, 100.0, true, false).is_none());
        assert!(check(&cfg, &mut run, 160.0, true, false).is_none(), "60 s is within 60");
        let d = check(&cfg, &mut run, 160.5, false, false).unwrap();
        assert_eq!(d.reason, "run_time_limit_exceeded");
        assert_eq!(d.escalation_packet.unwrap().used, Some(60.5));
    }

    #[test]
    fn each_limit_warns_once_at_the_warning_threshold() {
        let (cfg, mut run) = setup(json!({"max_tool_calls_per_run": 10, "max_tokens_per_run": 100}));
        for _ in 0..6 {
            on_allowed(&mut run);
        }
        assert!(check(&cfg, &mut run, 0.0, true, true).is_none());
        assert!(run.events.is_empty(), "7 of 10 is under 0.8");
        on_allowed(&mut run);
        check(&cfg, &mut run, 0.0, true, true);
        on_allowed(&mut run);
        check(&cfg, &mut run, 0.0, true, true);
        assert_eq!(run.events.len(), 1);
        on_tokens(&mut run, 80, 0, 0.0);
        check(&cfg, &mut run, 0.0, true, true);
        let reasons: Vec<String> = run.events.iter().map(|e| e.to_json()).collect();
        assert_eq!(reasons.len(), 2);
        assert!(reasons[0].contains("run_limit_warning:max_tool_calls_per_run"));
        assert!(reasons[1].contains("run_limit_warning:max_tokens_per_run"));
    }

    #[test]
    fn model_calls_and_run_time_warn_once_at_the_warning_threshold() {
        let (cfg, mut run) = setup(json!({"max_model_calls": 5, "max_run_seconds": 100}));
        let warnings = |run: &RunState| run.events.iter().map(|e| e.to_json()).collect::<Vec<_>>();
        for _ in 0..3 {
            on_tokens(&mut run, 1, 1, 10.0);
        }
        assert!(check(&cfg, &mut run, 79.0, false, true).is_none());
        assert!(run.events.is_empty(), "3 of 5 calls and 69 of 100 s are under 0.8");
        on_tokens(&mut run, 1, 1, 80.0);
        assert!(check(&cfg, &mut run, 80.0, false, true).is_none());
        assert_eq!(warnings(&run).len(), 1);
        assert!(warnings(&run)[0].contains("run_limit_warning:max_model_calls"));
        assert!(check(&cfg, &mut run, 90.0, true, true).is_none());
        assert_eq!(warnings(&run).len(), 2, "80 of 100 s since the first call warns");
        assert!(warnings(&run)[1].contains("run_limit_warning:max_run_seconds"));
        on_tokens(&mut run, 1, 1, 95.0);
        assert!(check(&cfg, &mut run, 95.0, false, true).is_none(), "5 of 5 is within");
        assert_eq!(warnings(&run).len(), 2, "each limit warns once");
    }

    #[test]
    fn no_limit_no_check() {
        let (cfg, mut run) = setup(json!({}));
        for _ in 0..1000 {
            on_allowed(&mut run);
            on_tokens(&mut run, 1 << 40, 0, 0.0);
        }
        assert!(check(&cfg, &mut run, 1e12, true, true).is_none());
        assert!(run.events.is_empty());
    }
}
