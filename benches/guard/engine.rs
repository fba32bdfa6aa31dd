//! The Rust API without the C layer: `Guard` with parsed arguments and typed
//! results. The difference to the C API benchmarks is the cost of JSON text
//! in and out, the lock and the C strings.

use std::hint::black_box;

use auraguard::{Action, Guard, ToolResult};
use criterion::Criterion;
use serde_json::{Map, Value};

use super::runs::timed_runs;
use super::workloads::*;

fn object(json: &str) -> Map<String, Value> {
    match serde_json::from_str(json).expect("workload JSON is valid") {
        Value::Object(m) => m,
        other => panic!("workload args must be an object, got {other}"),
    }
}

fn result(json: &str) -> ToolResult {
    let v: Value = serde_json::from_str(json).expect("workload JSON is valid");
    ToolResult::from_json_value(&v).expect("workload result is valid")
}

/// Arguments and results of one run of a check + record workload.
type Pairs = Vec<(Map<String, Value>, ToolResult)>;

/// A check + record pair that must be allowed: every workload that uses it
/// fails loudly if a primitive starts to intervene.
fn allowed_pair(g: &mut Guard, tool: &str, pairs: &mut Pairs, i: usize) {
    let (args, res) = &mut pairs[i];
    let d = g.check_tool(tool, args, Some(TICKET), None).expect("check_tool");
    assert_eq!(d.action, Action::Allow, "{tool} call {i}: {}", d.reason);
    black_box(&d);
    g.record_result(std::mem::take(res)).expect("record_result");
}

pub fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");

    let mut g = Guard::from_json(&default_config()).expect("config");
    group.bench_function("distinct_reads", |b| {
        b.iter_custom(|iters| {
            timed_runs(
                iters,
                &mut g,
                |g| {
                    g.reset();
                    (0..RUN_LENGTH).map(|i| (object(&order_args(i)), result(&order_result(i)))).collect::<Pairs>()
                },
                |g, pairs, i| allowed_pair(g, "get_order", pairs, i),
            )
        })
    });

    let mut g = Guard::from_json(&opt_in_config()).expect("config");
    group.bench_function("distinct_reads_opt_in", |b| {
        b.iter_custom(|iters| {
            timed_runs(
                iters,
                &mut g,
                |g| {
                    g.reset();
                    (0..RUN_LENGTH).map(|i| (object(&order_args(i)), result(&order_result(i)))).collect::<Pairs>()
                },
                |g, pairs, i| allowed_pair(g, "get_order", pairs, i),
            )
        })
    });

    let mut g = Guard::from_json(&jitter_config()).expect("config");
    group.bench_function("jittery_queries", |b| {
        b.iter_custom(|iters| {
            timed_runs(
                iters,
                &mut g,
                |g| {
                    g.reset();
                    (0..RUN_LENGTH).map(|i| (object(&query_args(i)), result(QUERY_RESULT))).collect::<Pairs>()
                },
                |g, pairs, i| allowed_pair(g, "search_kb", pairs, i),
            )
        })
    });

    // Two allowed and recorded calls, then every further identical call is
    // served from the cache: the pair is the check alone (nothing to record).
    let mut g = Guard::from_json(&default_config()).expect("config");
    let args = object(REPEAT_ARGS);
    group.bench_function("repeated_call", |b| {
        b.iter_custom(|iters| {
            timed_runs(
                iters,
                &mut g,
                |g| {
                    g.reset();
                    let mut warm: Pairs = (0..2).map(|_| (args.clone(), result(REPEAT_RESULT))).collect();
                    allowed_pair(g, "get_order", &mut warm, 0);
                    allowed_pair(g, "get_order", &mut warm, 1);
                },
                |g, _, i| {
                    let d = g.check_tool("get_order", &args, Some(TICKET), None).expect("check_tool");
                    assert_eq!(d.action, Action::Cache, "repeat {i}: {}", d.reason);
                    black_box(&d);
                },
            )
        })
    });

    let mut g = Guard::from_json(&default_config()).expect("config");
    let messages: Vec<String> = (0..RUN_LENGTH).map(message).collect();
    group.bench_function("check_output", |b| {
        b.iter_custom(|iters| {
            timed_runs(
                iters,
                &mut g,
                |g| g.reset(),
                |g, _, i| {
                    let d = g.check_output(&messages[i]).expect("check_output");
                    assert!(d.is_none(), "message {i}: {d:?}");
                },
            )
        })
    });

    group.finish();
}
