//! Sequence loop (step 10): the same cycle of two or more tools repeated
//! `sequence_repeat_threshold` times in a row (ping-pong, circular
//! delegation) quarantines the tool that would continue it.

use std::collections::VecDeque;

use crate::config::Config;
use crate::decision::Decision;
use crate::messages;
use crate::state::{RunState, ToolId, WindowEntry};

/// The repeating pattern that the window plus `tool` ends with, if any.
/// Works on the window in place: no allocation unless a loop is found.
pub fn detect(cfg: &Config, window: &VecDeque<WindowEntry>, tool: ToolId) -> Option<Vec<ToolId>> {
    let total = window.len() + 1;
    let at = |i: usize| if i == window.len() { tool } else { window[i].tool };
    for len in 2..=cfg.max_sequence_length {
        // Longer cycles need more calls than the window holds: stop there,
        // so a large `max_sequence_length` costs nothing.
        let need = match len.checked_mul(cfg.sequence_repeat_threshold) {
            Some(need) if need <= total => need,
            _ => break,
        };
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

/// Step 10: a continued cycle quarantines the tool that would continue it.
pub fn check(cfg: &Config, run: &mut RunState, tool: ToolId) -> Option<Decision> {
    if !cfg.sequence_detection_enabled {
        return None;
    }
    let ids = detect(cfg, &run.window, tool)?;
    run.tool_mut(tool).set_quarantine("sequence_loop");
    let pattern = ids.iter().map(|id| &**run.name(*id)).collect::<Vec<_>>().join(" \u{2192} ");
    Some(Decision::rewrite(format!("sequence_loop:{pattern}"), messages::sequence_loop(&pattern)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn window(names: &[u32]) -> VecDeque<WindowEntry> {
        names.iter().map(|t| WindowEntry { tool: ToolId(*t), args_sig: [0; 32], ticket_sig: [0; 32] }).collect()
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
}
