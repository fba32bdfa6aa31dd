//! `auraguard_guard_new` with arbitrary configuration text. A configuration
//! is accepted or refused with a message naming the key (or saying the JSON
//! is malformed); an accepted one runs a short realistic run to the end.

#![no_main]

use auraguard::ffi::auraguard_status as Status;
use auraguard_fuzz::{c_text, contract, CGuard};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = c_text(data);
    match CGuard::new(data) {
        Ok(g) => short_run(&g),
        Err(f) if text.to_str().is_err() => {
            contract::status_in("guard_new", &f, &[Status::AURAGUARD_ERR_INVALID_ARGUMENT])
        }
        Err(f) => {
            contract::status_in("guard_new", &f, &[Status::AURAGUARD_ERR_CONFIG]);
            assert!(f.message.contains('`') || f.message.contains("JSON"), "message names no key: {}", f.message);
        }
    }
});

/// A realistic run under whatever configuration was accepted, then the
/// reports and a save/load round trip, before and after a reset.
fn short_run(g: &CGuard) {
    auraguard_fuzz::run::support_run(g);
    g.report();
    assert!(!g.report_text().is_empty(), "empty text report");
    contract::round_trip(g);
    g.reset();
    contract::round_trip(g);
}
