//! Between MCP tool results and the guard: what a server's `tools/call`
//! answer means to the guard (success or failure, its error class, its
//! payload), and the tool result the client receives when the guard answers
//! in the server's place.

use auraguard::{Action, Decision, ToolResult};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The key of a payload that stands for a result too large to keep.
pub const OMITTED: &str = "auraguard_omitted";

/// The error class of a failed call when the result names none.
pub const TOOL_ERROR: &str = "tool_error";

/// Read the server's answer to an allowed call. `payload_limit` bounds what
/// is kept for replay: a larger result is remembered by its digest only.
pub fn from_server(response: &Value, payload_limit: usize) -> ToolResult {
    if let Some(err) = response.get("error") {
        let code = err.get("code").map(|c| c.to_string()).unwrap_or_else(|| "jsonrpc_error".to_string());
        return ToolResult::failed(&code);
    }
    let Some(Value::Object(result)) = response.get("result") else {
        return ToolResult::failed("invalid_result");
    };
    let failed = result.get("isError").and_then(Value::as_bool).unwrap_or(false);
    let mut kept: Map<String, Value> =
        result.iter().filter(|(k, _)| *k != "_meta").map(|(k, v)| (k.clone(), v.clone())).collect();
    let text = serde_json::to_string(&kept).unwrap_or_default();
    if text.len() > payload_limit {
        let digest = Sha256::digest(text.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        kept = Map::new();
        kept.insert(OMITTED.to_string(), json!({"bytes": text.len(), "sha256": hex}));
    }
    let payload = Value::Object(kept);
    if failed {
        ToolResult { payload, ..ToolResult::failed(&error_class(result)) }
    } else {
        ToolResult::ok(payload)
    }
}

/// The error class a failed result gives in its structured content
/// (`error_code`, `code` or `status`), else `tool_error`.
fn error_class(result: &Map<String, Value>) -> String {
    let structured = result.get("structuredContent");
    for key in ["error_code", "code", "status"] {
        match structured.and_then(|s| s.get(key)) {
            Some(Value::String(s)) if !s.is_empty() => return s.clone(),
            Some(Value::Number(n)) => return n.to_string(),
            _ => {}
        }
    }
    TOOL_ERROR.to_string()
}

/// Whether a cached decision carries a result the proxy can hand back (not
/// one remembered by digest only, nor an outcome a shared ledger kept
/// without its payload).
pub fn replayable(decision: &Decision) -> bool {
    decision.cached_result.as_ref().is_some_and(|c| c.payload_kept && c.payload.to_value().get(OMITTED).is_none())
}

/// The tool result for a decision other than allow.
pub fn answer(tool: &str, decision: &Decision) -> Value {
    let meta = json!({"auraguard": {"action": decision.action.as_str(), "reason": decision.reason}});
    if let Some(cached) = &decision.cached_result {
        if !replayable(decision) {
            // An error result: it carries text only, where a success would
            // have to match the tool's output schema.
            let outcome = match (&cached.ok, &cached.error_code) {
                (true, _) => "it succeeded".to_string(),
                (false, Some(code)) => format!("it failed ({code}) after it may have taken effect"),
                (false, None) => "it failed after it may have taken effect".to_string(),
            };
            let text = format!(
                "`{tool}` already ran with these arguments and {outcome} ({}). It was not run again. Its result was \
                 not kept (too large, or the shared ledger keeps outcomes only), so it cannot be shown. Do not call \
                 it again: tell the user it was done.",
                decision.reason
            );
            return json!({"content": [{"type": "text", "text": text}], "isError": true, "_meta": meta});
        }
        let mut result = match cached.payload.to_value() {
            Value::Object(obj) if obj.contains_key("content") => obj,
            other => {
                let text = if let Value::String(s) = other { s } else { other.to_string() };
                let mut m = Map::new();
                m.insert("content".to_string(), json!([{"type": "text", "text": text}]));
                m
            }
        };
        if !cached.ok {
            result.insert("isError".to_string(), Value::Bool(true));
        }
        result.insert("_meta".to_string(), meta);
        return Value::Object(result);
    }
    json!({"content": [{"type": "text", "text": explain(tool, decision)}], "isError": true, "_meta": meta})
}

/// What the model reads when the guard steps in.
pub fn explain(tool: &str, d: &Decision) -> String {
    let reason = &d.reason;
    match d.action {
        Action::Rewrite => {
            let injected = d.injected_system.as_deref().unwrap_or("");
            format!("{injected}\n\n(auraguard did not run `{tool}`: {reason}.)")
        }
        Action::Escalate => {
            let summary = d.escalation_packet.as_ref().map(|p| p.summary.as_str()).unwrap_or("");
            format!(
                "auraguard stopped this call to `{tool}` and handed the run to a human ({reason}). {summary} \
                 The tool was not run. Do not call more tools: tell the user that a person needs to review this."
            )
        }
        Action::Finalize => {
            let draft = d.finalized_output.as_ref().map(|f| f.reply_draft.as_str()).unwrap_or("");
            format!(
                "auraguard ended this run ({reason}); `{tool}` was not run. Do not call more tools: \
                 give the user your final answer now. {draft}"
            )
        }
        _ => format!(
            "auraguard blocked this call to `{tool}` before it ran ({reason}): {}. The tool was not run. \
             Do not repeat the call; use the results you already have, try a different approach, or answer the user.",
            why(reason)
        ),
    }
}

/// A short account of a block reason.
fn why(reason: &str) -> &'static str {
    match reason.split(':').next().unwrap_or(reason) {
        "identical_toolcall_loop" => "the same call with the same arguments kept repeating",
        "side_effect_limit_exceeded" => "this action already ran as often as this session allows",
        "policy_deny" => "the policy does not allow this tool",
        "policy_missing_args" => "the policy requires arguments this call lacks",
        "side_effect_in_flight" => "the same action is already running",
        "side_effect_outcome_unknown" => "an earlier attempt of this action may or may not have happened",
        _ => "the guard's rules stop it",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auraguard::CachedResult;

    #[test]
    fn results_errors_and_classes() {
        let ok =
            from_server(&json!({"result": {"content": [{"type": "text", "text": "hi"}], "_meta": {"t": 1}}}), 1000);
        assert!(ok.ok);
        assert_eq!(
            ok.payload,
            json!({"content": [{"type": "text", "text": "hi"}]}),
            "_meta is not part of the payload"
        );
        let failed = from_server(
            &json!({"result": {"content": [], "isError": true, "structuredContent": {"status": 429}}}),
            1000,
        );
        assert_eq!((failed.ok, failed.error_code.as_deref()), (false, Some("429")));
        let plain = from_server(&json!({"result": {"content": [], "isError": true}}), 1000);
        assert_eq!(plain.error_code.as_deref(), Some(TOOL_ERROR));
        let rpc = from_server(&json!({"error": {"code": -32602, "message": "unknown tool"}}), 1000);
        assert_eq!((rpc.ok, rpc.error_code.as_deref()), (false, Some("-32602")));
        assert_eq!(from_server(&json!({"result": 3}), 1000).error_code.as_deref(), Some("invalid_result"));
    }

    #[test]
    fn a_result_over_the_limit_is_kept_by_digest_and_not_replayed() {
        let big = from_server(&json!({"result": {"content": [{"type": "text", "text": "x".repeat(100)}]}}), 50);
        assert!(big.ok);
        assert!(big.payload[OMITTED]["sha256"].as_str().unwrap().len() == 64);
        let cached = |payload: Value| {
            Decision::cache(
                "identical_toolcall_loop_cache",
                CachedResult {
                    ok: true,
                    payload: payload.into(),
                    error_code: None,
                    cached: true,
                    side_effect_executed: false,
                    payload_kept: true,
                },
            )
        };
        assert!(!replayable(&cached(big.payload)));
        assert!(replayable(&cached(json!({"content": []}))));
    }

    #[test]
    fn answers_carry_the_decision_and_a_cached_result_its_content() {
        let d = Decision::cache(
            "idempotent_replay",
            CachedResult {
                ok: true,
                payload: json!({"content": [{"type": "text", "text": "done"}], "structuredContent": {"a": 1}}).into(),
                error_code: None,
                cached: true,
                side_effect_executed: true,
                payload_kept: true,
            },
        );
        let a = answer("write_file", &d);
        assert_eq!(a["content"][0]["text"], "done");
        assert_eq!(a["structuredContent"]["a"], 1);
        assert_eq!(a["_meta"]["auraguard"]["reason"], "idempotent_replay");
        assert!(a.get("isError").is_none());
        let b = answer("search", &Decision::block("identical_toolcall_loop"));
        assert_eq!(b["isError"], true);
        let text = b["content"][0]["text"].as_str().unwrap();
        assert!(text.contains("`search`") && text.contains("identical_toolcall_loop") && text.contains("not run"));
        let r = answer("search", &Decision::rewrite("arg_jitter_loop", "Stop rephrasing.".to_string()));
        assert!(r["content"][0]["text"].as_str().unwrap().starts_with("Stop rephrasing."));
    }
}
