//! The three ways to record a result (fields and payload text, a result
//! object as JSON text, a `ToolResult`) book the same: the same payload
//! kept and replayed, the same results counted as new, the same payloads
//! refused, whatever the order in which texts repeat. The fields path
//! books a payload text it has signed before without reading it again, so
//! repeats, texts that are another's canonical form, and texts that are
//! never kept are interleaved here.

mod common;

use auraguard::json_scan::ResultFields;
use auraguard::{Guard, ToolResult};
use serde_json::{json, Value};

fn guard() -> Guard {
    common::guard(json!({"run_id": "r-paths", "max_json_bytes": 1024, "repeat_toolcall_threshold": 2}))
}

/// The payload texts in the order they are recorded; `{"b":1,"a":2}` and
/// `{"a":2,"b":1}` are one payload, `1e400` is beyond binary64, 128 nested
/// arrays are too deep and the last is over max_json_bytes.
fn payloads() -> Vec<String> {
    let mut texts: Vec<String> = [
        r#"{"a":2,"b":1}"#,
        r#"{"b":1,"a":2}"#,
        r#"{"a":2,"b":1}"#,
        r#"{ "a" : 2 , "b" : 1 }"#,
        r#"{"n":1.0}"#,
        r#"{"n":1.0}"#,
        r#"{"n":1}"#,
        r#"{"n":1e2}"#,
        r#"{"n":100.0}"#,
        r#"{"n":1e400}"#,
        r#"{"n":1e400}"#,
        r#"{"s":"caf\u00e9"}"#,
        r#"{"s":"café"}"#,
        r#"{"s":"café"}"#,
        r#"[1,[2,[3]]]"#,
        r#"[1,[2,[3]]]"#,
        "null",
        "null",
        r#""text""#,
        r#""text""#,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Containers nested as deep as a replayed payload may be, and one deeper.
    for depth in [127, 128, 128] {
        texts.push(format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
    }
    let long = format!(r#"{{"k":"{}"}}"#, "x".repeat(1100));
    texts.push(long.clone());
    texts.push(long);
    texts
}

/// What the guard replays for a call read a moment ago (the second call
/// with the same arguments is served from the cache).
fn replay(g: &mut Guard, args: &Value) -> Value {
    let d = common::check(g, "get_order", args.clone());
    match d.cached_result {
        Some(r) => json!({"kept": r.payload_kept, "payload": r.payload.json()}),
        None => {
            g.record_result(ToolResult { cached: true, ..ToolResult::ok(Value::Null) }).unwrap();
            json!(d.action.as_str())
        }
    }
}

/// The saved state's result bookkeeping.
fn booked(g: &Guard) -> Value {
    let saved: Value = serde_json::from_str(&g.save_state()).unwrap();
    let body = &saved["body"];
    json!({
        "unique_results": body["unique_results"],
        "unique_calls": body["unique_calls"],
        "counters": body["counters"],
        "stall": body["stall"],
    })
}

#[test]
fn every_record_path_books_the_same() {
    let texts = payloads();
    let (mut by_fields, mut by_json, mut by_value) = (guard(), guard(), guard());
    let mut replays = [Vec::new(), Vec::new(), Vec::new()];
    for (i, text) in texts.iter().enumerate() {
        let args = json!({"order_id": i});
        for g in [&mut by_fields, &mut by_json, &mut by_value] {
            assert_eq!(common::check(g, "get_order", args.clone()).action, auraguard::Action::Allow);
        }
        let fields =
            ResultFields { ok: true, error_code: None, side_effect_executed: None, call_id: None, cached: false };
        by_fields.record_result_fields(fields, Some(text)).unwrap();
        by_json.record_result_json(&format!(r#"{{"ok":true,"payload":{text}}}"#)).unwrap();
        match serde_json::from_str::<Value>(text) {
            Ok(v) => by_value.record_result(ToolResult::ok(v)).unwrap(),
            // Deeper than serde reads: the same value built by hand.
            Err(_) if text.starts_with('[') => {
                let depth = text.len() / 2;
                let deep = (1..depth).fold(json!([]), |inner, _| Value::Array(vec![inner]));
                by_value.record_result(ToolResult::ok(deep)).unwrap()
            }
            Err(e) => panic!("{text}: {e}"),
        }
        for (g, seen) in [&mut by_fields, &mut by_json, &mut by_value].into_iter().zip(replays.iter_mut()) {
            seen.push(replay(g, &args));
        }
        let state = booked(&by_fields);
        assert_eq!(state, booked(&by_json), "after {text}");
        assert_eq!(state, booked(&by_value), "after {text}");
    }
    let [fields_replays, json_replays, value_replays] = replays;
    assert_eq!(fields_replays, json_replays);
    assert_eq!(fields_replays, value_replays);
    let fields_state = booked(&by_fields);

    // And what they agree on is right: one payload in several spellings is
    // one result, replayed in its canonical form; what cannot be kept is
    // not served; null adds no result.
    assert_eq!(fields_replays[1], json!({"kept": true, "payload": r#"{"a":2,"b":1}"#}));
    assert_eq!(fields_replays[3], json!({"kept": true, "payload": r#"{"a":2,"b":1}"#}));
    assert_eq!(fields_replays[5], json!({"kept": true, "payload": r#"{"n":1.0}"#}));
    assert_eq!(fields_replays[10], json!("block"), "nothing kept to serve");
    assert_eq!(fields_replays[12], json!({"kept": true, "payload": r#"{"s":"café"}"#}));
    assert_eq!(fields_replays[texts.len() - 1], json!("block"), "nothing kept to serve");
    let deepest = texts.len() - 5;
    assert_eq!(fields_replays[deepest], json!({"kept": true, "payload": texts[deepest]}));
    assert_eq!(fields_replays[deepest + 2], json!("block"), "one level deeper is not kept");
    let distinct = [
        r#"{"a":2,"b":1}"#,
        r#"{"n":1.0}"#,
        r#"{"n":1}"#,
        r#"{"n":100.0}"#,
        r#"{"s":"café"}"#,
        "[1,[2,[3]]]",
        r#""text""#,
        "[[…]]",
    ];
    assert_eq!(fields_state["unique_results"].as_array().unwrap().len(), distinct.len(), "{fields_state}");
    assert_eq!(fields_state["counters"]["payloads_not_kept"], json!(6), "{fields_state}");
}
