//! Helpers shared by the integration tests.
#![allow(dead_code)]

use auraguard::{Decision, Guard, ToolResult};
use serde_json::{json, Value};

/// A guard from a JSON configuration (the secret key is added when absent).
pub fn guard(cfg: Value) -> Guard {
    let mut cfg = cfg;
    if cfg.get("secret_key").is_none() && cfg.get("shadow_mode") != Some(&json!(true)) {
        cfg["secret_key"] = json!("test-key");
    }
    Guard::new(auraguard::Config::from_value(&cfg).expect("valid test configuration"))
}

/// Check a call with JSON arguments.
pub fn check(g: &mut Guard, tool: &str, args: Value) -> Decision {
    g.check_tool(tool, args.as_object().expect("args object"), None, None).expect("check_tool")
}

/// Check a call for a ticket.
pub fn check_ticket(g: &mut Guard, tool: &str, args: Value, ticket: &str) -> Decision {
    g.check_tool(tool, args.as_object().expect("args object"), Some(ticket), None).expect("check_tool")
}

pub fn ok(g: &mut Guard, payload: Value) {
    g.record_result(ToolResult::ok(payload)).expect("record_result");
}

pub fn fail(g: &mut Guard, code: &str) {
    g.record_result(ToolResult::failed(code)).expect("record_result");
}
