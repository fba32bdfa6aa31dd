//! The same workloads through the C API, exactly as a C caller pays for
//! them: JSON text in, the guard's lock, the decision serialized into a
//! C string, and that string freed. Plus `state_save`/`state_load`.

use std::ffi::{c_char, CStr, CString};
use std::hint::black_box;
use std::ptr;

use auraguard::ffi::auraguard_status;
use auraguard::ffi::guard::*;
use auraguard::ffi::strings::auraguard_string_free;
use criterion::Criterion;

use super::runs::timed_runs;
use super::workloads::*;

/// An owned `auraguard_guard *` with the calls the benchmarks make. Every
/// call panics on a non-OK status: a benchmark of failing calls measures
/// nothing useful.
pub struct CGuard(*mut auraguard_guard);

/// Run a C API call with an error out-pointer; panic with its message.
fn ok(what: &str, f: impl FnOnce(*mut *mut c_char) -> auraguard_status) {
    let mut err: *mut c_char = ptr::null_mut();
    let status = f(&mut err);
    if status != auraguard_status::AURAGUARD_OK {
        // SAFETY: on failure `err` is NULL or a message from the library.
        let msg = if err.is_null() { "(no message)".into() } else { unsafe { CStr::from_ptr(err) }.to_string_lossy() };
        panic!("{what} failed with {status:?}: {msg}");
    }
}

fn cstr(s: &str) -> CString {
    CString::new(s).expect("no NUL in workload text")
}

impl CGuard {
    pub fn new(config: &str) -> CGuard {
        let config = cstr(config);
        let mut g = ptr::null_mut();
        // SAFETY: valid strings and out-pointers; the handle is freed in Drop.
        ok("guard_new", |e| unsafe { auraguard_guard_new(config.as_ptr(), &mut g, e) });
        CGuard(g)
    }

    pub fn reset(&mut self) {
        // SAFETY: a live handle.
        ok("reset", |e| unsafe { auraguard_reset(self.0, e) });
    }

    /// Check a call; the decision's JSON text must start with `expect`.
    pub fn check(&mut self, tool: &CStr, args: &CStr, ticket: &CStr, expect: &[u8]) {
        let mut out: *mut c_char = ptr::null_mut();
        // SAFETY: a live handle, NUL-terminated strings, a valid out-pointer.
        ok("check_tool", |e| unsafe {
            auraguard_check_tool(self.0, tool.as_ptr(), args.as_ptr(), ticket.as_ptr(), -1, &mut out, e)
        });
        // SAFETY: on success `out` is a string from the library, freed below.
        let text = unsafe { CStr::from_ptr(out) }.to_bytes();
        assert!(text.starts_with(expect), "unexpected decision {}", String::from_utf8_lossy(text));
        black_box(text);
        // SAFETY: returned by the library, freed once.
        unsafe { auraguard_string_free(out) };
    }

    pub fn record(&mut self, result: &CStr) {
        // SAFETY: a live handle and a NUL-terminated string.
        ok("record_result", |e| unsafe { auraguard_record_result(self.0, result.as_ptr(), e) });
    }

    /// Check a message; there must be nothing to do.
    pub fn check_output(&mut self, text: &CStr) {
        let mut out: *mut c_char = ptr::null_mut();
        // SAFETY: a live handle, a NUL-terminated string, a valid out-pointer.
        ok("check_output", |e| unsafe { auraguard_check_output(self.0, text.as_ptr(), &mut out, e) });
        assert!(out.is_null(), "check_output intervened");
    }

    pub fn save(&mut self) -> CString {
        let mut out: *mut c_char = ptr::null_mut();
        // SAFETY: a live handle and a valid out-pointer.
        ok("state_save", |e| unsafe { auraguard_state_save(self.0, &mut out, e) });
        // SAFETY: a string from the library, copied and then freed once.
        let saved = unsafe { CStr::from_ptr(out) }.to_owned();
        unsafe { auraguard_string_free(out) };
        saved
    }

    pub fn load(&mut self, state: &CStr) {
        // SAFETY: a live handle and a NUL-terminated string.
        ok("state_load", |e| unsafe { auraguard_state_load(self.0, state.as_ptr(), e) });
    }
}

impl Drop for CGuard {
    fn drop(&mut self) {
        // SAFETY: the handle is live and freed exactly once.
        unsafe { auraguard_guard_free(self.0) };
    }
}

const ALLOW: &[u8] = br#"{"action":"allow""#;
const CACHE: &[u8] = br#"{"action":"cache""#;

/// Build one run's `(args, result)` C strings.
fn pairs(args: impl Fn(usize) -> String, result: impl Fn(usize) -> String) -> Vec<(CString, CString)> {
    (0..RUN_LENGTH).map(|i| (cstr(&args(i)), cstr(&result(i)))).collect()
}

/// A guard that has seen a run of `RUN_LENGTH` calls: three distinct reads
/// to one jittery search, a message checked every tenth call.
fn run_of_1000_calls() -> CGuard {
    let mut g = CGuard::new(&mixed_run_config());
    let (ticket, get, search) = (cstr(TICKET), cstr("get_order"), cstr("search_kb"));
    for i in 0..RUN_LENGTH {
        if i % 4 == 3 {
            g.check(&search, &cstr(&query_args(i)), &ticket, ALLOW);
            g.record(&cstr(QUERY_RESULT));
        } else {
            g.check(&get, &cstr(&order_args(i)), &ticket, ALLOW);
            g.record(&cstr(&order_result(i)));
        }
        if i % 10 == 9 {
            g.check_output(&cstr(&message(i)));
        }
    }
    g
}

pub fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("c_api");
    let ticket = cstr(TICKET);

    let mut g = CGuard::new(&default_config());
    let tool = cstr("get_order");
    group.bench_function("distinct_reads", |b| {
        b.iter_custom(|iters| {
            timed_runs(
                iters,
                &mut g,
                |g| {
                    g.reset();
                    pairs(order_args, order_result)
                },
                |g, p, i| {
                    g.check(&tool, &p[i].0, &ticket, ALLOW);
                    g.record(&p[i].1);
                },
            )
        })
    });

    let mut g = CGuard::new(&jitter_config());
    let tool = cstr("search_kb");
    group.bench_function("jittery_queries", |b| {
        b.iter_custom(|iters| {
            timed_runs(
                iters,
                &mut g,
                |g| {
                    g.reset();
                    pairs(query_args, |_| QUERY_RESULT.to_string())
                },
                |g, p, i| {
                    g.check(&tool, &p[i].0, &ticket, ALLOW);
                    g.record(&p[i].1);
                },
            )
        })
    });

    let mut g = CGuard::new(&default_config());
    let (tool, args, res) = (cstr("get_order"), cstr(REPEAT_ARGS), cstr(REPEAT_RESULT));
    group.bench_function("repeated_call", |b| {
        b.iter_custom(|iters| {
            timed_runs(
                iters,
                &mut g,
                |g| {
                    g.reset();
                    for _ in 0..2 {
                        g.check(&tool, &args, &ticket, ALLOW);
                        g.record(&res);
                    }
                },
                |g, _, _| g.check(&tool, &args, &ticket, CACHE),
            )
        })
    });

    let mut g = CGuard::new(&default_config());
    let messages: Vec<CString> = (0..RUN_LENGTH).map(|i| cstr(&message(i))).collect();
    group.bench_function("check_output", |b| {
        b.iter_custom(|iters| timed_runs(iters, &mut g, |g| g.reset(), |g, _, i| g.check_output(&messages[i])))
    });

    let mut source = run_of_1000_calls();
    let saved = source.save();
    eprintln!("state of a run of {RUN_LENGTH} calls: {} bytes", saved.as_bytes().len());
    group.bench_function("state_save_1000_calls", |b| b.iter(|| black_box(source.save())));
    let mut target = CGuard::new(&mixed_run_config());
    group.bench_function("state_load_1000_calls", |b| b.iter(|| target.load(black_box(&saved))));

    group.finish();
}
