//! Criterion benchmarks of the guard (`make bench-rust`).
//!
//! Workloads, each through the Rust API (`engine/*`) and the C API
//! (`c_api/*`):
//! - `distinct_reads`: `get_order` with a new order id every call, a ticket id
//!   (`distinct_reads_opt_in`: the same, every opt-in detector on, engine only);
//! - `jittery_queries`: `search_kb` with overlapping five-word queries;
//! - `repeated_call`: the same read again, answered from the cache;
//! - `check_output`: a 40-word assistant message;
//!
//! plus `state_save`/`state_load` of a run of 1,000 calls, and the parts of a
//! pair alone (`parts/*`: a signature, JSON parsing, decision JSON), and
//! side-effect pairs against each ledger store (`ledger/*`). Each measured
//! call asserts its decision, so a workload cannot silently turn into
//! another (a quarantine, a cache hit) while it is measured.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

#[path = "guard/c_api.rs"]
mod c_api;
#[path = "guard/engine.rs"]
mod engine;
#[path = "guard/ledger.rs"]
mod ledger;
#[path = "guard/parts.rs"]
mod parts;
#[path = "guard/runs.rs"]
mod runs;
#[path = "guard/workloads.rs"]
mod workloads;

/// Short enough for a CI run: about 2.5 s per benchmark.
fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = guard;
    config = config();
    targets = engine::benches, c_api::benches, parts::benches, ledger::benches
}
criterion_main!(guard);
