//! The SQLite store: one file shared by every process of one machine
//! (embedded, no server). WAL journal with full sync, so a committed entry
//! survives a crash of the process or the machine; a busy timeout, so
//! processes wait for each other instead of failing; each operation one
//! `BEGIN IMMEDIATE` transaction, so two processes never both reserve.
//! Leases are measured by the machine's wall clock, which all its
//! processes share.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::Value;

use super::{
    new_token, public_key, public_key_hex, IdempotencyLedger, LedgerEntry, Lookup, PublicKey, Reservation, Resolution,
    StoreError, StoreResult, Token,
};
use crate::config::LedgerConfig;
use crate::error::{Error, Result};
use crate::signature::Sig;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS auraguard_ledger (
    key TEXT PRIMARY KEY NOT NULL,
    token TEXT,
    lease_until_ms INTEGER NOT NULL DEFAULT 0,
    expires_ms INTEGER NOT NULL,
    ok INTEGER NOT NULL DEFAULT 0,
    error_code TEXT,
    executed INTEGER NOT NULL DEFAULT 0,
    payload TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS auraguard_ledger_expiry ON auraguard_ledger (expires_ms);";

/// Expired rows are swept once every this many reservations.
const SWEEP_EVERY: u32 = 256;

/// A row as read: a reservation (with its token) or a done entry.
struct Row {
    token: Option<String>,
    lease_until_ms: i64,
    entry: LedgerEntry,
}

pub struct SqliteLedger {
    conn: Connection,
    path: String,
    ttl_ms: i64,
    store_payload: bool,
    reserves: u32,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Run a step of setting up the file again while SQLite answers "busy",
/// until `timeout` has passed. Processes that open a new ledger at the same
/// moment race to set its journal mode and create its table, and some of
/// the locks involved answer at once instead of waiting on the busy
/// timeout.
fn retry_busy<T>(timeout: Duration, mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match step() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn token_hex(t: Token) -> String {
    format!("{t:032x}")
}

impl SqliteLedger {
    /// Open (creating if needed) the ledger file at `path`.
    pub fn open(path: &str, cfg: &LedgerConfig) -> Result<SqliteLedger> {
        let fail = |e: rusqlite::Error| Error::config(format!("ledger: cannot open the sqlite file {path:?}: {e}"));
        let timeout = Duration::from_millis(cfg.timeout_ms);
        let mut conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(timeout).map_err(fail)?;
        let mode: String =
            retry_busy(timeout, || conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))).map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::config(format!(
                "ledger: the sqlite file {path:?} cannot use a WAL journal (got {mode:?}); is it on a network file system?"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL").map_err(fail)?;
        retry_busy(timeout, || {
            // The write lock up front: a read that turns into a write could
            // be refused outright while another process creates the table.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(SCHEMA)?;
            tx.commit()
        })
        .map_err(fail)?;
        Ok(SqliteLedger {
            conn,
            path: path.to_string(),
            ttl_ms: super::ttl_ms(cfg).min(i64::MAX as u64) as i64,
            store_payload: cfg.store_payload,
            reserves: 0,
        })
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::new(format!("sqlite ledger {:?}: {e}", self.path))
    }

    /// Run `f` in one IMMEDIATE transaction (the write lock taken up front,
    /// so the read and the write that follows it are one atomic step).
    fn atomically<T>(&mut self, f: impl FnOnce(&rusqlite::Transaction, i64) -> rusqlite::Result<T>) -> StoreResult<T> {
        let outcome = (|| {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx, now_ms())?;
            tx.commit()?;
            Ok(out)
        })();
        outcome.map_err(|e| self.err(e))
    }
}

fn read_row(tx: &rusqlite::Connection, key: &str, now: i64) -> rusqlite::Result<Option<Row>> {
    tx.query_row(
        "SELECT token, lease_until_ms, ok, error_code, executed, payload FROM auraguard_ledger
         WHERE key = ?1 AND expires_ms > ?2",
        params![key, now],
        |r| {
            let payload: Option<String> = r.get(5)?;
            Ok(Row {
                token: r.get(0)?,
                lease_until_ms: r.get(1)?,
                entry: LedgerEntry {
                    ok: r.get::<_, i64>(2)? != 0,
                    payload_kept: payload.is_some(),
                    payload: payload.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or(Value::Null),
                    error_code: r.get(3)?,
                    payload_sig: None,
                    side_effect_executed: r.get::<_, i64>(4)? != 0,
                },
            })
        },
    )
    .optional()
}

fn state_of(row: Row, now: i64) -> Lookup {
    match row.token {
        None => Lookup::Done(row.entry),
        Some(_) if row.lease_until_ms > now => {
            Lookup::InFlight { lease_remaining_ms: (row.lease_until_ms - now) as u64 }
        }
        Some(_) => Lookup::Expired,
    }
}

fn write_done(
    tx: &rusqlite::Connection,
    key: &str,
    entry: &LedgerEntry,
    expires: i64,
    store_payload: bool,
) -> rusqlite::Result<()> {
    let payload = (store_payload && !entry.payload.is_null()).then(|| entry.payload.to_string());
    tx.execute(
        "INSERT OR REPLACE INTO auraguard_ledger (key, token, lease_until_ms, expires_ms, ok, error_code, executed, payload)
         VALUES (?1, NULL, 0, ?2, ?3, ?4, ?5, ?6)",
        params![key, expires, entry.ok, entry.error_code, entry.side_effect_executed, payload],
    )?;
    Ok(())
}

impl IdempotencyLedger for SqliteLedger {
    fn lookup(&mut self, key: &Sig) -> StoreResult<Lookup> {
        let k = public_key_hex(&public_key(key));
        let now = now_ms();
        let row = read_row(&self.conn, &k, now).map_err(|e| self.err(e))?;
        Ok(row.map_or(Lookup::Absent, |r| state_of(r, now)))
    }

    fn reserve(&mut self, key: &Sig, lease_ms: u64) -> StoreResult<Reservation> {
        let k = public_key_hex(&public_key(key));
        self.reserves = self.reserves.wrapping_add(1);
        let sweep = self.reserves % SWEEP_EVERY == 0;
        let lease = lease_ms.min(i64::MAX as u64) as i64;
        let keep = super::reservation_ms(lease_ms, self.ttl_ms as u64).min(i64::MAX as u64) as i64;
        self.atomically(|tx, now| {
            if sweep {
                tx.execute("DELETE FROM auraguard_ledger WHERE expires_ms <= ?1", params![now])?;
            }
            if let Some(row) = read_row(tx, &k, now)? {
                return Ok(Reservation::Taken(state_of(row, now)));
            }
            let token = new_token();
            tx.execute(
                "INSERT OR REPLACE INTO auraguard_ledger (key, token, lease_until_ms, expires_ms) VALUES (?1, ?2, ?3, ?4)",
                params![k, token_hex(token), now.saturating_add(lease), now.saturating_add(keep)],
            )?;
            Ok(Reservation::Acquired(token))
        })
    }

    fn commit(&mut self, key: &Sig, token: Option<Token>, entry: &LedgerEntry) -> StoreResult<bool> {
        let k = public_key_hex(&public_key(key));
        let (ttl, store_payload) = (self.ttl_ms, self.store_payload);
        self.atomically(|tx, now| {
            let row = read_row(tx, &k, now)?;
            let allowed = match (row, token) {
                (Some(Row { token: Some(held), .. }), Some(t)) => held == token_hex(t),
                (_, Some(_)) => false,
                (Some(Row { token: Some(_), lease_until_ms, .. }), None) => lease_until_ms <= now,
                (_, None) => true,
            };
            if allowed {
                write_done(tx, &k, entry, now.saturating_add(ttl), store_payload)?;
            }
            Ok(allowed)
        })
    }

    fn release(&mut self, key: &Sig, token: Token) -> StoreResult<bool> {
        let k = public_key_hex(&public_key(key));
        let n = self
            .conn
            .execute("DELETE FROM auraguard_ledger WHERE key = ?1 AND token = ?2", params![k, token_hex(token)])
            .map_err(|e| self.err(e))?;
        Ok(n == 1)
    }

    fn resolve(&mut self, key: &PublicKey, resolution: Resolution) -> StoreResult<()> {
        let k = public_key_hex(key);
        let ttl = self.ttl_ms;
        self.atomically(|tx, now| match resolution {
            Resolution::NotExecuted => tx.execute("DELETE FROM auraguard_ledger WHERE key = ?1", params![k]).map(drop),
            Resolution::Executed => {
                write_done(tx, &k, &LedgerEntry::resolved_executed(), now.saturating_add(ttl), false)
            }
        })
    }

    fn durable(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn open(dir: &std::path::Path, store_payload: bool) -> SqliteLedger {
        let cfg = LedgerConfig { store_payload, ..LedgerConfig::default() };
        SqliteLedger::open(dir.join("ledger.db").to_str().unwrap(), &cfg).unwrap()
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("auraguard-sqlite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn two_connections_see_one_reservation_and_its_commit() {
        let dir = temp_dir("two");
        let (mut a, mut b) = (open(&dir, true), open(&dir, false));
        let Reservation::Acquired(t) = a.reserve(&[7; 32], 60_000).unwrap() else { panic!("first reserve wins") };
        match b.reserve(&[7; 32], 60_000).unwrap() {
            Reservation::Taken(Lookup::InFlight { lease_remaining_ms }) => assert!(lease_remaining_ms <= 60_000),
            other => panic!("expected in flight, got {other:?}"),
        }
        assert!(!b.commit(&[7; 32], Some(t ^ 1), &LedgerEntry::resolved_executed()).unwrap());
        let entry = LedgerEntry {
            ok: false,
            payload: json!({"id": 1}),
            error_code: Some("timeout".into()),
            payload_sig: None,
            side_effect_executed: true,
            payload_kept: true,
        };
        assert!(a.commit(&[7; 32], Some(t), &entry).unwrap());
        assert_eq!(b.lookup(&[7; 32]).unwrap(), Lookup::Done(entry.clone()));
        // Without ledger_store_payload the payload stays out of the file.
        let mut c = open(&dir, false);
        assert!(c.commit(&[8; 32], None, &entry).unwrap());
        assert_eq!(
            c.lookup(&[8; 32]).unwrap(),
            Lookup::Done(LedgerEntry { payload: Value::Null, payload_kept: false, ..entry })
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_lapsed_lease_is_an_unknown_outcome_until_resolved() {
        let dir = temp_dir("lapse");
        let mut a = open(&dir, false);
        let Reservation::Acquired(t) = a.reserve(&[9; 32], 1).unwrap() else { panic!() };
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(a.lookup(&[9; 32]).unwrap(), Lookup::Expired);
        assert_eq!(a.reserve(&[9; 32], 1000).unwrap(), Reservation::Taken(Lookup::Expired));
        a.resolve(&public_key(&[9; 32]), Resolution::NotExecuted).unwrap();
        assert!(!a.release(&[9; 32], t).unwrap());
        assert!(matches!(a.reserve(&[9; 32], 1000).unwrap(), Reservation::Acquired(_)));
        a.resolve(&public_key(&[9; 32]), Resolution::Executed).unwrap();
        assert_eq!(a.lookup(&[9; 32]).unwrap(), Lookup::Done(LedgerEntry::resolved_executed()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn done_entries_are_forgotten_after_the_ttl_and_reservations_are_not_touched_by_it() {
        let dir = temp_dir("ttl");
        let cfg = LedgerConfig { ttl_s: 1, ..LedgerConfig::default() };
        let mut a = SqliteLedger::open(dir.join("ledger.db").to_str().unwrap(), &cfg).unwrap();
        let Reservation::Acquired(t) = a.reserve(&[3; 32], 60_000).unwrap() else { panic!() };
        assert!(a.commit(&[3; 32], Some(t), &LedgerEntry::resolved_executed()).unwrap());
        let Reservation::Acquired(_) = a.reserve(&[4; 32], 60_000).unwrap() else { panic!() };
        assert!(matches!(a.lookup(&[3; 32]).unwrap(), Lookup::Done(_)));
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(a.lookup(&[3; 32]).unwrap(), Lookup::Absent, "a done entry lives ledger_ttl_s");
        assert!(matches!(a.lookup(&[4; 32]).unwrap(), Lookup::InFlight { .. }), "a lease is not a ttl");
        assert!(matches!(a.reserve(&[3; 32], 1000).unwrap(), Reservation::Acquired(_)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn many_connections_opening_a_new_file_at_once_all_open() {
        // Each round a fresh file that 32 connections set up at the same
        // moment: none may fail with "database is locked".
        for round in 0..10 {
            let dir = temp_dir(&format!("open-race-{round}"));
            let path = dir.join("ledger.db");
            let start = std::sync::Arc::new(std::sync::Barrier::new(32));
            let opened: Vec<_> = (0..32)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        SqliteLedger::open(path.to_str().unwrap(), &LedgerConfig::default()).map(|_| ())
                    })
                })
                .collect();
            for t in opened {
                if let Err(e) = t.join().unwrap() {
                    panic!("round {round}: {}", e.message());
                }
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn an_unopenable_path_is_a_config_error_naming_it() {
        let e = SqliteLedger::open("/nonexistent-dir/x/ledger.db", &LedgerConfig::default()).err().unwrap();
        assert!(e.message().contains("/nonexistent-dir/x/ledger.db"), "{}", e.message());
    }
}
