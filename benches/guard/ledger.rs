//! `ledger/*`: one side-effect pair (check, which reserves the key, then
//! record, which commits it) for each store, next to a read pair that never
//! touches the ledger. Every call is a new refund (a new key), so each pair
//! is one reservation and one commit. Redis runs on loopback, started here;
//! without redis-server installed its benchmark is left out.

use std::hint::black_box;

use auraguard::{Action, Guard};
use criterion::Criterion;
use serde_json::json;

#[path = "../../tests/support/redis_server.rs"]
mod redis_server;

fn guard(ledger: serde_json::Value) -> Guard {
    let cfg = json!({"secret_key": "bench-key", "side_effect_tools": ["refund"],
        "side_effect_max_executed_per_run": auraguard::config::MAX_CALLS, "ledger": ledger});
    Guard::from_json(&cfg.to_string()).expect("bench configuration")
}

fn pairs(c: &mut Criterion, name: &str, mut g: Guard, tool: &str, want_lease: bool) {
    let mut n = 0u64;
    let mut args = String::new();
    c.bench_function(name, |b| {
        b.iter(|| {
            n += 1;
            args.clear();
            args.push_str(&format!(r#"{{"order_id":"O-{n}","amount":5}}"#));
            let d = g.check_tool_json(tool, Some(&args), Some("T-bench"), None).unwrap();
            assert_eq!(d.action, Action::Allow);
            assert_eq!(d.lease_ms().is_some(), want_lease);
            g.record_result_json(r#"{"ok":true,"payload":{"id":1}}"#).unwrap();
            black_box(d);
        })
    });
}

pub fn benches(c: &mut Criterion) {
    pairs(c, "ledger/read_pair", guard(json!({"kind": "memory"})), "get_order", false);
    pairs(c, "ledger/side_effect_pair_memory", guard(json!({"kind": "memory"})), "refund", true);

    let dir = std::env::temp_dir().join(format!("auraguard-bench-ledger-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("ledger.db");
    pairs(c, "ledger/side_effect_pair_sqlite", guard(json!({"kind": "sqlite", "path": db})), "refund", true);
    let _ = std::fs::remove_dir_all(&dir);

    if std::process::Command::new("redis-server").arg("--version").output().is_ok() {
        let redis = redis_server::RedisServer::start("bench");
        let store = json!({"kind": "redis", "url": redis.url()});
        pairs(c, "ledger/side_effect_pair_redis", guard(store), "refund", true);
    } else {
        eprintln!("ledger/side_effect_pair_redis: skipped (redis-server is not installed; make deps installs it)");
    }
}
