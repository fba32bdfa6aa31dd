//! Timing in runs: Criterion asks for `iters` calls; they are made in runs
//! of at most `RUN_LENGTH`, each prepared (guard reset, inputs built) outside
//! the timed region, so the state never grows past that of one run.

use std::time::{Duration, Instant};

use super::workloads::RUN_LENGTH;

/// Time `iters` calls of `call(guard, inputs, i)`, where `i` is the call's
/// index in its run and `inputs` what `prepare` built for that run.
pub fn timed_runs<G, I>(
    iters: u64,
    guard: &mut G,
    mut prepare: impl FnMut(&mut G) -> I,
    mut call: impl FnMut(&mut G, &mut I, usize),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(RUN_LENGTH as u64) as usize;
        let mut inputs = prepare(guard);
        let start = Instant::now();
        for i in 0..n {
            call(guard, &mut inputs, i);
        }
        total += start.elapsed();
        left -= n as u64;
    }
    total
}
