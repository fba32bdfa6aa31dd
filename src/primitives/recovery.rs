//! Recovery: a half-open circuit breaker for tools quarantined by their
//! errors (`quarantine_cooldown_s`, `quarantine_cooldown_calls`).
//!
//! Without these keys a quarantine lasts for the run, as in the package.
//! With them, a tool quarantined by `error_retry` is refused with a rewrite
//! that carries `retry_after_ms` until its cooldown has passed (the first of
//! the two to pass, when both are set); then one probe call is allowed. A
//! probe that succeeds closes the breaker (the tool is back); one that fails
//! re-opens it with the cooldown doubled, at most
//! [`MAX_COOLDOWN_DOUBLINGS`] times. A probe whose result never comes back
//! does not hold the breaker forever: after another cooldown, another probe
//! goes through. Quarantines for loops (jitter, cycles, caps) stay for the run.

use crate::config::Config;
use crate::config_detect::MAX_COOLDOWN_DOUBLINGS;
use crate::decision::Decision;
use crate::events::{Event, Warning};
use crate::messages;
use crate::state::{RunState, ToolId};
use crate::state_detect::Breaker;

/// What step 5 does with a quarantined tool.
pub enum Gate {
    /// Not a breaker's tool: the quarantine applies as in the package.
    NotMine,
    /// The cooldown has passed: let the call through as a probe.
    Probe,
    /// Still cooling down (boxed: a decision is large, the other answers are not).
    Wait(Box<Decision>),
}

fn recoverable(run: &RunState, tool: ToolId) -> Option<&str> {
    run.tool_at(tool).quarantine.as_deref().filter(|q| q.starts_with("error_retry:"))
}

/// Milliseconds left of the time cooldown (none without `quarantine_cooldown_s`).
fn time_left_ms(cfg: &Config, b: &Breaker, now: f64) -> Option<u64> {
    let base = cfg.detect.quarantine_cooldown_s?;
    let left = b.opened_at + base * f64::from(1u32 << b.doublings) - now;
    Some(if left <= 0.0 { 0 } else { (left * 1000.0).ceil() as u64 })
}

fn calls_left(cfg: &Config, b: &Breaker, checks: u64) -> Option<u64> {
    let base = cfg.detect.quarantine_cooldown_calls?;
    Some((b.opened_at_check + (base << b.doublings)).saturating_sub(checks))
}

fn cooled(cfg: &Config, b: &Breaker, checks: u64, now: f64) -> bool {
    time_left_ms(cfg, b, now) == Some(0) || calls_left(cfg, b, checks) == Some(0)
}

/// Step 5, before the package's quarantine check.
pub fn gate(cfg: &Config, run: &RunState, tool: ToolId, now: f64) -> Gate {
    if !cfg.detect.has_cooldown() {
        return Gate::NotMine;
    }
    let (Some(why), Some(b)) = (recoverable(run, tool), run.detect.breakers.get(&tool)) else {
        return Gate::NotMine;
    };
    if cooled(cfg, b, run.detect.checks, now) {
        return Gate::Probe;
    }
    let retry = time_left_ms(cfg, b, now).map(|ms| ms.max(1));
    let text = messages::paused(&run.tool_at(tool).name, why, retry);
    let d = Decision::rewrite(format!("tool_quarantined:{why}"), text).with_terms(None, None, retry);
    Gate::Wait(Box::new(d))
}

/// An allowed call of a breaker's tool whose cooldown passed is its probe:
/// the cooldown starts over, in case its result never comes.
pub fn on_allowed(cfg: &Config, run: &mut RunState, tool: ToolId, now: f64, listening: bool) {
    if !cfg.detect.has_cooldown() || recoverable(run, tool).is_none() {
        return;
    }
    let checks = run.detect.checks;
    let Some(b) = run.detect.breakers.get_mut(&tool) else { return };
    if !cooled(cfg, b, checks, now) {
        return;
    }
    b.probing = true;
    b.opened_at = now;
    b.opened_at_check = checks;
    if listening {
        let w = Warning {
            run_id: run.run_id.clone(),
            tool: Some(run.name(tool).clone()),
            reason: "breaker_half_open".into(),
        };
        run.push_event(Event::Warning(w));
    }
}

/// Result bookkeeping, after the package's: a new quarantine opens the
/// breaker; a probe's result closes it or re-opens it for twice as long.
pub fn on_result(cfg: &Config, run: &mut RunState, tool: ToolId, ok: bool, now: f64) {
    if !cfg.detect.has_cooldown() {
        return;
    }
    let checks = run.detect.checks;
    let quarantined = recoverable(run, tool).is_some();
    match run.detect.breakers.get_mut(&tool) {
        Some(b) if b.probing && ok => {
            run.detect.breakers.remove(&tool);
            if quarantined {
                run.tool_mut(tool).clear_quarantine();
            }
        }
        Some(b) if b.probing => {
            b.probing = false;
            b.doublings = (b.doublings + 1).min(MAX_COOLDOWN_DOUBLINGS);
            b.opened_at = now;
            b.opened_at_check = checks;
        }
        Some(_) => {}
        None if quarantined => {
            let b = Breaker { opened_at: now, opened_at_check: checks, doublings: 0, probing: false };
            run.detect.breakers.insert(tool, b);
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::circuit_breaker;
    use crate::signature::Signer;
    use serde_json::{json, Value};

    fn setup(extra: Value) -> (Config, RunState, ToolId) {
        let mut v = json!({"secret_key": "k"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let cfg = Config::from_value(&v).unwrap();
        let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        let t = run.intern(&cfg, "api").unwrap();
        (cfg, run, t)
    }

    fn fail(cfg: &Config, run: &mut RunState, t: ToolId, now: f64) {
        circuit_breaker::on_result(cfg, run, t, false, Some("503"));
        on_result(cfg, run, t, false, now);
    }

    fn wait_ms(g: Gate) -> Option<u64> {
        match g {
            Gate::Wait(d) => {
                assert_eq!(d.reason, "tool_quarantined:error_retry:5xx");
                assert!(d.injected_system.as_deref().unwrap().contains("paused"));
                d.retry_after_ms()
            }
            Gate::Probe => panic!("probe, expected a wait"),
            Gate::NotMine => panic!("not mine, expected a wait"),
        }
    }

    #[test]
    fn without_a_cooldown_the_quarantine_is_the_package_one() {
        let (cfg, mut run, t) = setup(json!({}));
        fail(&cfg, &mut run, t, 0.0);
        fail(&cfg, &mut run, t, 0.0);
        assert!(run.tool_at(t).quarantine.is_some());
        assert!(matches!(gate(&cfg, &run, t, 1e9), Gate::NotMine));
        assert!(run.detect.breakers.is_empty());
    }

    #[test]
    fn a_probe_after_the_cooldown_that_succeeds_closes_the_breaker() {
        let (cfg, mut run, t) = setup(json!({"quarantine_cooldown_s": 10}));
        fail(&cfg, &mut run, t, 100.0);
        assert!(run.detect.breakers.is_empty(), "one failure is not a quarantine");
        fail(&cfg, &mut run, t, 100.0);
        assert_eq!(wait_ms(gate(&cfg, &run, t, 100.0)), Some(10_000));
        assert_eq!(wait_ms(gate(&cfg, &run, t, 109.9995)), Some(1), "never 0 while waiting");
        assert!(matches!(gate(&cfg, &run, t, 110.0), Gate::Probe));
        on_allowed(&cfg, &mut run, t, 110.0, false);
        assert!(run.detect.breakers[&t].probing);
        assert_eq!(wait_ms(gate(&cfg, &run, t, 111.0)), Some(9_000), "one probe at a time");
        circuit_breaker::on_result(&cfg, &mut run, t, true, None);
        on_result(&cfg, &mut run, t, true, 112.0);
        assert!(run.tool_at(t).quarantine.is_none() && run.detect.breakers.is_empty());
        assert!(matches!(gate(&cfg, &run, t, 112.0), Gate::NotMine));
    }

    #[test]
    fn a_failed_probe_doubles_the_cooldown_up_to_the_cap() {
        let (cfg, mut run, t) = setup(json!({"quarantine_cooldown_s": 1}));
        fail(&cfg, &mut run, t, 0.0);
        fail(&cfg, &mut run, t, 0.0);
        let mut now = 0.0;
        for expected in [2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 64_000, 64_000] {
            now += 1000.0;
            assert!(matches!(gate(&cfg, &run, t, now), Gate::Probe));
            on_allowed(&cfg, &mut run, t, now, false);
            fail(&cfg, &mut run, t, now);
            assert_eq!(wait_ms(gate(&cfg, &run, t, now)), Some(expected));
        }
        assert_eq!(run.detect.breakers[&t].doublings, MAX_COOLDOWN_DOUBLINGS);
        assert!(run.tool_at(t).quarantine.is_some());
    }

    #[test]
    fn a_call_cooldown_counts_the_calls_of_the_run() {
        let (cfg, mut run, t) = setup(json!({"quarantine_cooldown_calls": 3}));
        fail(&cfg, &mut run, t, 0.0);
        fail(&cfg, &mut run, t, 0.0);
        assert_eq!(wait_ms(gate(&cfg, &run, t, 0.0)), None, "no time to wait for");
        run.detect.checks += 2;
        assert!(matches!(gate(&cfg, &run, t, 0.0), Gate::Wait(_)));
        run.detect.checks += 1;
        assert!(matches!(gate(&cfg, &run, t, 0.0), Gate::Probe));
    }

    #[test]
    fn a_lost_probe_is_followed_by_another_after_a_cooldown() {
        let (cfg, mut run, t) = setup(json!({"quarantine_cooldown_s": 5}));
        fail(&cfg, &mut run, t, 0.0);
        fail(&cfg, &mut run, t, 0.0);
        on_allowed(&cfg, &mut run, t, 5.0, false);
        assert!(matches!(gate(&cfg, &run, t, 9.0), Gate::Wait(_)));
        assert!(matches!(gate(&cfg, &run, t, 10.0), Gate::Probe));
    }

    #[test]
    fn loop_quarantines_never_recover() {
        let (cfg, mut run, t) = setup(json!({"quarantine_cooldown_s": 1}));
        run.tool_mut(t).set_quarantine("arg_jitter_loop");
        on_result(&cfg, &mut run, t, false, 0.0);
        assert!(matches!(gate(&cfg, &run, t, 1e6), Gate::NotMine));
        assert!(circuit_breaker::check(&run, t).is_some());
    }
}
