//! The proxy's configuration file: a guard configuration (every key the
//! library takes) with one more key, `mcp`, for what only the proxy knows:
//!
//! ```json
//! {"secret_key": "...", "side_effect_tools": ["refund"],
//!  "mcp": {"tools": {"refund": {"ticket_arg": "order_id"}}, "max_message_bytes": 67108864}}
//! ```

use std::collections::HashMap;

use auraguard::Config;
use serde_json::{Map, Value};

/// Longest message accepted by default: large tool results pass, a runaway
/// peer does not exhaust memory.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 << 20;

/// How many allowed calls may await their results at once, unless the
/// configuration says otherwise: MCP clients run calls concurrently.
pub const DEFAULT_MAX_PENDING_CALLS: u64 = 64;

/// What the proxy knows about one tool.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolOptions {
    /// The argument whose value is the call's ticket (an order id, say).
    pub ticket_arg: Option<String>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The guard's configuration; each session's guard is built from it.
    pub guard: Config,
    pub tools: HashMap<String, ToolOptions>,
    pub max_message_bytes: usize,
}

impl ProxyConfig {
    /// Read and validate the file at `path`; `None` is the default guard.
    pub fn load(path: Option<&str>) -> Result<ProxyConfig, String> {
        let value = match path {
            None => Value::Object(Map::new()),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read the configuration {p}: {e}"))?;
                serde_json::from_str(&text).map_err(|e| format!("the configuration {p} is not valid JSON: {e}"))?
            }
        };
        ProxyConfig::from_value(value).map_err(|e| match path {
            Some(p) => format!("{p}: {e}"),
            None => e,
        })
    }

    pub fn from_value(value: Value) -> Result<ProxyConfig, String> {
        let Value::Object(mut obj) = value else {
            return Err("the configuration must be a JSON object".to_string());
        };
        let (tools, max_message_bytes) = match obj.remove("mcp") {
            None => (HashMap::new(), DEFAULT_MAX_MESSAGE_BYTES),
            Some(section) => parse_section(section)?,
        };
        obj.entry("max_pending_calls").or_insert(Value::from(DEFAULT_MAX_PENDING_CALLS));
        if !obj.contains_key("secret_key") {
            obj.insert("secret_key".to_string(), Value::String(random_key()?));
        }
        let guard = Config::from_value(&Value::Object(obj)).map_err(|e| e.to_string())?;
        Ok(ProxyConfig { guard, tools, max_message_bytes })
    }

    pub fn ticket_arg(&self, tool: &str) -> Option<&str> {
        self.tools.get(tool).and_then(|t| t.ticket_arg.as_deref())
    }
}

fn parse_section(section: Value) -> Result<(HashMap<String, ToolOptions>, usize), String> {
    let Value::Object(section) = section else {
        return Err("config key `mcp` must be an object".to_string());
    };
    let mut tools = HashMap::new();
    let mut max = DEFAULT_MAX_MESSAGE_BYTES;
    for (key, v) in section {
        match key.as_str() {
            "tools" => {
                let Value::Object(entries) = v else {
                    return Err("config key `mcp.tools` must be an object of tool names".to_string());
                };
                for (tool, opts) in entries {
                    tools.insert(tool.clone(), tool_options(&tool, opts)?);
                }
            }
            "max_message_bytes" => {
                max = v
                    .as_u64()
                    .filter(|n| *n >= 1024)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or("config key `mcp.max_message_bytes` must be an integer of at least 1024")?;
            }
            other => {
                return Err(format!("unknown config key `mcp.{other}` (expected tools, max_message_bytes)"));
            }
        }
    }
    Ok((tools, max))
}

fn tool_options(tool: &str, v: Value) -> Result<ToolOptions, String> {
    let Value::Object(obj) = v else {
        return Err(format!("config key `mcp.tools.{tool}` must be an object"));
    };
    let mut opts = ToolOptions::default();
    for (key, v) in obj {
        match key.as_str() {
            "ticket_arg" => match v {
                Value::String(s) if !s.is_empty() => opts.ticket_arg = Some(s),
                _ => return Err(format!("config key `mcp.tools.{tool}.ticket_arg` must be a non-empty string")),
            },
            other => return Err(format!("unknown config key `mcp.tools.{tool}.{other}` (expected ticket_arg)")),
        }
    }
    Ok(opts)
}

/// A key for this process alone: results then sign consistently within the
/// run, and nothing is shared with other processes (give `secret_key` for that).
fn random_key() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("cannot draw a random secret key: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_mcp_section_is_split_off_and_the_rest_goes_to_the_guard() {
        let c = ProxyConfig::from_value(json!({
            "secret_key": "k", "side_effect_tools": ["refund"],
            "mcp": {"tools": {"refund": {"ticket_arg": "order_id"}}, "max_message_bytes": 4096}
        }))
        .unwrap();
        assert_eq!(c.ticket_arg("refund"), Some("order_id"));
        assert_eq!(c.ticket_arg("other"), None);
        assert_eq!(c.max_message_bytes, 4096);
        assert!(c.guard.side_effect_tools.contains("refund"));
        assert_eq!(c.guard.max_pending_calls, DEFAULT_MAX_PENDING_CALLS as usize);
    }

    #[test]
    fn defaults_draw_a_key_and_keep_a_configured_pending_limit() {
        let c = ProxyConfig::from_value(json!({"max_pending_calls": 2})).unwrap();
        assert!(!c.guard.secret_key.is_empty(), "a key is drawn");
        assert_eq!(c.guard.max_pending_calls, 2);
        assert_eq!(c.max_message_bytes, DEFAULT_MAX_MESSAGE_BYTES);
    }

    #[test]
    fn mistakes_are_named() {
        let err = |v: Value| ProxyConfig::from_value(v).unwrap_err();
        assert!(err(json!([])).contains("JSON object"));
        assert!(err(json!({"mcp": 1})).contains("`mcp` must be an object"));
        assert!(err(json!({"mcp": {"tool": {}}})).contains("mcp.tool"));
        assert!(err(json!({"mcp": {"tools": {"r": {"ticket": "x"}}}})).contains("mcp.tools.r.ticket"));
        assert!(err(json!({"mcp": {"tools": {"r": {"ticket_arg": ""}}}})).contains("non-empty"));
        assert!(err(json!({"mcp": {"max_message_bytes": 10}})).contains("at least 1024"));
        assert!(err(json!({"tool_loop_windw": 3})).contains("tool_loop_window"), "the guard's own errors pass through");
    }
}
