//! The building blocks a pair is made of, timed alone, to turn the
//! instruction counts of docs/PERFORMANCE.md into time on this CPU: under
//! valgrind SHA-256 runs its portable code, natively it may use the CPU's
//! SHA extensions, so only a native timing says what a signature costs.

use std::hint::black_box;
use std::time::Duration;

use auraguard::signature::Signer;
use auraguard::Decision;
use criterion::Criterion;
use serde_json::{Map, Value};

use auraguard::text::stall_score;

use super::workloads::{message, order_args, order_result, SECRET};

pub fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("parts");
    group.measurement_time(Duration::from_secs(1));

    let signer = Signer::new(SECRET.as_bytes());
    let ticket = "T-104233";
    group.bench_function("hmac_ticket_sig", |b| b.iter(|| signer.ticket_sig(black_box(ticket))));

    let args_text = order_args(42);
    group.bench_function("parse_args_json", |b| {
        b.iter(|| serde_json::from_str::<Value>(black_box(&args_text)).expect("valid"))
    });

    let args: Map<String, Value> = serde_json::from_str(&args_text).expect("valid");
    let mut buf = String::new();
    group.bench_function("args_sig_canonical_hmac", |b| b.iter(|| signer.args_sig(black_box(&args), None, &mut buf)));

    let result_text = order_result(42);
    group.bench_function("parse_result_json", |b| {
        b.iter(|| serde_json::from_str::<Value>(black_box(&result_text)).expect("valid"))
    });

    // The stall patterns of check_output alone, on a 40-word message and on
    // the same with a few words of other scripts (the slow case before the
    // patterns were read loosely first on text that is not ASCII).
    let ascii = message(3);
    let mixed = format!("Grüße — {ascii} — merci, ça va. 返金");
    assert!(ascii.is_ascii() && !mixed.is_ascii());
    group.bench_function("stall_score_ascii", |b| b.iter(|| stall_score(black_box(&ascii))));
    group.bench_function("stall_score_non_ascii", |b| b.iter(|| stall_score(black_box(&mixed))));

    let allow = Decision { call_id: Some(1234), ..Decision::allow() };
    group.bench_function("allow_decision_to_json", |b| b.iter(|| black_box(&allow).to_json()));

    group.finish();
}
