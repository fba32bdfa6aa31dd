//! A guard driven to every cap at once stays inside the documented memory
//! bound (`auraguard::memory::bound_bytes`), measured as the growth of this
//! process's resident set. The run offers several times the bound in
//! payloads, queries and names, so a structure that ignored its byte budget
//! would break it.
//!
//! One test in its own binary: nothing else allocates in the process while
//! it measures.

use auraguard::{Action, Config, Guard, ToolResult};
use serde_json::{json, Map, Value};

/// Resident set size of this process, in bytes (Linux).
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status is readable");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("VmRSS is reported");
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

fn args(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// `n` bytes of text that reads as distinct words, different for each `seed`.
fn words(seed: u64, n: usize) -> String {
    let mut out = String::with_capacity(n + 16);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_str(&format!("w{:x} ", x & 0xff_ffff_ffff));
    }
    out
}

fn payload(seed: u64, n: usize) -> Value {
    json!({ "text": words(seed, n) })
}

/// One round of the workload: every structure of the run filled past its cap.
fn drive(g: &mut Guard, round: u64) {
    let big = 256 << 10;
    let name = |i: u64| format!("tool_{i:04}_{}", "n".repeat(1000));
    // Tools with the longest names, each failing once with a quarantining
    // class (a streak each), then a call that succeeds.
    for i in 0..2000 {
        let tool = name(i);
        let d = g.check_tool(&tool, &args(json!({"i": i, "r": round})), None, Some(false)).unwrap();
        assert_eq!(d.action, Action::Allow);
        g.record_result(ToolResult::failed("timeout")).unwrap();
    }
    // Reads with large, distinct results, each repeated until the repeat
    // rule intervenes (cached while the cache has room, blocked after).
    for i in 0..400 {
        let a = args(json!({"id": i, "r": round}));
        for _ in 0..3 {
            let d = g.check_tool("get_doc", &a, None, None).unwrap();
            if d.action == Action::Allow {
                g.record_result(ToolResult::ok(payload(round * 1000 + i, big))).unwrap();
            }
        }
    }
    // Side effects with distinct tickets and large results.
    for i in 0..200 {
        let ticket = format!("T-{round}-{i}");
        let d = g.check_tool("refund", &args(json!({"order": i})), Some(&ticket), None).unwrap();
        assert_eq!(d.action, Action::Allow, "{}", d.reason);
        g.record_result(ToolResult::ok(payload(round * 7000 + i, big))).unwrap();
    }
    // Long searches of distinct words: jitter histories fill up.
    for i in 0..100 {
        for tool in ["search_kb", "search", "search_documents", "rag_retrieve"] {
            let q = words(round * 100_000 + i * 10 + tool.len() as u64, 100 << 10);
            let d = g.check_tool(tool, &args(json!({ "query": q })), None, None).unwrap();
            if d.action == Action::Allow {
                g.record_result(ToolResult::ok(json!(i))).unwrap();
            }
        }
    }
    // Long assistant messages for the stall detector, and token costs.
    for i in 0..20 {
        let _ = g.check_output(&words(round * 50 + i, 200 << 10)).unwrap();
        g.record_tokens(1000, 1000, None).unwrap();
    }
}

#[test]
fn a_guard_at_every_cap_stays_inside_its_memory_bound() {
    let cfg = json!({
        "secret_key": "k",
        "tool_loop_window": 1000,
        "max_tools_tracked": 2010,
        "max_unique_calls_tracked": 2000,
        "max_cache_entries": 500,
        "max_cache_bytes": 8 << 20,
        "max_ledger_entries": 2000,
        "max_ledger_payload_bytes": 4 << 20,
        "max_jitter_bytes": 4 << 20,
        "max_intervention_log": 1000,
        "max_cost_events": 500,
        "side_effect_max_executed_per_run": 1_000_000,
        "cost_model": {"default_tool_call_cost": 0.001},
        "max_text_bytes": 256 << 10,
    });
    let config = Config::from_value(&cfg).unwrap();
    let bound = auraguard::memory::bound_bytes(&config);
    // The workload offers far more than the bound: 400 cached reads and 200
    // ledger entries of 256 KiB each, 400 queries of 100 KiB.
    let offered: u64 = (400 + 200) * (256 << 10) + 400 * (100 << 10) * 40 / 6;
    assert!(offered > 3 * bound, "the workload must be able to break the bound: {offered} vs {bound}");

    let before = rss_bytes();
    let mut g = Guard::new(config);
    g.set_listening(true); // undrained events are kept, up to their cap
    drive(&mut g, 1);
    let after_one = rss_bytes();
    drive(&mut g, 2);
    let after_two = rss_bytes();
    let stats = g.stats();
    assert!(stats.cache_hits > 0, "the cache was used");
    assert!(stats.interventions_count > 1000, "the log filled up: {}", stats.interventions_count);
    // The state of a run at every cap is within the load limit its caps
    // give, and loads.
    let saved = g.save_state();
    let config = g.config().clone();
    assert!(saved.len() <= auraguard::snapshot::max_state_bytes(&config), "{} bytes saved", saved.len());
    drop(g);
    let mut fresh = Guard::new(config);
    fresh.load_state(&saved).unwrap();
    drop((fresh, saved));

    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    eprintln!(
        "bound {:.1} MiB; growth after one round {:.1} MiB, after two {:.1} MiB",
        mib(bound),
        mib(after_one.saturating_sub(before)),
        mib(after_two.saturating_sub(before))
    );
    assert!(after_one.saturating_sub(before) <= bound, "over the bound after one round");
    assert!(after_two.saturating_sub(before) <= bound, "over the bound after two rounds");
}
