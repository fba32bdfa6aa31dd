//! The JSON-RPC 2.0 message model the proxy needs: what kind of message a
//! frame holds, its id and method, and the error replies it sends itself.
//! Messages are kept as parsed JSON next to their original bytes, which are
//! what gets forwarded.

use serde_json::{json, Value};

/// Invalid JSON was received.
pub const PARSE_ERROR: i64 = -32700;
/// The JSON is not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// Invalid method parameters.
pub const INVALID_PARAMS: i64 = -32602;
/// The proxy could not complete the request (the guard failed, the server left).
pub const INTERNAL_ERROR: i64 = -32603;

/// The kinds of JSON-RPC message.
#[derive(Debug, PartialEq)]
pub enum Kind<'a> {
    Request { id: &'a Value, method: &'a str },
    Notification { method: &'a str },
    Response { id: &'a Value },
}

/// Classify one message (not a batch), or say why it is not JSON-RPC 2.0.
/// The error carries the id when one could be read, for the error reply.
pub fn classify(msg: &Value) -> Result<Kind<'_>, (Value, String)> {
    let Some(obj) = msg.as_object() else {
        return Err((Value::Null, "a JSON-RPC message must be a JSON object".to_string()));
    };
    let id = obj.get("id");
    let id_for_error = id.cloned().unwrap_or(Value::Null);
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err((id_for_error, "the message lacks \"jsonrpc\": \"2.0\"".to_string()));
    }
    if let Some(id) = id {
        if !(id.is_string() || id.is_number() || id.is_null()) {
            return Err((Value::Null, "a JSON-RPC id must be a string or a number".to_string()));
        }
    }
    match (obj.get("method"), id) {
        (Some(Value::String(method)), Some(id)) if !id.is_null() => Ok(Kind::Request { id, method }),
        (Some(Value::String(method)), _) => Ok(Kind::Notification { method }),
        (Some(_), _) => Err((id_for_error, "\"method\" must be a string".to_string())),
        (None, Some(id)) if obj.contains_key("result") || obj.contains_key("error") => Ok(Kind::Response { id }),
        (None, _) => Err((id_for_error, "a message needs a \"method\", or a \"result\" or \"error\"".to_string())),
    }
}

/// An error reply.
pub fn error(id: Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

/// A successful reply.
pub fn result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// The key under which a request id is remembered: `1` and `"1"` differ.
pub fn id_key(id: &Value) -> String {
    id.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_the_reasons_a_message_is_refused() {
        let req = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call"});
        assert_eq!(classify(&req), Ok(Kind::Request { id: &json!(3), method: "tools/call" }));
        let note = json!({"jsonrpc": "2.0", "method": "notifications/cancelled"});
        assert_eq!(classify(&note), Ok(Kind::Notification { method: "notifications/cancelled" }));
        let resp = json!({"jsonrpc": "2.0", "id": "a", "result": {}});
        assert_eq!(classify(&resp), Ok(Kind::Response { id: &json!("a") }));
        assert!(classify(&json!([1])).unwrap_err().1.contains("object"));
        let (id, why) = classify(&json!({"id": 9, "method": "x"})).unwrap_err();
        assert_eq!((id, why.contains("2.0")), (json!(9), true));
        assert!(classify(&json!({"jsonrpc": "2.0", "id": [1], "method": "x"})).unwrap_err().1.contains("id"));
        assert!(classify(&json!({"jsonrpc": "2.0", "id": 1})).unwrap_err().1.contains("method"));
        assert!(classify(&json!({"jsonrpc": "2.0", "id": 1, "method": 5})).unwrap_err().1.contains("string"));
    }
}
