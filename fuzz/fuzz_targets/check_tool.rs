//! `auraguard_check_tool` with arbitrary tool name, arguments and ticket.
//!
//! Input: one flags byte, then `tool NUL args NUL ticket`. Flags: bits 0-1
//! pick `side_effect` (-1, 0, 1, or the out-of-range 7), bit 2 passes NULL
//! arguments, bit 3 a NULL ticket, bit 4 strict mode, bit 5 asks the same
//! call three more times (recording each allowed one) to reach the loop
//! detectors with arbitrary arguments.

#![no_main]

use auraguard::ffi::auraguard_status as Status;
use auraguard_fuzz::{contract, CGuard};
use libfuzzer_sys::fuzz_target;

const INVALID: Status = Status::AURAGUARD_ERR_INVALID_ARGUMENT;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let mut parts = rest.split(|&b| b == 0);
    let tool = parts.next().unwrap_or_default();
    let args = parts.next().filter(|_| flags & 4 == 0);
    let ticket = parts.next().filter(|_| flags & 8 == 0);
    let side_effect = [-1, 0, 1, 7][usize::from(flags & 3)];
    let strict = flags & 16 != 0;
    let g = CGuard::valid(&format!(
        r#"{{"secret_key": "fuzz", "strict_mode": {strict}, "max_json_bytes": 1024, "max_tools_tracked": 8}}"#
    ));
    // An earlier, ordinary call, so the fuzzed one meets a run in progress.
    let first = g.check_tool(b"search_kb", Some(br#"{"query": "refund policy"}"#), None, -1).expect("first call");
    assert_eq!(first["action"], "allow");
    g.record_result(br#"{"ok": true, "payload": [1, 2]}"#).expect("first result");

    let rounds = if flags & 32 != 0 { 4 } else { 1 };
    for _ in 0..rounds {
        let before = g.save();
        match g.check_tool(tool, args, ticket, side_effect) {
            Ok(d) => {
                assert!(side_effect != 7, "side_effect 7 was accepted");
                accepted_input_is_well_formed(tool, args, ticket);
                if d["action"] == "allow" {
                    if let Err(f) = g.record_result(br#"{"ok": true, "payload": "done"}"#) {
                        panic!("the result of an allowed call was refused: {}", f.message);
                    }
                }
            }
            Err(f) => {
                // Nothing awaits a result here, so even strict mode has no misuse to report.
                contract::status_in("check_tool", &f, &[INVALID]);
                contract::unchanged(&g, &before, "check_tool", &f);
                still_usable(&g);
                return;
            }
        }
    }
    contract::round_trip(&g);
});

/// What the library accepted is UTF-8, and the arguments a JSON object.
fn accepted_input_is_well_formed(tool: &[u8], args: Option<&[u8]>, ticket: Option<&[u8]>) {
    let tool = auraguard_fuzz::c_text(tool);
    assert!(tool.to_str().is_ok(), "a tool name that is not UTF-8 was accepted");
    if let Some(ticket) = ticket {
        assert!(auraguard_fuzz::c_text(ticket).to_str().is_ok(), "a ticket that is not UTF-8 was accepted");
    }
    if let Some(args) = args {
        let args = auraguard_fuzz::c_text(args);
        let text = args.to_str().expect("arguments that are not UTF-8 were accepted");
        let parsed = contract::parse_unbounded(text);
        assert!(
            parsed.as_ref().is_some_and(|v| v.is_object()),
            "arguments that are not a JSON object were accepted: {text}"
        );
    }
}

/// After a refusal the next ordinary call is answered as usual.
fn still_usable(g: &CGuard) {
    match g.check_tool(b"get_order", Some(br#"{"id": 7}"#), None, -1) {
        Ok(d) if d["action"] == "allow" => g.record_result(br#"{"ok": true}"#).expect("result after a refusal"),
        Ok(_) => {}
        Err(f) => panic!("an ordinary call was refused after an earlier refusal: {}", f.message),
    }
}
