//! `auraguard replay TRACE.jsonl`: run a trace (one operation per line)
//! through a fresh guard and print one JSON value per line.

use std::io::{self, BufRead, BufReader, Write};

use auraguard::{Guard, ToolResult};
use serde_json::{json, Map, Value};

/// How arguments and results reach the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// As parsed values (`check_tool`, `record_result`).
    Parsed,
    /// As JSON text (`check_tool_json`, `record_result_json`): the path of
    /// the C API and every wrapper.
    Text,
}

/// Replay the trace at `path` onto `out`, the keys of `overlay` (if any)
/// added to (or replacing those of) every configuration of the trace: to
/// see what opt-in keys would change. Errors only when the file cannot be read.
pub fn run(path: &str, via: Path, overlay: Option<&Map<String, Value>>, out: &mut impl Write) -> io::Result<()> {
    let file = std::fs::File::open(path).map_err(|e| io::Error::new(e.kind(), format!("cannot open {path}: {e}")))?;
    let mut guard: Option<Guard> = None;
    for line in BufReader::new(file).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(mut op)) => {
                if let (Some(extra), Some(Value::Object(cfg))) = (overlay, op.get_mut("config")) {
                    cfg.extend(extra.clone());
                }
                apply(&mut guard, &op, via)
            }
            Ok(_) => error("a trace line must be a JSON object"),
            Err(e) => error(&format!("not JSON: {e}")),
        };
        writeln!(out, "{answer}")?;
    }
    out.flush()
}

fn error(message: &str) -> Value {
    json!({ "error": message })
}

fn opt_str<'a>(op: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match op.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn apply(guard: &mut Option<Guard>, op: &Map<String, Value>, via: Path) -> Value {
    let name = op.get("op").and_then(Value::as_str).unwrap_or("");
    if name == "config" {
        return match auraguard::Config::from_value(op.get("config").unwrap_or(&Value::Null)) {
            Ok(cfg) => {
                *guard = Some(Guard::new(cfg));
                Value::Null
            }
            Err(e) => {
                *guard = None;
                error(e.message())
            }
        };
    }
    if !matches!(
        name,
        "check_tool"
            | "record_result"
            | "check_output"
            | "record_tokens"
            | "stats"
            | "reset"
            | "save_state"
            | "load_state"
    ) {
        return error(&format!("unknown op `{name}`"));
    }
    let Some(g) = guard.as_mut() else {
        return error("no guard: the trace has no valid `config` line before this one");
    };
    let result: Result<Value, String> = (|| match name {
        "check_tool" => {
            let tool = op.get("tool").and_then(Value::as_str).ok_or("`tool` must be a string")?;
            let empty = Map::new();
            let args = match op.get("args") {
                None | Some(Value::Null) => &empty,
                Some(Value::Object(m)) => m,
                Some(_) => return Err("`args` must be an object".to_string()),
            };
            let side_effect = match op.get("side_effect") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(*b),
                Some(_) => return Err("`side_effect` must be a boolean".to_string()),
            };
            let ticket = opt_str(op, "ticket_id")?;
            let d = match via {
                Path::Parsed => g.check_tool(tool, args, ticket, side_effect),
                Path::Text => {
                    g.check_tool_json(tool, Some(&Value::Object(args.clone()).to_string()), ticket, side_effect)
                }
            }
            .map_err(|e| e.to_string())?;
            Ok(serde_json::to_value(d).expect("decision serializes"))
        }
        "record_result" => {
            let mut fields = op.clone();
            fields.remove("op");
            match via {
                Path::Parsed => {
                    let r = ToolResult::from_json_value(&Value::Object(fields)).map_err(|e| e.to_string())?;
                    g.record_result(r)
                }
                Path::Text => g.record_result_json(&Value::Object(fields).to_string()),
            }
            .map_err(|e| e.to_string())?;
            Ok(Value::Null)
        }
        "check_output" => {
            let text = opt_str(op, "text")?.ok_or("`text` must be a string")?;
            let d = g.check_output(text).map_err(|e| e.to_string())?;
            Ok(d.map(|d| serde_json::to_value(d).expect("decision serializes")).unwrap_or(Value::Null))
        }
        "record_tokens" => {
            let count = |k: &str| match op.get(k) {
                None | Some(Value::Null) => Ok(0),
                Some(v) => v.as_u64().ok_or(format!("`{k}` must be a non-negative integer")),
            };
            let cost = match op.get("cost_override") {
                None | Some(Value::Null) => None,
                Some(v) => Some(v.as_f64().ok_or("`cost_override` must be a number")?),
            };
            g.record_tokens(count("input_tokens")?, count("output_tokens")?, cost).map_err(|e| e.to_string())?;
            Ok(Value::Null)
        }
        "stats" => Ok(json!({ "stats": g.stats() })),
        "reset" => {
            g.reset();
            Ok(Value::Null)
        }
        "save_state" => Ok(json!({ "state": g.save_state() })),
        "load_state" => {
            let s = opt_str(op, "state")?.ok_or("`state` must be a string")?;
            g.load_state(s).map_err(|e| e.to_string())?;
            Ok(Value::Null)
        }
        _ => unreachable!("checked above"),
    })();
    result.unwrap_or_else(|e| error(&e))
}
