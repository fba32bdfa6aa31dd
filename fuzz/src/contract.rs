//! Promises that hold between calls, shared by the targets.

use auraguard::ffi::auraguard_status as Status;
use serde_json::Value;

use crate::{CGuard, Failure};

/// A refusal must carry one of the statuses documented for the call.
pub fn status_in(what: &str, f: &Failure, allowed: &[Status]) {
    assert!(allowed.contains(&f.status), "{what}: {:?} is not a documented refusal here: {}", f.status, f.message);
}

/// A refused call changes nothing, and the guard still answers.
pub fn unchanged(g: &CGuard, saved_before: &str, what: &str, f: &Failure) {
    let after = g.save();
    assert!(after == saved_before, "{what} was refused ({}) but changed the state", f.message);
    g.stats();
}

/// Saving and loading the state back changes nothing.
pub fn round_trip(g: &CGuard) {
    let saved = g.save();
    let stats = g.stats();
    if let Err(f) = g.load(saved.as_bytes()) {
        panic!("a state just saved does not load back: {}\n{saved}", f.message);
    }
    assert_eq!(g.save(), saved, "a save/load round trip changed the saved state");
    assert_eq!(g.stats(), stats, "a save/load round trip changed the stats");
}

/// JSON text parsed without serde's depth limit (for inputs the library
/// accepted, whose depth it already bounded).
pub fn parse_unbounded(text: &str) -> Option<Value> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let v = serde::Deserialize::deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(v)
}

/// A number as a count, for the stats' fields.
pub fn count(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("stats field `{key}` is not a count: {v}"))
}

/// A JSON object's members in order, repeated keys kept (serde_json's own
/// map keeps only the last), so an oracle can refuse what is ambiguous.
pub struct Members(pub Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(Visit)
    }
}
