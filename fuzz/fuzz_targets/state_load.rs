//! `auraguard_state_load` with arbitrary saved-state text, and with edits of
//! a real saved state.
//!
//! Input: one flags byte, then data. Flags bit 0 clear: the data is the
//! state text, loaded into a guard in the middle of a run. Set: the data is
//! a list of edits (4 bytes each: kind, position (2 bytes), byte) applied to the state
//! a realistic run saved, loaded into a fresh guard with the same key.
//!
//! A refused state leaves the guard exactly as it was; an accepted one is
//! what its MAC signed (an edit that got through changed nothing the guard
//! keeps), survives a save/load round trip, and the guard runs on.

#![no_main]

use auraguard::ffi::auraguard_status as Status;
use auraguard_fuzz::{c_text, contract, run, CGuard};
use libfuzzer_sys::fuzz_target;

const CONFIG: &str = r#"{"secret_key": "fuzz", "max_ledger_entries": 16}"#;

/// Values an edit may splice in, beyond single bytes.
const SPLICES: &[&str] =
    &["-1", "0", "1e400", "18446744073709551616", "1.5", "null", "true", "[]", "{}", "\"\"", "\"x\"", ",", "\\u0000"];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, data)) = data.split_first() else { return };
    let g = CGuard::valid(CONFIG);
    run::support_run(&g);
    if flags & 1 == 0 {
        load_into(&g, data, None);
    } else {
        let original = g.save();
        let edited = edit(original.as_bytes(), data);
        load_into(&CGuard::valid(CONFIG), &edited, Some(&original));
    }
});

fn load_into(g: &CGuard, state: &[u8], signed: Option<&str>) {
    let before = g.save();
    let state = c_text(state);
    match g.load(state.as_bytes()) {
        Ok(()) => {
            if let Some(signed) = signed {
                assert_eq!(g.save(), signed, "an edited state was accepted and changed the run");
            }
            contract::round_trip(g);
            match g.check_tool(b"get_order", Some(br#"{"id": 99}"#), None, -1) {
                Ok(d) if d["action"] == "allow" => g.record_result(br#"{"ok": true}"#).expect("result after a load"),
                Ok(_) => {}
                Err(f) => panic!("an ordinary call was refused after a load: {}", f.message),
            }
            g.report();
        }
        Err(f) => {
            let allowed = if state.to_str().is_ok() {
                Status::AURAGUARD_ERR_STATE
            } else {
                Status::AURAGUARD_ERR_INVALID_ARGUMENT
            };
            contract::status_in("state_load", &f, &[allowed]);
            contract::unchanged(g, &before, "state_load", &f);
        }
    }
}

/// The saved state with the edits applied, in order.
fn edit(saved: &[u8], edits: &[u8]) -> Vec<u8> {
    let mut s = saved.to_vec();
    for e in edits.chunks_exact(4) {
        let at = usize::from(u16::from_be_bytes([e[1], e[2]])) % (s.len() + 1);
        match e[0] % 4 {
            0 if at < s.len() => s[at] = e[3],
            1 => s.insert(at, e[3]),
            2 if at < s.len() => drop(s.remove(at)),
            3 => {
                // Replace the number or token starting at `at` with a splice.
                let end = s[at..].iter().position(|b| b",}] :".contains(b)).map_or(s.len(), |n| at + n);
                s.splice(at..end, SPLICES[usize::from(e[3]) % SPLICES.len()].bytes());
            }
            _ => {}
        }
    }
    s
}
