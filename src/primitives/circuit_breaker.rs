//! Circuit breaker: a quarantined tool is not called again in the run
//! (step 5); a tool that keeps failing with a retryable error class is
//! quarantined (in the result bookkeeping).

use crate::config::Config;
use crate::decision::Decision;
use crate::messages;
use crate::state::{RunState, ToolId};
use crate::text::error_class;

/// Step 5: a quarantined tool gets a rewrite.
pub fn check(run: &RunState, tool: ToolId) -> Option<Decision> {
    let state = run.tool_at(tool);
    let why = state.quarantine.as_deref()?;
    Some(Decision::rewrite(format!("tool_quarantined:{why}"), messages::quarantined(&state.name, why)))
}

/// Result bookkeeping: a success resets the tool's streaks; a failure adds
/// one to its class's streak and quarantines the tool once the streak
/// reaches `error_retry_threshold` for a class in `quarantine_error_codes`.
///
/// Only classes that can quarantine keep a streak: no other streak ever
/// decides anything, so the streaks are exact and bounded by the
/// configuration, however many distinct codes (request ids and all) a tool
/// reports.
pub fn on_result(cfg: &Config, run: &mut RunState, tool: ToolId, ok: bool, error_code: Option<&str>) {
    let state = run.tool_mut(tool);
    if ok {
        if !state.error_streaks.is_empty() {
            state.error_streaks.values_mut().for_each(|s| *s = 0);
        }
        return;
    }
    let class = error_class(error_code);
    if !cfg.quarantine_error_codes.contains(&class) {
        return;
    }
    let streak = state.error_streaks.entry(class.clone()).or_insert(0);
    *streak = streak.saturating_add(1);
    if *streak >= cfg.error_retry_threshold {
        state.set_quarantine(format!("error_retry:{class}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Signer;
    use serde_json::json;

    fn setup() -> (Config, RunState, ToolId) {
        let cfg = Config::from_value(&json!({"secret_key": "k"})).unwrap();
        let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        let api = run.intern(&cfg, "api").unwrap();
        (cfg, run, api)
    }

    #[test]
    fn quarantines_after_the_threshold_of_a_listed_class() {
        let (cfg, mut run, api) = setup();
        on_result(&cfg, &mut run, api, false, Some("503"));
        assert!(check(&run, api).is_none());
        on_result(&cfg, &mut run, api, false, Some("500"));
        let d = check(&run, api).unwrap();
        assert_eq!(d.reason, "tool_quarantined:error_retry:5xx");
        assert!(d.injected_system.unwrap().contains("api"));
    }

    #[test]
    fn success_resets_and_unlisted_classes_never_quarantine() {
        let (cfg, mut run, api) = setup();
        on_result(&cfg, &mut run, api, false, Some("timeout"));
        on_result(&cfg, &mut run, api, true, None);
        on_result(&cfg, &mut run, api, false, Some("timeout"));
        assert!(check(&run, api).is_none(), "the success reset the streak");
        for _ in 0..5 {
            on_result(&cfg, &mut run, api, false, Some("404"));
        }
        assert!(check(&run, api).is_none());
        on_result(&cfg, &mut run, api, false, Some("read_timeout"));
        assert_eq!(check(&run, api).unwrap().reason, "tool_quarantined:error_retry:timeout");
    }

    #[test]
    fn a_later_reason_replaces_an_earlier_one() {
        let (cfg, mut run, api) = setup();
        run.tool_mut(api).set_quarantine("arg_jitter_loop");
        on_result(&cfg, &mut run, api, false, Some("429"));
        on_result(&cfg, &mut run, api, false, Some("rate_limit"));
        assert_eq!(check(&run, api).unwrap().reason, "tool_quarantined:error_retry:429");
    }

    #[test]
    fn invented_error_codes_keep_no_streak_and_never_switch_the_breaker_off() {
        let (cfg, mut run, api) = setup();
        // Codes such as "weird-429" classify as 429: leave those out here.
        for code in (0..1000).map(|i| format!("weird-{i}")).filter(|c| !c.contains("429")) {
            on_result(&cfg, &mut run, api, false, Some(&code));
        }
        assert!(run.tool_at(api).error_streaks.is_empty());
        // Classes that can quarantine still count after any number of others.
        on_result(&cfg, &mut run, api, false, Some("timeout"));
        on_result(&cfg, &mut run, api, false, Some("request 8f3a: gateway timeout"));
        assert_eq!(check(&run, api).unwrap().reason, "tool_quarantined:error_retry:timeout");
    }
}
