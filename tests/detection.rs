//! The opt-in detectors end to end, through the guard as an agent uses it:
//! each from its written rule (docs/DETECTION.md), where it fires and where
//! it must not, with the clock injected (no test sleeps), and across a save
//! and load.

mod common;

use auraguard::clock::ManualClock;
use auraguard::events::Event;
use auraguard::{Action, Guard, ToolResult};
use common::{check, fail, guard, ok};
use serde_json::{json, Value};

fn guard_with_clock(cfg: Value) -> (Guard, ManualClock) {
    let clock = ManualClock::default();
    clock.set(1000.0);
    (guard(cfg).with_clock(Box::new(clock.clone())), clock)
}

fn warnings(g: &mut Guard) -> Vec<String> {
    g.take_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(w.reason),
            _ => None,
        })
        .collect()
}

#[test]
fn same_answer_to_varied_queries_is_a_loop_only_when_switched_on() {
    let run = |g: &mut Guard| -> Vec<String> {
        let mut reasons = Vec::new();
        for q in ["order 1 status", "status of order one", "where is my first order", "order #1 shipping"] {
            let d = check(g, "lookup_order", json!({"q": q}));
            reasons.push(d.reason.to_string());
            if d.action == Action::Allow {
                ok(g, json!({"status": "not found"}));
            }
        }
        reasons
    };
    assert_eq!(run(&mut guard(json!({}))), ["allow"; 4], "the package lets it through");
    let r = run(&mut guard(json!({"same_result_threshold": 3})));
    assert_eq!(r, ["allow", "allow", "allow", "same_result_loop"]);
    // Different answers: never.
    let mut g = guard(json!({"same_result_threshold": 2}));
    for i in 0..6 {
        assert_eq!(check(&mut g, "lookup_order", json!({"id": i})).action, Action::Allow);
        ok(&mut g, json!({"id": i, "status": "shipped"}));
    }
}

#[test]
fn a_poll_may_go_on_while_the_job_moves_and_not_once_it_stops() {
    let poll = |g: &mut Guard, status: &str| {
        let d = check(g, "get_job_status", json!({"job": "J-1"}));
        if d.action == Action::Allow {
            ok(g, json!({"status": status}));
        }
        d
    };
    let mut g = guard(json!({"poll_tools": ["get_job_status"]}));
    for pct in 0..10 {
        let d = poll(&mut g, &format!("running {pct}0%"));
        assert_eq!(d.action, Action::Allow, "poll {pct}: {}", d.reason);
    }
    // The package would have cached the third identical call.
    let mut package = guard(json!({}));
    let reasons: Vec<String> = (0..3).map(|i| poll(&mut package, &format!("running {i}")).reason.to_string()).collect();
    assert_eq!(reasons[2], "identical_toolcall_loop_cache");
    // A job that stopped moving: the repeat rule applies again.
    let mut g = guard(json!({"poll_tools": ["get_job_status"]}));
    assert_eq!(poll(&mut g, "stuck").action, Action::Allow);
    assert_eq!(poll(&mut g, "stuck").action, Action::Allow);
    let d = poll(&mut g, "stuck");
    assert_eq!(d.reason, "identical_toolcall_loop_cache");
    assert_eq!(d.cached_result.unwrap().payload, json!({"status": "stuck"}));
}

#[test]
fn a_tool_that_recovers_is_probed_and_comes_back() {
    let cfg = json!({"quarantine_cooldown_s": 30});
    let (mut g, clock) = guard_with_clock(cfg);
    for _ in 0..2 {
        assert_eq!(check(&mut g, "carrier", json!({})).action, Action::Allow);
        fail(&mut g, "503");
    }
    let d = check(&mut g, "carrier", json!({}));
    assert_eq!((d.action, d.reason.as_ref()), (Action::Rewrite, "tool_quarantined:error_retry:5xx"));
    assert_eq!(d.retry_after_ms(), Some(30_000));
    clock.advance(10.0);
    assert_eq!(check(&mut g, "carrier", json!({})).retry_after_ms(), Some(20_000));
    clock.advance(20.0);
    // The probe fails: twice as long.
    assert_eq!(check(&mut g, "carrier", json!({})).action, Action::Allow);
    fail(&mut g, "503");
    assert_eq!(check(&mut g, "carrier", json!({})).retry_after_ms(), Some(60_000));
    clock.advance(60.0);
    // The probe succeeds: the tool is back for good.
    assert_eq!(check(&mut g, "carrier", json!({})).action, Action::Allow);
    ok(&mut g, json!({"eta": "tomorrow"}));
    for i in 0..3 {
        assert_eq!(check(&mut g, "carrier", json!({"n": i})).action, Action::Allow);
        ok(&mut g, json!({"n": i}));
    }
}

#[test]
fn without_a_cooldown_a_quarantine_lasts_for_the_run() {
    let (mut g, clock) = guard_with_clock(json!({}));
    for _ in 0..2 {
        check(&mut g, "carrier", json!({}));
        fail(&mut g, "503");
    }
    clock.advance(1e6);
    let d = check(&mut g, "carrier", json!({}));
    assert_eq!(d.action, Action::Rewrite);
    assert_eq!(d.retry_after_ms(), None);
}

#[test]
fn a_call_cooldown_probes_after_that_many_calls() {
    let mut g = guard(json!({"quarantine_cooldown_calls": 2}));
    for _ in 0..2 {
        check(&mut g, "carrier", json!({}));
        fail(&mut g, "timeout");
    }
    assert_eq!(check(&mut g, "carrier", json!({})).action, Action::Rewrite);
    check(&mut g, "other", json!({}));
    ok(&mut g, json!(1));
    assert_eq!(check(&mut g, "carrier", json!({})).action, Action::Allow, "two calls since it opened");
}

#[test]
fn the_first_intervention_is_a_warning_then_the_detector_enforces() {
    let mut g = guard(json!({"warn_before_enforce": true, "max_calls_per_tool": 2}));
    g.set_listening(true);
    let mut decisions = Vec::new();
    for i in 0..4 {
        let d = check(&mut g, "get_invoice", json!({"id": i}));
        if d.action == Action::Allow {
            ok(&mut g, json!({"id": i}));
        }
        decisions.push(d);
    }
    assert_eq!(decisions[1].warning, None);
    let w = decisions[2].warning.as_ref().expect("the third call is warned");
    assert_eq!((decisions[2].action, w.reason.as_str()), (Action::Allow, "max_calls_per_tool"));
    assert!(w.message.contains("get_invoice"));
    assert_eq!((decisions[3].action, decisions[3].reason.as_ref()), (Action::Rewrite, "max_calls_per_tool"));
    assert!(decisions[2].to_json().contains("\"warning\":{\"reason\":\"max_calls_per_tool\""));
    assert_eq!(warnings(&mut g), ["warn_before_enforce:max_calls_per_tool"]);
}

#[test]
fn a_warning_for_one_detector_does_not_stop_another_from_enforcing() {
    // The identical repeat warns; the cap on the same call still enforces.
    let mut g = guard(json!({"warn_before_enforce": ["identical_toolcall_loop"], "max_calls_per_tool": 2,
        "never_cache_tools": ["ping"]}));
    for _ in 0..2 {
        assert_eq!(check(&mut g, "ping", json!({})).action, Action::Allow);
        ok(&mut g, json!("pong"));
    }
    assert_eq!(check(&mut g, "ping", json!({})).reason, "max_calls_per_tool");
    // Without a cap, the warning lets the repeat through once.
    let mut g = guard(json!({"warn_before_enforce": ["identical_toolcall_loop"], "never_cache_tools": ["ping"]}));
    for _ in 0..2 {
        check(&mut g, "ping", json!({}));
        ok(&mut g, json!("pong"));
    }
    let d = check(&mut g, "ping", json!({}));
    assert_eq!(d.warning.unwrap().reason, "identical_toolcall_loop");
    ok(&mut g, json!("pong"));
    assert_eq!(check(&mut g, "ping", json!({})).reason, "identical_toolcall_loop");
}

#[test]
fn a_cycle_broken_up_by_other_calls_still_counts_with_a_tolerance() {
    let calls = ["ask_a", "ask_b", "log", "ask_a", "ask_b", "metrics", "ask_a", "ask_b"];
    let run = |cfg: Value| -> Vec<String> {
        let mut g = guard(cfg);
        calls
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let d = check(&mut g, t, json!({"i": i}));
                if d.action == Action::Allow {
                    ok(&mut g, json!({"i": i}));
                }
                d.reason.to_string()
            })
            .collect()
    };
    assert!(run(json!({})).iter().all(|r| r == "allow"), "the package needs back-to-back rounds");
    let r = run(json!({"sequence_gap_tolerance": 1}));
    assert_eq!(r[7], "sequence_loop:ask_a \u{2192} ask_b");
    assert!(r[..7].iter().all(|r| r == "allow"));
}

#[test]
fn run_limits_allow_n_and_escalate_the_next_with_a_packet() {
    let mut g = guard(json!({"max_tool_calls_per_run": 2}));
    for i in 0..2 {
        check(&mut g, "t", json!({"i": i}));
        ok(&mut g, json!(i));
    }
    let d = check(&mut g, "t", json!({"i": 9}));
    assert_eq!((d.action, d.reason.as_ref()), (Action::Escalate, "tool_call_limit_exceeded"));
    let p = d.escalation_packet.unwrap();
    assert_eq!((p.limit_key.as_deref(), p.used, p.limit), (Some("max_tool_calls_per_run"), Some(3.0), Some(2.0)));

    // Tokens burnt with no tool call at all: the next message is escalated.
    let mut g = guard(json!({"max_tokens_per_run": 5000}));
    g.set_listening(true);
    for _ in 0..3 {
        g.record_tokens(1200, 150, None).unwrap();
        assert_eq!(g.check_output("Thinking about it some more.").unwrap(), None);
    }
    assert_eq!(warnings(&mut g), ["run_limit_warning:max_tokens_per_run"]);
    g.record_tokens(1200, 150, None).unwrap();
    let d = g.check_output("Thinking about it some more.").unwrap().unwrap();
    assert_eq!(d.reason, "token_limit_exceeded");
    assert_eq!(d.escalation_packet.unwrap().used, Some(5400.0));

    let mut g = guard(json!({"max_model_calls": 1}));
    g.record_tokens(1, 1, None).unwrap();
    assert_eq!(g.check_output("one").unwrap(), None);
    g.record_tokens(1, 1, None).unwrap();
    assert_eq!(g.check_output("two").unwrap().unwrap().reason, "model_call_limit_exceeded");
}

#[test]
fn run_time_is_measured_on_the_injected_clock() {
    let (mut g, clock) = guard_with_clock(json!({"max_run_seconds": 120}));
    assert_eq!(check(&mut g, "t", json!({"i": 1})).action, Action::Allow);
    ok(&mut g, json!(1));
    clock.advance(120.0);
    assert_eq!(check(&mut g, "t", json!({"i": 2})).action, Action::Allow, "120 s of 120 is within");
    ok(&mut g, json!(2));
    clock.advance(0.5);
    assert_eq!(check(&mut g, "t", json!({"i": 3})).reason, "run_time_limit_exceeded");
    assert_eq!(g.check_output("still here").unwrap().unwrap().reason, "run_time_limit_exceeded");
}

#[test]
fn a_spanish_apology_spiral_is_a_stall_only_with_multilingual_text() {
    let spiral = ["Lo siento, sigo revisando su pedido.", "Disculpe la demora, un momento por favor."];
    let run = |cfg: Value| -> Option<String> {
        let mut g = guard(cfg);
        spiral.iter().find_map(|t| g.check_output(t).unwrap().map(|d| d.reason.to_string()))
    };
    assert_eq!(run(json!({})), None, "the package reads English only");
    assert_eq!(run(json!({"multilingual_text": true})).as_deref(), Some("no_state_change_loop"));
    // Added phrases count without the built-in languages.
    let mut g = guard(json!({"stall_phrases": {"apology": ["mea culpa"], "still_working": ["hold tight"]}}));
    assert_eq!(g.check_output("Mea culpa, hold tight.").unwrap(), None);
    assert_eq!(g.check_output("Mea culpa again, hold   tight.").unwrap().unwrap().reason, "no_state_change_loop");
    // A plain Spanish answer is not a stall.
    let mut g = guard(json!({"multilingual_text": true}));
    for _ in 0..3 {
        assert_eq!(g.check_output("Su pedido fue enviado ayer y llega el lunes.").unwrap(), None);
    }
}

#[test]
fn a_chinese_or_japanese_apology_spiral_is_a_stall_only_with_multilingual_text() {
    let spirals: [&[&str]; 2] = [
        &["抱歉，我还在为您查询订单，请稍等。", "非常抱歉让您久等，正在查询您的订单，请稍等。"],
        &["申し訳ありません、ただいま確認中です。", "ご迷惑をおかけして申し訳ございません、少々お待ちください。"],
    ];
    for spiral in spirals {
        let run = |cfg: Value| -> Option<String> {
            let mut g = guard(cfg);
            spiral.iter().find_map(|t| g.check_output(t).unwrap().map(|d| d.reason.to_string()))
        };
        assert_eq!(run(json!({})), None, "{spiral:?}: the package reads English only");
        assert_eq!(run(json!({"multilingual_text": true})).as_deref(), Some("no_state_change_loop"), "{spiral:?}");
    }
    // Plain answers, even repeated, are not a stall.
    let mut g = guard(json!({"multilingual_text": true}));
    for _ in 0..3 {
        assert_eq!(g.check_output("您的订单昨天已发货，周一送达。").unwrap(), None);
    }
}

#[test]
fn chinese_rewordings_share_bigrams_for_the_jitter_detector() {
    // Four rewordings of "refund policy" (query, lookup, explanation).
    let queries = ["退款政策", "退款政策查询", "查询退款政策", "退款政策说明"];
    let run = |cfg: Value| -> Vec<String> {
        let mut g = guard(cfg);
        queries
            .iter()
            .map(|q| {
                let d = check(&mut g, "search_kb", json!({"query": q}));
                if d.action == Action::Allow {
                    ok(&mut g, json!({"hits": 1}));
                }
                d.reason.to_string()
            })
            .collect()
    };
    assert_eq!(run(json!({})), ["allow"; 4], "one token per unspaced run: rewordings share nothing");
    assert_eq!(run(json!({"multilingual_text": true})), ["allow", "allow", "allow", "arg_jitter_loop"]);
    // Different questions share no bigram: never a loop.
    let mut g = guard(json!({"multilingual_text": true}));
    for q in ["退款政策", "运费计算", "会员积分", "发票抬头", "配送时间", "退货地址"] {
        assert_eq!(check(&mut g, "search_kb", json!({"query": q})).action, Action::Allow, "{q}");
        ok(&mut g, json!({"hits": 1}));
    }
}

#[test]
fn the_detectors_state_survives_a_save_and_load() {
    let cfg = json!({"secret_key": "k", "quarantine_cooldown_s": 30, "same_result_threshold": 2,
        "warn_before_enforce": ["same_result_loop"], "max_tool_calls_per_run": 10, "max_run_seconds": 100});
    let (mut g, clock) = guard_with_clock(cfg.clone());
    for _ in 0..2 {
        check(&mut g, "carrier", json!({}));
        fail(&mut g, "503");
    }
    for q in ["a", "b"] {
        check(&mut g, "lookup", json!({"q": q}));
        ok(&mut g, json!("same"));
    }
    assert!(check(&mut g, "lookup", json!({"q": "c"})).warning.is_some());
    ok(&mut g, json!("same"));
    clock.advance(10.0);
    let saved = g.save_state();
    assert!(saved.contains("\"detect\""));

    let (mut h, clock2) = guard_with_clock(cfg);
    clock2.set(5000.0);
    h.load_state(&saved).unwrap();
    assert_eq!(h.save_state(), saved, "the same state, saved again");
    assert_eq!(check(&mut h, "carrier", json!({})).retry_after_ms(), Some(20_000), "the cooldown's age is kept");
    assert_eq!(check(&mut h, "lookup", json!({"q": "d"})).reason, "same_result_loop", "the warning was used");
    clock2.advance(90.5);
    assert_eq!(check(&mut h, "x", json!({})).reason, "run_time_limit_exceeded", "the run's age is kept");
}

#[test]
fn a_default_configuration_saves_no_detector_state() {
    let mut g = guard(json!({}));
    check(&mut g, "t", json!({}));
    ok(&mut g, json!(1));
    assert!(!g.save_state().contains("detect"));
}

#[test]
fn a_tampered_or_foreign_detector_section_is_refused_whole() {
    let cfg = json!({"secret_key": "k", "max_tool_calls_per_run": 10});
    let mut g = guard(cfg.clone());
    check(&mut g, "t", json!({}));
    ok(&mut g, json!(1));
    let mut v: Value = serde_json::from_str(&g.save_state()).unwrap();
    v["body"]["detect"]["limits"]["tool_calls"] = json!(0);
    let mut h = guard(cfg);
    let before = h.save_state();
    let e = h.load_state(&v.to_string()).unwrap_err();
    assert!(e.message().contains("MAC"), "{}", e.message());
    assert_eq!(h.save_state(), before);
}

#[test]
fn the_healthy_workflow_sees_no_intervention_with_every_feature_on() {
    let mut g =
        guard(json!({"same_result_threshold": 2, "poll_tools": ["get_job_status"], "quarantine_cooldown_s": 30,
        "warn_before_enforce": true, "sequence_gap_tolerance": 2, "max_model_calls": 20, "max_tokens_per_run": 100000,
        "max_tool_calls_per_run": 20, "max_run_seconds": 3600, "multilingual_text": true,
        "side_effect_tools": ["refund", "send_reply"]}));
    g.set_listening(true);
    let steps: &[(&str, Value, Value)] = &[
        ("lookup_ticket", json!({"ticket": "T-500"}), json!({"order_id": "ORD-5"})),
        ("get_order", json!({"order_id": "ORD-5"}), json!({"total": 35, "status": "damaged"})),
        ("get_job_status", json!({"job": "RMA-5"}), json!({"state": "queued"})),
        ("get_job_status", json!({"job": "RMA-5"}), json!({"state": "approved"})),
        ("search_kb", json!({"query": "damaged item refund"}), json!({"hits": 3})),
        ("refund", json!({"order_id": "ORD-5", "amount": 35}), json!({"refund_id": "R-5"})),
        ("send_reply", json!({"ticket": "T-500", "body": "Refunded"}), json!("sent")),
    ];
    for (tool, args, result) in steps {
        g.record_tokens(1200, 150, None).unwrap();
        assert_eq!(g.check_output("Working on your request.").unwrap(), None);
        let d = g.check_tool(tool, args.as_object().unwrap(), Some("T-500"), None).unwrap();
        assert_eq!((d.action, d.warning.is_none()), (Action::Allow, true), "{tool}: {}", d.reason);
        g.record_result(ToolResult { call_id: d.call_id, ..ToolResult::ok(result.clone()) }).unwrap();
    }
    assert_eq!(g.stats().interventions_count, 0);
    assert!(warnings(&mut g).is_empty());
}
