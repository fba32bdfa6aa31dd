//! The in-memory store: one guard's ledger, bounded, gone with the process.
//! Reservations hold against calls in flight and against threads sharing
//! the guard; nothing survives a restart (use SQLite or Redis for that).

use std::collections::{HashMap, VecDeque};

use super::{
    public_key, IdempotencyLedger, LedgerEntry, Lookup, PublicKey, Reservation, Resolution, StoreResult, Token,
};
use crate::clock::{Clock, MonotonicClock};
use crate::signature::Sig;

/// Seven days, the default life of a done entry.
const DEFAULT_TTL_S: u64 = 7 * 24 * 3600;

#[derive(Debug, Clone)]
enum Slot {
    Reserved {
        token: Token,
        lease_until_ms: u64,
    },
    /// A done entry; its payload is kept apart as JSON text (compact, and
    /// counted exactly against the payload budget), the entry's own
    /// `payload` is null.
    Done {
        entry: LedgerEntry,
        payload: Option<Box<str>>,
    },
}

#[derive(Debug, Clone)]
struct Kept {
    /// The full digest, for a saved state.
    sig: Sig,
    slot: Slot,
    /// When the key is forgotten (done entries and stale reservations alike).
    expires_ms: u64,
    /// Bytes of the payload text it keeps (0 for a reservation), counted
    /// once when the slot is made.
    bytes: usize,
    /// When the key was kept, in the ledger's count of keys kept: its
    /// place in `order`. A key forgotten and kept again gets a new one.
    /// Set by `insert` (callers pass 0).
    seq: u64,
}

/// The default ledger: in memory, at most `capacity` keys, the oldest
/// forgotten first when full.
pub struct MemoryLedger {
    map: HashMap<PublicKey, Kept>,
    /// Keys in the order they were kept, oldest first, with the `seq` they
    /// were kept under. A key forgotten (expired, released, resolved not
    /// executed) lingers here until it is reached or the queue is pruned;
    /// an item whose `seq` is no longer its key's is such a leftover, and
    /// is neither listed nor evicted in the key's name.
    order: VecDeque<(PublicKey, u64)>,
    /// The `seq` of the next key kept.
    next_seq: u64,
    capacity: usize,
    ttl_ms: u64,
    clock: Box<dyn Clock>,
    /// Tokens only need to differ within this ledger: counted up from a
    /// random start instead of asking the OS for each reservation.
    next_token: Token,
    /// Bytes of the payloads kept, and the most that may be kept: an entry
    /// that would go over is kept without its payload (a replay then says
    /// `payload_kept: false`); the entry itself is never dropped for it.
    payload_bytes: usize,
    max_payload_bytes: usize,
}

impl std::fmt::Debug for MemoryLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryLedger").field("len", &self.map.len()).field("capacity", &self.capacity).finish()
    }
}

impl Default for MemoryLedger {
    fn default() -> Self {
        MemoryLedger::new(1)
    }
}

impl MemoryLedger {
    pub fn new(capacity: usize) -> Self {
        MemoryLedger::with_ttl(capacity, DEFAULT_TTL_S)
    }

    pub fn with_ttl(capacity: usize, ttl_s: u64) -> Self {
        MemoryLedger {
            map: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            capacity: capacity.max(1),
            ttl_ms: ttl_s.saturating_mul(1000),
            clock: Box::new(MonotonicClock::default()),
            next_token: super::new_token(),
            payload_bytes: 0,
            max_payload_bytes: usize::MAX,
        }
    }

    /// Keep at most `bytes` of payload JSON in all (`max_ledger_payload_bytes`).
    pub fn with_payload_budget(mut self, bytes: usize) -> Self {
        self.max_payload_bytes = bytes;
        self
    }

    /// Replace the clock leases and expiry are measured by (for tests).
    pub fn with_clock(mut self, clock: Box<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn now_ms(&self) -> u64 {
        (self.clock.now() * 1000.0) as u64
    }

    /// The live slot of `key`, forgetting it if it expired.
    fn live(&mut self, key: &PublicKey, now: u64) -> Option<&Kept> {
        if self.map.get(key).is_some_and(|k| k.expires_ms <= now) {
            self.forget(key);
        }
        self.map.get(key)
    }

    /// Drop `key`, freeing its payload's bytes.
    fn forget(&mut self, key: &PublicKey) {
        if let Some(old) = self.map.remove(key) {
            self.payload_bytes -= old.bytes;
        }
    }

    /// The slot of a done entry for `key`, its payload kept if it fits the
    /// budget (counting the bytes the entry it replaces frees).
    fn done_slot(&self, key: &PublicKey, entry: &LedgerEntry) -> (Slot, usize) {
        let mut entry = entry.clone();
        let payload = std::mem::take(&mut entry.payload);
        let mut text = None;
        if entry.payload_kept && !payload.is_null() {
            let freed = self.map.get(key).map_or(0, |k| k.bytes);
            let json = payload.to_string();
            if self.payload_bytes - freed + json.len() <= self.max_payload_bytes {
                text = Some(json.into_boxed_str());
            } else {
                entry.payload_kept = false;
            }
        }
        let bytes = text.as_deref().map_or(0, str::len);
        (Slot::Done { entry, payload: text }, bytes)
    }

    /// Whether `order`'s item (`key`, `seq`) stands for the key as kept now.
    fn is_current(&self, key: &PublicKey, seq: u64) -> bool {
        self.map.get(key).is_some_and(|k| k.seq == seq)
    }

    /// Keep `kept` under `key`. Replacing a live key keeps its place in the
    /// order; a new key (or one forgotten since) goes last.
    fn insert(&mut self, key: PublicKey, mut kept: Kept) {
        self.payload_bytes += kept.bytes;
        let place = self.map.get(&key).map(|old| old.seq);
        kept.seq = place.unwrap_or(self.next_seq);
        if let Some(old) = self.map.insert(key, kept) {
            self.payload_bytes -= old.bytes;
        }
        if place.is_some() {
            return;
        }
        self.order.push_back((key, self.next_seq));
        self.next_seq += 1;
        while self.map.len() > self.capacity {
            match self.order.pop_front() {
                Some((old, seq)) if self.is_current(&old, seq) => self.forget(&old),
                Some(_) => {}
                None => break,
            }
        }
        // Forgotten keys linger in `order`; drop them when they pile up, so
        // the queue stays bounded too.
        if self.order.len() > 2 * self.capacity {
            let map = &self.map;
            self.order.retain(|(k, seq)| map.get(k).is_some_and(|kept| kept.seq == *seq));
        }
    }
}

/// A done entry with its payload read back from its text.
fn entry_of(entry: &LedgerEntry, payload: &Option<Box<str>>) -> LedgerEntry {
    let mut e = entry.clone();
    if let Some(text) = payload {
        e.payload = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
    }
    e
}

fn state_of(kept: &Kept, now: u64) -> Lookup {
    match &kept.slot {
        Slot::Done { entry, payload } => Lookup::Done(entry_of(entry, payload)),
        Slot::Reserved { lease_until_ms, .. } if *lease_until_ms > now => {
            Lookup::InFlight { lease_remaining_ms: lease_until_ms - now }
        }
        Slot::Reserved { .. } => Lookup::Expired,
    }
}

impl IdempotencyLedger for MemoryLedger {
    fn lookup(&mut self, key: &Sig) -> StoreResult<Lookup> {
        let now = self.now_ms();
        Ok(self.live(&public_key(key), now).map_or(Lookup::Absent, |k| state_of(k, now)))
    }

    fn reserve(&mut self, key: &Sig, lease_ms: u64) -> StoreResult<Reservation> {
        let now = self.now_ms();
        let pk = public_key(key);
        if let Some(kept) = self.live(&pk, now) {
            return Ok(Reservation::Taken(state_of(kept, now)));
        }
        let token = self.next_token;
        self.next_token = self.next_token.wrapping_add(1);
        let slot = Slot::Reserved { token, lease_until_ms: now.saturating_add(lease_ms) };
        let keep = super::reservation_ms(lease_ms, self.ttl_ms);
        self.insert(pk, Kept { sig: *key, slot, expires_ms: now.saturating_add(keep), bytes: 0, seq: 0 });
        Ok(Reservation::Acquired(token))
    }

    fn commit(&mut self, key: &Sig, token: Option<Token>, entry: &LedgerEntry) -> StoreResult<bool> {
        let now = self.now_ms();
        let pk = public_key(key);
        let allowed = match (self.live(&pk, now).map(|k| &k.slot), token) {
            (Some(Slot::Reserved { token: held, .. }), Some(t)) => *held == t,
            (_, Some(_)) => false,
            (Some(Slot::Reserved { lease_until_ms, .. }), None) => *lease_until_ms <= now,
            (_, None) => true,
        };
        if allowed {
            let (slot, bytes) = self.done_slot(&pk, entry);
            self.insert(pk, Kept { sig: *key, slot, expires_ms: now.saturating_add(self.ttl_ms), bytes, seq: 0 });
        }
        Ok(allowed)
    }

    fn release(&mut self, key: &Sig, token: Token) -> StoreResult<bool> {
        let now = self.now_ms();
        let pk = public_key(key);
        let held = matches!(self.live(&pk, now).map(|k| &k.slot), Some(Slot::Reserved { token: t, .. }) if *t == token);
        if held {
            self.forget(&pk);
        }
        Ok(held)
    }

    fn resolve(&mut self, key: &PublicKey, resolution: Resolution) -> StoreResult<()> {
        match resolution {
            Resolution::NotExecuted => self.forget(key),
            Resolution::Executed => {
                let now = self.now_ms();
                // The full digest is known only if the key was seen here; the
                // public part is all a lookup needs.
                let sig = self.map.get(key).map(|k| k.sig).unwrap_or_else(|| {
                    let mut s = [0u8; 32];
                    s[..16].copy_from_slice(key);
                    s
                });
                let slot = Slot::Done { entry: LedgerEntry::resolved_executed(), payload: None };
                self.insert(*key, Kept { sig, slot, expires_ms: now.saturating_add(self.ttl_ms), bytes: 0, seq: 0 });
            }
        }
        Ok(())
    }

    fn durable(&self) -> bool {
        false
    }

    fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
        self.payload_bytes = 0;
    }

    fn entries(&self) -> Vec<(Sig, LedgerEntry)> {
        self.order
            .iter()
            .filter_map(|(k, seq)| match self.map.get(k) {
                Some(Kept { sig, slot: Slot::Done { entry, payload }, seq: kept, .. }) if kept == seq => {
                    Some((*sig, entry_of(entry, payload)))
                }
                _ => None,
            })
            .collect()
    }

    fn put(&mut self, key: Sig, entry: LedgerEntry) {
        let now = self.now_ms();
        let pk = public_key(&key);
        let (slot, bytes) = self.done_slot(&pk, &entry);
        self.insert(pk, Kept { sig: key, slot, expires_ms: now.saturating_add(self.ttl_ms), bytes, seq: 0 });
    }

    fn len(&self) -> usize {
        self.map.values().filter(|k| matches!(k.slot, Slot::Done { .. })).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use serde_json::json;

    fn entry(n: i64) -> LedgerEntry {
        LedgerEntry {
            ok: true,
            payload: json!(n),
            error_code: None,
            payload_sig: None,
            side_effect_executed: true,
            payload_kept: true,
        }
    }

    fn ledger(capacity: usize) -> (MemoryLedger, ManualClock) {
        let clock = ManualClock::default();
        clock.set(100.0);
        (MemoryLedger::with_ttl(capacity, 60).with_clock(Box::new(clock.clone())), clock)
    }

    fn acquired(r: Reservation) -> Token {
        match r {
            Reservation::Acquired(t) => t,
            other => panic!("expected a reservation, got {other:?}"),
        }
    }

    #[test]
    fn a_reservation_is_exclusive_until_its_lease_ends() {
        let (mut l, clock) = ledger(10);
        let t = acquired(l.reserve(&[1; 32], 1000).unwrap());
        assert_eq!(
            l.reserve(&[1; 32], 1000).unwrap(),
            Reservation::Taken(Lookup::InFlight { lease_remaining_ms: 1000 })
        );
        clock.advance(0.4);
        assert_eq!(l.lookup(&[1; 32]).unwrap(), Lookup::InFlight { lease_remaining_ms: 600 });
        clock.advance(0.6);
        assert_eq!(l.lookup(&[1; 32]).unwrap(), Lookup::Expired);
        // An expired reservation is not handed out again: the outcome is unknown.
        assert_eq!(l.reserve(&[1; 32], 1000).unwrap(), Reservation::Taken(Lookup::Expired));
        // Its holder may still report, as long as nobody decided in between.
        assert!(l.commit(&[1; 32], Some(t), &entry(1)).unwrap());
        assert_eq!(l.lookup(&[1; 32]).unwrap(), Lookup::Done(entry(1)));
    }

    #[test]
    fn only_the_holder_commits_or_releases() {
        let (mut l, _) = ledger(10);
        let t = acquired(l.reserve(&[2; 32], 1000).unwrap());
        assert!(!l.commit(&[2; 32], Some(t + 1), &entry(9)).unwrap());
        assert!(!l.release(&[2; 32], t + 1).unwrap());
        assert!(!l.commit(&[2; 32], None, &entry(9)).unwrap(), "a live reservation is not overwritten");
        assert!(l.release(&[2; 32], t).unwrap());
        assert_eq!(l.lookup(&[2; 32]).unwrap(), Lookup::Absent);
        assert!(!l.commit(&[2; 32], Some(t), &entry(9)).unwrap(), "a released token is dead");
        let t2 = acquired(l.reserve(&[2; 32], 1000).unwrap());
        assert_ne!(t, t2);
    }

    #[test]
    fn resolution_overrides_and_done_entries_expire() {
        let (mut l, clock) = ledger(10);
        let t = acquired(l.reserve(&[3; 32], 10).unwrap());
        clock.advance(1.0);
        let mut pk = [0u8; 16];
        pk.copy_from_slice(&[3; 16]);
        l.resolve(&pk, Resolution::Executed).unwrap();
        assert_eq!(l.lookup(&[3; 32]).unwrap(), Lookup::Done(LedgerEntry::resolved_executed()));
        assert!(!l.commit(&[3; 32], Some(t), &entry(1)).unwrap(), "the late holder cannot overwrite the resolution");
        l.resolve(&pk, Resolution::NotExecuted).unwrap();
        assert_eq!(l.lookup(&[3; 32]).unwrap(), Lookup::Absent);
        l.put([3; 32], entry(3));
        clock.advance(59.0);
        assert!(matches!(l.lookup(&[3; 32]).unwrap(), Lookup::Done(_)));
        clock.advance(1.0);
        assert_eq!(l.lookup(&[3; 32]).unwrap(), Lookup::Absent);
    }

    #[test]
    fn payloads_past_the_budget_are_not_kept_but_their_entries_are() {
        let (l, _) = ledger(10);
        let mut l = l.with_payload_budget(10);
        let with = |p: serde_json::Value| LedgerEntry { payload: p, ..entry(0) };
        l.put([1; 32], with(json!("abcdef"))); // 8 bytes of JSON
        l.put([2; 32], with(json!("xyz"))); // 5 more: over the budget
        let Lookup::Done(second) = l.lookup(&[2; 32]).unwrap() else { panic!("the entry is kept") };
        assert!(!second.payload_kept && second.payload.is_null());
        assert_eq!(l.lookup(&[1; 32]).unwrap(), Lookup::Done(with(json!("abcdef"))));
        // Replacing an entry frees its bytes; forgetting one frees them too.
        l.put([1; 32], with(json!("ab")));
        l.put([3; 32], with(json!("abc")));
        assert_eq!(l.payload_bytes, 9);
        l.resolve(&[1; 16], Resolution::NotExecuted).unwrap();
        assert_eq!(l.payload_bytes, 5);
        l.clear();
        assert_eq!(l.payload_bytes, 0);
    }

    #[test]
    fn memory_ledger_is_bounded_and_forgets_the_oldest() {
        let (mut l, _) = ledger(2);
        l.put([1; 32], entry(1));
        l.put([2; 32], entry(2));
        l.put([1; 32], entry(11)); // replacing keeps the order
        l.put([3; 32], entry(3));
        assert_eq!(l.len(), 2);
        assert_eq!(l.lookup(&[1; 32]).unwrap(), Lookup::Absent);
        assert_eq!(l.entries().iter().map(|(k, _)| k[0]).collect::<Vec<_>>(), [2, 3]);
        for i in 0..50u8 {
            let t = acquired(l.reserve(&[i + 10; 32], 5).unwrap());
            l.release(&[i + 10; 32], t).unwrap();
        }
        assert!(l.order.len() <= 4, "released keys do not pile up: {}", l.order.len());
        l.clear();
        assert!(l.is_empty());
    }

    #[test]
    fn a_key_forgotten_and_kept_again_is_one_entry_in_its_new_place() {
        // A reservation released (a call dropped as missed), then the same
        // key reserved and committed again; another key comes in between.
        let (mut l, _) = ledger(2);
        let t = acquired(l.reserve(&[1; 32], 1000).unwrap());
        assert!(l.release(&[1; 32], t).unwrap());
        l.put([2; 32], entry(2));
        let t = acquired(l.reserve(&[1; 32], 1000).unwrap());
        assert!(l.commit(&[1; 32], Some(t), &entry(1)).unwrap());
        assert_eq!(l.entries().iter().map(|(k, _)| k[0]).collect::<Vec<_>>(), [2, 1], "listed once, as the newest");
        // Full: the oldest live key goes, not the one kept again.
        l.put([3; 32], entry(3));
        assert_eq!(l.lookup(&[2; 32]).unwrap(), Lookup::Absent);
        assert_eq!(l.lookup(&[1; 32]).unwrap(), Lookup::Done(entry(1)));
        assert_eq!(l.entries().iter().map(|(k, _)| k[0]).collect::<Vec<_>>(), [1, 3]);
        // The same through expiry and through a resolution.
        let (mut l, clock) = ledger(2);
        l.put([4; 32], entry(4));
        clock.advance(61.0);
        assert_eq!(l.lookup(&[4; 32]).unwrap(), Lookup::Absent);
        l.put([5; 32], entry(5));
        l.put([4; 32], entry(44));
        l.resolve(&[5; 16], Resolution::NotExecuted).unwrap();
        l.resolve(&[5; 16], Resolution::Executed).unwrap();
        assert_eq!(l.entries().iter().map(|(k, _)| k[0]).collect::<Vec<_>>(), [4, 5]);
        l.put([6; 32], entry(6));
        assert_eq!(l.entries().iter().map(|(k, _)| k[0]).collect::<Vec<_>>(), [5, 6]);
    }
}
