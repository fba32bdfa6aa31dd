//! The ledger's reservation protocol seen through the guard, in one
//! process: calls in flight, threads, leases, resolutions, store failures,
//! and the configuration that selects a store.

mod common;

use std::sync::Arc;

use auraguard::clock::ManualClock;
use auraguard::ledger::Resolution;
use auraguard::{Action, Config, ErrorKind, Guard, MemoryLedger, SharedGuard, ToolResult};
use common::*;
use serde_json::{json, Value};

fn cfg(extra: Value) -> Config {
    let mut c = json!({"secret_key": "test-key", "side_effect_tools": ["refund"]});
    for (k, v) in extra.as_object().unwrap() {
        c[k] = v.clone();
    }
    Config::from_value(&c).expect("valid test configuration")
}

fn refund(g: &mut Guard) -> auraguard::Decision {
    check_ticket(g, "refund", json!({"order": "A-1", "amount": 50}), "T-1")
}

fn result(call_id: u64, ok: bool, executed: Option<bool>) -> ToolResult {
    ToolResult {
        ok,
        payload: json!({"refund_id": "R-9"}),
        error_code: (!ok).then(|| "timeout".to_string()),
        side_effect_executed: executed,
        call_id: Some(call_id),
        cached: false,
    }
}

fn temp_db(name: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("auraguard-protocol-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ledger.db").to_str().unwrap().to_string();
    (dir, path)
}

#[test]
fn two_identical_side_effects_in_flight_get_one_allow() {
    let mut g = Guard::new(cfg(json!({"max_pending_calls": 4})));
    let first = refund(&mut g);
    assert_eq!(first.action, Action::Allow);
    assert_eq!(first.lease_ms(), Some(60_000), "the allow says the key is reserved");
    assert_eq!(first.idempotency_key().map(str::len), Some(32));
    let second = refund(&mut g);
    assert_eq!((second.action, second.reason.as_ref()), (Action::Block, "side_effect_in_flight"));
    let wait = second.retry_after_ms().expect("in flight says when to retry");
    assert!(wait > 0 && wait <= 60_000, "{wait}");
    assert!(second.to_json().contains("\"retry_after_ms\":"));
    g.record_result(result(first.call_id.unwrap(), true, None)).unwrap();
    let third = refund(&mut g);
    assert_eq!((third.action, third.reason.as_ref()), (Action::Cache, "idempotent_replay"));
    assert_eq!(third.cached_result.unwrap().payload, json!({"refund_id": "R-9"}));
}

#[test]
fn a_side_effect_in_flight_counts_against_the_per_run_limit() {
    // Two refunds for two tickets: two keys, so the ledger lets both pass;
    // the run's limit of one executed refund must still hold while the
    // first is in flight, or both could execute.
    let mut g = Guard::new(cfg(json!({"max_pending_calls": 4})));
    let first = check_ticket(&mut g, "refund", json!({"order": "A-1"}), "T-1");
    assert_eq!(first.action, Action::Allow);
    let other = check_ticket(&mut g, "refund", json!({"order": "A-1"}), "T-2");
    assert_eq!((other.action, other.reason.as_ref()), (Action::Block, "side_effect_limit_exceeded"));
    // The first did not happen: the limit is free again for the other ticket.
    g.record_result(result(first.call_id.unwrap(), false, Some(false))).unwrap();
    let retry = check_ticket(&mut g, "refund", json!({"order": "A-1"}), "T-2");
    assert_eq!(retry.action, Action::Allow);
}

#[test]
fn a_failure_that_did_not_execute_frees_the_key_and_one_that_did_is_replayed() {
    let mut g = Guard::new(cfg(json!({"max_pending_calls": 4, "side_effect_max_executed_per_run": 5})));
    let d = refund(&mut g);
    g.record_result(result(d.call_id.unwrap(), false, None)).unwrap();
    let retry = refund(&mut g);
    assert_eq!(retry.action, Action::Allow, "the effect did not happen: a retry may run");
    g.record_result(result(retry.call_id.unwrap(), false, Some(true))).unwrap();
    let again = refund(&mut g);
    assert_eq!((again.action, again.reason.as_ref()), (Action::Cache, "idempotent_replay"));
    let c = again.cached_result.unwrap();
    assert!(!c.ok && c.side_effect_executed);
    assert_eq!(c.error_code.as_deref(), Some("timeout"));
}

#[test]
fn a_lapsed_lease_escalates_and_the_resolution_is_followed() {
    let clock = ManualClock::default();
    let ledger = MemoryLedger::new(100).with_clock(Box::new(clock.clone()));
    let config = cfg(json!({"max_pending_calls": 4, "tool_policies": {"refund": {"lease_ms": 500}}}));
    let mut g = Guard::new(config).with_ledger(Box::new(ledger));
    let held = refund(&mut g);
    assert_eq!(held.lease_ms(), Some(500), "the per-tool lease applies");
    let key = held.idempotency_key().unwrap().to_string();
    clock.advance(0.2);
    assert_eq!(refund(&mut g).retry_after_ms(), Some(300));
    clock.advance(0.3);
    let unknown = refund(&mut g);
    assert_eq!((unknown.action, unknown.reason.as_ref()), (Action::Escalate, "side_effect_outcome_unknown"));
    let packet = unknown.escalation_packet.unwrap();
    assert!(packet.summary.contains(&key), "the packet names the key to resolve: {}", packet.summary);
    assert_eq!(packet.tool.as_deref(), Some("refund"));
    // Still unknown until someone says otherwise: never a second execution.
    assert_eq!(refund(&mut g).action, Action::Escalate);
    g.ledger_resolve(&key, Resolution::Executed).unwrap();
    let replay = refund(&mut g);
    assert_eq!((replay.action, replay.reason.as_ref()), (Action::Cache, "idempotent_replay"));
    assert!(replay.cached_result.unwrap().side_effect_executed);
    // The late holder's report cannot overwrite the operator's word.
    g.record_result(result(held.call_id.unwrap(), false, None)).unwrap();
    assert_eq!(refund(&mut g).action, Action::Cache);
    g.ledger_resolve(&key, Resolution::NotExecuted).unwrap();
    assert_eq!(refund(&mut g).action, Action::Allow);
}

#[test]
fn resolve_rejects_a_malformed_key() {
    let mut g = Guard::new(cfg(json!({})));
    for bad in ["", "xyz", &"a".repeat(31), &"g".repeat(32), &"a".repeat(64)] {
        let e = g.ledger_resolve(bad, Resolution::Executed).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("idempotency_key"), "{}", e.message());
    }
}

#[test]
fn a_dropped_call_frees_its_key_only_as_the_package_does() {
    // Defaults (memory, one pending call): the next check drops the refund
    // as missed and frees its key, as the package does.
    let mut g = Guard::new(cfg(json!({"side_effect_max_executed_per_run": 5})));
    assert_eq!(refund(&mut g).action, Action::Allow);
    assert_eq!(refund(&mut g).action, Action::Allow);
    assert_eq!(g.stats().missed_results, 1);
    // With more calls in flight, a dropped call may have run: its key stays held.
    let mut g = Guard::new(cfg(json!({"max_pending_calls": 2})));
    assert_eq!(refund(&mut g).action, Action::Allow);
    assert_eq!(check(&mut g, "search", json!({"q": "a"})).action, Action::Allow);
    assert_eq!(check(&mut g, "search", json!({"q": "b"})).action, Action::Allow);
    assert_eq!(g.stats().missed_results, 1);
    assert_eq!(refund(&mut g).reason, "side_effect_in_flight");
}

#[test]
fn threads_sharing_a_guard_get_one_allow() {
    let g = Arc::new(SharedGuard::new(Guard::new(cfg(json!({"max_pending_calls": 64})))));
    let args = r#"{"order": "A-1", "amount": 50}"#;
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let g = g.clone();
            std::thread::spawn(move || g.check_tool_json("refund", Some(args), Some("T-1"), None).unwrap())
        })
        .collect();
    let decisions: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(decisions.iter().filter(|d| d.action == Action::Allow).count(), 1);
    assert!(decisions.iter().filter(|d| d.action != Action::Allow).all(|d| d.reason == "side_effect_in_flight"));
}

#[test]
fn run_id_lets_a_restarted_process_resume_its_run() {
    let (dir, path) = temp_db("run-id");
    let config = || cfg(json!({"run_id": "job-42", "ledger": {"kind": "sqlite", "path": path}}));
    let mut a = Guard::open(config()).unwrap();
    assert_eq!(a.run_id(), "job-42");
    let d = check(&mut a, "refund", json!({"order": "B"}));
    a.record_result(result(d.call_id.unwrap(), true, None)).unwrap();
    drop(a);
    // The same run, restarted: its ticketless refund is not executed twice.
    let mut b = Guard::open(config()).unwrap();
    assert_eq!(check(&mut b, "refund", json!({"order": "B"})).reason, "idempotent_replay");
    b.reset();
    assert_eq!(b.run_id(), "job-42", "the configured id names every run of this guard");
    // Another run is another key.
    let mut c = Guard::open(cfg(json!({"ledger": {"kind": "sqlite", "path": path}}))).unwrap();
    assert_eq!(check(&mut c, "refund", json!({"order": "B"})).action, Action::Allow);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_saved_state_carries_a_durable_reservation_to_the_next_process() {
    let (dir, path) = temp_db("saved");
    let config = || cfg(json!({"ledger": {"kind": "sqlite", "path": path}}));
    let mut a = Guard::open(config()).unwrap();
    let d = refund(&mut a);
    let saved = a.save_state();
    assert!(saved.contains("\"token\""), "the reservation's token is saved");
    drop(a);
    let mut b = Guard::open(config()).unwrap();
    b.load_state(&saved).unwrap();
    b.record_result(result(d.call_id.unwrap(), true, None)).unwrap();
    assert_eq!(b.stats().ledger_errors, 0);
    let mut c = Guard::open(config()).unwrap();
    let replay = refund(&mut c);
    assert_eq!(replay.reason, "idempotent_replay", "the resumed holder committed its reservation");
    assert_eq!(replay.cached_result.unwrap().payload, Value::Null, "payloads stay out of durable stores by default");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn ledger_store_payload_keeps_the_payload_in_a_durable_store() {
    let (dir, path) = temp_db("payload");
    let config = || cfg(json!({"ledger": {"kind": "sqlite", "path": path}, "ledger_store_payload": true}));
    let mut a = Guard::open(config()).unwrap();
    let d = refund(&mut a);
    a.record_result(result(d.call_id.unwrap(), true, None)).unwrap();
    let mut b = Guard::open(config()).unwrap();
    assert_eq!(refund(&mut b).cached_result.unwrap().payload, json!({"refund_id": "R-9"}));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_store_that_cannot_be_opened_fails_closed_or_open_as_configured() {
    let bad = json!({"kind": "sqlite", "path": "/nonexistent-auraguard-dir/ledger.db"});
    let e = Guard::open(cfg(json!({"ledger": bad}))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("/nonexistent-auraguard-dir/ledger.db"), "{}", e.message());
    assert!(Guard::from_json(&json!({"secret_key": "k", "ledger": bad}).to_string()).is_err());

    let mut closed = Guard::new(cfg(json!({"ledger": bad})));
    let d = refund(&mut closed);
    assert_eq!((d.action, d.reason.as_ref()), (Action::Block, "ledger_unavailable"));
    assert_eq!(check(&mut closed, "search", json!({"q": "x"})).action, Action::Allow, "other tools go on");

    let mut open = Guard::new(cfg(json!({"ledger": bad, "ledger_on_error": "fail_open"})));
    open.set_listening(true);
    let d = refund(&mut open);
    assert_eq!(d.action, Action::Allow);
    assert_eq!(d.lease_ms(), None, "allowed without a reservation");
    let events: Vec<String> = open.take_events().iter().map(|e| e.to_json()).collect();
    assert!(events.iter().any(|e| e.contains("ledger_unavailable")), "{events:?}");
    assert!(open.stats().ledger_errors >= 1);
    assert_eq!(open.ledger_resolve(&"ab".repeat(16), Resolution::Executed).unwrap_err().kind(), ErrorKind::Ledger);
}

#[test]
fn ledger_configuration_is_checked_key_by_key() {
    let err = |extra: Value| {
        Config::from_value(&{
            let mut c = json!({"secret_key": "k"});
            for (k, v) in extra.as_object().unwrap() {
                c[k] = v.clone();
            }
            c
        })
        .unwrap_err()
        .message()
        .to_string()
    };
    let m = err(json!({"ledger": {"kind": "sqlite", "pth": "x"}}));
    assert!(m.contains("`pth` in `ledger`") && m.contains("did you mean `path`"), "{m}");
    assert!(err(json!({"ledger": {"kind": "sqlit"}})).contains("ledger.kind"));
    assert!(err(json!({"ledger": {"kind": "sqlite"}})).contains("`ledger.path` is required"));
    assert!(err(json!({"ledger": {"kind": "redis"}})).contains("`ledger.url` is required"));
    assert!(err(json!({"ledger": {"kind": "redis", "url": "http://x"}})).contains("redis://"));
    assert!(err(json!({"ledger": {"kind": "memory", "path": "x"}})).contains("does not apply to a memory ledger"));
    assert!(err(json!({"ledger": {"kind": "sqlite", "path": "x", "timeout_ms": 0}})).contains("ledger.timeout_ms"));
    assert!(err(json!({"ledger": "sqlite"})).contains("`ledger` must be an object"));
    assert!(err(json!({"ledger_on_error": "ignore"})).contains("ledger_on_error"));
    assert!(err(json!({"ledger_lease_ms": 0})).contains("ledger_lease_ms"));
    assert!(err(json!({"ledger_lease_ms": 86_400_001u64})).contains("from 1 to 86400000"));
    assert!(err(json!({"ledger_ttl_s": -1})).contains("ledger_ttl_s"));
    assert!(err(json!({"ledger_store_payload": 1})).contains("ledger_store_payload"));
    assert!(err(json!({"run_id": ""})).contains("run_id"));
    assert!(err(json!({"run_id": 7})).contains("run_id"));
    assert!(err(json!({"ledger_leas_ms": 5})).contains("did you mean `ledger_lease_ms`"));
    assert!(err(json!({"tool_policies": {"refund": {"lease_ms": 0}}})).contains("tool_policies.refund.lease_ms"));
    let c = cfg(json!({"ledger": {"kind": "redis", "url": "redis://127.0.0.1:1/0"}, "ledger_ttl_s": 60}));
    assert_eq!(c.ledger.ttl_s, 60);
    assert!(matches!(c.ledger.kind, auraguard::config::LedgerKind::Redis { ref prefix, .. } if prefix == "auraguard:"));
}
