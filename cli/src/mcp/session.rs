//! One MCP session and its guard: every message of the session passes
//! through here, in either direction, and is either forwarded unchanged or
//! answered by the proxy. The transports (stdio, HTTP) only move bytes.
//!
//! What a session remembers: the `tools/call` requests the guard allowed
//! that await the server's answer (by request id, with the guard's
//! `call_id`), the `tools/list` requests in flight (their answers say which
//! tools are destructive), and the tools so annotated.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use auraguard::{Action, ErrorKind, EventSink, Guard, SharedGuard, ToolResult};
use serde_json::{Map, Value};

use super::config::ProxyConfig;
use super::jsonrpc::{self, classify, id_key, Kind, INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST};
use super::tool_result;

/// What to do with a message.
#[derive(Debug, PartialEq)]
pub enum Route {
    /// Pass it on, as it came.
    Forward,
    /// Do not pass it on; send this back to where it came from.
    Reply(Value),
    /// Do not pass it on; there is nothing to answer.
    Drop(String),
}

/// An allowed call awaiting the server's answer.
struct Pending {
    call_id: u64,
    /// Set for a side effect: the key the guard's ledger files it under.
    idempotency_key: Option<String>,
    /// The call's progress token, if the client asked for progress.
    progress: Option<String>,
}

/// How many cancelled calls are remembered, to drop what the server still
/// sends for them.
const CANCELLED_KEPT: usize = 1024;

#[derive(Default)]
struct State {
    pending: HashMap<String, Pending>,
    listings: HashSet<String>,
    destructive: HashSet<String>,
    /// Request ids and progress tokens of cancelled calls: the client no
    /// longer expects their answer or progress.
    cancelled: HashSet<String>,
}

impl State {
    fn forget_later(&mut self, key: String) {
        if self.cancelled.len() >= CANCELLED_KEPT {
            self.cancelled.clear();
        }
        self.cancelled.insert(key);
    }
}

pub struct Session {
    guard: SharedGuard,
    cfg: Arc<ProxyConfig>,
    state: Mutex<State>,
}

impl Session {
    pub fn new(cfg: Arc<ProxyConfig>, sink: Option<EventSink>) -> Session {
        let guard = SharedGuard::new(Guard::new(cfg.guard.clone()));
        if sink.is_some() {
            guard.set_event_sink(sink).expect("a fresh guard takes a sink");
        }
        Session { guard, cfg, state: Mutex::new(State::default()) }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state holds plain maps that no panic leaves half-changed.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A message from the client (one element of a batch at most).
    pub fn client_message(&self, msg: &Value) -> Route {
        match classify(msg) {
            Err((id, why)) => Route::Reply(jsonrpc::error(id, INVALID_REQUEST, why)),
            Ok(Kind::Request { id, method: "tools/call" }) => self.check_call(id, msg),
            Ok(Kind::Request { id, method: "tools/list" }) => {
                self.state().listings.insert(id_key(id));
                Route::Forward
            }
            Ok(Kind::Notification { method: "notifications/cancelled" }) => {
                if let Some(id) = msg.pointer("/params/requestId") {
                    if let Some(progress) = self.finish(id, failure("cancelled"), "the client cancelled it") {
                        let mut state = self.state();
                        state.forget_later(format!("id {}", id_key(id)));
                        if let Some(token) = progress {
                            state.forget_later(format!("progress {token}"));
                        }
                    }
                }
                Route::Forward
            }
            Ok(Kind::Notification { method: "tools/call" }) => Route::Drop(
                "a tools/call without an id (a notification) was dropped: its result could not be recorded".into(),
            ),
            Ok(_) => Route::Forward,
        }
    }

    /// A message from the server (one element of a batch at most).
    pub fn server_message(&self, msg: &Value) -> Route {
        match classify(msg) {
            Err((id, why)) => Route::Reply(jsonrpc::error(id, INVALID_REQUEST, why)),
            Ok(Kind::Response { id }) => {
                if self.state().cancelled.remove(&format!("id {}", id_key(id))) {
                    return Route::Drop(String::new());
                }
                self.on_response(id, msg);
                Route::Forward
            }
            Ok(Kind::Notification { method: "notifications/progress" }) => {
                let token = msg.pointer("/params/progressToken").map(id_key);
                match token {
                    Some(t) if self.state().cancelled.contains(&format!("progress {t}")) => Route::Drop(String::new()),
                    _ => Route::Forward,
                }
            }
            Ok(_) => Route::Forward,
        }
    }

    fn check_call(&self, id: &Value, msg: &Value) -> Route {
        let params = msg.get("params");
        let Some(tool) = params.and_then(|p| p.get("name")).and_then(Value::as_str) else {
            return Route::Reply(jsonrpc::error(
                id.clone(),
                INVALID_PARAMS,
                "tools/call needs `params.name`, a string",
            ));
        };
        let empty = Map::new();
        let args = match params.and_then(|p| p.get("arguments")) {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Route::Reply(jsonrpc::error(
                    id.clone(),
                    INVALID_PARAMS,
                    "tools/call `params.arguments` must be an object",
                ))
            }
        };
        let key = id_key(id);
        let mut state = self.state();
        if state.pending.contains_key(&key) {
            return Route::Reply(jsonrpc::error(
                id.clone(),
                INVALID_REQUEST,
                format!("request id {key} is already in use by a tools/call in flight"),
            ));
        }
        let ticket = self.cfg.ticket_arg(tool).and_then(|arg| match args.get(arg) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        });
        let side_effect = state.destructive.contains(tool).then_some(true);
        let decision = match self.guard.with(|g| g.check_tool(tool, args, ticket.as_deref(), side_effect)) {
            Ok(d) => d,
            Err(e) => {
                let code = if e.kind() == ErrorKind::InvalidArgument { INVALID_PARAMS } else { INTERNAL_ERROR };
                return Route::Reply(jsonrpc::error(
                    id.clone(),
                    code,
                    format!("auraguard could not check this call: {e}"),
                ));
            }
        };
        match decision.action {
            Action::Allow => {
                let call_id = decision.call_id.expect("an allow carries its call id");
                let progress = params.and_then(|p| p.pointer("/_meta/progressToken")).map(id_key);
                let idempotency_key = decision.idempotency_key().map(str::to_string);
                state.pending.insert(key, Pending { call_id, idempotency_key, progress });
                Route::Forward
            }
            // A read kept by digest only cannot be handed back: the server
            // answers again (the guard counted the repeat). A side effect
            // is never run twice: `answer` says it already ran.
            Action::Cache if !tool_result::replayable(&decision) && decision.reason != "idempotent_replay" => {
                Route::Forward
            }
            _ => Route::Reply(jsonrpc::result(id.clone(), tool_result::answer(tool, &decision))),
        }
    }

    fn on_response(&self, id: &Value, msg: &Value) {
        let key = id_key(id);
        let mut state = self.state();
        if state.listings.remove(&key) {
            for tool in msg.pointer("/result/tools").and_then(Value::as_array).into_iter().flatten() {
                let hint = |k: &str| tool.pointer(&format!("/annotations/{k}")).and_then(Value::as_bool);
                if let (Some(name), Some(true), false) = (
                    tool.get("name").and_then(Value::as_str),
                    hint("destructiveHint"),
                    hint("readOnlyHint") == Some(true),
                ) {
                    state.destructive.insert(name.to_string());
                }
            }
            return;
        }
        let Some(p) = state.pending.remove(&key) else { return };
        drop(state);
        let result =
            ToolResult { call_id: Some(p.call_id), ..tool_result::from_server(msg, self.cfg.guard.max_json_bytes) };
        if let Err(e) = self.guard.record_result(result) {
            eprintln!("auraguard mcp: could not record the result of request {key}: {e}");
        }
    }

    /// Record an allowed call that will get no answer from the server.
    /// Returns its progress token when it was awaiting one.
    fn finish(&self, id: &Value, mut result: ToolResult, why: &str) -> Option<Option<String>> {
        let p = self.state().pending.remove(&id_key(id))?;
        // The server may have acted before the call was abandoned: a side
        // effect counts as executed, so it is never silently repeated.
        result.side_effect_executed = Some(p.idempotency_key.is_some());
        result.call_id = Some(p.call_id);
        if let Err(e) = self.guard.record_result(result) {
            eprintln!("auraguard mcp: could not record request {id} ({why}): {e}");
        }
        Some(p.progress)
    }

    /// Record the calls among `ids` that still await their answer as
    /// failed: it will never reach this session (the upstream could not be
    /// reached, or the client left before the answer came). Side effects
    /// count as executed, as for any call abandoned in flight. Returns the
    /// ids that were still awaiting their answer.
    pub fn abandon<'a>(&self, ids: &'a [Value], why: &str) -> Vec<&'a Value> {
        ids.iter().filter(|id| self.finish(id, failure("no_answer"), why).is_some()).collect()
    }

    /// The server is gone: record every call in flight as failed, and the
    /// error replies the client is owed.
    pub fn server_gone(&self, why: &str) -> Vec<Value> {
        let ids: Vec<String> = self.state().pending.keys().cloned().collect();
        ids.into_iter()
            .filter_map(|key| serde_json::from_str::<Value>(&key).ok())
            .map(|id| {
                self.finish(&id, failure("server_exited"), why);
                jsonrpc::error(id, INTERNAL_ERROR, format!("the MCP server {why} before answering this call"))
            })
            .collect()
    }

    /// The ledger key of a side effect in flight.
    #[cfg(test)]
    fn idempotency_key(&self, id: u64) -> Option<String> {
        self.state().pending.get(&id.to_string()).and_then(|p| p.idempotency_key.clone())
    }

    /// The guard's report, as JSON.
    pub fn report(&self) -> Value {
        match self.guard.report() {
            Ok(r) => serde_json::to_value(r).expect("a report serializes"),
            Err(e) => serde_json::json!({"error": e.to_string()}),
        }
    }
}

fn failure(code: &str) -> ToolResult {
    ToolResult::failed(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn session(cfg: Value) -> Session {
        Session::new(Arc::new(ProxyConfig::from_value(cfg).unwrap()), None)
    }

    fn call(id: u64, tool: &str, args: Value) -> Value {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": args}})
    }

    fn answer(id: u64, text: &str) -> Value {
        json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": text}]}})
    }

    fn reply_of(route: Route) -> Value {
        match route {
            Route::Reply(v) => v,
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    #[test]
    fn allowed_calls_are_recorded_and_a_repeat_is_answered_from_the_cache() {
        let s = session(json!({}));
        for id in 1..=2 {
            assert_eq!(s.client_message(&call(id, "lookup", json!({"q": "x"}))), Route::Forward);
            assert_eq!(s.server_message(&answer(id, "found")), Route::Forward);
        }
        let cached = reply_of(s.client_message(&call(3, "lookup", json!({"q": "x"}))));
        assert_eq!(cached["id"], 3);
        assert_eq!(cached["result"]["content"][0]["text"], "found");
        assert_eq!(cached["result"]["_meta"]["auraguard"]["action"], "cache");
        let stats = &s.report()["stats"];
        assert_eq!((stats["tool_calls_executed"].as_u64(), stats["pending_calls"].as_u64()), (Some(2), Some(0)));
    }

    #[test]
    fn a_tool_announced_as_destructive_runs_once() {
        let s = session(json!({}));
        assert_eq!(s.client_message(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})), Route::Forward);
        let listing = json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": [
            {"name": "wipe", "annotations": {"destructiveHint": true}},
            {"name": "peek", "annotations": {"destructiveHint": true, "readOnlyHint": true}},
        ]}});
        s.server_message(&listing);
        assert_eq!(s.client_message(&call(2, "wipe", json!({"disk": "a"}))), Route::Forward);
        s.server_message(&answer(2, "wiped"));
        let again = reply_of(s.client_message(&call(3, "wipe", json!({"disk": "a"}))));
        assert_eq!(again["result"]["_meta"]["auraguard"]["reason"], "idempotent_replay");
        let other = reply_of(s.client_message(&call(4, "wipe", json!({"disk": "b"}))));
        assert_eq!(other["result"]["_meta"]["auraguard"]["reason"], "side_effect_limit_exceeded");
        assert_eq!(other["result"]["isError"], true);
        // A read-only tool is no side effect, whatever its other hints say.
        for id in 5..=6 {
            assert_eq!(s.client_message(&call(id, "peek", json!({"n": id}))), Route::Forward);
            s.server_message(&answer(id, "ok"));
        }
    }

    #[test]
    fn a_side_effect_whose_result_was_too_large_to_keep_is_not_run_again() {
        let s = session(json!({"side_effect_tools": ["export"], "max_json_bytes": 1024}));
        let big =
            json!({"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": "x".repeat(4096)}]}});
        assert_eq!(s.client_message(&call(1, "export", json!({"to": "/data/a"}))), Route::Forward);
        s.server_message(&big);
        let again = reply_of(s.client_message(&call(2, "export", json!({"to": "/data/a"}))));
        assert_eq!(again["result"]["_meta"]["auraguard"]["reason"], "idempotent_replay");
        let text = again["result"]["content"][0]["text"].as_str().unwrap();
        assert!(text.contains("already ran") && text.contains("succeeded") && text.contains("not kept"), "{text}");
        assert_eq!(again["result"]["isError"], true, "text only, whatever the tool's output schema");
        // A read whose result was too large is asked of the server again.
        for id in 3..=5 {
            assert_eq!(s.client_message(&call(id, "lookup", json!({"q": "x"}))), Route::Forward);
            s.server_message(&json!({"jsonrpc": "2.0", "id": id, "result": {"content": [{"type": "text", "text": "y".repeat(4096)}]}}));
        }
        assert_eq!(s.report()["side_effects"]["export"]["executed"], 1);
    }

    #[test]
    fn a_cancelled_call_is_recorded_and_what_follows_for_it_is_dropped() {
        let s = session(json!({}));
        let mut c = call(1, "slow", json!({}));
        c["params"]["_meta"] = json!({"progressToken": "p1"});
        assert_eq!(s.client_message(&c), Route::Forward);
        let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}});
        assert_eq!(s.client_message(&cancel), Route::Forward);
        let progress = json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "p1", "progress": 1}});
        assert!(matches!(s.server_message(&progress), Route::Drop(_)));
        assert!(matches!(s.server_message(&answer(1, "late")), Route::Drop(_)));
        let stats = &s.report()["stats"];
        assert_eq!((stats["tool_calls_failed"].as_u64(), stats["pending_calls"].as_u64()), (Some(1), Some(0)));
    }

    #[test]
    fn a_ticket_argument_keys_a_side_effect_by_its_value_across_sessions() {
        let refund = |s: &Session, id: u64, order: &str| {
            assert_eq!(s.client_message(&call(id, "refund", json!({"order_id": order, "amount": 5}))), Route::Forward);
            s.idempotency_key(id).expect("a refund is a side effect")
        };
        // Two refunds in flight at once in one session: allowed by the limit.
        let ticketed = json!({"secret_key": "k", "side_effect_max_executed_per_run": 5,
                              "mcp": {"tools": {"refund": {"ticket_arg": "order_id"}}}});
        let (a, b) = (session(ticketed.clone()), session(ticketed));
        let a1 = refund(&a, 1, "A-1");
        assert_eq!(a1, refund(&b, 1, "A-1"), "the same order, the same key in every session");
        assert_ne!(refund(&a, 2, "A-2"), a1);
        let (c, d) = (session(json!({"secret_key": "k"})), session(json!({"secret_key": "k"})));
        assert_ne!(refund(&c, 1, "A-1"), refund(&d, 1, "A-1"), "without a ticket, a key belongs to its run");
    }

    #[test]
    fn bad_calls_get_errors_and_change_nothing() {
        let s = session(json!({}));
        let no_name = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {}});
        assert_eq!(reply_of(s.client_message(&no_name))["error"]["code"], INVALID_PARAMS);
        assert_eq!(reply_of(s.client_message(&call(2, "t", json!([1]))))["error"]["code"], INVALID_PARAMS);
        assert_eq!(s.client_message(&call(3, "t", json!({}))), Route::Forward);
        let reused = reply_of(s.client_message(&call(3, "t", json!({"other": 1}))));
        assert!(reused["error"]["message"].as_str().unwrap().contains("already in use"));
        let gone = s.server_gone("exited with status 1");
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0]["id"], 3);
        assert_eq!(s.report()["stats"]["tool_calls_executed"], 1);
    }
}
