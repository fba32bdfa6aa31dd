//! The command line, end to end: replay, demo, bench, version.

use std::process::Command;

use serde_json::Value;

fn auraguard(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_auraguard")).args(args).output().expect("the binary runs");
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn replay_prints_one_value_per_line_and_goes_on_after_errors() {
    let trace = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/traces/refund_then_retry.jsonl");
    let (ok, out, _) = auraguard(&["replay", trace]);
    assert!(ok);
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 11);
    assert_eq!(lines[0], Value::Null);
    assert_eq!(lines[1]["action"], "allow");
    assert_eq!(lines[3]["reason"], "idempotent_replay", "key order of args does not matter");
    assert!(lines[4]["error"].is_string(), "strict mode: nothing awaits a result after a cache decision");
    assert_eq!(lines[5]["reason"], "side_effect_limit_exceeded");
    assert!(lines[6]["error"].as_str().unwrap().contains("not JSON"));
    assert!(lines[7]["error"].as_str().unwrap().contains("teleport"));
    assert_eq!(lines[8]["stats"]["tool_calls_executed"], 1);
    assert_eq!(lines[8]["stats"]["cache_hits"], 1);
    assert_eq!(lines[10]["action"], "allow", "a reset starts a new run");
}

#[test]
fn replay_through_the_text_path_decides_alike() {
    let trace = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/traces/refund_then_retry.jsonl");
    let (ok, parsed, _) = auraguard(&["replay", trace]);
    let (ok_text, text, _) = auraguard(&["replay", "--text", trace]);
    assert!(ok && ok_text);
    let decisions = |out: &str| -> Vec<Value> {
        out.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|v| if v["error"].is_string() { Value::from("error") } else { v })
            .map(|mut v| {
                // Run ids differ between the two runs.
                if let Some(s) = v.get_mut("stats").and_then(Value::as_object_mut) {
                    s.remove("run_id");
                }
                v
            })
            .collect()
    };
    assert_eq!(decisions(&parsed), decisions(&text));
}

#[test]
fn replay_of_a_missing_file_fails() {
    let (ok, _, err) = auraguard(&["replay", "/nonexistent/trace.jsonl"]);
    assert!(!ok);
    assert!(err.contains("cannot open"));
}

#[test]
fn demo_shows_the_run_without_and_with_the_guard() {
    let (ok, out, _) = auraguard(&["demo"]);
    assert!(ok);
    assert!(out.contains("without guard"));
    let refunds = out.lines().find(|l| l.contains("refunds executed")).expect("a refunds line");
    let nums: Vec<u64> = refunds.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    assert_eq!(nums, vec![2, 1], "the guard stops the second refund");
    assert!(out.contains("idempotent_replay"));
    assert!(out.contains("Guard report"));
}

#[test]
fn bench_covers_every_scenario_and_the_healthy_run_is_untouched() {
    let dir = std::env::temp_dir().join(format!("auraguard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let json = dir.join("bench.json");
    let (ok, out, _) = auraguard(&["bench", "--json", json.to_str().unwrap()]);
    assert!(ok);
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for id in [
        "jitter_loop",
        "double_refund",
        "error_retry_spiral",
        "stall_spiral",
        "budget_overrun",
        "ping_pong",
        "circular_delegation",
        "mixed",
        "healthy",
        "same_answer",
        "recovering_tool",
        "polling_ok",
        "polling_stuck",
        "spanish_stall",
        "token_burn",
        "gapped_cycle",
        "warned_jitter",
    ] {
        assert!(ids.contains(&id), "{id}");
        assert!(out.contains(id));
    }
    for r in rows.iter().filter(|r| r["with_feature"].is_object()) {
        check_feature_row(r);
    }
    for r in rows.iter().filter(|r| !r["with_feature"].is_object() || r["id"] == "healthy") {
        let (without, with) = (&r["without"], &r["with"]);
        if r["id"] == "healthy" {
            assert_eq!(with["interventions"], 0);
            assert_eq!(with["tool_calls"], without["tool_calls"]);
        } else {
            assert!(with["interventions"].as_u64().unwrap() >= 1, "{}", r["id"]);
            assert!(with["cost_usd"].as_f64().unwrap() < without["cost_usd"].as_f64().unwrap(), "{}", r["id"]);
        }
    }
    let refunds = rows.iter().find(|r| r["id"] == "double_refund").unwrap();
    assert_eq!(refunds["with"]["side_effects"], 2, "one refund and one reply");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A scenario of an opt-in detector: what the package lets through, and
/// what the feature does about it.
fn check_feature_row(r: &Value) {
    let id = r["id"].as_str().unwrap();
    let (without, package, feature) = (&r["without"], &r["with"], &r["with_feature"]);
    let n = |t: &Value, k: &str| t[k].as_u64().unwrap();
    let cost = |t: &Value| t["cost_usd"].as_f64().unwrap();
    match id {
        "healthy" => {
            assert_eq!(n(feature, "interventions"), 0, "every feature on, nothing to stop");
            assert_eq!(n(feature, "warnings"), 0);
            assert_eq!(n(feature, "tool_calls"), n(without, "tool_calls"));
        }
        "polling_ok" | "recovering_tool" => {
            assert_eq!(package["goal_reached"], false, "{id}: the package loses the goal");
            assert_eq!(feature["goal_reached"], true, "{id}: the feature keeps it");
            assert_eq!(n(feature, "interventions"), 0, "{id}");
        }
        "polling_stuck" => {
            assert!(n(feature, "interventions") >= 1, "a stuck poll is still a loop");
            assert_eq!(n(feature, "tool_calls"), n(package, "tool_calls"));
        }
        "warned_jitter" => {
            assert_eq!(n(feature, "warnings"), 1);
            assert_eq!(n(feature, "tool_calls"), n(package, "tool_calls") + 1, "one more call, warned");
            assert_eq!(n(feature, "interventions"), 1);
        }
        "same_answer" | "spanish_stall" | "token_burn" | "gapped_cycle" => {
            assert_eq!(n(package, "interventions"), 0, "{id}: the package lets it through");
            assert!(n(feature, "interventions") >= 1, "{id}");
            assert!(cost(feature) < cost(without), "{id}");
        }
        other => panic!("no expectation for the feature scenario {other}"),
    }
}

#[test]
fn bench_rejects_an_unknown_scenario() {
    let (ok, _, err) = auraguard(&["bench", "--scenario", "nope"]);
    assert!(!ok);
    assert!(err.contains("jitter_loop"), "lists the choices: {err}");
    let (ok, out, _) = auraguard(&["bench", "--scenario", "ping_pong"]);
    assert!(ok && out.contains("ping_pong") && !out.contains("jitter_loop"));
}

#[test]
fn version_matches_the_library_and_the_header() {
    let (ok, out, _) = auraguard(&["version"]);
    assert!(ok);
    assert_eq!(out.trim(), format!("auraguard {}", auraguard::VERSION));
    let header = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../include/auraguard.h")).unwrap();
    assert!(header.contains(&format!("#define AURAGUARD_VERSION \"{}\"", auraguard::VERSION)));
}
