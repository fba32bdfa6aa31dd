//! One guard shared by many threads, with events on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use auraguard::{Action, Event, SharedGuard, ToolResult};

#[test]
fn counters_equal_what_the_threads_saw() {
    let g = Arc::new(SharedGuard::from_json(r#"{"secret_key": "k", "max_pending_calls": 64}"#).unwrap());
    let events = Arc::new(AtomicU64::new(0));
    let seen = events.clone();
    g.set_event_sink(Some(Arc::new(move |_e: &Event| {
        seen.fetch_add(1, Ordering::Relaxed);
    })))
    .unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let g = g.clone();
            std::thread::spawn(move || {
                let (mut allowed, mut denied) = (0u64, 0u64);
                for i in 0..2_000 {
                    // Every thread repeats some calls so that denials happen too.
                    let args = format!(r#"{{"thread": {t}, "i": {}}}"#, i % 500);
                    let d = g.check_tool_json("get_order", Some(&args), None, None).unwrap();
                    if d.action == Action::Allow {
                        allowed += 1;
                        g.record_result(ToolResult { call_id: d.call_id, ..ToolResult::ok(serde_json::json!(i)) })
                            .unwrap();
                    } else {
                        denied += 1;
                    }
                }
                (allowed, denied)
            })
        })
        .collect();
    let (allowed, denied) = threads.into_iter().map(|h| h.join().unwrap()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let s = g.stats().unwrap();
    assert_eq!(allowed + denied, 16_000);
    assert_eq!(s.tool_calls_executed, allowed);
    assert_eq!(s.tool_calls_denied, denied);
    assert_eq!(s.missed_results, 0);
    // One cost event per executed call, one intervention event per denial.
    assert_eq!(events.load(Ordering::Relaxed), allowed + denied);
}

#[test]
fn a_sink_may_call_back_into_the_same_guard() {
    let g = Arc::new(SharedGuard::from_json(r#"{"secret_key": "k"}"#).unwrap());
    let inner = Arc::downgrade(&g);
    let observed = Arc::new(Mutex::new(Vec::new()));
    let log = observed.clone();
    g.set_event_sink(Some(Arc::new(move |e: &Event| {
        if let Some(g) = inner.upgrade() {
            // Re-entering from the sink: served, not deadlocked.
            let executed = g.stats().unwrap().tool_calls_executed;
            log.lock().unwrap().push((e.to_json(), executed));
        }
    })))
    .unwrap();
    g.check_tool_json("get_order", Some(r#"{"order_id": "SECRET-ARG"}"#), Some("SECRET-TICKET"), None).unwrap();
    g.record_result(ToolResult::ok(serde_json::json!("SECRET-PAYLOAD"))).unwrap();
    let log = observed.lock().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].1, 1, "the sink saw the state after the call");
    assert!(log[0].0.contains("\"event\":\"cost\""));
    for secret in ["SECRET-ARG", "SECRET-TICKET", "SECRET-PAYLOAD"] {
        assert!(!log[0].0.contains(secret));
    }
}

#[test]
fn removing_the_sink_stops_events() {
    let g = SharedGuard::from_json(r#"{"secret_key": "k"}"#).unwrap();
    let n = Arc::new(AtomicU64::new(0));
    let c = n.clone();
    g.set_event_sink(Some(Arc::new(move |_e: &Event| {
        c.fetch_add(1, Ordering::Relaxed);
    })))
    .unwrap();
    g.record_tokens(10, 10, None).unwrap();
    g.set_event_sink(None).unwrap();
    g.record_tokens(10, 10, None).unwrap();
    assert_eq!(n.load(Ordering::Relaxed), 1);
}

#[test]
fn intervention_events_name_the_primitive_reason() {
    let g = SharedGuard::from_json(r#"{"secret_key": "k", "tool_policies": {"rm": {"access": "deny"}}}"#).unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let c = got.clone();
    g.set_event_sink(Some(Arc::new(move |e: &Event| c.lock().unwrap().push(e.clone())))).unwrap();
    g.check_tool_json("rm", Some(r#"{"path": "/"}"#), None, None).unwrap();
    let got = got.lock().unwrap();
    match &got[..] {
        [Event::Intervention(i)] => {
            assert_eq!(i.reason, "policy_deny:tool_denied_by_policy");
            assert_eq!(i.action, "block");
            assert_eq!(i.tool.as_deref(), Some("rm"));
            assert_eq!(i.args_sig.as_ref().unwrap().to_string().len(), 64);
        }
        other => panic!("unexpected events {other:?}"),
    }
}

#[test]
fn replacing_the_sink_waits_for_deliveries_to_the_old_one() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Barrier;
    use std::time::Duration;

    let g = Arc::new(SharedGuard::from_json(r#"{"secret_key": "k"}"#).unwrap());
    let entered = Arc::new(Barrier::new(2));
    let old_running = Arc::new(AtomicBool::new(false));
    let (e, running) = (entered.clone(), old_running.clone());
    g.set_event_sink(Some(Arc::new(move |_e: &Event| {
        running.store(true, Ordering::SeqCst);
        e.wait();
        // Stay inside the old sink a while: the replacement must wait for us.
        std::thread::sleep(Duration::from_millis(200));
        running.store(false, Ordering::SeqCst);
    })))
    .unwrap();
    let worker = {
        let g = g.clone();
        std::thread::spawn(move || g.record_tokens(1, 1, None).unwrap())
    };
    entered.wait();
    g.set_event_sink(Some(Arc::new(|_e: &Event| {}))).unwrap();
    assert!(!old_running.load(Ordering::SeqCst), "set_event_sink returned while the old sink still ran");
    worker.join().unwrap();
}

#[test]
fn a_sink_may_replace_itself_without_deadlock() {
    let g = Arc::new(SharedGuard::from_json(r#"{"secret_key": "k"}"#).unwrap());
    let weak = Arc::downgrade(&g);
    g.set_event_sink(Some(Arc::new(move |_e: &Event| {
        if let Some(g) = weak.upgrade() {
            g.set_event_sink(None).unwrap();
        }
    })))
    .unwrap();
    g.record_tokens(1, 1, None).unwrap();
    g.record_tokens(1, 1, None).unwrap();
}
