//! Saving a run and restoring it elsewhere: what survives, what never
//! leaves the process, and what is refused.

mod common;

use auraguard::{Action, ErrorKind, ToolResult};
use common::*;
use serde_json::{json, Value};

const SECRET: &str = "s3cr3t-key-never-printed";

fn mid_run() -> auraguard::Guard {
    let mut g = guard(json!({"secret_key": SECRET, "max_pending_calls": 2}));
    check_ticket(&mut g, "refund", json!({"order_id": "ORD-PRIVATE-42", "amount": 50}), "TICKET-PRIVATE-7");
    ok(&mut g, json!({"card": "PAYLOAD-PRIVATE-9"}));
    for q in ["refund policy", "refund policy EU"] {
        check(&mut g, "search_kb", json!({"query": q}));
        ok(&mut g, json!([q]));
    }
    g.check_output("TEXT-PRIVATE apologies, still checking").unwrap();
    g.record_tokens(1000, 100, None).unwrap();
    check(&mut g, "get_order", json!({"order_id": "ORD-PRIVATE-42"})); // awaits its result
    g
}

#[test]
fn a_restored_run_still_catches_the_duplicate_refund() {
    let g = mid_run();
    let saved = g.save_state();
    let mut restored = guard(json!({"secret_key": SECRET, "max_pending_calls": 2}));
    restored.load_state(&saved).unwrap();
    assert_eq!(restored.run_id(), g.run_id());
    let mut before = g.stats();
    let mut after = restored.stats();
    assert_eq!(before.run_id, after.run_id);
    before.run_id.clear();
    after.run_id.clear();
    assert_eq!(before, after, "every counter survives");

    // The waiting call survives too.
    assert_eq!(restored.pending_call_ids(), g.pending_call_ids());
    restored.record_result(ToolResult::ok(json!(1))).unwrap();

    let d =
        check_ticket(&mut restored, "refund", json!({"order_id": "ORD-PRIVATE-42", "amount": 50}), "TICKET-PRIVATE-7");
    assert_eq!((d.action, d.reason.as_ref()), (Action::Cache, "idempotent_replay"));
    assert_eq!(d.cached_result.unwrap().payload, Value::Null, "payloads are not saved");
    // The jitter history survives: one more similar query trips it.
    check(&mut restored, "search_kb", json!({"query": "refund policy EU Germany"}));
    ok(&mut restored, json!(1));
    assert_eq!(check(&mut restored, "search_kb", json!({"query": "refund policy Germany"})).reason, "arg_jitter_loop");
}

#[test]
fn new_call_ids_do_not_collide_with_restored_ones() {
    let g = mid_run();
    let mut restored = guard(json!({"secret_key": SECRET, "max_pending_calls": 2}));
    restored.load_state(&g.save_state()).unwrap();
    let old = restored.pending_call_ids()[0];
    let new = check(&mut restored, "x", json!({})).call_id.unwrap();
    assert!(new > old);
}

#[test]
fn nothing_raw_and_never_the_key_is_saved() {
    let saved = mid_run().save_state();
    for secret in [SECRET, "ORD-PRIVATE", "TICKET-PRIVATE", "PAYLOAD-PRIVATE", "TEXT-PRIVATE", "refund policy"] {
        assert!(!saved.contains(secret), "saved state contains {secret}");
    }
}

#[test]
fn the_key_appears_in_no_output() {
    let mut g = mid_run();
    g.set_listening(true);
    check(&mut g, "refund", json!({"order_id": "B"}));
    let events: Vec<String> = g.take_events().iter().map(|e| e.to_json()).collect();
    let err = g.load_state("{}").unwrap_err().to_string();
    for out in [g.save_state(), g.report_json(), g.report_text(), format!("{:?}", g), events.join("\n"), err] {
        assert!(!out.contains(SECRET));
        assert!(!out.contains(&hex::encode(SECRET)));
    }
}

fn tampered(saved: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(saved).unwrap();
    edit(&mut v);
    v.to_string()
}

#[test]
fn a_tampered_state_is_refused_and_the_guard_is_unchanged() {
    let saved = mid_run().save_state();
    let cases = [
        tampered(&saved, |v| v["body"]["counters"]["blocks"] = json!(99)),
        tampered(&saved, |v| v["body"]["ledger"] = json!([])),
        tampered(&saved, |v| v["body"]["tools"]["refund"]["side_effects_executed"] = json!(0)),
        tampered(&saved, |v| v["mac"] = json!("00".repeat(32))),
    ];
    let mut g = guard(json!({"secret_key": SECRET}));
    check(&mut g, "get_order", json!({"id": 1}));
    ok(&mut g, json!(1));
    let before = g.save_state();
    for bad in cases {
        let e = g.load_state(&bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::State);
        assert!(e.message().contains("MAC"), "{e}");
        assert_eq!(g.save_state(), before, "nothing half-loaded");
    }
}

#[test]
fn a_state_saved_under_another_key_is_refused() {
    let saved = mid_run().save_state();
    let mut other = guard(json!({"secret_key": "another-key"}));
    assert_eq!(other.load_state(&saved).unwrap_err().kind(), ErrorKind::State);
}

#[test]
fn unreadable_or_unknown_versions_are_refused_with_a_reason() {
    let saved = mid_run().save_state();
    let mut g = guard(json!({"secret_key": SECRET}));
    for (bad, word) in [
        ("not json".to_string(), "JSON"),
        ("[]".to_string(), "object"),
        ("{}".to_string(), "format"),
        (tampered(&saved, |v| v["version"] = json!(3)), "version 3"),
        (tampered(&saved, |v| v["version"] = json!("2")), "`version` must be an integer, got a string"),
        (tampered(&saved, |v| v["note"] = json!("outside the MAC")), "unknown field `note`"),
        (saved.replacen("\"body\":", "\"body\":{},\"body\":", 1), "duplicate field `body`"),
        (tampered(&saved, |v| v["format"] = json!("other")), "format"),
        (tampered(&saved, |v| v.as_object_mut().unwrap().remove("version").map(|_| ()).unwrap()), "version"),
        (tampered(&saved, |v| v.as_object_mut().unwrap().remove("body").map(|_| ()).unwrap()), "body"),
    ] {
        let e = g.load_state(&bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::State, "{bad}");
        assert!(e.message().contains(word), "{e} should mention {word}");
    }
}

#[test]
fn a_restored_state_respects_the_new_configuration_caps() {
    let mut g = guard(json!({"secret_key": SECRET}));
    for i in 0..10 {
        check(&mut g, "t", json!({"i": i}));
        ok(&mut g, json!(i));
    }
    let mut small = guard(json!({"secret_key": SECRET, "tool_loop_window": 2}));
    small.load_state(&g.save_state()).unwrap();
    // Only the last two calls remain in the window: the sequence and repeat
    // checks see a window of two.
    assert_eq!(small.stats().tool_calls_executed, 10);
    assert_eq!(check(&mut small, "t", json!({"i": 9})).action, Action::Allow, "one earlier occurrence + 1 < 3");
}

/// The ticket signatures of a saved state's window and of its calls
/// awaiting results, oldest first.
fn saved_tickets(g: &auraguard::Guard) -> (Vec<String>, Vec<String>) {
    let saved: Value = serde_json::from_str(&g.save_state()).unwrap();
    let of = |part: &str| -> Vec<String> {
        let entries = saved["body"][part].as_array().expect("a list");
        entries.iter().map(|w| w["ticket_sig"].as_str().unwrap().to_string()).collect()
    };
    (of("window"), of("pending"))
}

/// A read's ticket signature is worked out only when the read goes ahead;
/// then it is the one a side effect for the same ticket gets, in shadow
/// mode too, where reads that would be answered otherwise go ahead (and
/// await their results outside the window).
#[test]
fn a_read_that_goes_ahead_keeps_its_tickets_signature() {
    let cfg = |shadow: bool| {
        json!({"secret_key": SECRET, "shadow_mode": shadow, "side_effect_tools": ["refund"],
               "side_effect_max_executed_per_run": 5, "max_pending_calls": 8})
    };
    let mut side = guard(cfg(false));
    for (order, ticket) in [("A", "T-1"), ("B", "T-2")] {
        let d = check_ticket(&mut side, "refund", json!({"order_id": order}), ticket);
        assert_eq!(d.action, Action::Allow, "{d:?}");
        ok(&mut side, json!(1));
    }
    let (sides, _) = saved_tickets(&side);
    let [t1, t2] = <[String; 2]>::try_from(sides).unwrap();
    assert_ne!(t1, t2);

    for shadow in [false, true] {
        let mut g = guard(cfg(shadow));
        for _ in 0..2 {
            check_ticket(&mut g, "get_order", json!({"order_id": "A"}), "T-1");
            ok(&mut g, json!({"status": "shipped"}));
        }
        // The third and fourth reads of A are answered from the cache; in
        // shadow mode they go ahead and await their results.
        let third = check_ticket(&mut g, "get_order", json!({"order_id": "A"}), "T-1");
        let fourth = check_ticket(&mut g, "get_order", json!({"order_id": "A"}), "T-1");
        assert_eq!(
            (third.action, fourth.action),
            if shadow { (Action::Allow, Action::Allow) } else { (Action::Cache, Action::Cache) }
        );
        check_ticket(&mut g, "get_order", json!({"order_id": "B"}), "T-2");
        check(&mut g, "get_order", json!({"order_id": "C"}));
        let (window, pending) = saved_tickets(&g);
        assert_eq!(window.len(), 4, "shadow mode {shadow}");
        assert!(window[..2].iter().all(|t| *t == t1), "shadow mode {shadow}: {window:?}");
        let others = if shadow { vec![t1.clone(), t1.clone(), t2.clone()] } else { vec![t2.clone()] };
        assert_eq!(pending[..pending.len() - 1], others[..], "shadow mode {shadow}");
        let own = &pending[pending.len() - 1];
        assert_eq!(window[2..], [t2.clone(), own.clone()]);
        assert!(*own != t1 && *own != t2, "no ticket: the run's own");
    }
}

/// A side effect dropped as missed frees its key (one call in flight, as in
/// the package); the retry reserves the key again and books its result. The
/// in-memory ledger holds that key once: a state saved then loads back to
/// itself, and into a guard whose ledger has room for exactly what it holds.
#[test]
fn a_side_effect_retried_after_a_missed_result_is_saved_once() {
    let cfg = json!({"secret_key": SECRET, "side_effect_tools": ["refund"], "max_ledger_entries": 1});
    let mut g = guard(cfg.clone());
    check_ticket(&mut g, "refund", json!({"order_id": "A-1"}), "T-1");
    // The first call's result never comes: the retry drops it as missed.
    let retry = check_ticket(&mut g, "refund", json!({"order_id": "A-1"}), "T-1");
    assert_eq!(retry.action, Action::Allow, "{retry:?}");
    ok(&mut g, json!({"refund": "R-1"}));
    let saved = g.save_state();
    let ledger = serde_json::from_str::<Value>(&saved).unwrap()["body"]["ledger"].clone();
    assert_eq!(ledger.as_array().unwrap().len(), 1, "{ledger}");
    let mut restored = guard(cfg);
    restored.load_state(&saved).unwrap();
    assert_eq!(restored.save_state(), saved, "a save/load round trip changes nothing");
    let d = check_ticket(&mut restored, "refund", json!({"order_id": "A-1"}), "T-1");
    assert_eq!((d.action, d.reason.as_ref()), (Action::Cache, "idempotent_replay"));
}
