//! The schema of a `record_result` object, in one place: which fields it
//! may hold, what type each takes and what is said when one is wrong. Both
//! readers use it, the scanner of JSON text (`json_scan`, the path of the C
//! API and every wrapper) and the reader of parsed values
//! (`ToolResult::from_json`, the Rust API), so the two accept the same
//! results and refuse the same ones with the same words.

use crate::error::{Error, Result};

/// The fields a result object may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Ok,
    Payload,
    ErrorCode,
    SideEffectExecuted,
    CallId,
    Cached,
}

impl Field {
    /// The field named `key`, or the error that lists the known ones.
    pub fn named(key: &str) -> Result<Field> {
        Ok(match key {
            "ok" => Field::Ok,
            "payload" => Field::Payload,
            "error_code" => Field::ErrorCode,
            "side_effect_executed" => Field::SideEffectExecuted,
            "call_id" => Field::CallId,
            "cached" => Field::Cached,
            other => {
                return Err(Error::invalid(format!(
                    "unknown result field `{other}` (expected ok, payload, error_code, side_effect_executed, call_id, cached)"
                )))
            }
        })
    }

    fn type_error(self) -> Error {
        Error::invalid(match self {
            Field::Ok => "result field `ok` must be true or false",
            Field::Cached => "result field `cached` must be true or false",
            Field::ErrorCode => "result field `error_code` must be a string or null",
            Field::SideEffectExecuted => "result field `side_effect_executed` must be true, false or null",
            Field::CallId => "result field `call_id` must be a non-negative integer or null",
            Field::Payload => "result field `payload` is any JSON value",
        })
    }
}

/// A field's value as a reader found it: the readers only tell the JSON
/// type apart (and, for a number, whether it is a `u64`); the schema
/// decides what each field accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Str(String),
    /// A number: `Some` when it is a non-negative integer that fits 64 bits.
    Number(Option<u64>),
    /// An array or an object.
    Composite,
}

impl Scalar {
    /// The scalar of a parsed value.
    pub fn of(v: serde_json::Value) -> Scalar {
        use serde_json::Value;
        match v {
            Value::Null => Scalar::Null,
            Value::Bool(b) => Scalar::Bool(b),
            Value::String(s) => Scalar::Str(s),
            Value::Number(n) => Scalar::Number(n.as_u64()),
            Value::Array(_) | Value::Object(_) => Scalar::Composite,
        }
    }
}

/// The fields of a `record_result` object other than its payload.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ResultFields {
    pub ok: bool,
    pub error_code: Option<String>,
    pub side_effect_executed: Option<bool>,
    pub call_id: Option<u64>,
    /// The result was served from a cache, not executed (the reference's
    /// `ToolResult.cached`): free, and not counted as executed.
    pub cached: bool,
}

/// The fields of one result object as a reader goes through its members.
#[derive(Debug, Default)]
pub struct FieldsReader {
    fields: ResultFields,
    has_ok: bool,
}

impl FieldsReader {
    /// Take the value of `field` (any field but the payload, which each
    /// reader keeps its own way).
    pub fn set(&mut self, field: Field, value: Scalar) -> Result<()> {
        let f = &mut self.fields;
        match (field, value) {
            (Field::Ok, Scalar::Bool(b)) => {
                f.ok = b;
                self.has_ok = true;
            }
            (Field::Cached, Scalar::Bool(b)) => f.cached = b,
            (Field::ErrorCode, Scalar::Null) => f.error_code = None,
            (Field::ErrorCode, Scalar::Str(s)) => f.error_code = Some(s),
            (Field::SideEffectExecuted, Scalar::Null) => f.side_effect_executed = None,
            (Field::SideEffectExecuted, Scalar::Bool(b)) => f.side_effect_executed = Some(b),
            (Field::CallId, Scalar::Null) => f.call_id = None,
            (Field::CallId, Scalar::Number(Some(n))) => f.call_id = Some(n),
            (field, _) => return Err(field.type_error()),
        }
        Ok(())
    }

    /// The fields read, once every member was seen: `ok` is required.
    pub fn finish(self) -> Result<ResultFields> {
        if !self.has_ok {
            return Err(Error::invalid("result needs a boolean field `ok`"));
        }
        Ok(self.fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn member() -> impl Strategy<Value = (String, serde_json::Value)> {
        use serde_json::json;
        let key = prop::sample::select(vec![
            "ok",
            "payload",
            "error_code",
            "side_effect_executed",
            "call_id",
            "cached",
            "okay",
        ]);
        let value = prop::sample::select(vec![
            json!(null),
            json!(true),
            json!(false),
            json!("timeout"),
            json!(7),
            json!(-1),
            json!(1.5),
            json!(18446744073709551616u128),
            json!([1]),
            json!({"a": 1}),
        ]);
        (key.prop_map(str::to_string), value)
    }

    proptest! {
        #[test]
        fn the_text_reader_and_the_value_reader_agree(members in prop::collection::btree_map(
            member().prop_map(|m| m.0), member().prop_map(|m| m.1), 0..7)) {
            let obj: serde_json::Map<String, serde_json::Value> = members.into_iter().collect();
            let value = serde_json::Value::Object(obj);
            let text = value.to_string();
            let mut payload = String::new();
            let scanned = crate::json_scan::Scanner::new().canonical_result(&text, &mut payload, true);
            let parsed = crate::guard::ToolResult::from_json(value.clone());
            match (scanned, parsed) {
                (Ok(f), Ok(r)) => {
                    prop_assert_eq!(
                        (f.ok, f.error_code, f.side_effect_executed, f.call_id, f.cached),
                        (r.ok, r.error_code, r.side_effect_executed, r.call_id, r.cached)
                    );
                    prop_assert_eq!(payload, crate::signature::canonical(&r.payload));
                }
                (Err(a), Err(b)) => {
                    // With one bad member both name it; with several, each
                    // names the first it met.
                    prop_assert_eq!(a.kind(), b.kind());
                }
                (a, b) => prop_assert!(false, "{text}: text {a:?}, value {b:?}"),
            }
        }
    }

    #[test]
    fn each_field_takes_its_types_only() {
        let mut r = FieldsReader::default();
        assert!(r.set(Field::Ok, Scalar::Str("true".into())).is_err());
        assert!(r.set(Field::CallId, Scalar::Number(None)).is_err(), "-1 or 1.5 is not a call id");
        assert!(r.set(Field::Cached, Scalar::Null).is_err());
        assert!(r.set(Field::ErrorCode, Scalar::Composite).is_err());
        r.set(Field::CallId, Scalar::Number(Some(7))).unwrap();
        r.set(Field::ErrorCode, Scalar::Str("timeout".into())).unwrap();
        assert_eq!(FieldsReader::default().finish().unwrap_err().message(), "result needs a boolean field `ok`");
        r.set(Field::Ok, Scalar::Bool(false)).unwrap();
        let f = r.finish().unwrap();
        assert_eq!((f.ok, f.call_id, f.error_code.as_deref()), (false, Some(7), Some("timeout")));
        assert!(Field::named("okay").unwrap_err().message().contains("expected ok, payload"));
    }
}
