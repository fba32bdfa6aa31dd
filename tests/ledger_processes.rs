//! At most once across processes: real processes (this test binary run
//! again as a child), each with its own guard created through the C API,
//! sharing a SQLite file or a real redis-server. The executions are counted
//! outside the guard, in a file each child appends to.

#[path = "support/capi.rs"]
mod capi;
#[path = "support/redis_server.rs"]
mod redis_server;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use capi::CGuard;
use redis_server::RedisServer;
use serde_json::{json, Value};

const CHILD_ENV: &str = "AURAGUARD_LEDGER_CHILD";
const REFUND_ARGS: &str = r#"{"order_id": "A-1", "amount": 50}"#;
const PROCESSES: usize = 32;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("auraguard-procs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn config(store: &Value, lease_ms: u64) -> Value {
    json!({"secret_key": "shared-key", "side_effect_tools": ["refund"], "ledger": store,
           "side_effect_max_executed_per_run": 100, "tool_policies": {"refund": {"lease_ms": lease_ms}}})
}

/// What a child does, passed in its environment.
fn child(job: &Value) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", "child_process", "--ignored", "--nocapture", "--test-threads=1", "-q"])
        .env(CHILD_ENV, job.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    c
}

/// The decision line a child printed (`decision {...}`).
fn decision_of(output: &str) -> Value {
    let line =
        output.lines().find_map(|l| l.strip_prefix("decision ")).unwrap_or_else(|| panic!("no decision in {output:?}"));
    serde_json::from_str(line).unwrap()
}

fn run_child(job: Value) -> Value {
    let out = child(&job).output().unwrap();
    assert!(out.status.success(), "child {job} failed");
    decision_of(&String::from_utf8_lossy(&out.stdout))
}

/// The child side: not a test of its own (ignored), run only when a parent
/// test starts this binary with a job.
#[test]
#[ignore = "run by the multi-process tests as a child process"]
fn child_process() {
    let Ok(job) = std::env::var(CHILD_ENV) else { return };
    let job: Value = serde_json::from_str(&job).unwrap();
    let guard = CGuard::new(&job["config"]).expect("guard_new");
    let say = |d: &Value| {
        let mut o = std::io::stdout().lock();
        writeln!(o, "decision {d}").unwrap();
        o.flush().unwrap();
    };
    match job["mode"].as_str().unwrap() {
        "race" => {
            let go = Path::new(job["dir"].as_str().unwrap()).join("go");
            while !go.exists() {
                std::thread::sleep(Duration::from_millis(1));
            }
            let d = guard.check("refund", REFUND_ARGS, "T-1");
            if d["action"] == "allow" {
                // The side effect, counted outside the guard.
                let log = Path::new(job["dir"].as_str().unwrap()).join("executions");
                let mut f = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
                writeln!(f, "{}", std::process::id()).unwrap();
                f.sync_all().unwrap();
                guard.record(&json!({"ok": true, "payload": {"refund_id": "R-1"}, "call_id": d["call_id"]}));
            }
            say(&d);
        }
        "hold" => {
            let d = guard.check("refund", REFUND_ARGS, "T-1");
            say(&d);
            // Reserved and never reporting: the parent kills this process.
            loop {
                std::thread::sleep(Duration::from_secs(60));
            }
        }
        "check" => say(&guard.check("refund", REFUND_ARGS, "T-1")),
        "resolve" => {
            guard.resolve(job["key"].as_str().unwrap(), job["executed"].as_bool().unwrap()).expect("resolve");
            say(&json!({"resolved": true}));
        }
        other => panic!("unknown child mode {other}"),
    }
}

/// A child process killed (SIGKILL) when dropped, whatever the test did.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// 32 processes race on the same refund: exactly one executes.
fn race(store: Value, dir: &Path) {
    let job = json!({"mode": "race", "dir": dir, "config": config(&store, 60_000)});
    let mut children: Vec<Killed> = (0..PROCESSES).map(|_| Killed(child(&job).spawn().unwrap())).collect();
    // Let every child start and open its guard, then release them at once.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(dir.join("go"), b"").unwrap();
    let mut reasons = Vec::new();
    for c in &mut children {
        let mut stdout = String::new();
        std::io::Read::read_to_string(c.0.stdout.as_mut().unwrap(), &mut stdout).unwrap();
        assert!(c.0.wait().unwrap().success());
        reasons.push(decision_of(&stdout)["reason"].as_str().unwrap().to_string());
    }
    let executions = std::fs::read_to_string(dir.join("executions")).unwrap_or_default();
    assert_eq!(executions.lines().count(), 1, "exactly one process executed the refund: {reasons:?}");
    assert_eq!(reasons.iter().filter(|r| *r == "allow").count(), 1, "{reasons:?}");
    assert!(
        reasons.iter().filter(|r| *r != "allow").all(|r| r == "side_effect_in_flight" || r == "idempotent_replay"),
        "{reasons:?}"
    );
}

/// A holder SIGKILLed after reserving: in flight while its lease runs, an
/// unknown outcome after, never a second execution; the operator's
/// resolution is then followed by every process.
fn killed_holder(store: Value) {
    let lease_ms = 2000;
    let cfg = config(&store, lease_ms);
    let mut holder = Killed(child(&json!({"mode": "hold", "config": cfg})).spawn().unwrap());
    let mut reader = BufReader::new(holder.0.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("decision ") {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "the holder exited before deciding");
    }
    let held = decision_of(&line);
    assert_eq!(held["action"], "allow");
    assert_eq!(held["lease_ms"], lease_ms);
    let key = held["idempotency_key"].as_str().unwrap().to_string();
    let killed_at = Instant::now();
    drop(holder); // SIGKILL

    let check = || run_child(json!({"mode": "check", "config": cfg}));
    let first = check();
    if killed_at.elapsed() < Duration::from_millis(lease_ms - 500) {
        assert_eq!(first["reason"], "side_effect_in_flight", "{first}");
        assert!(first["retry_after_ms"].as_u64().unwrap() <= lease_ms);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let unknown = loop {
        let d = check();
        assert_ne!(d["action"], "allow", "a reservation whose holder died is never run again on its own");
        if d["reason"] == "side_effect_outcome_unknown" {
            break d;
        }
        assert_eq!(d["reason"], "side_effect_in_flight", "{d}");
        assert!(Instant::now() < deadline, "the lease never ran out");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(unknown["action"], "escalate");
    assert!(unknown["escalation_packet"]["summary"].as_str().unwrap().contains(&key));

    run_child(json!({"mode": "resolve", "config": cfg, "key": key, "executed": true}));
    let replay = check();
    assert_eq!((replay["action"].as_str(), replay["reason"].as_str()), (Some("cache"), Some("idempotent_replay")));
    assert_eq!(replay["cached_result"]["side_effect_executed"], true);
    run_child(json!({"mode": "resolve", "config": cfg, "key": key, "executed": false}));
    assert_eq!(check()["action"], "allow", "not executed: the next call may run");
}

#[test]
fn sqlite_processes_race_on_one_refund() {
    let dir = temp_dir("sqlite-race");
    // A generous busy timeout: 32 processes queue for one write lock, and a
    // loaded machine's syncs are slow.
    race(json!({"kind": "sqlite", "path": dir.join("ledger.db"), "timeout_ms": 30_000}), &dir);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sqlite_killed_holder_is_an_unknown_outcome() {
    let dir = temp_dir("sqlite-kill");
    killed_holder(json!({"kind": "sqlite", "path": dir.join("ledger.db")}));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn redis_processes_race_on_one_refund() {
    let redis = RedisServer::start("race");
    let dir = temp_dir("redis-race");
    race(json!({"kind": "redis", "url": redis.url(), "prefix": "race:", "timeout_ms": 30_000}), &dir);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn redis_killed_holder_is_an_unknown_outcome() {
    let redis = RedisServer::start("kill");
    killed_holder(json!({"kind": "redis", "url": redis.url()}));
}

/// The in-memory store cannot be shared by processes; its counterpart is
/// one guard shared by threads, each call through the C API.
#[test]
fn memory_threads_race_on_one_refund_through_the_c_api() {
    let mut cfg = config(&json!({"kind": "memory"}), 60_000);
    cfg["max_pending_calls"] = json!(64);
    let guard = Arc::new(CGuard::new(&cfg).unwrap());
    let executions = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let barrier = Arc::new(std::sync::Barrier::new(PROCESSES));
    let threads: Vec<_> = (0..PROCESSES)
        .map(|_| {
            let (guard, executions, barrier) = (guard.clone(), executions.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let d = guard.check("refund", REFUND_ARGS, "T-1");
                if d["action"] == "allow" {
                    executions.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    guard.record(&json!({"ok": true, "call_id": d["call_id"]}));
                }
                d["reason"].as_str().unwrap().to_string()
            })
        })
        .collect();
    let reasons: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(executions.load(std::sync::atomic::Ordering::SeqCst), 1, "{reasons:?}");
    assert!(reasons.iter().all(|r| ["allow", "side_effect_in_flight", "idempotent_replay"].contains(&r.as_str())));
}

#[test]
fn redis_restarted_mid_run_forgets_nothing_done() {
    let mut redis = RedisServer::start("restart");
    let guard = CGuard::new(&config(&json!({"kind": "redis", "url": redis.url()}), 60_000)).unwrap();
    let d = guard.check("refund", REFUND_ARGS, "T-1");
    assert_eq!(d["action"], "allow");
    guard.record(&json!({"ok": true, "call_id": d["call_id"]}));
    let in_flight = guard.check("refund", r#"{"order_id": "A-2"}"#, "T-1");
    assert_eq!(in_flight["action"], "allow");
    redis.restart(); // SIGKILL, then start from the append-only file
    let after = guard.check("refund", REFUND_ARGS, "T-1");
    assert_eq!(after["reason"], "idempotent_replay", "the same guard reconnects and remembers: {after}");
    let other = CGuard::new(&config(&json!({"kind": "redis", "url": redis.url()}), 60_000)).unwrap();
    assert_eq!(other.check("refund", REFUND_ARGS, "T-1")["reason"], "idempotent_replay");
    assert_eq!(
        other.check("refund", r#"{"order_id": "A-2"}"#, "T-1")["reason"],
        "side_effect_in_flight",
        "a reservation survives the restart too"
    );
    assert_eq!(guard.stats()["ledger_errors"], 0);
}

#[test]
fn redis_stopped_fails_closed_or_open_and_recovers() {
    let mut redis = RedisServer::start("stopped");
    let store = json!({"kind": "redis", "url": redis.url(), "timeout_ms": 500});
    let closed = CGuard::new(&config(&store, 60_000)).unwrap();
    let mut open_cfg = config(&store, 60_000);
    open_cfg["ledger_on_error"] = json!("fail_open");
    let open = CGuard::new(&open_cfg).unwrap();
    assert_eq!(closed.check("refund", REFUND_ARGS, "T-0")["lease_ms"], 60_000, "connected");
    redis.kill();

    let d = closed.check("refund", REFUND_ARGS, "T-1");
    assert_eq!((d["action"].as_str(), d["reason"].as_str()), (Some("block"), Some("ledger_unavailable")));
    assert_eq!(closed.check("search", r#"{"q": "x"}"#, "T-1")["action"], "allow", "other tools go on");
    let e = closed.resolve(&"ab".repeat(16), true).unwrap_err();
    assert!(e.contains("AURAGUARD_ERR_LEDGER") && e.contains("redis"), "{e}");

    let d = open.check("refund", REFUND_ARGS, "T-1");
    assert_eq!(d["action"], "allow");
    assert!(d.get("lease_ms").is_none(), "allowed without a reservation");
    assert!(open.stats()["ledger_errors"].as_u64().unwrap() >= 1);
    open.record(&json!({"ok": true, "call_id": d["call_id"]}));

    redis.restart();
    let d = closed.check("refund", REFUND_ARGS, "T-2");
    assert_eq!((d["action"].as_str(), d["lease_ms"].as_u64()), (Some("allow"), Some(60_000)), "recovered: {d}");
    let d = open.check("refund", REFUND_ARGS, "T-3");
    assert_eq!(d["lease_ms"], 60_000, "fail-open goes back to reserving");
}

#[test]
fn redis_forgets_done_entries_after_the_ttl_and_keeps_payloads_only_when_asked() {
    let redis = RedisServer::start("ttl");
    let store = json!({"kind": "redis", "url": redis.url()});
    let mut cfg = config(&store, 60_000);
    cfg["ledger_ttl_s"] = json!(1);
    cfg["ledger_store_payload"] = json!(true);
    let a = CGuard::new(&cfg).unwrap();
    let d = a.check("refund", REFUND_ARGS, "T-1");
    a.record(&json!({"ok": true, "call_id": d["call_id"], "payload": {"refund_id": "R-1"}}));
    let b = CGuard::new(&cfg).unwrap();
    let replay = b.check("refund", REFUND_ARGS, "T-1");
    assert_eq!(replay["reason"], "idempotent_replay");
    assert_eq!(replay["cached_result"]["payload"], json!({"refund_id": "R-1"}), "ledger_store_payload keeps it");
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(b.check("refund", REFUND_ARGS, "T-1")["action"], "allow", "done entries live ledger_ttl_s");

    // Without ledger_store_payload another process replays the outcome only.
    let plain = config(&store, 60_000);
    let c = CGuard::new(&plain).unwrap();
    let d = c.check("refund", REFUND_ARGS, "T-2");
    c.record(&json!({"ok": true, "call_id": d["call_id"], "payload": {"refund_id": "R-2"}}));
    let replay = CGuard::new(&plain).unwrap().check("refund", REFUND_ARGS, "T-2");
    assert_eq!(replay["reason"], "idempotent_replay");
    assert_eq!(replay["cached_result"]["payload"], Value::Null, "{replay}");
    assert_eq!(replay["cached_result"]["ok"], true);
}

#[test]
fn a_durable_store_keeps_a_dropped_calls_key_reserved_with_one_pending_call() {
    // With the defaults (max_pending_calls 1) a second check drops the first
    // call as missed. The in-memory ledger then frees its key, as the
    // package does; a durable one cannot know whether it ran, so the key
    // stays reserved until its lease ends and then escalates.
    let dir = temp_dir("dropped");
    let store = json!({"kind": "sqlite", "path": dir.join("ledger.db")});
    let g = CGuard::new(&config(&store, 1000)).unwrap();
    assert_eq!(g.check("refund", REFUND_ARGS, "T-1")["action"], "allow");
    assert_eq!(g.check("search", r#"{"q": "x"}"#, "T-1")["action"], "allow");
    assert_eq!(g.stats()["missed_results"], 1);
    assert_eq!(g.check("refund", REFUND_ARGS, "T-1")["reason"], "side_effect_in_flight");
    std::thread::sleep(Duration::from_millis(1100));
    let d = g.check("refund", REFUND_ARGS, "T-1");
    assert_eq!((d["action"].as_str(), d["reason"].as_str()), (Some("escalate"), Some("side_effect_outcome_unknown")));
    std::fs::remove_dir_all(&dir).unwrap();
}
