//! JSON values built by the `arbitrary` crate from fuzz bytes, for the
//! targets that decode structured operations.

use arbitrary::Arbitrary;
use serde_json::{Map, Value};

/// Any JSON value; its size is bounded by the fuzz input.
#[derive(Arbitrary, Debug, Clone)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Big(u64),
    /// Non-finite floats become `null`, as JSON has no place for them.
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::from(*i),
            Json::Big(u) => Value::from(*u),
            Json::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Json::Str(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(Json::to_value).collect()),
            Json::Object(members) => Value::Object(object(members)),
        }
    }
}

/// The members as a JSON object (a repeated key keeps its last value).
pub fn object(members: &[(String, Json)]) -> Map<String, Value> {
    members.iter().map(|(k, v)| (k.clone(), v.to_value())).collect()
}
