//! Stall detection (`check_output`): an assistant that keeps saying the same
//! thing, or keeps apologising and "still checking", while no new tool
//! result arrives, is told once to finalize or escalate in a fixed JSON
//! form; if it does not comply, the run is escalated.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::config::Config;
use crate::decision::{Action, Decision, EscalationPacket, FinalizedOutput};
use crate::messages;
use crate::signature::{Sig, Signer};
use crate::state::{CallKey, RunState};
use crate::text::{stall_score_with, TokenSigner};

/// Result bookkeeping: a read's call and its payload, as progress markers
/// (a new one means the run moved on).
pub fn on_progress(cfg: &Config, run: &mut RunState, key: CallKey, payload_sig: Option<Sig>) {
    if run.unique_calls.len() < cfg.max_unique_calls_tracked {
        run.unique_calls.insert(key);
    }
    if let Some(ps) = payload_sig {
        if run.unique_results.len() < cfg.max_unique_calls_tracked {
            run.unique_results.insert(ps);
        }
    }
}

pub fn check(cfg: &Config, run: &mut RunState, token_signer: &mut TokenSigner, text: &str) -> Option<Decision> {
    // 1. After a rewrite, the reply may be the forced outcome.
    if run.stall.rewrites_used > 0 {
        if let Some(d) = forced_outcome(text) {
            return Some(d);
        }
        if run.stall.rewrites_used >= cfg.stall_rewrite_max_attempts {
            return Some(Decision::escalate(
                "stall_noncompliant_forced_outcome",
                EscalationPacket::new(
                    Value::Null,
                    &["loop_detected", "stall", "noncompliant"],
                    messages::summary_noncompliant(),
                ),
            ));
        }
    }

    // 2. New unique tool calls or results are progress: start over.
    let stall = &mut run.stall;
    let marker = (run.unique_calls.len(), run.unique_results.len());
    let (tokens, cues) = token_signer.message_set(text);
    if marker != stall.marker {
        stall.marker = marker;
        stall.similarity_streak = 0;
        stall.pattern_streak = 0;
        stall.last_tokens = Some(tokens);
        return None;
    }

    // 3. Saying nearly the same thing again.
    stall.similarity_streak = match &stall.last_tokens {
        Some(prev) if prev.overlap(&tokens) >= cfg.stall_text_similarity_threshold => {
            stall.similarity_streak.saturating_add(1)
        }
        _ => 0,
    };
    stall.last_tokens = Some(tokens);

    // 4. Apologising and "still working on it".
    let score = stall_score_with(text, cfg.detect.multilingual_text, &cfg.detect.stall_phrases, cues);
    if score >= cfg.stall_pattern_threshold {
        stall.pattern_streak = stall.pattern_streak.saturating_add(1);
    } else {
        stall.pattern_streak = 0;
    }

    // 5. Either streak at its threshold.
    if stall.similarity_streak < cfg.no_state_change_threshold
        && stall.pattern_streak < cfg.stall_pattern_streak_threshold
    {
        return None;
    }
    if stall.rewrites_used < cfg.stall_rewrite_max_attempts {
        stall.rewrites_used += 1;
        stall.similarity_streak = 0;
        stall.pattern_streak = 0;
        return Some(Decision::rewrite("no_state_change_loop", messages::stall_forced_outcome()));
    }
    Some(Decision::escalate(
        "stall_fallback_escalate",
        EscalationPacket::new(Value::Null, &["loop_detected", "stall"], messages::summary_stall_fallback()),
    ))
}

/// Longest reason code a forced outcome keeps in the log, events and a
/// saved state.
pub const MAX_LOGGED_REASON_CODE: usize = 64;

/// The reason of a forced outcome as the log, the events and a saved state
/// keep it. The model wrote it: a short code (`customer_confirmed`, letters,
/// digits, `_`, `-`, `.`) is kept, any other text is replaced by `text#`
/// and 16 hex digits of its signature, so no assistant text is ever stored
/// while equal reasons still count together. Other reasons are kept as they are.
// The reason as a `Cow`: a fixed code is returned still borrowed.
#[allow(clippy::ptr_arg)]
pub fn loggable_reason(signer: &Signer, reason: &Cow<'static, str>) -> Cow<'static, str> {
    // Most reasons are fixed codes: tell them apart before looking for ':'.
    if !reason.starts_with("forced_") {
        return reason.clone();
    }
    let Some((head, text)) = reason.split_once(':').filter(|(h, _)| h.starts_with("forced_")) else {
        return reason.clone();
    };
    let is_code = !text.is_empty()
        && text.len() <= MAX_LOGGED_REASON_CODE
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if is_code {
        return reason.clone();
    }
    let sig = signer.sign(&[b"reason:", text.as_bytes()]);
    Cow::Owned(format!("{head}:text#{}", crate::signature::hex(&sig[..8])))
}

fn non_blank(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// Read a reply as the forced outcome: one JSON object whose `action` is
/// `finalize` (with a `reply_draft`) or `escalate`, with a `reason`.
pub fn forced_outcome(text: &str) -> Option<Decision> {
    let t = text.trim();
    if !(t.starts_with('{') && t.ends_with('}')) {
        return None;
    }
    let obj: Map<String, Value> = serde_json::from_str(t).ok()?;
    let reason = non_blank(obj.get("reason"))?.trim().to_string();
    match obj.get("action").and_then(Value::as_str)? {
        "finalize" => {
            let reply_draft = non_blank(obj.get("reply_draft"))?.to_string();
            Some(Decision {
                finalized_output: Some(Box::new(FinalizedOutput { reply_draft, reason: reason.clone() })),
                ..Decision::new(Action::Finalize, format!("forced_finalize:{reason}"))
            })
        }
        "escalate" => {
            let empty = Map::new();
            let esc = obj.get("escalation").and_then(Value::as_object).unwrap_or(&empty);
            let list = |k: &str| esc.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
            let summary = esc.get("summary").and_then(Value::as_str).unwrap_or("(missing)");
            let mut packet = EscalationPacket::new(esc.get("route").cloned().unwrap_or(Value::Null), &[], summary);
            packet.tags = list("tags");
            packet.missing_info = Some(list("missing_info"));
            packet.reason = Some(reason.clone());
            Some(Decision::escalate(format!("forced_escalate:{reason}"), packet))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::signature::Signer;

    fn setup(extra: Value) -> (Config, RunState, TokenSigner) {
        let mut v = json!({"secret_key": "k"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let cfg = Config::from_value(&v).unwrap();
        let signer = Signer::new(b"k");
        let run = RunState::with_memory_ledger(&cfg, &signer);
        (cfg, run, TokenSigner::new(signer))
    }

    #[test]
    fn apology_spiral_rewrites_then_escalates_noncompliance() {
        let (cfg, mut run, mut s) = setup(json!({}));
        let sorry = "I'm sorry for the delay, I'm still checking.";
        assert!(check(&cfg, &mut run, &mut s, sorry).is_none(), "pattern streak 1");
        let d = check(&cfg, &mut run, &mut s, "Apologies, still looking into it.").unwrap();
        assert_eq!(d.reason, "no_state_change_loop");
        assert!(d.injected_system.unwrap().contains("JSON"));
        let d = check(&cfg, &mut run, &mut s, "Your order shipped.").unwrap();
        assert_eq!(d.reason, "stall_noncompliant_forced_outcome");
        assert_eq!(
            d.escalation_packet.unwrap().tags,
            vec![json!("loop_detected"), json!("stall"), json!("noncompliant")]
        );
    }

    #[test]
    fn repeating_the_same_text_trips_the_similarity_streak() {
        let (cfg, mut run, mut s) = setup(json!({"no_state_change_threshold": 2, "stall_rewrite_max_attempts": 2}));
        let t = "The order status is pending review";
        assert!(check(&cfg, &mut run, &mut s, t).is_none());
        assert!(check(&cfg, &mut run, &mut s, t).is_none(), "streak 1");
        assert_eq!(check(&cfg, &mut run, &mut s, t).unwrap().reason, "no_state_change_loop");
        // A rewrite remains, so a non-outcome text goes on to step 2.
        assert!(check(&cfg, &mut run, &mut s, t).is_none());
    }

    #[test]
    fn progress_resets_the_streaks() {
        let (cfg, mut run, mut s) = setup(json!({}));
        let sorry = "I'm sorry, still checking.";
        assert!(check(&cfg, &mut run, &mut s, sorry).is_none());
        run.unique_results.insert([9; 32]);
        assert!(check(&cfg, &mut run, &mut s, sorry).is_none(), "the marker changed: nothing to do");
        assert_eq!(run.stall.pattern_streak, 0);
        assert!(check(&cfg, &mut run, &mut s, sorry).is_none());
        assert!(check(&cfg, &mut run, &mut s, sorry).is_some());
    }

    #[test]
    fn zero_attempts_escalate_at_once_and_keep_escalating() {
        let (cfg, mut run, mut s) =
            setup(json!({"stall_rewrite_max_attempts": 0, "stall_pattern_streak_threshold": 1}));
        let d = check(&cfg, &mut run, &mut s, "Sorry for the wait, let me check").unwrap();
        assert_eq!(d.reason, "stall_fallback_escalate");
        assert_eq!(d.escalation_packet.unwrap().tags, vec![json!("loop_detected"), json!("stall")]);
        assert_eq!(
            check(&cfg, &mut run, &mut s, "Sorry for the wait, let me check").unwrap().reason,
            "stall_fallback_escalate"
        );
    }

    #[test]
    fn forced_outcomes_are_parsed_strictly() {
        let d = forced_outcome(r#" {"action": "finalize", "reason": " done ", "reply_draft": "Refunded."} "#).unwrap();
        assert_eq!(d.action, Action::Finalize);
        assert_eq!(d.reason, "forced_finalize:done");
        assert_eq!(
            *d.finalized_output.unwrap(),
            FinalizedOutput { reply_draft: "Refunded.".into(), reason: "done".into() }
        );
        assert!(forced_outcome(r#"{"action": "finalize", "reason": "r"}"#).is_none(), "finalize needs a draft");
        assert!(forced_outcome(r#"{"action": "finalize", "reason": "r", "reply_draft": "  "}"#).is_none());
        assert!(forced_outcome(r#"{"action": "escalate", "reason": "  "}"#).is_none());
        assert!(forced_outcome(r#"{"action": "stop", "reason": "r"}"#).is_none());
        assert!(forced_outcome(r#"Here: {"action": "escalate", "reason": "r"}"#).is_none());
        assert!(forced_outcome("{not json}").is_none());
        let d = forced_outcome(r#"{"action": "escalate", "reason": "r"}"#).unwrap();
        let p = d.escalation_packet.unwrap();
        assert_eq!((p.route, p.summary.as_str(), p.tags.len()), (Value::Null, "(missing)", 0));
        let d = forced_outcome(
            r#"{"action": "escalate", "reason": "need id", "escalation": {"route": "billing", "summary": "s", "missing_info": ["order id"], "tags": "x"}}"#,
        )
        .unwrap();
        assert_eq!(d.reason, "forced_escalate:need id");
        let p = d.escalation_packet.unwrap();
        assert_eq!(p.route, json!("billing"));
        assert_eq!(p.missing_info.unwrap(), vec![json!("order id")]);
        assert!(p.tags.is_empty(), "tags that are not a list become []");
    }
}
