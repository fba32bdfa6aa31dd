//! Idempotent replay (step 2): a side effect already executed for the same
//! ticket, tool and arguments is not executed again; its stored result is
//! handed back.
//!
//! The ledger sits behind [`IdempotencyLedger`] so that a shared, durable
//! store (a database row per key) can replace the in-memory one.

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

use crate::decision::{CachedResult, Decision};
use crate::signature::Sig;

/// What the ledger keeps for an executed (or attempted) side effect.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub ok: bool,
    /// The result payload; not part of a saved state (null after a restore).
    pub payload: Value,
    pub error_code: Option<String>,
    pub payload_sig: Option<Sig>,
    pub side_effect_executed: bool,
}

/// A store of side-effect results keyed by their idempotency digest
/// (HMAC of ticket, tool and arguments).
pub trait IdempotencyLedger: Send {
    fn get(&self, key: &Sig) -> Option<LedgerEntry>;
    fn put(&mut self, key: Sig, entry: LedgerEntry);
    /// Forget everything (a new run).
    fn clear(&mut self);
    /// Every entry, oldest first (for saving a run's state).
    fn entries(&self) -> Vec<(Sig, LedgerEntry)>;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The default ledger: in memory, at most `capacity` keys, the oldest
/// forgotten first when full.
#[derive(Debug, Default)]
pub struct MemoryLedger {
    map: HashMap<Sig, LedgerEntry>,
    order: VecDeque<Sig>,
    capacity: usize,
}

impl MemoryLedger {
    pub fn new(capacity: usize) -> Self {
        MemoryLedger { map: HashMap::new(), order: VecDeque::new(), capacity: capacity.max(1) }
    }
}

impl IdempotencyLedger for MemoryLedger {
    fn get(&self, key: &Sig) -> Option<LedgerEntry> {
        self.map.get(key).cloned()
    }

    fn put(&mut self, key: Sig, entry: LedgerEntry) {
        if self.map.insert(key, entry).is_none() {
            self.order.push_back(key);
            while self.order.len() > self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }

    fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }

    fn entries(&self) -> Vec<(Sig, LedgerEntry)> {
        self.order.iter().filter_map(|k| self.map.get(k).map(|e| (*k, e.clone()))).collect()
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

/// Step 2: the replay decision for a side effect found in the ledger.
pub fn replay(ledger: &dyn IdempotencyLedger, key: &Sig) -> Option<(Decision, LedgerEntry)> {
    let entry = ledger.get(key)?;
    let cached = CachedResult {
        ok: entry.ok,
        payload: entry.payload.clone(),
        error_code: entry.error_code.clone(),
        cached: true,
        side_effect_executed: entry.side_effect_executed,
    };
    Some((Decision::cache("idempotent_replay", cached), entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(n: i64) -> LedgerEntry {
        LedgerEntry { ok: true, payload: json!(n), error_code: None, payload_sig: None, side_effect_executed: true }
    }

    #[test]
    fn replay_returns_a_copy_marked_cached() {
        let mut l = MemoryLedger::new(10);
        assert!(replay(&l, &[1; 32]).is_none());
        l.put([1; 32], LedgerEntry { ok: false, error_code: Some("timeout".into()), ..entry(5) });
        let (d, _) = replay(&l, &[1; 32]).unwrap();
        assert_eq!(d.reason, "idempotent_replay");
        let c = d.cached_result.unwrap();
        assert!(c.cached && !c.ok && c.side_effect_executed);
        assert_eq!(c.error_code.as_deref(), Some("timeout"));
        assert_eq!(c.payload, json!(5));
    }

    #[test]
    fn memory_ledger_is_bounded_and_forgets_the_oldest() {
        let mut l = MemoryLedger::new(2);
        l.put([1; 32], entry(1));
        l.put([2; 32], entry(2));
        l.put([1; 32], entry(11)); // replacing keeps the order
        l.put([3; 32], entry(3));
        assert_eq!(l.len(), 2);
        assert!(l.get(&[1; 32]).is_none());
        assert_eq!(l.entries().iter().map(|(k, _)| k[0]).collect::<Vec<_>>(), [2, 3]);
        l.clear();
        assert!(l.is_empty());
    }
}
