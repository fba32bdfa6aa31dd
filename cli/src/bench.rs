//! `auraguard bench`: every scenario without and with the guard, as a table.

use std::fmt::Write as _;

use serde::Serialize;

use crate::scenarios;
use crate::simulate::{with_feature, with_guard, without_guard, Totals};

#[derive(Serialize)]
pub struct Row {
    pub id: &'static str,
    pub title: &'static str,
    pub without: Totals,
    /// With the guard and the package's defaults.
    pub with: Totals,
    /// With the guard and the scenario's opt-in feature on, if it shows one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with_feature: Option<Totals>,
}

/// Run the scenarios (all, or the one named).
pub fn run(only: Option<&str>) -> Result<Vec<Row>, String> {
    let all = scenarios::all();
    let ids: Vec<&str> = all.iter().map(|s| s.id).collect();
    let chosen: Vec<_> = all.into_iter().filter(|s| only.is_none_or(|id| id == s.id)).collect();
    if chosen.is_empty() {
        return Err(format!("unknown scenario `{}`; choose one of: {}", only.unwrap_or(""), ids.join(", ")));
    }
    Ok(chosen
        .iter()
        .map(|s| Row {
            id: s.id,
            title: s.title,
            without: without_guard(s),
            with: with_guard(s).0,
            with_feature: with_feature(s),
        })
        .collect())
}

pub fn render(rows: &[Row]) -> String {
    let mut out = String::new();
    let pair = |a: String, b: String| format!("{a:>7} → {b:<7}");
    let _ = writeln!(
        out,
        "{:<20} {:^17} {:^17} {:^17} {:>13}  stopped by / first reason",
        "", "tool calls", "cost (USD)", "side effects", ""
    );
    let _ = writeln!(
        out,
        "{:<20} {:^17} {:^17} {:^17} {:>13}",
        "scenario", "without → with", "without → with", "without → with", "interventions"
    );
    for r in rows {
        let why =
            r.with.stopped_by.clone().or_else(|| r.with.reasons.first().cloned()).unwrap_or_else(|| "-".to_string());
        let _ = writeln!(
            out,
            "{:<20} {} {} {} {:>13}  {}",
            r.id,
            pair(r.without.tool_calls.to_string(), r.with.tool_calls.to_string()),
            pair(format!("{:.4}", r.without.cost_usd), format!("{:.4}", r.with.cost_usd)),
            pair(r.without.side_effects.to_string(), r.with.side_effects.to_string()),
            r.with.interventions,
            why
        );
    }
    render_features(&mut out, rows);
    let (a, b): (f64, f64) =
        rows.iter().fold((0.0, 0.0), |acc, r| (acc.0 + r.without.cost_usd, acc.1 + r.with.cost_usd));
    if a > 0.0 {
        let _ = writeln!(out, "\ntotal cost {a:.4} → {b:.4} USD ({:.0}% saved)", (1.0 - b / a) * 100.0);
    }
    out
}

fn goal(t: &Totals) -> &'static str {
    match t.goal_reached {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "-",
    }
}

/// The scenarios of the opt-in detectors: without the guard, with the
/// package's defaults, and with the feature on.
fn render_features(out: &mut String, rows: &[Row]) {
    let featured: Vec<(&Row, &Totals)> = rows.iter().filter_map(|r| r.with_feature.as_ref().map(|f| (r, f))).collect();
    if featured.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nopt-in detectors (docs/DETECTION.md): without guard / package defaults / feature on");
    let _ = writeln!(
        out,
        "{:<20} {:^20} {:^29} {:^14} {:^14} {:^9}  feature's first reason",
        "scenario", "tool calls", "cost (USD)", "interventions", "goal reached", "warnings"
    );
    for (r, f) in featured {
        let why = f.stopped_by.clone().or_else(|| f.reasons.first().cloned()).unwrap_or_else(|| "-".to_string());
        let _ = writeln!(
            out,
            "{:<20} {:>6} {:>6} {:>6} {:>9.4} {:>9.4} {:>9.4} {:>6} {:>7} {:>4} {:>4} {:>4} {:>9}  {}",
            r.id,
            r.without.tool_calls,
            r.with.tool_calls,
            f.tool_calls,
            r.without.cost_usd,
            r.with.cost_usd,
            f.cost_usd,
            r.with.interventions,
            f.interventions,
            goal(&r.without),
            goal(&r.with),
            goal(f),
            f.warnings,
            why
        );
    }
}
