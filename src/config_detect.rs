//! The configuration of the opt-in detectors (docs/DETECTION.md): loops by
//! result, polling tools, the half-open circuit breaker, the warning step,
//! cycles with gaps, run limits beyond dollars, and text in every language.
//! Every key defaults to "off", so a configuration without them decides
//! exactly as the reference package does.

use std::collections::HashSet;

use serde_json::Value;

use crate::config::{boolean, count, opt, positive, string_set, wrong, MAX_CALLS, MAX_THRESHOLD, MAX_WINDOW};
use crate::error::{Error, Result};
use crate::text_phrases::{PhraseKind, StallPhrases};

/// The detectors that `warn_before_enforce` can soften, by reason code.
pub const WARNABLE: &[&str] =
    &["identical_toolcall_loop", "arg_jitter_loop", "same_result_loop", "sequence_loop", "max_calls_per_tool"];

/// Longest cooldown, in seconds (a week); doubling stops at
/// [`MAX_COOLDOWN_DOUBLINGS`].
pub const MAX_COOLDOWN_S: f64 = 7.0 * 24.0 * 3600.0;
/// A failed probe doubles the cooldown at most this many times (64 times
/// the configured cooldown).
pub const MAX_COOLDOWN_DOUBLINGS: u32 = 6;
/// Longest run time limit, in seconds (thirty days).
pub const MAX_RUN_SECONDS: f64 = 30.0 * 24.0 * 3600.0;
/// Largest token limit.
pub const MAX_TOKENS: u64 = 1_000_000_000_000;

/// The opt-in keys, all off by default.
#[derive(Debug, Clone, Default)]
pub struct DetectConfig {
    /// Allowed calls of one tool, with different arguments, whose results
    /// are equal, that make a loop (`same_result_loop`).
    pub same_result_threshold: Option<usize>,
    /// Tools for which an identical repeat counts only while its result is unchanged.
    pub poll_tools: HashSet<String>,
    pub quarantine_cooldown_s: Option<f64>,
    pub quarantine_cooldown_calls: Option<u64>,
    /// Reason codes of the detectors that warn once before they enforce.
    pub warn_before_enforce: HashSet<String>,
    /// Unrelated calls allowed between two calls of a cycle.
    pub sequence_gap_tolerance: usize,
    pub max_model_calls: Option<u64>,
    pub max_tokens_per_run: Option<u64>,
    pub max_tool_calls_per_run: Option<u64>,
    pub max_run_seconds: Option<f64>,
    /// Normalized, script-aware tokens and stall phrases of many languages.
    pub multilingual_text: bool,
    /// Stall phrases added by the operator.
    pub stall_phrases: StallPhrases,
}

impl DetectConfig {
    /// Whether the half-open breaker is configured.
    pub fn has_cooldown(&self) -> bool {
        self.quarantine_cooldown_s.is_some() || self.quarantine_cooldown_calls.is_some()
    }

    /// Whether a detector reads the clock (a time cooldown or a run time limit).
    pub fn uses_clock(&self) -> bool {
        self.quarantine_cooldown_s.is_some() || self.max_run_seconds.is_some()
    }

    /// Whether results must be kept for the result-aware detectors.
    pub fn keeps_results(&self) -> bool {
        self.same_result_threshold.is_some() || !self.poll_tools.is_empty()
    }

    /// Whether any detector here keeps state across calls (saved in `body.detect`).
    pub fn has_run_state(&self) -> bool {
        self.has_cooldown()
            || self.keeps_results()
            || !self.warn_before_enforce.is_empty()
            || self.max_model_calls.is_some()
            || self.max_tokens_per_run.is_some()
            || self.max_tool_calls_per_run.is_some()
            || self.max_run_seconds.is_some()
    }

    pub fn warns(&self, reason: &str) -> bool {
        self.warn_before_enforce.contains(reason)
    }
}

/// Read `k` into `d` if it is one of the detectors' keys (listed in
/// `config::CONFIG_KEYS`); false for any other key.
pub fn read(d: &mut DetectConfig, k: &str, v: &Value) -> Result<bool> {
    match k {
        "same_result_threshold" => d.same_result_threshold = opt(v, |v| count(k, v, 2, MAX_THRESHOLD))?,
        "poll_tools" => d.poll_tools = string_set(k, v)?,
        "quarantine_cooldown_s" => d.quarantine_cooldown_s = opt(v, |v| bounded_seconds(k, v, MAX_COOLDOWN_S))?,
        "quarantine_cooldown_calls" => d.quarantine_cooldown_calls = opt(v, |v| count(k, v, 1, MAX_THRESHOLD))?,
        "warn_before_enforce" => d.warn_before_enforce = warn_list(k, v)?,
        "sequence_gap_tolerance" => d.sequence_gap_tolerance = count(k, v, 0, MAX_WINDOW)?,
        "max_model_calls" => d.max_model_calls = opt(v, |v| count(k, v, 1, MAX_CALLS))?,
        "max_tokens_per_run" => d.max_tokens_per_run = opt(v, |v| count(k, v, 1, MAX_TOKENS))?,
        "max_tool_calls_per_run" => d.max_tool_calls_per_run = opt(v, |v| count(k, v, 1, MAX_CALLS))?,
        "max_run_seconds" => d.max_run_seconds = opt(v, |v| bounded_seconds(k, v, MAX_RUN_SECONDS))?,
        "multilingual_text" => d.multilingual_text = boolean(k, v)?,
        "stall_phrases" => d.stall_phrases = stall_phrases(k, v)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn bounded_seconds(key: &str, v: &Value, max: f64) -> Result<f64> {
    let x = positive(key, v)?;
    if x > max {
        return Err(Error::config(format!("config key `{key}` must be at most {max} seconds, got {x}")));
    }
    Ok(x)
}

/// `true` (every detector that can warn), `false` (none) or a list of reason codes.
fn warn_list(key: &str, v: &Value) -> Result<HashSet<String>> {
    match v {
        Value::Bool(true) => Ok(WARNABLE.iter().map(|s| s.to_string()).collect()),
        Value::Bool(false) => Ok(HashSet::new()),
        Value::Array(_) => {
            let set = string_set(key, v)?;
            match set.iter().find(|s| !WARNABLE.contains(&s.as_str())) {
                Some(bad) => Err(Error::config(format!(
                    "config key `{key}` names `{bad}`, which is not a detector that can warn (choose from {})",
                    WARNABLE.join(", ")
                ))),
                None => Ok(set),
            }
        }
        other => Err(wrong(key, "true, false or an array of detector reason codes", other)),
    }
}

/// Most phrases an operator may add, over all kinds.
pub const MAX_PHRASES: usize = 1000;
/// Longest phrase, in bytes.
pub const MAX_PHRASE_BYTES: usize = 200;

/// `{"apology": [...], "still_working": [...], "nuisance": [...]}`.
fn stall_phrases(key: &str, v: &Value) -> Result<StallPhrases> {
    let obj = v.as_object().ok_or_else(|| wrong(key, "an object", v))?;
    let mut lists: Vec<(PhraseKind, Vec<String>)> = Vec::new();
    let mut total = 0;
    for (kind, list) in obj {
        let path = format!("{key}.{kind}");
        let Some(kind) = PhraseKind::from_name(kind) else {
            return Err(Error::config(format!(
                "unknown config key `{kind}` in `{key}` (expected apology, still_working, nuisance)"
            )));
        };
        let arr = list.as_array().ok_or_else(|| wrong(&path, "an array of strings", list))?;
        let mut phrases = Vec::with_capacity(arr.len());
        for item in arr {
            let p = item.as_str().ok_or_else(|| wrong(&path, "an array of strings", item))?;
            if p.trim().is_empty() || p.len() > MAX_PHRASE_BYTES {
                return Err(Error::config(format!(
                    "config key `{path}` holds a phrase that is blank or over {MAX_PHRASE_BYTES} bytes"
                )));
            }
            phrases.push(p.to_string());
        }
        total += phrases.len();
        lists.push((kind, phrases));
    }
    if total > MAX_PHRASES {
        return Err(Error::config(format!(
            "config key `{key}` holds {total} phrases, over the limit of {MAX_PHRASES}"
        )));
    }
    StallPhrases::new(&lists).map_err(|e| Error::config(format!("config key `{key}`: {e}")))
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use serde_json::{json, Value};

    fn cfg(extra: Value) -> Result<Config, String> {
        let mut v = json!({"secret_key": "k"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        Config::from_value(&v).map_err(|e| e.message().to_string())
    }

    #[test]
    fn every_key_is_off_by_default() {
        let d = cfg(json!({})).unwrap().detect;
        assert_eq!(d.same_result_threshold, None);
        assert!(d.poll_tools.is_empty() && d.warn_before_enforce.is_empty());
        assert!(!d.has_cooldown() && !d.keeps_results() && !d.multilingual_text);
        assert_eq!(d.sequence_gap_tolerance, 0);
        assert_eq!((d.max_model_calls, d.max_tokens_per_run, d.max_tool_calls_per_run), (None, None, None));
        assert_eq!(d.max_run_seconds, None);
        assert!(d.stall_phrases.is_empty());
    }

    #[test]
    fn values_are_read() {
        let d = cfg(json!({"same_result_threshold": 3, "poll_tools": ["get_job_status"], "quarantine_cooldown_s": 30,
            "quarantine_cooldown_calls": 5, "warn_before_enforce": ["arg_jitter_loop"], "sequence_gap_tolerance": 2,
            "max_model_calls": 10, "max_tokens_per_run": 5000, "max_tool_calls_per_run": 20, "max_run_seconds": 60.5,
            "multilingual_text": true, "stall_phrases": {"apology": ["mea culpa"]}}))
        .unwrap()
        .detect;
        assert_eq!(d.same_result_threshold, Some(3));
        assert!(d.poll_tools.contains("get_job_status"));
        assert_eq!((d.quarantine_cooldown_s, d.quarantine_cooldown_calls), (Some(30.0), Some(5)));
        assert!(d.warns("arg_jitter_loop") && !d.warns("sequence_loop"));
        assert_eq!(d.sequence_gap_tolerance, 2);
        assert_eq!(
            (d.max_model_calls, d.max_tokens_per_run, d.max_tool_calls_per_run),
            (Some(10), Some(5000), Some(20))
        );
        assert_eq!(d.max_run_seconds, Some(60.5));
        assert!(d.multilingual_text && !d.stall_phrases.is_empty());
        let all = cfg(json!({"warn_before_enforce": true})).unwrap().detect;
        assert_eq!(all.warn_before_enforce.len(), super::WARNABLE.len());
        assert!(cfg(json!({"warn_before_enforce": false})).unwrap().detect.warn_before_enforce.is_empty());
    }

    #[test]
    fn bad_values_name_the_key_and_the_bound() {
        for (extra, needle) in [
            (json!({"same_result_threshold": 1}), "`same_result_threshold` must be from 2"),
            (json!({"same_result_threshold": "3"}), "same_result_threshold"),
            (json!({"poll_tools": "get_job_status"}), "poll_tools"),
            (json!({"quarantine_cooldown_s": 0}), "quarantine_cooldown_s"),
            (json!({"quarantine_cooldown_s": 1e9}), "at most 604800 seconds"),
            (json!({"quarantine_cooldown_calls": 0}), "quarantine_cooldown_calls"),
            (json!({"warn_before_enforce": ["stall"]}), "`stall`, which is not a detector that can warn"),
            (json!({"warn_before_enforce": "yes"}), "warn_before_enforce"),
            (json!({"sequence_gap_tolerance": -1}), "sequence_gap_tolerance"),
            (json!({"sequence_gap_tolerance": 10_001}), "sequence_gap_tolerance"),
            (json!({"max_model_calls": 0}), "max_model_calls"),
            (json!({"max_tokens_per_run": 0}), "max_tokens_per_run"),
            (json!({"max_tool_calls_per_run": 2.5}), "max_tool_calls_per_run"),
            (json!({"max_run_seconds": -1}), "max_run_seconds"),
            (json!({"multilingual_text": 1}), "multilingual_text"),
            (json!({"stall_phrases": ["sorry"]}), "stall_phrases"),
            (json!({"stall_phrases": {"excuse": ["x"]}}), "`excuse` in `stall_phrases`"),
            (json!({"stall_phrases": {"apology": ["  "]}}), "stall_phrases.apology"),
            (json!({"stall_phrases": {"apology": [3]}}), "stall_phrases.apology"),
        ] {
            let m = cfg(extra.clone()).unwrap_err();
            assert!(m.contains(needle), "{extra}: {m}");
        }
        let many: Vec<String> = (0..1001).map(|i| format!("p{i}")).collect();
        assert!(cfg(json!({"stall_phrases": {"nuisance": many}})).unwrap_err().contains("over the limit of 1000"));
    }

    #[test]
    fn null_switches_a_limit_off() {
        let d = cfg(json!({"same_result_threshold": null, "quarantine_cooldown_s": null, "max_model_calls": null,
            "max_run_seconds": null}))
        .unwrap()
        .detect;
        assert!(d.same_result_threshold.is_none() && !d.has_cooldown());
        assert!(d.max_model_calls.is_none() && d.max_run_seconds.is_none());
    }
}
