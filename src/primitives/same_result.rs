//! Result-aware loops (step 8b, `same_result_threshold`) and polling tools
//! (`poll_tools`).
//!
//! A tool called with different arguments that keeps giving the same answer
//! is a loop the jitter detector misses (the words differ, the answer does
//! not): once `same_result_threshold` calls of a tool in the window, with
//! distinct arguments, returned equal payloads, its next call gets a
//! rewrite `same_result_loop`. For a polling tool an identical repeat
//! counts only while its result is unchanged: a job status may be polled
//! for as long as the job moves.

use super::Call;
use crate::config::Config;
use crate::decision::Decision;
use crate::messages;
use crate::signature::Sig;
use crate::state::{RunState, ToolId};
use crate::state_detect::ResultEntry;

/// Result bookkeeping: keep the result of an executed read while it is in
/// the window (only when a result-aware key is on).
pub fn on_result(cfg: &Config, run: &mut RunState, entry: ResultEntry) {
    if !cfg.detect.keeps_results() {
        return;
    }
    let results = &mut run.detect.results;
    if results.len() >= cfg.tool_loop_window {
        results.pop_front();
    }
    results.push_back(entry);
}

/// The repeat count of a polling tool's call: one plus the number of the
/// latest results of the same call that equal the last one (so a changed
/// result starts the count over).
pub fn poll_repeats(run: &RunState, tool: ToolId, args_sig: &Sig) -> usize {
    let mut same = run.detect.results.iter().rev().filter(|r| r.tool == tool && r.args_sig == *args_sig);
    let Some(last) = same.next() else {
        return 1;
    };
    let outcome = |r: &ResultEntry| (r.ok, r.payload_sig);
    2 + same.take_while(|r| outcome(r) == outcome(last)).count()
}

/// The number of distinct arguments, among the tool's kept results, that
/// share the most common successful payload.
fn most_distinct_args_with_one_result(run: &RunState, tool: ToolId) -> usize {
    let mut pairs: Vec<(Sig, Sig)> = run
        .detect
        .results
        .iter()
        .filter(|r| r.tool == tool && r.ok)
        .filter_map(|r| r.payload_sig.map(|p| (p, r.args_sig)))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut best = 0;
    let mut i = 0;
    while i < pairs.len() {
        let j = i + pairs[i..].iter().take_while(|p| p.0 == pairs[i].0).count();
        best = best.max(j - i);
        i = j;
    }
    best
}

/// Step 8b: a rewrite once enough different calls of the tool returned one result.
pub fn check(cfg: &Config, run: &mut RunState, call: &Call) -> Option<Decision> {
    let threshold = cfg.detect.same_result_threshold?;
    if call.side_effect || most_distinct_args_with_one_result(run, call.tool) < threshold {
        return None;
    }
    let text = messages::same_result_loop(call.name);
    if super::warning::first(cfg, run, "same_result_loop", call.tool) {
        return Some(Decision::warned("same_result_loop", text));
    }
    Some(Decision::rewrite("same_result_loop", text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::Args;
    use crate::signature::Signer;
    use serde_json::{json, Map, Value};

    fn setup(extra: Value) -> (Config, RunState, ToolId, ToolId) {
        let mut v = json!({"secret_key": "k"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let cfg = Config::from_value(&v).unwrap();
        let mut run = RunState::with_memory_ledger(&cfg, &Signer::new(b"k"));
        let a = run.intern(&cfg, "lookup").unwrap();
        let b = run.intern(&cfg, "other").unwrap();
        (cfg, run, a, b)
    }

    fn result(tool: ToolId, args: u8, payload: Option<u8>) -> ResultEntry {
        ResultEntry { tool, args_sig: [args; 32], ok: true, payload_sig: payload.map(|p| [p; 32]) }
    }

    fn decide(cfg: &Config, run: &mut RunState, tool: ToolId) -> Option<Decision> {
        let args = Map::new();
        let call = Call {
            tool,
            name: "lookup",
            args: Args::Map(&args),
            args_sig: [99; 32],
            ticket_sig: [0; 32],
            side_effect: false,
            repeats: 1,
        };
        check(cfg, run, &call)
    }

    #[test]
    fn the_threshold_of_distinct_args_with_one_answer_rewrites() {
        let (cfg, mut run, a, _) = setup(json!({"same_result_threshold": 3}));
        on_result(&cfg, &mut run, result(a, 1, Some(7)));
        on_result(&cfg, &mut run, result(a, 2, Some(7)));
        assert!(decide(&cfg, &mut run, a).is_none(), "two are below three");
        on_result(&cfg, &mut run, result(a, 3, Some(7)));
        let d = decide(&cfg, &mut run, a).unwrap();
        assert_eq!(d.reason, "same_result_loop");
        assert!(d.injected_system.unwrap().contains("lookup"));
    }

    #[test]
    fn it_does_not_fire_on_identical_args_different_answers_failures_or_other_tools() {
        let (cfg, mut run, a, b) = setup(json!({"same_result_threshold": 2}));
        // The same arguments three times: that is the repeat detector's job.
        for _ in 0..3 {
            on_result(&cfg, &mut run, result(a, 1, Some(7)));
        }
        assert!(decide(&cfg, &mut run, a).is_none());
        // Different arguments, different answers.
        on_result(&cfg, &mut run, result(a, 2, Some(8)));
        assert!(decide(&cfg, &mut run, a).is_none());
        // Null payloads and failures are not "the same answer".
        on_result(&cfg, &mut run, result(a, 3, None));
        on_result(&cfg, &mut run, ResultEntry { ok: false, ..result(a, 4, Some(8)) });
        assert!(decide(&cfg, &mut run, a).is_none());
        // Another tool's equal answer does not count for this one.
        on_result(&cfg, &mut run, result(b, 5, Some(7)));
        assert!(decide(&cfg, &mut run, a).is_none());
        on_result(&cfg, &mut run, result(a, 6, Some(8)));
        assert_eq!(decide(&cfg, &mut run, a).unwrap().reason, "same_result_loop");
    }

    #[test]
    fn results_leave_with_the_window_and_nothing_is_kept_when_off() {
        let (cfg, mut run, a, b) = setup(json!({"same_result_threshold": 2, "tool_loop_window": 3}));
        on_result(&cfg, &mut run, result(a, 1, Some(7)));
        on_result(&cfg, &mut run, result(a, 2, Some(7)));
        assert!(decide(&cfg, &mut run, a).is_some());
        on_result(&cfg, &mut run, result(b, 3, Some(1)));
        on_result(&cfg, &mut run, result(b, 4, Some(2)));
        assert!(decide(&cfg, &mut run, a).is_none(), "the first result left the window");
        let (off, mut run, a, _) = setup(json!({}));
        on_result(&off, &mut run, result(a, 1, Some(7)));
        assert!(run.detect.results.is_empty());
        assert!(decide(&off, &mut run, a).is_none());
    }

    #[test]
    fn a_poll_repeats_only_while_its_result_is_unchanged() {
        let (cfg, mut run, a, _) = setup(json!({"poll_tools": ["lookup"]}));
        assert_eq!(poll_repeats(&run, a, &[1; 32]), 1);
        on_result(&cfg, &mut run, result(a, 1, Some(10)));
        assert_eq!(poll_repeats(&run, a, &[1; 32]), 2);
        on_result(&cfg, &mut run, result(a, 1, Some(11)));
        assert_eq!(poll_repeats(&run, a, &[1; 32]), 2, "the job moved");
        on_result(&cfg, &mut run, result(a, 1, Some(11)));
        assert_eq!(poll_repeats(&run, a, &[1; 32]), 3, "unchanged twice");
        assert_eq!(poll_repeats(&run, a, &[2; 32]), 1, "other arguments");
    }

    #[test]
    fn warns_first_when_asked() {
        let (cfg, mut run, a, _) =
            setup(json!({"same_result_threshold": 2, "warn_before_enforce": ["same_result_loop"]}));
        on_result(&cfg, &mut run, result(a, 1, Some(7)));
        on_result(&cfg, &mut run, result(a, 2, Some(7)));
        assert!(decide(&cfg, &mut run, a).unwrap().is_warning());
        assert_eq!(decide(&cfg, &mut run, a).unwrap().reason, "same_result_loop");
    }
}
