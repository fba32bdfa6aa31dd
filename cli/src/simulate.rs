//! Plays a scripted scenario without and with the guard, the way an agent
//! loop would use it: check, execute, record; follow each decision.

use auraguard::{Action, Guard, ToolResult};
use serde_json::Value;

use crate::scenarios::{Outcome, Scenario, Step, TURN_TOKENS};

/// One guarded tool call or message, for the demo's narration.
pub struct Line {
    pub what: String,
    pub decision: String,
}

/// What a run cost and did.
#[derive(Default, serde::Serialize)]
pub struct Totals {
    pub tool_calls: u64,
    pub model_turns: u64,
    pub cost_usd: f64,
    pub side_effects: u64,
    pub interventions: u64,
    /// The reasons of the interventions, in order.
    pub reasons: Vec<String>,
    /// Why the run ended early, if it did.
    pub stopped_by: Option<String>,
    /// Whether the scenario's goal (its last call of the goal tool) ran,
    /// for scenarios that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal_reached: Option<bool>,
    /// Allowed calls that carried a warning (`warn_before_enforce`).
    pub warnings: u64,
}

fn token_cost(cfg: &Value) -> f64 {
    let price =
        |key: &str, default: f64| cfg.pointer(&format!("/cost_model/{key}")).and_then(Value::as_f64).unwrap_or(default);
    TURN_TOKENS.0 as f64 / 1000.0 * price("input_token_cost_per_1k", 0.003)
        + TURN_TOKENS.1 as f64 / 1000.0 * price("output_token_cost_per_1k", 0.015)
}

fn tool_cost(cfg: &Value, name: &str) -> f64 {
    cfg.pointer(&format!("/cost_model/tool_cost_by_name/{name}"))
        .or_else(|| cfg.pointer("/cost_model/default_tool_call_cost"))
        .and_then(Value::as_f64)
        .unwrap_or(0.04)
}

fn is_side_effect(cfg: &Value, name: &str) -> bool {
    cfg.get("side_effect_tools").and_then(Value::as_array).is_some_and(|a| a.iter().any(|t| t == name))
}

/// The run as it goes without a guard: every step executes.
pub fn without_guard(s: &Scenario) -> Totals {
    let mut t = Totals::default();
    for step in s.sections.iter().flatten() {
        match step {
            Step::Tool { name, outcome, .. } => {
                t.tool_calls += 1;
                t.cost_usd += tool_cost(&s.config, name);
                let executed = !matches!(outcome, Outcome::Err(_));
                if executed && is_side_effect(&s.config, name) {
                    t.side_effects += 1;
                }
            }
            Step::Say(_) => {
                t.model_turns += 1;
                t.cost_usd += token_cost(&s.config);
            }
        }
    }
    t.goal_reached = s.goal.map(|_| true);
    t
}

/// Where the scenario's goal is: its last call of the goal tool.
fn goal_at(s: &Scenario) -> Option<(usize, usize)> {
    let goal = s.goal?;
    let mut at = None;
    for (i, section) in s.sections.iter().enumerate() {
        for (j, step) in section.iter().enumerate() {
            if matches!(step, Step::Tool { name, .. } if *name == goal) {
                at = Some((i, j));
            }
        }
    }
    at
}

/// The scenario's configuration with its feature's keys added.
pub fn feature_config(s: &Scenario) -> Option<Value> {
    let extra = s.feature.as_object()?;
    let mut cfg = s.config.clone();
    cfg.as_object_mut().expect("scenario configurations are objects").extend(extra.clone());
    Some(cfg)
}

fn result_of(outcome: &Outcome, call_id: Option<u64>) -> ToolResult {
    let r = match outcome {
        Outcome::Ok(v) => ToolResult::ok(v.clone()),
        Outcome::Err(code) => ToolResult::failed(code),
        Outcome::TimedOutAfterSending => {
            ToolResult { side_effect_executed: Some(true), ..ToolResult::failed("timeout") }
        }
    };
    ToolResult { call_id, ..r }
}

/// The run with the guard; returns the totals, the narration and the guard.
pub fn with_guard(s: &Scenario) -> (Totals, Vec<Line>, Guard) {
    guarded(s, &s.config)
}

/// The run with the guard and the scenario's feature on, if it has one.
pub fn with_feature(s: &Scenario) -> Option<Totals> {
    feature_config(s).map(|cfg| guarded(s, &cfg).0)
}

fn guarded(s: &Scenario, config: &Value) -> (Totals, Vec<Line>, Guard) {
    let mut g = Guard::from_json(&config.to_string()).expect("scenario configurations are valid");
    let mut t = Totals::default();
    let mut lines = Vec::new();
    let mut forced_next = false;
    let goal = goal_at(s);
    t.goal_reached = goal.map(|_| false);
    'sections: for (i, section) in s.sections.iter().enumerate() {
        for (j, step) in section.iter().enumerate() {
            match step {
                Step::Tool { name, args, ticket, outcome } => {
                    let d =
                        g.check_tool(name, args.as_object().expect("object args"), *ticket, None).expect("valid call");
                    lines.push(Line { what: format!("{name}({args})"), decision: describe(&d.action, &d.reason) });
                    match d.action {
                        Action::Allow => {
                            t.tool_calls += 1;
                            t.warnings += u64::from(d.warning.is_some());
                            if goal == Some((i, j)) {
                                t.goal_reached = Some(!matches!(outcome, Outcome::Err(_)));
                            }
                            let executed = !matches!(outcome, Outcome::Err(_));
                            if executed && is_side_effect(&s.config, name) {
                                t.side_effects += 1;
                            }
                            g.record_result(result_of(outcome, d.call_id)).expect("a call awaits its result");
                        }
                        Action::Cache | Action::Block => {}
                        Action::Rewrite => continue 'sections,
                        Action::Escalate | Action::Finalize => {
                            t.stopped_by = Some(d.reason.into_owned());
                            break 'sections;
                        }
                    }
                }
                Step::Say(text) => {
                    let text = if forced_next { s.forced_reply.unwrap_or(text) } else { text.as_str() };
                    g.record_tokens(TURN_TOKENS.0, TURN_TOKENS.1, None).expect("valid usage");
                    t.model_turns += 1;
                    let d = g.check_output(text).expect("valid text");
                    let shown: String = text.chars().take(60).collect();
                    lines.push(Line {
                        what: format!("model: \"{shown}\""),
                        decision: d.as_ref().map_or("ok".into(), |d| describe(&d.action, &d.reason)),
                    });
                    match d.map(|d| (d.action, d.reason)) {
                        Some((Action::Rewrite, _)) => forced_next = s.forced_reply.is_some(),
                        Some((Action::Escalate | Action::Finalize, reason)) => {
                            t.stopped_by = Some(reason.into_owned());
                            break 'sections;
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    let stats = g.stats();
    t.cost_usd = stats.cost_spent_usd;
    t.interventions = stats.interventions_count;
    t.reasons = g.report().interventions.iter().map(|i| i.reason.to_string()).collect();
    (t, lines, g)
}

fn describe(action: &Action, reason: &str) -> String {
    match action {
        Action::Allow => "allow".to_string(),
        other => format!("{} ({reason})", other.as_str().to_uppercase()),
    }
}
