//! A short, realistic support-agent run: searches, a refund on a ticket, a
//! failing tool, a stall, token usage. Used to bring a guard into a state
//! with something in every part (window, ledger, quarantine, costs, log).

use auraguard::ffi::auraguard_status as Status;

use crate::{contract, CGuard};

const CALLS: [(&str, &str, Option<&str>, &str); 4] = [
    ("search_kb", r#"{"query": "refund policy"}"#, None, r#"{"ok": true, "payload": {"articles": [12, 40]}}"#),
    ("refund", r#"{"order_id": "A-1", "amount": 50}"#, Some("T-1"), r#"{"ok": true, "payload": "refunded"}"#),
    ("get_order", r#"{"id": 7}"#, Some("T-1"), r#"{"ok": false, "error_code": "429"}"#),
    ("search_kb", r#"{"query": "refund policy for orders"}"#, None, r#"{"ok": true, "payload": []}"#),
];

/// Run it twice over (so the repeats meet the detectors). Under small caps
/// a call may be refused as an invalid argument; nothing else may fail.
pub fn support_run(g: &CGuard) {
    let refused = [Status::AURAGUARD_ERR_INVALID_ARGUMENT];
    for _ in 0..2 {
        for (tool, args, ticket, result) in CALLS {
            match g.check_tool(tool.as_bytes(), Some(args.as_bytes()), ticket.map(str::as_bytes), -1) {
                Ok(d) if d["action"] == "allow" => {
                    if let Err(f) = g.record_result(result.as_bytes()) {
                        panic!("the result of an allowed call was refused: {}", f.message);
                    }
                }
                Ok(_) => {}
                Err(f) => contract::status_in("check_tool", &f, &refused),
            }
        }
        if let Err(f) = g.check_output(b"I'm sorry, I'm still checking on that for you.") {
            contract::status_in("check_output", &f, &refused);
        }
        if let Err(f) = g.record_tokens(1200, 300, f64::NAN) {
            panic!("priced tokens were refused: {}", f.message);
        }
    }
}
