//! Whole runs through the Rust API, each a story an agent really lives
//! through, checked against the specification.

mod common;

use auraguard::clock::ManualClock;
use auraguard::{Action, ErrorKind, ToolResult};
use common::*;
use serde_json::json;

#[test]
fn double_refund_is_replayed_for_the_same_ticket_and_blocked_for_another() {
    let mut g = guard(json!({"side_effect_tools": ["refund"]}));
    let args = json!({"order_id": "ORD-123", "amount": 50});
    let first = check_ticket(&mut g, "refund", args.clone(), "T-1");
    assert_eq!(first.action, Action::Allow);
    let key = first.idempotency_key().map(str::to_string).expect("side effects carry an idempotency key");
    assert_eq!(key.len(), 32);
    ok(&mut g, json!({"refund_id": "R-9"}));

    let again = check_ticket(&mut g, "refund", args.clone(), "T-1");
    assert_eq!((again.action, again.reason.as_ref()), (Action::Cache, "idempotent_replay"));
    let cached = again.cached_result.unwrap();
    assert!(cached.cached && cached.ok && cached.side_effect_executed);
    assert_eq!(cached.payload, json!({"refund_id": "R-9"}));

    let other = check_ticket(&mut g, "refund", args, "T-2");
    assert_eq!((other.action, other.reason.as_ref()), (Action::Block, "side_effect_limit_exceeded"));

    let s = g.stats();
    assert_eq!((s.tool_calls_executed, s.cache_hits, s.blocks, s.tool_calls_denied), (1, 1, 1, 2));
    let r = g.report();
    assert_eq!(r.side_effects["refund"].executed, 1);
    assert_eq!(r.side_effects["refund"].attempted, 2, "the replay never reached the gate");
}

#[test]
fn idempotency_keys_are_stable_per_ticket_and_arguments() {
    let key = |ticket: &str, amount: i64| {
        let mut g = guard(json!({"secret_key": "same"}));
        check_ticket(&mut g, "refund", json!({"order_id": "A", "amount": amount}), ticket)
            .idempotency_key()
            .unwrap()
            .to_string()
    };
    assert_eq!(key("T-1", 5), key("T-1", 5), "the same key in another guard with the same secret");
    assert_ne!(key("T-1", 5), key("T-2", 5));
    assert_ne!(key("T-1", 5), key("T-1", 6));
    let mut g = guard(json!({}));
    assert!(check(&mut g, "get_order", json!({"id": 1})).idempotency_key().is_none(), "reads carry none");
}

#[test]
fn a_timeout_after_sending_counts_as_executed() {
    let mut g = guard(json!({}));
    let args = json!({"order_id": "A"});
    assert_eq!(check_ticket(&mut g, "cancel", args.clone(), "T").action, Action::Allow);
    g.record_result(ToolResult {
        ok: false,
        error_code: Some("timeout".into()),
        side_effect_executed: Some(true),
        ..Default::default()
    })
    .unwrap();
    let replay = check_ticket(&mut g, "cancel", args.clone(), "T");
    assert_eq!(replay.reason, "idempotent_replay");
    let cr = replay.cached_result.unwrap();
    assert!(!cr.ok && cr.side_effect_executed);
    assert_eq!(cr.error_code.as_deref(), Some("timeout"));
    // The replayed failure is a second timeout: the breaker trips.
    assert_eq!(g.stats().quarantined_tools["cancel"], "error_retry:timeout");
    assert_eq!(check_ticket(&mut g, "cancel", args, "U").reason, "tool_quarantined:error_retry:timeout");
}

#[test]
fn a_failed_side_effect_that_did_not_execute_may_be_retried() {
    let mut g = guard(json!({}));
    let args = json!({"order_id": "A"});
    assert_eq!(check_ticket(&mut g, "refund", args.clone(), "T").action, Action::Allow);
    fail(&mut g, "404");
    let retry = check_ticket(&mut g, "refund", args, "T");
    assert_eq!(retry.action, Action::Allow, "not in the ledger, nothing executed");
    ok(&mut g, json!("done"));
    assert_eq!(g.report().side_effects["refund"].executed, 1);
}

#[test]
fn repeated_failures_quarantine_the_tool() {
    let mut g = guard(json!({}));
    for i in 0..2 {
        assert_eq!(check(&mut g, "flaky_api", json!({"page": i})).action, Action::Allow);
        fail(&mut g, "503");
    }
    let d = check(&mut g, "flaky_api", json!({"page": 9}));
    assert_eq!((d.action, d.reason.as_ref()), (Action::Rewrite, "tool_quarantined:error_retry:5xx"));
    assert!(d.injected_system.unwrap().contains("flaky_api"));
    let s = g.stats();
    assert_eq!((s.tool_calls_executed, s.tool_calls_failed, s.rewrite_decisions), (2, 2, 1));
}

#[test]
fn identical_reads_are_cached_then_blocked_without_a_result() {
    let mut g = guard(json!({}));
    let args = json!({"order_id": "A"});
    for _ in 0..2 {
        assert_eq!(check(&mut g, "get_order", args.clone()).action, Action::Allow);
        ok(&mut g, json!({"status": "shipped"}));
    }
    let d = check(&mut g, "get_order", args.clone());
    assert_eq!(d.reason, "identical_toolcall_loop_cache");
    assert_eq!(d.cached_result.unwrap().payload, json!({"status": "shipped"}));

    let mut g = guard(json!({"never_cache_tools": ["get_order"]}));
    for _ in 0..2 {
        check(&mut g, "get_order", args.clone());
        ok(&mut g, json!({"status": "shipped"}));
    }
    assert_eq!(check(&mut g, "get_order", args).reason, "identical_toolcall_loop");
}

#[test]
fn cached_results_expire_after_their_ttl() {
    let clock = ManualClock::default();
    let mut g = guard(json!({"cache_ttl_seconds": 30})).with_clock(Box::new(clock.clone()));
    let args = json!({"order_id": "A"});
    for _ in 0..2 {
        check(&mut g, "get_order", args.clone());
        ok(&mut g, json!(1));
    }
    clock.advance(29.0);
    assert_eq!(check(&mut g, "get_order", args.clone()).reason, "identical_toolcall_loop_cache");
    clock.advance(1.0);
    assert_eq!(check(&mut g, "get_order", args).reason, "identical_toolcall_loop", "expired: no live result");
}

#[test]
fn ignored_argument_keys_do_not_make_a_call_new() {
    let mut g = guard(json!({"arg_ignore_keys": {"get_order": ["request_id"]}}));
    for i in 0..2 {
        check(&mut g, "get_order", json!({"order_id": "A", "request_id": i}));
        ok(&mut g, json!(1));
    }
    assert_eq!(check(&mut g, "get_order", json!({"order_id": "A", "request_id": 77})).action, Action::Cache);
}

#[test]
fn a_full_cache_stores_nothing_more() {
    let mut g = guard(json!({"max_cache_entries": 1, "repeat_toolcall_threshold": 2}));
    check(&mut g, "get_order", json!({"id": 1}));
    ok(&mut g, json!("one"));
    check(&mut g, "get_order", json!({"id": 2}));
    ok(&mut g, json!("two"));
    assert_eq!(check(&mut g, "get_order", json!({"id": 1})).action, Action::Cache);
    assert_eq!(
        check(&mut g, "get_order", json!({"id": 2})).reason,
        "identical_toolcall_loop",
        "not stored: the cache was full"
    );
}

#[test]
fn jitter_loop_quarantines_the_search_tool() {
    let mut g = guard(json!({}));
    let queries = ["refund policy", "refund policy EU", "refund policy EU Germany"];
    for q in queries {
        assert_eq!(check(&mut g, "search_kb", json!({"query": q})).action, Action::Allow);
        ok(&mut g, json!([q]));
    }
    let d = check(&mut g, "search_kb", json!({"query": "refund policy Germany 2024"}));
    assert_eq!((d.action, d.reason.as_ref()), (Action::Rewrite, "arg_jitter_loop"));
    assert_eq!(
        check(&mut g, "search_kb", json!({"query": "shipping times"})).reason,
        "tool_quarantined:arg_jitter_loop"
    );
}

#[test]
fn per_tool_cap_and_policy_cap() {
    let mut g = guard(json!({"max_calls_per_tool": 2, "tool_policies": {"lookup": {"max_calls": 1}}}));
    for i in 0..2 {
        assert_eq!(check(&mut g, "get_order", json!({"id": i})).action, Action::Allow);
        ok(&mut g, json!(i));
    }
    assert_eq!(check(&mut g, "get_order", json!({"id": 3})).reason, "max_calls_per_tool");
    check(&mut g, "lookup", json!({}));
    ok(&mut g, json!(0));
    assert_eq!(check(&mut g, "lookup", json!({"x": 1})).reason, "max_calls_per_tool");
}

#[test]
fn ping_pong_between_two_agents_is_a_sequence_loop() {
    let mut g = guard(json!({}));
    let mut last = None;
    for i in 0..6 {
        let tool = if i % 2 == 0 { "ask_analyst" } else { "ask_coordinator" };
        let d = check(&mut g, tool, json!({"round": i}));
        if d.action == Action::Allow {
            ok(&mut g, json!(i));
        }
        last = Some(d);
    }
    let d = last.unwrap();
    assert_eq!(d.action, Action::Rewrite);
    assert_eq!(d.reason, "sequence_loop:ask_analyst \u{2192} ask_coordinator");
    assert_eq!(g.stats().quarantined_tools["ask_coordinator"], "sequence_loop");
}

#[test]
fn budget_escalates_before_the_call_that_would_reach_it() {
    let mut g = guard(json!({"max_cost_per_run": 0.10}));
    for i in 0..2 {
        assert_eq!(check(&mut g, "get_order", json!({"id": i})).action, Action::Allow);
        ok(&mut g, json!(i));
    }
    let d = check(&mut g, "get_order", json!({"id": 3}));
    assert_eq!((d.action, d.reason.as_ref()), (Action::Escalate, "cost_budget_exceeded"));
    let p = d.escalation_packet.unwrap();
    assert_eq!(p.tags, vec![json!("budget_exceeded")]);
    assert!((p.projected_cost.unwrap() - 0.12).abs() < 1e-9);
    let s = g.stats();
    assert_eq!(s.escalations, 1);
    assert_eq!(s.cost_spent_usd, 0.08);
    assert_eq!(s.cost_remaining_usd, Some(0.02));
}

#[test]
fn token_costs_count_toward_the_budget() {
    let mut g = guard(json!({"max_cost_per_run": 0.05}));
    g.record_tokens(10_000, 1_000, None).unwrap(); // 0.03 + 0.015
    assert_eq!(g.stats().reported_token_cost_usd, 0.045);
    assert_eq!(check(&mut g, "get_order", json!({})).reason, "cost_budget_exceeded");
    g.record_tokens(0, 0, Some(0.5)).unwrap();
    assert_eq!(g.stats().cost_spent_usd, 0.545);
    assert_eq!(g.record_tokens(0, 0, Some(f64::NAN)).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn remaining_budget_goes_negative_when_tokens_overspend_it() {
    // The package reports how far over budget a run went, not zero.
    let mut g = guard(json!({"max_cost_per_run": 0.05}));
    g.record_tokens(0, 0, Some(0.125)).unwrap();
    let s = g.stats();
    assert_eq!(s.cost_spent_usd, 0.125);
    assert_eq!(s.cost_remaining_usd, Some(-0.075));
}

#[test]
fn policies_deny_escalate_and_require_arguments() {
    let mut g = guard(json!({"tool_policies": {
        "delete_account": {"access": "deny", "deny_reason": "irreversible"},
        "wire_money": {"access": "human", "risk": "high"},
        "get_order": {"require_args": ["order_id"]}}}));
    assert_eq!(check(&mut g, "delete_account", json!({})).reason, "policy_deny:irreversible");
    let d = check(&mut g, "wire_money", json!({"amount": 1}));
    assert_eq!(d.action, Action::Escalate);
    assert_eq!(d.escalation_packet.unwrap().route, json!("human_approval"));
    assert_eq!(check(&mut g, "get_order", json!({"id": 1})).reason, "policy_missing_args:order_id");
    assert_eq!(check(&mut g, "get_order", json!({"order_id": 1})).action, Action::Allow);
}

#[test]
fn a_stall_is_rewritten_then_the_forced_escalation_is_accepted() {
    let mut g = guard(json!({}));
    let sorry = "I'm sorry for the delay, I'm still checking on your order.";
    assert!(g.check_output(sorry).unwrap().is_none());
    let d = g.check_output(sorry).unwrap().unwrap();
    assert_eq!((d.action, d.reason.as_ref()), (Action::Rewrite, "no_state_change_loop"));
    let reply = r#"{"action": "escalate", "reason": "need order id", "escalation": {"route": "support_tier2", "summary": "no order id", "missing_info": ["order id"], "tags": ["billing"]}}"#;
    let d = g.check_output(reply).unwrap().unwrap();
    assert_eq!((d.action, d.reason.as_ref()), (Action::Escalate, "forced_escalate:need order id"));
    let p = d.escalation_packet.unwrap();
    assert_eq!(p.route, json!("support_tier2"));
    assert_eq!(p.tags, vec![json!("billing")]);
    let s = g.stats();
    assert_eq!((s.rewrite_decisions, s.escalations), (1, 1));
}

#[test]
fn the_model_s_reason_text_is_never_kept_only_its_signature() {
    let mut g = guard(json!({}));
    g.set_listening(true);
    let sorry = "I'm sorry for the delay, I'm still checking on your order.";
    g.check_output(sorry).unwrap();
    g.check_output(sorry).unwrap();
    let reply = r#"{"action": "escalate", "reason": "Jane Doe at 12 Elm St wants it today", "escalation": {}}"#;
    let d = g.check_output(reply).unwrap().unwrap();
    // The decision hands the reason back, as the reference does ...
    assert_eq!(d.reason, "forced_escalate:Jane Doe at 12 Elm St wants it today");
    // ... but the log, the report, the events and a saved state keep none of it.
    let kept = [g.report_json(), g.report_text(), g.save_state()]
        .into_iter()
        .chain(g.take_events().iter().map(|e| e.to_json()))
        .collect::<Vec<_>>();
    for text in &kept {
        assert!(!text.contains("Jane") && !text.contains("Elm"), "{text}");
    }
    let logged = g.report().interventions.last().unwrap().reason.clone();
    assert!(logged.starts_with("forced_escalate:text#") && logged.len() == "forced_escalate:text#".len() + 16);
    // A short code is kept as it is.
    let mut g = guard(json!({}));
    g.check_output(sorry).unwrap();
    g.check_output(sorry).unwrap();
    g.check_output(r#"{"action": "escalate", "reason": "needs_manager", "escalation": {}}"#).unwrap();
    assert_eq!(g.report().interventions.last().unwrap().reason, "forced_escalate:needs_manager");
}

#[test]
fn the_report_counts_every_intervention_not_only_the_retained_ones() {
    let mut g = guard(json!({"max_intervention_log": 2, "max_calls_per_tool": 1}));
    check(&mut g, "get_order", json!({"id": 0}));
    ok(&mut g, json!(0));
    // The cap's decision, then the quarantine it set, four times.
    assert_eq!(check(&mut g, "get_order", json!({"id": 1})).reason, "max_calls_per_tool");
    for i in 2..=5 {
        assert_eq!(check(&mut g, "get_order", json!({"id": i})).reason, "tool_quarantined:max_calls_per_tool");
    }
    let sorry = "I'm sorry for the delay, I'm still checking on your order.";
    let decided = (0..4).filter_map(|_| g.check_output(sorry).unwrap()).next();
    assert_eq!(decided.map(|d| d.reason), Some("no_state_change_loop".into()));
    let r = g.report();
    assert_eq!(r.log_retained, 2);
    assert_eq!(r.by_tool["get_order"], 5);
    assert_eq!(r.assistant_output, 1);
    // Grouped by the reference's prefixes: a quarantine falls under `other`.
    assert_eq!(r.by_primitive["per_tool_cap"], 1);
    assert_eq!(r.by_primitive["other"], 4);
    assert_eq!(r.by_primitive["stall_detection"], 1);
    assert_eq!(r.top_reasons[0].reason, "tool_quarantined:max_calls_per_tool");
    assert_eq!(r.top_reasons[0].count, 4);
    // A saved state carries the counts.
    let saved = g.save_state();
    let mut h = guard(json!({"max_intervention_log": 2, "max_calls_per_tool": 1}));
    h.load_state(&saved).unwrap();
    assert_eq!(h.report().by_tool["get_order"], 5);
}

#[test]
fn a_tool_named_like_the_assistant_label_is_still_a_tool() {
    let mut g = guard(json!({"max_calls_per_tool": 1}));
    for _ in 0..2 {
        check(&mut g, "(assistant output)", json!({}));
        ok(&mut g, json!(1));
    }
    let r = g.report();
    assert_eq!(r.assistant_output, 0);
    assert_eq!(r.by_tool["(assistant output)"], 1);
}

#[test]
fn shadow_mode_counts_message_checks_without_logging_them() {
    let mut g = guard(json!({"shadow_mode": true, "secret_key": "k"}));
    let sorry = "I'm sorry for the delay, I'm still checking on your order.";
    g.check_output(sorry).unwrap();
    assert!(g.check_output(sorry).unwrap().is_none());
    let s = g.stats();
    assert_eq!((s.shadow_would_deny, s.interventions_count), (1, 0));
}

#[test]
fn a_stall_that_ignores_the_instruction_escalates() {
    let mut g = guard(json!({}));
    let sorry = "Apologies for the trouble, let me check again.";
    g.check_output(sorry).unwrap();
    assert_eq!(g.check_output(sorry).unwrap().unwrap().reason, "no_state_change_loop");
    let d = g.check_output("Still working on it!").unwrap().unwrap();
    assert_eq!(d.reason, "stall_noncompliant_forced_outcome");
    let d = g
        .check_output(r#"{"action": "finalize", "reason": "answered", "reply_draft": "Your refund is on its way."}"#)
        .unwrap()
        .unwrap();
    assert_eq!((d.action, d.reason.as_ref()), (Action::Finalize, "forced_finalize:answered"));
    assert_eq!(d.finalized_output.unwrap().reply_draft, "Your refund is on its way.");
}

#[test]
fn an_empty_message_is_nothing_to_do_but_whitespace_is_checked() {
    let mut g = guard(json!({"stall_pattern_streak_threshold": 1, "stall_pattern_threshold": 0.0}));
    assert!(g.check_output("").unwrap().is_none());
    assert!(g.check_output("   ").unwrap().is_some(), "score 0 >= threshold 0: whitespace is checked");
}

#[test]
fn shadow_mode_enforces_nothing_but_counts_and_keeps_state_changes() {
    let mut g = guard(json!({"shadow_mode": true, "max_calls_per_tool": 1}));
    check(&mut g, "get_order", json!({"id": 1}));
    ok(&mut g, json!(1));
    let d = check(&mut g, "get_order", json!({"id": 2}));
    assert_eq!((d.action, d.reason.as_ref()), (Action::Allow, "shadow_allow"));
    assert!(d.call_id.is_some());
    ok(&mut g, json!(2));
    let s = g.stats();
    assert_eq!(s.shadow_would_deny, 1);
    assert_eq!((s.tool_calls_denied, s.rewrite_decisions, s.tool_calls_executed), (0, 0, 2));
    assert_eq!(s.quarantined_tools["get_order"], "max_calls_per_tool", "the quarantine stays");
    let r = g.report();
    assert_eq!(r.interventions.last().unwrap().action, "shadow_deny");
}

#[test]
fn strict_mode_refuses_out_of_order_calls_and_changes_nothing() {
    let mut g = guard(json!({"strict_mode": true}));
    let e = g.record_result(ToolResult::ok(json!(1))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Misuse);
    check(&mut g, "get_order", json!({"id": 1}));
    let before = g.stats();
    let e = g.check_tool("get_order", json!({"id": 2}).as_object().unwrap(), None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Misuse);
    assert!(e.message().contains("get_order"), "{e}");
    assert_eq!(g.stats(), before);
    ok(&mut g, json!(1));
    assert_eq!(check(&mut g, "get_order", json!({"id": 2})).action, Action::Allow);
}

#[test]
fn without_strict_mode_a_missing_result_is_counted() {
    let mut g = guard(json!({}));
    check(&mut g, "a", json!({}));
    check(&mut g, "b", json!({}));
    assert_eq!(g.stats().missed_results, 1);
    g.record_result(ToolResult::ok(json!(1))).unwrap();
    g.record_result(ToolResult::ok(json!(1))).unwrap(); // nothing awaits: ignored
    assert_eq!(g.stats().tool_calls_executed, 1);
}

#[test]
fn parallel_calls_are_recorded_by_call_id() {
    let mut g = guard(json!({"max_pending_calls": 3, "strict_mode": true}));
    let ids: Vec<u64> = ["a", "b", "c"].iter().map(|t| check(&mut g, t, json!({})).call_id.unwrap()).collect();
    assert_eq!(g.pending_call_ids(), ids);
    g.record_result(ToolResult { call_id: Some(ids[1]), ..ToolResult::ok(json!(1)) }).unwrap();
    let e = g.record_result(ToolResult { call_id: Some(ids[1]), ..ToolResult::ok(json!(1)) }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "already recorded");
    let e = g.record_result(ToolResult { call_id: Some(999), ..ToolResult::ok(json!(1)) }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    // Without a call id: the most recent waiting call.
    g.record_result(ToolResult::failed("500")).unwrap();
    assert_eq!(g.pending_call_ids(), vec![ids[0]]);
    assert_eq!(g.stats().tool_calls_failed, 1);
}

#[test]
fn the_oldest_waiting_call_is_dropped_when_too_many_wait() {
    let mut g = guard(json!({"max_pending_calls": 2}));
    let a = check(&mut g, "a", json!({})).call_id.unwrap();
    let b = check(&mut g, "b", json!({})).call_id.unwrap();
    let c = check(&mut g, "c", json!({})).call_id.unwrap();
    assert_eq!(g.pending_call_ids(), vec![b, c]);
    assert_eq!(g.stats().missed_results, 1);
    let e = g.record_result(ToolResult { call_id: Some(a), ..ToolResult::ok(json!(1)) }).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn reset_starts_a_new_run_keeping_the_configuration() {
    let mut g = guard(json!({"side_effect_tools": ["refund"], "max_calls_per_tool": 1}));
    let run = g.run_id().to_string();
    check_ticket(&mut g, "refund", json!({"o": 1}), "T");
    ok(&mut g, json!(1));
    check(&mut g, "get_order", json!({}));
    g.reset();
    assert_ne!(g.run_id(), run);
    let s = g.stats();
    assert_eq!((s.tool_calls_executed, s.pending_calls, s.interventions_count, s.cost_spent_usd), (0, 0, 0, 0.0));
    assert_eq!(check_ticket(&mut g, "refund", json!({"o": 1}), "T").action, Action::Allow, "ledger cleared");
    ok(&mut g, json!(1));
    assert_eq!(check(&mut g, "get_order", json!({"id": 1})).action, Action::Allow, "per-tool counts cleared");
    ok(&mut g, json!(1));
    assert_eq!(check(&mut g, "get_order", json!({"id": 2})).reason, "max_calls_per_tool", "configuration kept");
}

#[test]
fn call_ids_stay_unique_across_resets() {
    let mut g = guard(json!({}));
    let a = check(&mut g, "a", json!({})).call_id.unwrap();
    g.reset();
    let b = check(&mut g, "a", json!({})).call_id.unwrap();
    assert_ne!(a, b);
}

fn text_guard() -> auraguard::Guard {
    guard(json!({"max_json_bytes": 4096}))
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn a_side_effect_whose_payload_cannot_be_kept_is_still_booked_and_never_runs_again() {
    for (payload, why) in [
        (format!("\"{}\"", "x".repeat(8000)), "too_large"),
        (nested(200), "too_deep"),
        (nested(128), "too_deep"),
        ("{\"amount\": 1e400}".to_string(), "unrepresentable"),
    ] {
        let mut g = text_guard();
        g.set_listening(true);
        let d = g.check_tool_json("refund", Some(r#"{"order_id": "A-1"}"#), Some("T-1"), None).unwrap();
        assert_eq!(d.action, Action::Allow);
        let result = format!(r#"{{"ok": true, "payload": {payload}, "call_id": {}}}"#, d.call_id.unwrap());
        g.record_result_json(&result).unwrap();
        let s = g.stats();
        assert_eq!((s.tool_calls_executed, s.cost_spent_usd), (1, 0.04), "{why}: booked");
        let events: Vec<String> = g.take_events().iter().map(|e| e.to_json()).collect();
        assert!(events.iter().any(|e| e.contains(&format!("payload_not_kept:{why}"))), "{why}: {events:?}");
        let again = g.check_tool_json("refund", Some(r#"{"order_id": "A-1"}"#), Some("T-1"), None).unwrap();
        assert_eq!((again.action, again.reason.as_ref()), (Action::Cache, "idempotent_replay"), "{why}");
        let replay = again.cached_result.clone().unwrap();
        assert!(!replay.payload_kept && replay.payload.is_null(), "{why}");
        assert!(again.to_json().contains("\"payload_kept\":false"));
        assert!(g.save_state().contains("\"payloads_not_kept\":1"));
    }
}

#[test]
fn a_read_whose_payload_cannot_be_kept_is_counted_but_never_served_from_the_cache() {
    let mut g = text_guard();
    for _ in 0..3 {
        let d = g.check_tool_json("get_order", Some(r#"{"id": 1}"#), None, None).unwrap();
        if d.action != Action::Allow {
            assert_eq!(d.reason, "identical_toolcall_loop", "no cached payload to serve");
            break;
        }
        g.record_result_json(&format!(r#"{{"ok": true, "payload": {}}}"#, nested(300))).unwrap();
    }
    assert_eq!(g.stats().tool_calls_executed, 2);
}

#[test]
fn order_numbers_beyond_64_bits_are_different_refunds() {
    let mut g = guard(json!({"side_effect_max_executed_per_run": 5}));
    for order in ["123456789012345678901", "123456789012345678902"] {
        let d = g.check_tool_json("refund", Some(&format!(r#"{{"order_id": {order}}}"#)), Some("T"), None).unwrap();
        assert_eq!(d.action, Action::Allow, "{order} is a new refund");
        g.record_result_json(r#"{"ok": true}"#).unwrap();
    }
}

#[test]
fn a_result_marked_cached_is_free_and_not_executed() {
    let mut g = guard(json!({}));
    check(&mut g, "get_order", json!({"id": 1}));
    g.record_result_json(r#"{"ok": true, "payload": 1, "cached": true}"#).unwrap();
    let s = g.stats();
    assert_eq!((s.tool_calls_executed, s.cost_spent_usd), (0, 0.0));
    let e = g.record_result_json(r#"{"ok": true, "cached": 1}"#).unwrap_err();
    assert!(e.message().contains("`cached`"), "{e}");
}

#[test]
fn long_error_codes_are_cut_to_a_bounded_length() {
    let mut g = guard(json!({}));
    let d = g.check_tool_json("refund", Some("{}"), Some("T"), None).unwrap();
    let long = "e".repeat(10_000);
    g.record_result_json(&format!(
        r#"{{"ok": false, "error_code": "{long}", "side_effect_executed": true, "call_id": {}}}"#,
        d.call_id.unwrap()
    ))
    .unwrap();
    let again = g.check_tool_json("refund", Some("{}"), Some("T"), None).unwrap();
    let code = again.cached_result.unwrap().error_code.unwrap();
    assert_eq!(code.len(), auraguard::guard::MAX_ERROR_CODE_BYTES);
}

#[test]
fn repeated_argument_texts_are_decided_as_parsed_arguments_are() {
    // The JSON path remembers signatures by the text as given, and skips
    // reading a repeated text for tools whose rules read no argument. Every
    // decision must still be the one the parsed arguments get.
    let cfg = json!({
        "tool_policies": {"get_order": {"require_args": ["order_id"]}},
        "query_arg_keys_by_tool": {"search_kb": ["query"]},
        "arg_ignore_keys": {"lookup": ["trace"]},
    });
    let calls: &[(&str, &str)] = &[
        ("get_order", r#"{"id": 1}"#),
        ("get_order", r#"{"id": 1}"#),
        ("get_order", r#"{"order_id": "A"}"#),
        ("get_order", r#"{"order_id": "A"}"#),
        ("get_order", r#"{"order_id": "A"}"#),
        ("search_kb", r#"{"query": "refund policy eu"}"#),
        ("search_kb", r#"{"query": "refund policy eu"}"#),
        ("search_kb", r#"{"query": "refund policy eu germany"}"#),
        ("search_kb", r#"{"query": "refund \u0070olicy eu germany 2024"}"#),
        ("search_kb", r#"{"query": "refund policy germany 2024"}"#),
        ("lookup", r#"{"sku": 7, "trace": "a"}"#),
        ("lookup", r#"{"sku": 7, "trace": "b"}"#),
        ("lookup", r#"{"sku": 7, "trace": "a"}"#),
        // The same text under a tool that ignores nothing is another call.
        ("lookup2", r#"{"sku": 7, "trace": "a"}"#),
        ("lookup2", r#"{"sku": 7, "trace": "b"}"#),
        ("lookup", r#"{"sku": 7, "trace": "a"}"#),
    ];
    let (mut by_text, mut by_map) = (guard(cfg.clone()), guard(cfg));
    for (i, (tool, text)) in calls.iter().enumerate() {
        let a = by_text.check_tool_json(tool, Some(text), None, None).expect("check_tool_json");
        let args: serde_json::Value = serde_json::from_str(text).unwrap();
        let b = check(&mut by_map, tool, args);
        assert_eq!((a.action, &a.reason), (b.action, &b.reason), "call {i}: {tool} {text}");
        assert_eq!(a.cached_result, b.cached_result, "call {i}");
        for (g, d) in [(&mut by_text, &a), (&mut by_map, &b)] {
            if d.action == Action::Allow {
                ok(g, json!({"n": i}));
            }
        }
    }
    let (s, t) = (by_text.stats(), by_map.stats());
    assert_eq!((s.cache_hits, s.blocks, s.rewrite_decisions), (t.cache_hits, t.blocks, t.rewrite_decisions));
    assert!(
        s.cache_hits >= 2 && s.blocks >= 1 && s.rewrite_decisions >= 1,
        "the calls reach the repeat, policy and jitter rules"
    );
}

#[test]
fn arguments_as_bytes_are_checked_for_utf8_even_after_a_repeat() {
    let mut g = guard(json!({}));
    let text = br#"{"order_id": "A-1"}"#;
    for _ in 0..2 {
        let d = g.check_tool_utf8("get_order", Some(text), Some(b"T-1"), None).expect("valid text");
        if d.action == Action::Allow {
            ok(&mut g, json!({"n": 1}));
        }
    }
    // The same length and tool, one byte not UTF-8; then a bad ticket id.
    let bad = b"{\"order_id\": \"A-\xff\"}";
    let e = g.check_tool_utf8("get_order", Some(bad), None, None).unwrap_err();
    assert_eq!(e.message(), "`args_json` is not valid UTF-8 (at byte 16)");
    let e = g.check_tool_utf8("get_order", Some(text), Some(b"T-\xc3"), None).unwrap_err();
    assert_eq!(e.message(), "`ticket_id` is not valid UTF-8 (at byte 2)");
    // The third identical call is answered as the text is: from the cache.
    let d = g.check_tool_utf8("get_order", Some(text), Some(b"T-1"), None).unwrap();
    assert_eq!(d.action, Action::Cache);
    let stats = g.stats();
    assert_eq!((stats.tool_calls_executed, stats.cache_hits), (2, 1));
}
