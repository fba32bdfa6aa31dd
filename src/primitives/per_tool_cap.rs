//! Per-tool cap (step 9): a tool allowed `cap` times is quarantined.

use crate::config::Config;
use crate::decision::Decision;
use crate::messages;
use crate::state::{RunState, ToolId};

pub fn check(cfg: &Config, run: &mut RunState, tool: ToolId) -> Option<Decision> {
    let cap = run.tool_at(tool).rules.call_cap?;
    if run.tool_at(tool).allowed < cap {
        return None;
    }
    if super::warning::first(cfg, run, "max_calls_per_tool", tool) {
        return Some(Decision::warned("max_calls_per_tool", messages::per_tool_cap(run.name(tool), cap)));
    }
    let state = run.tool_mut(tool);
    state.set_quarantine("max_calls_per_tool");
    Some(Decision::rewrite("max_calls_per_tool", messages::per_tool_cap(&state.name, cap)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Signer;
    use serde_json::json;

    #[test]
    fn quarantines_once_the_cap_is_reached() {
        let cfg = Config::from_value(&json!({"secret_key": "k", "max_calls_per_tool": 2,
            "tool_policies": {"special": {"max_calls": 1}}}))
        .unwrap();
        let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        let t = run.intern(&cfg, "t").unwrap();
        let special = run.intern(&cfg, "special").unwrap();
        run.tool_mut(t).allowed = 1;
        assert!(check(&cfg, &mut run, t).is_none());
        run.tool_mut(t).allowed = 2;
        assert_eq!(check(&cfg, &mut run, t).unwrap().reason, "max_calls_per_tool");
        assert_eq!(run.tool_at(t).quarantine.as_deref(), Some("max_calls_per_tool"));
        run.tool_mut(special).allowed = 1;
        assert!(check(&cfg, &mut run, special).is_some(), "the policy's cap wins");
    }

    #[test]
    fn no_cap_means_no_check() {
        let cfg = Config::from_value(&json!({"secret_key": "k"})).unwrap();
        let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        let t = run.intern(&cfg, "t").unwrap();
        run.tool_mut(t).allowed = 1_000_000;
        assert!(check(&cfg, &mut run, t).is_none());
    }

    #[test]
    fn a_warning_first_leaves_the_tool_usable_once() {
        let cfg = Config::from_value(&json!({"secret_key": "k", "max_calls_per_tool": 1,
            "warn_before_enforce": ["max_calls_per_tool"]}))
        .unwrap();
        let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        let t = run.intern(&cfg, "t").unwrap();
        run.tool_mut(t).allowed = 1;
        let d = check(&cfg, &mut run, t).unwrap();
        assert!(d.is_warning());
        assert!(run.tool_at(t).quarantine.is_none(), "a warning does not quarantine");
        run.tool_mut(t).allowed = 2;
        assert_eq!(check(&cfg, &mut run, t).unwrap().reason, "max_calls_per_tool");
        assert!(run.tool_at(t).quarantine.is_some());
    }
}
