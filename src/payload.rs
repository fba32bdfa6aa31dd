//! A result's payload as it is kept and handed back: JSON text, shared.
//!
//! The guard reads every payload into its canonical form once, when the
//! result is recorded (`json_scan`). A cache hit hands that text back on
//! every repeat, so it is kept as text and shared (`Arc<str>`): a hit
//! clones a pointer instead of parsing the text into a tree and writing
//! it out again. The canonical form (keys sorted, no whitespace, strings
//! escaped one way, numbers as written) is also exactly what `serde_json`
//! writes for the parsed text, so the decision's JSON is unchanged; a
//! property test in `json_scan` holds the two to it.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::Value;

/// A JSON payload held as its text (see the module documentation).
#[derive(Clone, PartialEq, Eq)]
pub struct Payload(Arc<str>);

impl Payload {
    /// The payload `null` (none, or one that could not be kept).
    pub fn null() -> Payload {
        Payload(Arc::from("null"))
    }

    /// A payload written from a parsed value.
    pub fn from_value(value: &Value) -> Payload {
        Payload(serde_json::to_string(value).expect("a JSON value always serializes").into())
    }

    /// A payload from text the guard wrote itself in canonical form
    /// (`json_scan`), which is also what `serde_json` writes for it.
    pub(crate) fn from_canonical(text: Arc<str>) -> Payload {
        Payload(text)
    }

    /// The payload as JSON text.
    pub fn json(&self) -> &str {
        &self.0
    }

    /// The payload parsed (`null` for text that is not JSON, which the
    /// guard never keeps).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// Whether the payload is `null`.
    pub fn is_null(&self) -> bool {
        &*self.0 == "null"
    }
}

impl From<Value> for Payload {
    fn from(value: Value) -> Payload {
        Payload::from_value(&value)
    }
}

impl PartialEq<Value> for Payload {
    fn eq(&self, other: &Value) -> bool {
        self.to_value() == *other
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Payload {
    /// Through the parsed value: only decisions written by serde (not the
    /// plain cache decisions, which copy the text) come here.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_payload_reads_back_as_the_value_it_was_written_from() {
        for v in [json!(null), json!({"b": [1, 2.5, "é"], "a": true}), json!("x\"y"), json!(12345678901234567890u64)] {
            let p = Payload::from_value(&v);
            assert_eq!(p, v);
            assert_eq!(p.to_value(), v);
            assert_eq!(p.json(), serde_json::to_string(&v).unwrap());
            assert_eq!(serde_json::to_string(&p).unwrap(), p.json());
            assert_eq!(p.is_null(), v.is_null());
        }
        assert!(Payload::null().is_null());
        assert_eq!(Payload::null(), Value::Null);
        assert_ne!(Payload::from(json!(1)), json!(2));
    }
}
