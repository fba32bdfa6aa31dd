//! The warning step (`warn_before_enforce`): the first time a listed
//! detector would intervene on a tool, the call is allowed and the decision
//! carries a warning (the detector's reason code and the text it would have
//! shown the model); from the second time on, the detector enforces.
//!
//! A warned call leaves no other mark: a detector that quarantines does not
//! quarantine on its warning. The guard keeps looking after a warning, so a
//! later step that must enforce (a cap, a cycle) still does.

use crate::config::Config;
use crate::config_detect::WARNABLE;
use crate::decision::Decision;
use crate::events::{Event, Warning};
use crate::state::{RunState, ToolId};

/// Whether `reason`'s detector should warn now, instead of enforcing, on
/// `tool`: it is listed and has not warned on this tool yet. Saying yes
/// uses the warning up.
pub fn first(cfg: &Config, run: &mut RunState, reason: &str, tool: ToolId) -> bool {
    if !cfg.detect.warns(reason) {
        return false;
    }
    let Some(detector) = WARNABLE.iter().find(|d| **d == reason) else {
        return false;
    };
    run.detect.warned.insert((detector, tool))
}

/// A side-effect-free detector's decision, turned into a warning the first
/// time (see [`first`]).
pub fn soften(cfg: &Config, run: &mut RunState, tool: ToolId, d: Decision) -> Decision {
    let reason = d.reason.to_string();
    if !first(cfg, run, &reason, tool) {
        return d;
    }
    let message = d.injected_system.clone().unwrap_or_else(|| crate::messages::warned_block(&run.tool_at(tool).name));
    Decision::warned(&reason, message)
}

/// Keep the first warning and go on; return a decision that enforces.
/// Inlined: most checks find nothing, and a call would copy the whole
/// (empty) decision in and out.
#[inline(always)]
pub fn settle(d: Option<Decision>, warning: &mut Option<Decision>) -> Option<Decision> {
    match d {
        Some(d) if d.is_warning() => {
            warning.get_or_insert(d);
            None
        }
        other => other,
    }
}

/// An allowed call that carries a warning gives a warning event.
pub fn on_allowed(run: &mut RunState, tool: ToolId, d: &Decision, listening: bool) {
    if let (Some(w), true) = (&d.warning, listening) {
        let event = Warning {
            run_id: run.run_id.clone(),
            tool: Some(run.name(tool).clone()),
            reason: format!("warn_before_enforce:{}", w.reason),
        };
        run.push_event(Event::Warning(event));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Signer;
    use serde_json::json;

    fn setup(warn: serde_json::Value) -> (Config, RunState, ToolId, ToolId) {
        let cfg = Config::from_value(&json!({"secret_key": "k", "warn_before_enforce": warn})).unwrap();
        let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        let a = run.intern(&cfg, "a").unwrap();
        let b = run.intern(&cfg, "b").unwrap();
        (cfg, run, a, b)
    }

    #[test]
    fn warns_once_per_detector_and_tool() {
        let (cfg, mut run, a, b) = setup(json!(["identical_toolcall_loop"]));
        let d = soften(&cfg, &mut run, a, Decision::block("identical_toolcall_loop"));
        assert!(d.is_warning());
        let w = d.warning.unwrap();
        assert_eq!(w.reason, "identical_toolcall_loop");
        assert!(w.message.contains("`a`"), "{}", w.message);
        assert_eq!(
            soften(&cfg, &mut run, a, Decision::block("identical_toolcall_loop")).reason,
            "identical_toolcall_loop"
        );
        assert!(soften(&cfg, &mut run, b, Decision::block("identical_toolcall_loop")).is_warning(), "another tool");
    }

    #[test]
    fn unlisted_detectors_and_the_default_enforce_at_once() {
        let (cfg, mut run, a, _) = setup(json!(["arg_jitter_loop"]));
        let d = Decision::rewrite("max_calls_per_tool", "x".into());
        assert_eq!(soften(&cfg, &mut run, a, d.clone()), d);
        let (cfg, mut run, a, _) = setup(json!(false));
        assert!(!first(&cfg, &mut run, "arg_jitter_loop", a));
        assert!(run.detect.warned.is_empty());
    }

    #[test]
    fn the_rewrite_text_is_the_warning_text() {
        let (cfg, mut run, a, _) = setup(json!(true));
        let d = soften(&cfg, &mut run, a, Decision::rewrite("max_calls_per_tool", "stop calling a".into()));
        assert_eq!(d.warning.unwrap().message, "stop calling a");
    }

    #[test]
    fn settle_keeps_the_first_warning_and_passes_enforcement() {
        let mut w = None;
        assert!(settle(Some(Decision::warned("sequence_loop", "m".into())), &mut w).is_none());
        assert!(settle(Some(Decision::warned("max_calls_per_tool", "n".into())), &mut w).is_none());
        assert_eq!(w.as_ref().unwrap().warning.as_ref().unwrap().reason, "sequence_loop");
        assert_eq!(settle(Some(Decision::block("x")), &mut w).unwrap().reason, "x");
        assert!(settle(None, &mut w).is_none());
    }
}
