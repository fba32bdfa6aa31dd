//! `auraguard demo`: one customer-support run, without and with the guard.

use std::fmt::Write as _;

use crate::scenarios;
use crate::simulate::{with_guard, without_guard};

pub fn render() -> String {
    let s = scenarios::all().into_iter().find(|s| s.id == "mixed").expect("the mixed scenario exists");
    let bare = without_guard(&s);
    let (guarded, lines, guard) = with_guard(&s);
    let mut out = String::new();
    let _ = writeln!(out, "libauraguard {} demo: {}\n", auraguard::VERSION, s.title);
    let _ = writeln!(out, "The agent searches, loads an order, retries a dead inventory API, refunds");
    let _ = writeln!(out, "(the first attempt times out after the refund was sent) and replies.\n");
    let _ = writeln!(out, "With the guard, call by call:");
    for l in &lines {
        let _ = writeln!(out, "  {:<58} {}", truncate(&l.what, 58), l.decision);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "                      without guard   with guard");
    let _ = writeln!(out, "  tool calls executed {:>13}   {:>10}", bare.tool_calls, guarded.tool_calls);
    let _ = writeln!(out, "  cost (USD)          {:>13.4}   {:>10.4}", bare.cost_usd, guarded.cost_usd);
    let refunds_guarded = guard.report().side_effects.get("refund").map_or(0, |se| se.executed);
    let _ = writeln!(out, "  refunds executed    {:>13}   {:>10}", refunds_without_guard(&s), refunds_guarded);
    let _ = writeln!(out, "  interventions       {:>13}   {:>10}", 0, guarded.interventions);
    let _ = writeln!(out);
    out.push_str(&guard.report_text());
    out
}

/// Refunds that really happen when every step of the script runs.
fn refunds_without_guard(s: &scenarios::Scenario) -> usize {
    s.sections
        .iter()
        .flatten()
        .filter(|st| matches!(st, scenarios::Step::Tool { name: "refund", outcome, .. } if !matches!(outcome, scenarios::Outcome::Err(_))))
        .count()
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
