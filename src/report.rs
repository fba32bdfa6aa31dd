//! Stats (the counters of a run), the report (interventions grouped by
//! primitive and tool, side effects, cost) and its readable text form.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::events::{CostEvent, Intervention};
use crate::guard::Guard;
use crate::primitives::budget::round_to;

/// The counters of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub run_id: String,
    pub tool_calls_executed: u64,
    pub tool_calls_failed: u64,
    pub tool_calls_cached: u64,
    pub tool_calls_denied: u64,
    pub blocks: u64,
    pub cache_hits: u64,
    pub rewrite_decisions: u64,
    pub escalations: u64,
    pub cost_spent_usd: f64,
    pub reported_token_cost_usd: f64,
    pub cost_limit_usd: Option<f64>,
    pub cost_remaining_usd: Option<f64>,
    pub quarantined_tools: BTreeMap<String, String>,
    pub unique_tool_calls: u64,
    pub stall_streak: u32,
    pub shadow_mode: bool,
    pub shadow_would_deny: u64,
    pub missed_results: u64,
    pub pending_calls: u64,
    pub interventions_count: u64,
    /// Ledger store operations that failed (see `ledger_on_error`).
    pub ledger_errors: u64,
    /// Results booked without their payload (too large, too deep, or a
    /// number beyond binary64): replays of them say `payload_kept: false`.
    pub payloads_not_kept: u64,
}

/// Side effects of one tool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideEffects {
    pub attempted: u64,
    pub executed: u64,
}

/// How often one reason occurred.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

/// The report of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub stats: Stats,
    /// Interventions by primitive, over the whole run.
    pub by_primitive: BTreeMap<String, u64>,
    /// Interventions by tool, over the whole run.
    pub by_tool: BTreeMap<String, u64>,
    /// Interventions on assistant messages (`check_output`), over the whole run.
    pub assistant_output: u64,
    pub side_effects: BTreeMap<String, SideEffects>,
    pub quarantines: BTreeMap<String, String>,
    /// The most frequent reasons over the whole run, most frequent first
    /// (at most 10).
    pub top_reasons: Vec<ReasonCount>,
    /// executed / (executed + denied); 1 when nothing happened.
    pub efficiency: f64,
    /// How many interventions the log retains (the most recent ones).
    pub log_retained: u64,
    pub interventions: Vec<Intervention>,
    pub cost_events: Vec<CostEvent>,
}

/// The primitive a reason code belongs to, by the reference's prefixes.
/// (`tool_quarantined:*` and forced outcomes fall under `other` there too.)
pub fn primitive_of(reason: &str) -> &'static str {
    let r = reason;
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| r.starts_with(p));
    if starts(&["identical_toolcall"]) {
        "repeat_detection"
    } else if starts(&["arg_jitter", "query_jitter"]) {
        "jitter_detection"
    } else if starts(&["error_", "quarantine"]) {
        "circuit_breaker"
    } else if starts(&["idempotent", "side_effect", "ledger_"]) {
        "side_effect_gating"
    } else if starts(&["stall", "no_state_change"]) {
        "stall_detection"
    } else if starts(&["cost_", "budget"]) {
        "cost_budget"
    } else if starts(&["policy_", "tool_denied"]) {
        "tool_policy"
    } else if starts(&["sequence_loop"]) {
        "sequence_detection"
    } else if starts(&["max_calls"]) {
        "per_tool_cap"
    } else if starts(&["same_result"]) {
        "result_loop_detection"
    } else if starts(&["tool_call_limit", "model_call_limit", "token_limit", "run_time_limit"]) {
        "run_limits"
    } else if r == "shadow_allow" {
        "shadow_mode"
    } else {
        "other"
    }
}

impl Guard {
    /// The counters of the run.
    pub fn stats(&self) -> Stats {
        let run = &self.run;
        let c = &run.counters;
        let spent = run.cost.spent;
        let limit = self.cfg.max_cost_per_run;
        Stats {
            run_id: run.run_id.to_string(),
            tool_calls_executed: c.tool_calls_executed,
            tool_calls_failed: c.tool_calls_failed,
            tool_calls_cached: c.cache_hits,
            tool_calls_denied: c.tool_calls_denied,
            blocks: c.blocks,
            cache_hits: c.cache_hits,
            rewrite_decisions: c.rewrite_decisions,
            escalations: c.escalations,
            cost_spent_usd: round_to(spent, 4),
            reported_token_cost_usd: round_to(run.cost.reported_token_cost, 4),
            cost_limit_usd: limit,
            cost_remaining_usd: limit.map(|l| round_to(l - spent, 4)),
            quarantined_tools: run
                .tools
                .iter()
                .filter_map(|s| s.quarantine.as_ref().map(|q| (s.name.to_string(), q.clone())))
                .collect(),
            unique_tool_calls: run.unique_calls.len() as u64,
            stall_streak: run.stall.similarity_streak,
            shadow_mode: self.cfg.shadow_mode,
            shadow_would_deny: c.shadow_would_deny,
            missed_results: c.missed_results,
            pending_calls: run.pending.len() as u64,
            interventions_count: c.interventions,
            ledger_errors: c.ledger_errors,
            payloads_not_kept: c.payloads_not_kept,
        }
    }

    /// The report of the run.
    pub fn report(&self) -> Report {
        let stats = self.stats();
        let log = &self.run.interventions;
        let tally = &self.run.counters.tally;
        let mut top: Vec<ReasonCount> =
            tally.by_reason.iter().map(|(reason, count)| ReasonCount { reason: reason.to_string(), count }).collect();
        top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
        top.truncate(10);
        let side_effects = self
            .run
            .tools
            .iter()
            .filter(|s| s.side_effects_attempted > 0 || s.side_effects_executed > 0)
            .map(|s| {
                (
                    s.name.to_string(),
                    SideEffects { attempted: s.side_effects_attempted, executed: s.side_effects_executed },
                )
            })
            .collect();
        let done = stats.tool_calls_executed + stats.tool_calls_denied;
        let efficiency = if done == 0 { 1.0 } else { round_to(stats.tool_calls_executed as f64 / done as f64, 4) };
        Report {
            quarantines: stats.quarantined_tools.clone(),
            stats,
            by_primitive: tally.by_primitive.to_btree(),
            by_tool: tally.by_tool.to_btree(),
            assistant_output: tally.assistant_output,
            side_effects,
            top_reasons: top,
            efficiency,
            log_retained: log.len() as u64,
            interventions: log.iter().map(|e| self.run.intervention(e)).collect(),
            cost_events: self.run.cost.events.iter().map(|e| self.run.cost_event(e)).collect(),
        }
    }

    /// The report as JSON.
    pub fn report_json(&self) -> String {
        serde_json::to_string(&self.report()).expect("a report always serializes")
    }

    /// The report as text for a person.
    pub fn report_text(&self) -> String {
        render_text(&self.report())
    }
}

/// Render a report as aligned text.
pub fn render_text(r: &Report) -> String {
    let s = &r.stats;
    let mut out = String::new();
    let _ = writeln!(out, "Guard report (run {})", printable(&s.run_id));
    let _ = writeln!(out, "  tool calls executed   {:>8}   failed {}", s.tool_calls_executed, s.tool_calls_failed);
    let _ = writeln!(
        out,
        "  tool calls denied     {:>8}   blocks {}, cached {}, rewrites {}, escalations {}",
        s.tool_calls_denied, s.blocks, s.cache_hits, s.rewrite_decisions, s.escalations
    );
    let limit = s.cost_limit_usd.map(|l| format!(" of ${l:.4}")).unwrap_or_default();
    let _ = writeln!(out, "  cost                  ${:>7.4}{limit}", s.cost_spent_usd);
    let _ = writeln!(out, "  efficiency            {:>7.1}%", r.efficiency * 100.0);
    if s.shadow_mode {
        let _ = writeln!(out, "  shadow mode: {} decisions would have been enforced", s.shadow_would_deny);
    }
    if s.missed_results > 0 {
        let _ = writeln!(out, "  missed results        {:>8}", s.missed_results);
    }
    if !r.by_primitive.is_empty() {
        let _ = writeln!(out, "Interventions by primitive:");
        for (p, n) in &r.by_primitive {
            let _ = writeln!(out, "  {p:<22}{n:>6}");
        }
    }
    if !r.by_tool.is_empty() {
        let _ = writeln!(out, "Interventions by tool:");
        for (t, n) in &r.by_tool {
            let _ = writeln!(out, "  {:<22}{n:>6}", printable(t));
        }
    }
    if r.assistant_output > 0 {
        let _ = writeln!(out, "Interventions on assistant output: {}", r.assistant_output);
    }
    if !r.side_effects.is_empty() {
        let _ = writeln!(out, "Side effects (attempted / executed):");
        for (t, se) in &r.side_effects {
            let _ = writeln!(out, "  {:<22}{:>6} / {}", printable(t), se.attempted, se.executed);
        }
    }
    if !r.quarantines.is_empty() {
        let _ = writeln!(out, "Quarantined tools:");
        for (t, why) in &r.quarantines {
            let _ = writeln!(out, "  {:<22}{}", printable(t), printable(why));
        }
    }
    if !r.top_reasons.is_empty() {
        let _ = writeln!(out, "Top reasons:");
        for rc in &r.top_reasons {
            let _ = writeln!(out, "  {:>4}  {}", rc.count, printable(&rc.reason));
        }
    }
    out
}

/// Text as it may go to a terminal: control characters, line and
/// paragraph separators and bidirectional overrides (which can forge or
/// hide report lines) written as `\u{..}` escapes; everything else as is.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = |c: char| {
        c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(risky) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if risky(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_text_escapes_what_could_forge_a_line() {
        assert_eq!(printable("search_kb"), "search_kb");
        assert_eq!(printable("café"), "café");
        assert_eq!(printable("a\nTop reasons:\x1b[2J"), "a\\u{a}Top reasons:\\u{1b}[2J");
        assert_eq!(printable("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn reasons_map_to_primitives() {
        for (reason, p) in [
            ("identical_toolcall_loop", "repeat_detection"),
            ("identical_toolcall_loop_cache", "repeat_detection"),
            ("arg_jitter_loop", "jitter_detection"),
            ("tool_quarantined:error_retry:5xx", "other"),
            ("error_retry:timeout", "circuit_breaker"),
            ("query_jitter", "jitter_detection"),
            ("side_effect_in_flight", "side_effect_gating"),
            ("shadow_allow", "shadow_mode"),
            ("side_effect_limit_exceeded", "side_effect_gating"),
            ("idempotent_replay", "side_effect_gating"),
            ("no_state_change_loop", "stall_detection"),
            ("stall_fallback_escalate", "stall_detection"),
            ("forced_escalate:x", "other"),
            ("cost_budget_exceeded", "cost_budget"),
            ("policy_deny:never", "tool_policy"),
            ("policy_missing_args:a", "tool_policy"),
            ("sequence_loop:a \u{2192} b", "sequence_detection"),
            ("max_calls_per_tool", "per_tool_cap"),
        ] {
            assert_eq!(primitive_of(reason), p, "{reason}");
        }
    }
}
