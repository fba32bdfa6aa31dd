//! A side effect's idempotency key is signed with its ticket's signature.
//! The guard remembers recent tickets' signatures; whatever the order of
//! the tickets (repeated, alternating, too long to remember), every key must
//! be the one computed from scratch.

use auraguard::signature::{hex, Signer};
use auraguard::{Action, Config, Guard, ToolResult};
use serde_json::json;

const KEY: &str = "ticket-key";

fn expected_key(signer: &Signer, ticket: &str, order: usize) -> String {
    let args = signer.sign(&[format!("args:{{\"order\":{order}}}").as_bytes()]);
    let idem = signer.idempotency(&signer.ticket_sig(ticket), "refund", &args);
    hex(&idem)[..32].to_string()
}

#[test]
fn every_ticket_order_gives_the_keys_computed_from_scratch() {
    let cfg = json!({
        "secret_key": KEY,
        "side_effect_tools": ["refund"],
        "side_effect_max_executed_per_run": 1000,
    });
    let mut g = Guard::new(Config::from_value(&cfg).unwrap());
    let signer = Signer::new(KEY.as_bytes());
    let long = "L".repeat(300);
    let long_other = format!("{}M", "L".repeat(299));
    // A prefix of another ticket, the other way round, and two long ids
    // that differ only in their last byte.
    let tickets = ["T-1", "T-1", "T-2", "T-1", "T-10", "T-1", &long, "T-1", &long, &long_other, &long, "T-2", "T-2"];
    for (order, ticket) in tickets.iter().enumerate() {
        let d = g.check_tool("refund", json!({"order": order}).as_object().unwrap(), Some(ticket), None).unwrap();
        assert_eq!(d.action, Action::Allow, "call {order}");
        let want = expected_key(&signer, ticket, order);
        assert_eq!(d.idempotency_key(), Some(want.as_str()), "call {order}, ticket {ticket:.12}");
        g.record_result(ToolResult { call_id: d.call_id, ..ToolResult::ok(json!({"refunded": order})) }).unwrap();
    }
}
