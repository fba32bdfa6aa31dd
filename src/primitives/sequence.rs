//! Sequence loop (step 10): the same cycle of two or more tools repeated
//! `sequence_repeat_threshold` times in a row (ping-pong, circular
//! delegation) quarantines the tool that would continue it.

use std::collections::VecDeque;

use crate::config::Config;
use crate::decision::Decision;
use crate::messages;
use crate::state::{RunState, ToolId, WindowEntry};
use crate::window::Window;

/// The repeating pattern that the window plus `tool` ends with, if any.
/// Works on the window in place: no allocation unless a loop is found.
pub fn detect(cfg: &Config, window: &Window, tool: ToolId) -> Option<Vec<ToolId>> {
    let total = window.len() + 1;
    let at = |i: usize| if i == window.len() { tool } else { window[i].tool };
    // The calls at the end that are all `tool`, this one included (up to
    // the longest cycle's span; the window keeps the count): a stretch of
    // one tool holds no cycle, which settles the usual case, one tool
    // called again, without a walk through the window.
    let longest = cfg.max_sequence_length.saturating_mul(cfg.sequence_repeat_threshold).min(total);
    let same_tail = 1 + window.run_of(tool, longest - 1);
    // Every cycle the loop below could find would lie inside that stretch.
    if same_tail >= longest {
        return None;
    }
    for len in 2..=cfg.max_sequence_length {
        // Longer cycles need more calls than the window holds: stop there,
        // so a large `max_sequence_length` costs nothing.
        let need = match len.checked_mul(cfg.sequence_repeat_threshold) {
            Some(need) if need <= total => need,
            _ => break,
        };
        if need <= same_tail {
            continue;
        }
        let start = total - need;
        let pattern = |k: usize| at(start + k);
        // A cycle needs at least two distinct tools.
        if (1..len).all(|k| pattern(k) == pattern(0)) {
            continue;
        }
        if (len..need).all(|k| at(start + k) == pattern(k % len)) {
            return Some((0..len).map(pattern).collect());
        }
    }
    None
}

/// As [`detect`], with up to `gap` unrelated calls (of tools outside the
/// cycle) allowed between two rounds of the cycle (`sequence_gap_tolerance`).
/// Each round is unbroken, and the latest, ending with `tool`, defines the
/// cycle; a call inside a round, or of one of the cycle's tools out of its
/// turn, ends the search. When every gap holds the same calls, those calls
/// are part of a longer cycle, not unrelated: that cycle is left to the
/// package's rule (which sees it once it repeats back to back).
pub fn detect_with_gaps(cfg: &Config, window: &VecDeque<WindowEntry>, tool: ToolId, gap: usize) -> Option<Vec<ToolId>> {
    let total = window.len() + 1;
    let at = |i: usize| if i == window.len() { tool } else { window[i].tool };
    for len in 2..=cfg.max_sequence_length.min(total) {
        let need = len.saturating_mul(cfg.sequence_repeat_threshold);
        if need > total {
            break;
        }
        let pattern: Vec<ToolId> = (total - len..total).map(at).collect();
        if pattern.iter().all(|t| *t == pattern[0]) {
            continue;
        }
        // The k-th call of the cycle counted back from the end is pattern[len - 1 - k % len].
        let mut matched = len;
        // The calls between two rounds, for each boundary crossed so far.
        let mut gaps: Vec<Vec<ToolId>> = Vec::new();
        let mut current: Vec<ToolId> = Vec::new();
        for i in (0..total - len).rev() {
            if matched >= need {
                break;
            }
            let t = at(i);
            if t == pattern[len - 1 - matched % len] {
                if matched % len == 0 {
                    gaps.push(std::mem::take(&mut current));
                }
                matched += 1;
            } else if pattern.contains(&t) || matched % len != 0 || current.len() >= gap {
                break;
            } else {
                current.push(t);
            }
        }
        let one_longer_cycle = gaps.first().is_some_and(|g| !g.is_empty() && gaps.iter().all(|x| x == g));
        if matched >= need && !one_longer_cycle {
            return Some(pattern);
        }
    }
    None
}

/// Step 10: a continued cycle quarantines the tool that would continue it.
pub fn check(cfg: &Config, run: &mut RunState, tool: ToolId) -> Option<Decision> {
    if !cfg.sequence_detection_enabled {
        return None;
    }
    let ids = match cfg.detect.sequence_gap_tolerance {
        0 => detect(cfg, &run.window, tool)?,
        gap => detect_with_gaps(cfg, &run.window, tool, gap)?,
    };
    let pattern = ids.iter().map(|id| &**run.name(*id)).collect::<Vec<_>>().join(" \u{2192} ");
    let text = messages::sequence_loop(&pattern);
    if super::warning::first(cfg, run, "sequence_loop", tool) {
        return Some(Decision::warned("sequence_loop", text));
    }
    run.tool_mut(tool).set_quarantine("sequence_loop");
    Some(Decision::rewrite(format!("sequence_loop:{pattern}"), text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn window(names: &[u32]) -> Window {
        Window::from_calls(
            names.iter().map(|t| WindowEntry { tool: ToolId(*t), args_sig: [0; 32], ticket_sig: [0; 32] }).collect(),
        )
    }

    fn cfg(extra: serde_json::Value) -> Config {
        let mut v = json!({"secret_key": "k"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        Config::from_value(&v).unwrap()
    }

    const A: ToolId = ToolId(0);
    const B: ToolId = ToolId(1);
    const C: ToolId = ToolId(2);

    #[test]
    fn detects_ping_pong_at_the_threshold() {
        let c = cfg(json!({}));
        assert_eq!(detect(&c, &window(&[0, 1, 0, 1, 0]), B), Some(vec![A, B]));
        assert!(detect(&c, &window(&[1, 0, 1, 0]), B).is_none(), "5 names < 6 needed");
        assert_eq!(detect(&c, &window(&[7, 0, 1, 0, 1, 0]), B), Some(vec![A, B]));
    }

    #[test]
    fn detects_longer_cycles_and_ignores_single_tool_runs() {
        let c = cfg(json!({"sequence_repeat_threshold": 2}));
        assert_eq!(detect(&c, &window(&[0, 1, 2, 0, 1]), C).unwrap(), [A, B, C]);
        assert!(detect(&c, &window(&[0, 0, 0]), A).is_none(), "one distinct name is not a cycle");
        assert!(detect(&c, &window(&[0, 1, 2, 0, 2]), B).is_none());
    }

    #[test]
    fn respects_max_length_and_the_switch() {
        let c = cfg(json!({"sequence_repeat_threshold": 2, "max_sequence_length": 2}));
        assert!(detect(&c, &window(&[0, 1, 2, 0, 1]), C).is_none());
        let off = cfg(json!({"sequence_detection_enabled": false}));
        let signer = crate::signature::Signer::new(b"k");
        let mut run = RunState::with_memory_ledger(&off, &signer);
        let (a, b) = (run.intern(&off, "a").unwrap(), run.intern(&off, "b").unwrap());
        for t in [a, b, a, b, a] {
            run.push_window(&off, WindowEntry { tool: t, args_sig: [0; 32], ticket_sig: [0; 32] });
        }
        assert!(check(&off, &mut run, b).is_none());
        assert!(run.tool_at(b).quarantine.is_none());
        let on = cfg(json!({}));
        let d = check(&on, &mut run, b).unwrap();
        assert_eq!(d.reason, "sequence_loop:a \u{2192} b");
        assert_eq!(run.tool_at(b).quarantine.as_deref(), Some("sequence_loop"));
    }

    const X: ToolId = ToolId(7);
    const Y: ToolId = ToolId(8);

    #[test]
    fn gaps_of_unrelated_calls_up_to_the_tolerance_still_count() {
        let c = cfg(json!({"sequence_gap_tolerance": 1}));
        let w = window(&[0, 1, 7, 0, 1, 8, 0]);
        assert_eq!(detect_with_gaps(&c, &w, B, 1), Some(vec![A, B]));
        assert!(detect(&c, &w, B).is_none(), "the package's rule needs the rounds back to back");
        let w = window(&[0, 7, 1, 0, 1, 0]);
        assert!(detect_with_gaps(&c, &w, B, 1).is_none(), "a call inside a round is not a gap between rounds");
    }

    #[test]
    fn the_same_calls_in_every_gap_are_a_longer_cycle_not_gaps() {
        let c = cfg(json!({"sequence_repeat_threshold": 2}));
        // A B X A B: X recurs between the rounds; it is the cycle A B X.
        assert!(detect_with_gaps(&c, &window(&[0, 1, 7, 0]), B, 2).is_none());
        assert_eq!(detect_with_gaps(&c, &window(&[0, 1, 7, 0, 1]), X, 2), Some(vec![A, B, X]));
        let c = cfg(json!({}));
        assert!(detect_with_gaps(&c, &window(&[0, 1, 7, 0, 1, 7, 0]), B, 2).is_none());
        assert_eq!(detect_with_gaps(&c, &window(&[0, 1, 0, 1, 7, 0]), B, 2), Some(vec![A, B]), "one gap and none");
    }

    #[test]
    fn gaps_over_the_tolerance_and_cycle_tools_out_of_turn_break_the_cycle() {
        let c = cfg(json!({}));
        let w = window(&[0, 1, 7, 8, 0, 1, 0]);
        assert!(detect_with_gaps(&c, &w, B, 1).is_none(), "two unrelated calls in a row > 1");
        assert_eq!(detect_with_gaps(&c, &w, B, 2), Some(vec![A, B]));
        let w = window(&[0, 1, 1, 0, 1, 0]);
        assert!(detect_with_gaps(&c, &w, B, 5).is_none(), "B out of turn is not a gap");
        let _ = (X, Y);
    }

    #[test]
    fn with_no_gaps_it_agrees_with_the_package_rule() {
        let c = cfg(json!({"sequence_repeat_threshold": 2, "max_sequence_length": 4}));
        // Every window of up to 7 calls over three tools, and every next tool.
        for n in 0..=7u32 {
            for code in 0..3u32.pow(n) {
                let names: Vec<u32> = (0..n).map(|i| code / 3u32.pow(i) % 3).collect();
                let w = window(&names);
                for t in [A, B, C] {
                    assert_eq!(
                        detect_with_gaps(&c, &w, t, 0).is_some(),
                        detect(&c, &w, t).is_some(),
                        "{names:?} {t:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn warns_before_it_quarantines() {
        let c = cfg(json!({"warn_before_enforce": ["sequence_loop"]}));
        let signer = crate::signature::Signer::new(b"k");
        let mut run = RunState::with_memory_ledger(&c, &signer);
        let (a, b) = (run.intern(&c, "a").unwrap(), run.intern(&c, "b").unwrap());
        for t in [a, b, a, b, a] {
            run.push_window(&c, WindowEntry { tool: t, args_sig: [0; 32], ticket_sig: [0; 32] });
        }
        let d = check(&c, &mut run, b).unwrap();
        assert!(d.is_warning() && run.tool_at(b).quarantine.is_none());
        assert_eq!(check(&c, &mut run, b).unwrap().reason, "sequence_loop:a \u{2192} b");
    }
}
