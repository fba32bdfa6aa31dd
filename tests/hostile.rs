//! Hostile input: whatever arrives, the guard answers with a clear error or
//! a correct decision, never a panic, and its state stays bounded.
//!
//! The property tests below drive the public API with generated input (a
//! short run per `cargo test`; `make fuzz` raises PROPTEST_CASES for a long
//! one). Seeds come from the cases the other tests use.

mod common;

use auraguard::{Action, Config, ErrorKind, Guard};
use common::*;
use proptest::prelude::*;
use serde_json::{json, Value};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Configuration objects mixing real keys, wrong types and typos.
fn any_config() -> impl Strategy<Value = Value> {
    let keys = prop_oneof![
        prop::sample::select(auraguard::config::CONFIG_KEYS.to_vec()).prop_map(str::to_string),
        "[a-z_]{1,20}",
    ];
    prop::collection::btree_map(keys, any_json(), 0..6).prop_map(|m| Value::Object(m.into_iter().collect()))
}

/// Configurations whose count-type keys take extreme values.
fn count_config() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "tool_loop_window",
        "repeat_toolcall_threshold",
        "arg_jitter_repeat_threshold",
        "max_calls_per_tool",
        "sequence_repeat_threshold",
        "max_sequence_length",
        "error_retry_threshold",
        "side_effect_max_executed_per_run",
        "no_state_change_threshold",
        "stall_pattern_streak_threshold",
        "stall_rewrite_max_attempts",
        "max_cache_entries",
        "max_unique_calls_tracked",
        "max_cost_events",
        "max_pending_calls",
        "max_json_bytes",
        "max_text_bytes",
        "max_intervention_log",
        "max_ledger_entries",
        "max_tools_tracked",
    ]);
    let value = prop_oneof![
        0u64..4,
        Just(1000u64),
        Just(1001u64),
        Just(1_000_000u64),
        Just(u64::from(u32::MAX)),
        Just(u64::MAX / 2),
        Just(u64::MAX),
        any::<u64>(),
    ];
    prop::collection::btree_map(keys, value, 0..6).prop_map(|m| {
        let mut obj: serde_json::Map<String, Value> = m.into_iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
        obj.insert("secret_key".into(), json!("k"));
        Value::Object(obj)
    })
}

fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,200}",
        Just("I'm sorry for the delay, still checking.".to_string()),
        Just(r#"{"action": "escalate", "reason": "r", "escalation": {"route": 1, "tags": [null]}}"#.to_string()),
        Just(r#"{"action": "finalize", "reason": "r", "reply_draft": "ok"}"#.to_string()),
    ]
}

/// One operation of a run.
#[derive(Debug, Clone)]
enum Op {
    Check { tool: String, args: Value, ticket: Option<String>, side_effect: Option<bool> },
    CheckText { tool: String, args: String },
    Record(Value),
    RecordText(String),
    Output(String),
    Tokens(u64, u64, Option<f64>),
    Save,
    LoadGarbage(String),
    Reset,
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let tool = prop::sample::select(vec!["search_kb", "refund", "get_order", "send_reply", "x", "rag_retrieve"])
        .prop_map(str::to_string);
    prop_oneof![
        4 => (tool.clone(), any_json(), prop::option::of("[A-Z]-[0-9]"), prop::option::of(any::<bool>()))
            .prop_map(|(tool, args, ticket, side_effect)| Op::Check { tool, args, ticket, side_effect }),
        1 => (tool, ".{0,40}").prop_map(|(tool, args)| Op::CheckText { tool, args }),
        3 => any_json().prop_map(Op::Record),
        1 => ".{0,40}".prop_map(Op::RecordText),
        2 => text_strategy().prop_map(Op::Output),
        1 => (any::<u64>(), any::<u64>(), prop::option::of(any::<f64>())).prop_map(|(a, b, c)| Op::Tokens(a, b, c)),
        1 => Just(Op::Save),
        1 => ".{0,60}".prop_map(Op::LoadGarbage),
        1 => Just(Op::Reset),
    ]
}

fn apply(g: &mut Guard, op: &Op) {
    match op {
        Op::Check { tool, args, ticket, side_effect } => match args.as_object() {
            Some(m) => {
                let d = g.check_tool(tool, m, ticket.as_deref(), *side_effect).unwrap();
                assert_eq!(d.call_id.is_some(), d.action == Action::Allow);
                let _ = serde_json::from_str::<Value>(&d.to_json()).unwrap();
            }
            None => {
                let e = g.check_tool_json(tool, Some(&args.to_string()), None, None).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            }
        },
        Op::CheckText { tool, args } => {
            let _ = g.check_tool_json(tool, Some(args), None, None);
        }
        Op::Record(v) => {
            if let Err(e) = g.record_result_json(&v.to_string()) {
                assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
            }
        }
        Op::RecordText(t) => {
            if let Err(e) = g.record_result_json(t) {
                assert!(matches!(e.kind(), ErrorKind::InvalidArgument));
            }
        }
        Op::Output(t) => {
            let _ = g.check_output(t).unwrap();
        }
        Op::Tokens(a, b, c) => {
            let r = g.record_tokens(*a, *b, *c);
            assert_eq!(r.is_ok(), c.is_none_or(|c| (0.0..=auraguard::config::MAX_USD).contains(&c)));
        }
        Op::Save => {
            let saved = g.save_state();
            let before = g.stats();
            g.load_state(&saved).unwrap();
            assert_eq!(g.stats(), before, "a save/load round trip changes nothing");
        }
        Op::LoadGarbage(t) => {
            let before = g.save_state();
            assert_eq!(g.load_state(t).unwrap_err().kind(), ErrorKind::State);
            assert_eq!(g.save_state(), before);
        }
        Op::Reset => g.reset(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_configuration_is_accepted_or_rejected_with_a_named_reason(cfg in any_config()) {
        match Config::from_value(&cfg) {
            Ok(_) => {}
            Err(e) => {
                prop_assert_eq!(e.kind(), ErrorKind::Config);
                prop_assert!(e.message().contains('`') || e.message().contains("JSON"), "{}", e);
            }
        }
    }

    #[test]
    fn any_accepted_count_configuration_runs_calls(cfg in count_config(), ops in prop::collection::vec(op_strategy(), 1..30)) {
        // Whatever count values a configuration accepts, calls run under it
        // (no overflow, no step longer than the window) and four distinct
        // tools in a row are never a sequence loop.
        let Ok(config) = Config::from_value(&cfg) else { return Ok(()) };
        let mut g = Guard::new(config);
        for tool in ["a", "b", "c", "d"] {
            match g.check_tool(tool, &serde_json::Map::new(), None, None) {
                Ok(d) => prop_assert!(!d.reason.starts_with("sequence_loop"), "{}", d.reason),
                // A small max_tools_tracked refuses new tools: an error, not a decision.
                Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidArgument),
            }
            let _ = g.record_result_json(r#"{"ok": true}"#);
        }
        for op in &ops {
            // Small caps refuse some inputs; every refusal is an invalid argument.
            let refused = match op {
                Op::Check { tool, args, ticket, side_effect } => match args.as_object() {
                    Some(m) => g.check_tool(tool, m, ticket.as_deref(), *side_effect).err(),
                    None => g.check_tool_json(tool, Some(&args.to_string()), None, None).err(),
                },
                Op::CheckText { tool, args } => g.check_tool_json(tool, Some(args), None, None).err(),
                Op::Record(v) => g.record_result_json(&v.to_string()).err(),
                Op::RecordText(t) => g.record_result_json(t).err(),
                Op::Output(t) => g.check_output(t).err(),
                Op::Tokens(a, b, c) => g.record_tokens(*a, *b, *c).err(),
                Op::Reset => {
                    g.reset();
                    None
                }
                Op::Save | Op::LoadGarbage(_) => None,
            };
            if let Some(e) = refused {
                prop_assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{}", e);
            }
        }
        let saved = g.save_state();
        g.load_state(&saved).unwrap();
    }

    #[test]
    fn any_configuration_text_never_panics(text in ".{0,80}") {
        let _ = Config::from_json(&text);
    }

    #[test]
    fn any_run_keeps_its_invariants(ops in prop::collection::vec(op_strategy(), 1..40), strict in any::<bool>(), pending in 1usize..4) {
        let mut g = guard(json!({"strict_mode": strict, "max_pending_calls": pending, "max_intervention_log": 8, "max_cache_entries": 4, "max_cost_events": 4}));
        for op in &ops {
            match (op, strict) {
                // In strict mode an out-of-order call is a misuse error; that is the contract.
                (Op::Check { tool, args, ticket, side_effect }, true) if args.is_object() => {
                    if let Err(e) = g.check_tool(tool, args.as_object().unwrap(), ticket.as_deref(), *side_effect) {
                        prop_assert_eq!(e.kind(), ErrorKind::Misuse);
                    }
                }
                (Op::Record(v), true) => {
                    if let Err(e) = g.record_result_json(&v.to_string()) {
                        prop_assert!(matches!(e.kind(), ErrorKind::InvalidArgument | ErrorKind::Misuse));
                    }
                }
                _ => apply(&mut g, op),
            }
            let s = g.stats();
            prop_assert!(s.pending_calls as usize <= pending);
            let r = g.report();
            prop_assert!(r.interventions.len() <= 8);
            prop_assert!(r.cost_events.len() <= 4);
            prop_assert!(s.cost_spent_usd.is_finite() || s.cost_spent_usd.is_infinite());
        }
    }

    #[test]
    fn tampering_with_any_byte_of_a_saved_state_is_caught(pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut g = guard(json!({}));
        check_ticket(&mut g, "refund", json!({"o": 1}), "T");
        ok(&mut g, json!(1));
        let saved = g.save_state().into_bytes();
        let i = pos.index(saved.len());
        if saved[i] == byte {
            return Ok(());
        }
        let mut bad = saved.clone();
        bad[i] = byte;
        let Ok(text) = String::from_utf8(bad) else { return Ok(()) };
        // Either the change is refused as a state error, or it was one the
        // reader cannot see (whitespace, `0.0` written `0e0`) and the state
        // loaded is exactly the one saved.
        let mut fresh = guard(json!({}));
        match fresh.load_state(&text) {
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::State),
            Ok(()) => prop_assert_eq!(fresh.save_state().into_bytes(), saved),
        }
    }
}

#[test]
fn the_largest_prices_and_token_counts_keep_costs_finite_and_the_state_loadable() {
    let max = auraguard::config::MAX_USD;
    let mut g = guard(json!({"cost_model": {"input_token_cost_per_1k": max, "output_token_cost_per_1k": max,
        "default_tool_call_cost": max}}));
    for _ in 0..1000 {
        g.record_tokens(u64::MAX, u64::MAX, None).unwrap();
        g.record_tokens(0, 0, Some(max)).unwrap();
    }
    check(&mut g, "get_order", json!({}));
    ok(&mut g, json!(1));
    assert!(g.stats().cost_spent_usd.is_finite());
    let e = g.record_tokens(0, 0, Some(1e300)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let saved = g.save_state();
    let mut h = guard(json!({}));
    h.load_state(&saved).unwrap();
    assert_eq!(h.stats().cost_spent_usd, g.stats().cost_spent_usd);
}

#[test]
fn oversized_inputs_are_refused_with_the_limit() {
    let mut g = guard(json!({"max_json_bytes": 1024, "max_text_bytes": 64}));
    let big = format!(r#"{{"q": "{}"}}"#, "x".repeat(2000));
    let e = g.check_tool_json("search_kb", Some(&big), None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("1024"), "{e}");
    let e = g.check_output(&"y".repeat(65)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("64"), "{e}");
    // A result over the limit is still read (its payload is not kept); with
    // no call awaiting it, there is nothing to book.
    g.record_result_json(&format!(r#"{{"ok": true, "payload": "{}"}}"#, "z".repeat(2000))).unwrap();
    assert!(g.check_tool_json(&"t".repeat(5000), None, None, None).is_err(), "tool names are bounded");
    // Valid JSON of the wrong shape is named as such.
    let e = g.check_tool_json("search_kb", Some("[1]"), None, None).unwrap_err();
    assert_eq!(e.message(), "args must be a JSON object");
    // The configuration itself is bounded.
    let huge = format!(r#"{{"secret_key": "{}"}}"#, "k".repeat(5 << 20));
    let e = Config::from_json(&huge).unwrap_err();
    assert!(e.message().contains("over the limit"), "{e}");
    assert_eq!(g.stats().tool_calls_executed + g.stats().tool_calls_denied, 0, "nothing was counted");
}

#[test]
fn the_default_limits_are_one_mebibyte_and_256_kibibytes() {
    let mut g = guard(json!({}));
    let just_under = format!(r#"{{"q": "{}"}}"#, "x".repeat((1 << 20) - 16));
    assert!(g.check_tool_json("t", Some(&just_under), None, None).is_ok());
    let over = format!(r#"{{"q": "{}"}}"#, "x".repeat(1 << 20));
    assert!(g.check_tool_json("t", Some(&over), None, None).unwrap_err().message().contains("1048576"));
    assert!(g.check_output(&"a ".repeat(128 << 10)).is_ok());
    assert!(g.check_output(&"a ".repeat((128 << 10) + 1)).unwrap_err().message().contains("262144"));
}

#[test]
fn deep_nesting_is_an_invalid_argument_not_a_stack_overflow() {
    let mut g = guard(json!({}));
    let deep = format!("{{\"a\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let e = g.check_tool_json("t", Some(&deep), None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("recursion"), "{e}");
    let e = g.record_result_json(&format!("{{\"ok\": true, \"payload\": {}}}", "[".repeat(100_000))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let e = Config::from_json(&"[".repeat(100_000)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
}

#[test]
fn invented_tool_names_cannot_grow_the_state_without_bound() {
    let mut g = guard(json!({"max_tools_tracked": 50}));
    for i in 0..50 {
        check(&mut g, &format!("tool-{i}"), json!({}));
    }
    let e = g.check_tool_json("one-too-many", None, None, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("max_tools_tracked"));
    assert_eq!(check(&mut g, "tool-3", json!({"again": 1})).action, Action::Allow, "known tools still work");
}

#[test]
fn a_long_run_stays_within_its_caps() {
    let mut g = guard(json!({"max_unique_calls_tracked": 100, "max_cache_entries": 50, "max_intervention_log": 20,
        "max_cost_events": 30, "max_ledger_entries": 10, "side_effect_max_executed_per_run": 1000000,
        "sequence_detection_enabled": false}));
    for i in 0..5_000 {
        let d = check(&mut g, "get_order", json!({"id": i % 2_000}));
        if d.action == Action::Allow {
            ok(&mut g, json!(i));
        }
        if check_ticket(&mut g, "refund", json!({"id": i}), "T").action == Action::Allow {
            ok(&mut g, json!(i));
        }
    }
    let r = g.report();
    assert_eq!(r.stats.unique_tool_calls, 100);
    assert!(r.interventions.len() <= 20 && r.cost_events.len() <= 30);
    let saved: Value = serde_json::from_str(&g.save_state()).unwrap();
    assert_eq!(saved["body"]["ledger"].as_array().unwrap().len(), 10);
    assert!(saved["body"]["window"].as_array().unwrap().len() <= 12);
}

#[test]
fn events_nobody_drains_stay_bounded() {
    let mut g = guard(json!({}));
    g.set_listening(true);
    for i in 0..10_000 {
        check(&mut g, "t", json!({ "i": i }));
        ok(&mut g, json!(i));
    }
    let events = g.take_events();
    assert_eq!(events.len(), auraguard::state::MAX_UNDRAINED_EVENTS);
    assert!(events.last().unwrap().to_json().contains("\"spent_usd\":400"), "the newest are kept");
}

#[test]
fn a_state_past_the_smallest_load_limit_loads_when_the_caps_allow_it() {
    // 6,000 tools whose 1,000-byte names are control characters: each is
    // saved escaped (six bytes a byte), in the tools and again in the tally.
    let cfg = json!({"max_tools_tracked": 6000, "max_unique_calls_tracked": 6000});
    let mut g = guard(cfg.clone());
    for i in 0..6000u32 {
        let name = format!("{i:05}{}", "\u{1}".repeat(995));
        check(&mut g, &name, json!({}));
        ok(&mut g, json!(1));
        // A third identical call is an intervention: the tally names the tool.
        check(&mut g, &name, json!({}));
        check(&mut g, &name, json!({}));
    }
    let saved = g.save_state();
    assert!(saved.len() > auraguard::snapshot::MAX_STATE_BYTES, "{} bytes", saved.len());
    assert!(saved.len() <= auraguard::snapshot::max_state_bytes(g.config()));
    let mut fresh = guard(cfg);
    fresh.load_state(&saved).unwrap();
    assert_eq!(fresh.save_state(), saved);
}
