//! Sequence loop (step 10): the same cycle of two or more tools repeated
//! `sequence_repeat_threshold` times in a row (ping-pong, circular
//! delegation) quarantines the tool that would continue it.

use std::collections::VecDeque;

use crate::config::Config;
use crate::decision::Decision;
use crate::messages;
use crate::state::WindowEntry;

/// The repeating pattern that the window plus `tool` ends with, if any.
pub fn detect(cfg: &Config, window: &VecDeque<WindowEntry>, tool: &str) -> Option<Vec<String>> {
    let names: Vec<&str> = window
        .iter()
        .map(|w| &*w.tool)
        .chain(std::iter::once(tool))
        .collect();
    for len in 2..=cfg.max_sequence_length {
        let need = len * cfg.sequence_repeat_threshold;
        if names.len() < need {
            continue;
        }
        let tail = &names[names.len() - need..];
        let pattern = &tail[..len];
        let mut distinct = pattern.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 2 {
            continue;
        }
        if tail.chunks(len).all(|chunk| chunk == pattern) {
            return Some(pattern.iter().map(|s| s.to_string()).collect());
        }
    }
    None
}

pub fn check(
    cfg: &Config,
    window: &VecDeque<WindowEntry>,
    tool: &str,
) -> Option<(Decision, String)> {
    if !cfg.sequence_detection_enabled {
        return None;
    }
    let pattern = detect(cfg, window, tool)?.join(" \u{2192} ");
    let d = Decision::rewrite(
        format!("sequence_loop:{pattern}"),
        messages::sequence_loop(&pattern),
    );
    Some((d, "sequence_loop".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn window(names: &[&str]) -> VecDeque<WindowEntry> {
        names
            .iter()
            .map(|t| WindowEntry {
                tool: (*t).into(),
                args_sig: [0; 32],
                ticket_sig: [0; 32],
            })
            .collect()
    }

    fn cfg(extra: serde_json::Value) -> Config {
        let mut v = json!({"secret_key": "k"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        Config::from_value(&v).unwrap()
    }

    #[test]
    fn detects_ping_pong_at_the_threshold() {
        let c = cfg(json!({}));
        assert!(detect(&c, &window(&["a", "b", "a", "b", "a"]), "b").is_some());
        assert!(
            detect(&c, &window(&["b", "a", "b", "a"]), "b").is_none(),
            "5 names < 6 needed"
        );
        let (d, why) = check(&c, &window(&["x", "a", "b", "a", "b", "a"]), "b").unwrap();
        assert_eq!(d.reason, "sequence_loop:a \u{2192} b");
        assert_eq!(why, "sequence_loop");
    }

    #[test]
    fn detects_longer_cycles_and_ignores_single_tool_runs() {
        let c = cfg(json!({"sequence_repeat_threshold": 2}));
        assert_eq!(
            detect(&c, &window(&["a", "b", "c", "a", "b"]), "c").unwrap(),
            ["a", "b", "c"]
        );
        assert!(
            detect(&c, &window(&["a", "a", "a"]), "a").is_none(),
            "one distinct name is not a cycle"
        );
        assert!(detect(&c, &window(&["a", "b", "c", "a", "c"]), "b").is_none());
    }

    #[test]
    fn respects_max_length_and_the_switch() {
        let c = cfg(json!({"sequence_repeat_threshold": 2, "max_sequence_length": 2}));
        assert!(detect(&c, &window(&["a", "b", "c", "a", "b"]), "c").is_none());
        let off = cfg(json!({"sequence_detection_enabled": false}));
        assert!(check(&off, &window(&["a", "b", "a", "b", "a"]), "b").is_none());
    }
}
