//! The idempotency ledger: a reservation protocol over a pluggable store.
//!
//! A side effect is keyed by its idempotency digest (an HMAC of ticket, tool
//! and arguments: no personal data reaches a store). Before an allowed side
//! effect runs, its key is **reserved** with a lease; its result either
//! **commits** the key (done, replayed from then on) or **releases** it (the
//! effect did not happen, a retry may run). A reservation whose lease ran out
//! without a result is an unknown outcome that only an operator
//! **resolves**. Every store gives these operations atomically, so that the
//! same effect runs at most once across calls in flight, threads, processes,
//! restarts and machines that share the store.
//!
//! Stores, one file each: [`memory`] (the default, one guard), [`sqlite`]
//! (a file shared by the processes of one machine), [`redis`] (a server
//! shared by many machines).

pub mod memory;
pub mod redis;
pub mod sqlite;

use std::fmt;

use serde_json::Value;

use crate::config::{Config, LedgerConfig, LedgerKind};
use crate::error::{Error, Result};
use crate::signature::{hex, Sig};

pub use memory::MemoryLedger;

/// What the ledger keeps for an executed (or attempted) side effect.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub ok: bool,
    /// The result payload; null unless the store keeps payloads (the memory
    /// store always does; the others with `ledger_store_payload`), and not
    /// part of a saved state.
    pub payload: Value,
    pub error_code: Option<String>,
    pub payload_sig: Option<Sig>,
    pub side_effect_executed: bool,
    /// Whether `payload` is the tool's payload. False when it could not be
    /// kept (too large, too deep, a number beyond binary64), when the store
    /// keeps no payloads, after a restore, or for an operator's resolution.
    pub payload_kept: bool,
}

impl LedgerEntry {
    /// The entry an operator's "it was executed" leaves: the effect
    /// happened, its result is not known.
    pub fn resolved_executed() -> LedgerEntry {
        LedgerEntry {
            ok: true,
            payload: Value::Null,
            error_code: None,
            payload_sig: None,
            side_effect_executed: true,
            payload_kept: false,
        }
    }
}

/// The identity of a reservation, so that a holder whose lease ran out
/// cannot commit or release over a newer holder's reservation.
pub type Token = u128;

/// A fresh random reservation token.
pub fn new_token() -> Token {
    u128::from_le_bytes(crate::state::unique_bytes())
}

/// The state of a key in the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// The side effect ran (or an operator said so): replay this.
    Done(LedgerEntry),
    /// Reserved by a holder whose lease is still running.
    InFlight { lease_remaining_ms: u64 },
    /// Reserved, and the lease ran out without a result: outcome unknown.
    Expired,
    /// Never seen (or forgotten after `ledger_ttl_s`).
    Absent,
}

/// The answer to a reservation request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reservation {
    /// The caller holds the key until it commits, releases, or the lease ends.
    Acquired(Token),
    /// Someone else got there first; this is what the key holds.
    Taken(Lookup),
}

/// What an operator found out about an unknown outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The side effect happened: later calls replay it.
    Executed,
    /// It did not happen: the key is freed and a retry may run.
    NotExecuted,
}

/// The public part of an idempotency digest, as `idempotency_key` shows it
/// (its first 16 bytes, 32 hex characters); the durable stores key by it.
pub type PublicKey = [u8; 16];

/// The public key of a digest.
pub fn public_key(key: &Sig) -> PublicKey {
    let mut k = [0u8; 16];
    k.copy_from_slice(&key[..16]);
    k
}

/// Read an `idempotency_key` (32 hex characters) as given to an operator.
pub fn parse_public_key(text: &str) -> Result<PublicKey> {
    let bytes = ::hex::decode(text).ok().filter(|b| b.len() == 16).ok_or_else(|| {
        Error::invalid(format!(
            "`idempotency_key` must be the 32 hex characters of a decision's idempotency_key, got {:?}",
            text.chars().take(80).collect::<String>()
        ))
    })?;
    let mut k = [0u8; 16];
    k.copy_from_slice(&bytes);
    Ok(k)
}

/// The text form of a public key.
pub fn public_key_hex(key: &PublicKey) -> String {
    hex(key)
}

/// A store could not answer (server down, disk full, timeout, corrupt row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl StoreError {
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError(message.into())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// A store of side-effect reservations and results keyed by idempotency
/// digest. Every operation is atomic in the store.
pub trait IdempotencyLedger: Send {
    /// The state of `key`.
    fn lookup(&mut self, key: &Sig) -> StoreResult<Lookup>;
    /// Reserve `key` for `lease_ms` if nobody holds or has done it.
    fn reserve(&mut self, key: &Sig, lease_ms: u64) -> StoreResult<Reservation>;
    /// Mark `key` done with `entry`. With a token, only while that token
    /// holds the reservation (`Ok(false)` otherwise: a newer holder or an
    /// operator decided first). Without one (shadow mode, fail-open, a
    /// restored call), unless someone else holds a live reservation.
    fn commit(&mut self, key: &Sig, token: Option<Token>, entry: &LedgerEntry) -> StoreResult<bool>;
    /// Free `key` (the effect did not happen), only while `token` holds it.
    fn release(&mut self, key: &Sig, token: Token) -> StoreResult<bool>;
    /// An operator's word on `key`, whatever its state.
    fn resolve(&mut self, key: &PublicKey, resolution: Resolution) -> StoreResult<()>;
    /// Whether entries outlive this guard (a file or a server): such a
    /// store is never cleared by a new run, and keeps the keys of dropped
    /// calls reserved.
    fn durable(&self) -> bool;

    // The saved-state side. The defaults are a durable store's: it keeps
    // its own entries, so a new run clears nothing and a saved state
    // carries none of them.

    /// Forget everything (a new run).
    fn clear(&mut self) {}
    /// Every done entry, oldest first, for a saved state.
    fn entries(&self) -> Vec<(Sig, LedgerEntry)> {
        Vec::new()
    }
    /// Restore a done entry from a saved state: it joins the store unless a
    /// newer decision is there; a store error leaves the store as it is.
    fn put(&mut self, key: Sig, entry: LedgerEntry) {
        let _ = self.commit(&key, None, &entry);
    }
    /// Done entries kept by this guard itself.
    fn len(&self) -> usize {
        0
    }
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How long done entries are kept, in milliseconds.
/// How long a reservation is kept in a store: `ledger_ttl_s` like a done
/// entry, and never less than twice its lease. A reservation outlives its
/// lease on purpose: once the lease has run out, the key must still answer
/// `side_effect_outcome_unknown` (never a second execution on its own),
/// even under a TTL shorter than the lease.
pub(crate) fn reservation_ms(lease_ms: u64, ttl_ms: u64) -> u64 {
    ttl_ms.max(lease_ms.saturating_mul(2))
}

pub(crate) fn ttl_ms(cfg: &LedgerConfig) -> u64 {
    cfg.ttl_s.saturating_mul(1000)
}

/// Open the store a configuration names. A store that cannot be opened at
/// all (a bad path, a malformed URL) is a configuration error; a server
/// that is down is not: it is retried at each call, under `ledger_on_error`.
pub fn open(config: &Config) -> Result<Box<dyn IdempotencyLedger>> {
    let cfg = &config.ledger;
    Ok(match &cfg.kind {
        LedgerKind::Memory => Box::new(
            MemoryLedger::with_ttl(config.max_ledger_entries, cfg.ttl_s)
                .with_payload_budget(config.max_ledger_payload_bytes),
        ),
        LedgerKind::Sqlite { path } => Box::new(sqlite::SqliteLedger::open(path, cfg)?),
        LedgerKind::Redis { url, prefix } => Box::new(redis::RedisLedger::open(url, prefix, cfg)?),
    })
}

/// A store that could not be opened: every operation fails with the reason,
/// so side effects follow `ledger_on_error` instead of silently running on
/// a ledger nobody else sees. (`Guard::open` reports the reason up front.)
pub struct Unavailable(pub String);

impl IdempotencyLedger for Unavailable {
    fn lookup(&mut self, _: &Sig) -> StoreResult<Lookup> {
        Err(StoreError::new(self.0.clone()))
    }
    fn reserve(&mut self, _: &Sig, _: u64) -> StoreResult<Reservation> {
        Err(StoreError::new(self.0.clone()))
    }
    fn commit(&mut self, _: &Sig, _: Option<Token>, _: &LedgerEntry) -> StoreResult<bool> {
        Err(StoreError::new(self.0.clone()))
    }
    fn release(&mut self, _: &Sig, _: Token) -> StoreResult<bool> {
        Err(StoreError::new(self.0.clone()))
    }
    fn resolve(&mut self, _: &PublicKey, _: Resolution) -> StoreResult<()> {
        Err(StoreError::new(self.0.clone()))
    }
    fn durable(&self) -> bool {
        true
    }
}
