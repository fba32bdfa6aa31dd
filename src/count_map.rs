//! Counts by name for the report's tally, kept sorted by name.
//!
//! Every intervention bumps three of these (by primitive, by tool, by
//! reason), and a looping agent bumps the same names over and over: the map
//! remembers where its last bump landed and tries there first, which costs
//! one comparison of the name instead of a search. It reads and writes JSON
//! as an object of names to counts, as a `BTreeMap` would.

use std::collections::BTreeMap;

#[derive(Debug, Default, Clone)]
pub struct CountMap {
    /// Sorted by name, names distinct.
    entries: Vec<(Box<str>, u64)>,
    /// Where the last bump landed (any index when the map is empty).
    last: usize,
}

impl CountMap {
    /// Add one to `name`'s count, allocating the name only the first time.
    pub fn bump(&mut self, name: &str) {
        if let Some((n, count)) = self.entries.get_mut(self.last) {
            if **n == *name {
                *count += 1;
                return;
            }
        }
        let at = match self.entries.binary_search_by(|(n, _)| (**n).cmp(name)) {
            Ok(at) => {
                self.entries[at].1 += 1;
                at
            }
            Err(at) => {
                self.entries.insert(at, (name.into(), 1));
                at
            }
        };
        self.last = at;
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.entries.binary_search_by(|(n, _)| (**n).cmp(name)).is_ok()
    }

    pub fn get(&self, name: &str) -> Option<u64> {
        self.entries.binary_search_by(|(n, _)| (**n).cmp(name)).ok().map(|at| self.entries[at].1)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Names and counts, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.entries.iter().map(|(n, c)| (&**n, *c))
    }

    pub fn to_btree(&self) -> BTreeMap<String, u64> {
        self.iter().map(|(n, c)| (n.to_string(), c)).collect()
    }
}

/// Equal when they hold the same counts (where the last bump landed does
/// not matter).
impl PartialEq for CountMap {
    fn eq(&self, other: &CountMap) -> bool {
        self.entries == other.entries
    }
}

impl Eq for CountMap {}

impl From<BTreeMap<String, u64>> for CountMap {
    fn from(map: BTreeMap<String, u64>) -> CountMap {
        // A BTreeMap iterates in name order with distinct names.
        CountMap { entries: map.into_iter().map(|(n, c)| (n.into_boxed_str(), c)).collect(), last: 0 }
    }
}

impl serde::Serialize for CountMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> serde::Deserialize<'de> for CountMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CountMap, D::Error> {
        BTreeMap::<String, u64>::deserialize(d).map(CountMap::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any sequence of bumps counts as a BTreeMap counts, in the same
        /// order, and survives a JSON round trip.
        #[test]
        fn counts_as_a_btree_map_counts(names in proptest::collection::vec("[a-d]{0,3}", 0..60)) {
            let mut map = CountMap::default();
            let mut want = BTreeMap::<String, u64>::new();
            for n in &names {
                map.bump(n);
                *want.entry(n.clone()).or_default() += 1;
            }
            prop_assert_eq!(map.to_btree(), want.clone());
            prop_assert_eq!(map.len(), want.len());
            for n in &names {
                prop_assert!(map.contains_key(n));
                prop_assert_eq!(map.get(n), want.get(n).copied());
            }
            prop_assert!(!map.contains_key("zz"));
            let json = serde_json::to_string(&map).unwrap();
            prop_assert_eq!(&json, &serde_json::to_string(&want).unwrap());
            let back: CountMap = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, map);
        }
    }

    #[test]
    fn a_restored_map_bumps_from_any_position() {
        let mut map: CountMap = serde_json::from_str(r#"{"b": 2, "a": 1}"#).unwrap();
        map.bump("c");
        map.bump("a");
        map.bump("a");
        assert_eq!(map.iter().collect::<Vec<_>>(), vec![("a", 3), ("b", 2), ("c", 1)]);
        let empty = CountMap::default();
        assert!(empty.is_empty() && empty.get("a").is_none());
    }
}
