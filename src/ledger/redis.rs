//! The Redis store: one server shared by many machines. Each operation is
//! one Lua script, so it is atomic on the server; leases are `SET ... NX PX`
//! keys, timed by the server's clock (the machines' clocks never matter).
//! Commit and release check the reservation token, so a holder whose lease
//! ran out cannot overwrite what a newer holder or an operator decided.
//!
//! Keys, per idempotency key `K`: `PREFIX{K}` holds `r:<token>` while
//! reserved and `d:<json>` when done (expiring after `ledger_ttl_s`);
//! `PREFIX{K}:lease` exists while the lease runs. The braces keep both in
//! one Redis Cluster slot. Durability is the server's: run it with
//! `appendonly yes` (and `appendfsync always` for no loss on a crash).

use std::time::Duration;

use serde_json::{json, Value};

use super::{
    new_token, public_key, public_key_hex, IdempotencyLedger, LedgerEntry, Lookup, PublicKey, Reservation, Resolution,
    StoreError, StoreResult, Token,
};
use crate::config::LedgerConfig;
use crate::error::{Error, Result};
use crate::signature::Sig;

/// The state of KEYS[1]/KEYS[2] as {kind, detail}; shared by the scripts.
const STATE_OF: &str = r"
local function state_of(v)
  if not v then return {'absent'} end
  if string.sub(v, 1, 2) == 'd:' then return {'done', string.sub(v, 3)} end
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > 0 then return {'inflight', tostring(ttl)} end
  return {'expired'}
end
";

const LOOKUP: &str = "return state_of(redis.call('GET', KEYS[1]))";

/// ARGV: token, lease_ms, how long the reservation is kept (`reservation_ms`).
/// A retry of a reservation that reached the server is recognised by its token.
const RESERVE: &str = r"
local mine = 'r:' .. ARGV[1]
if redis.call('SET', KEYS[1], mine, 'NX', 'PX', ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return {'acquired'}
end
local v = redis.call('GET', KEYS[1])
if v == mine then return {'acquired'} end
return state_of(v)
";

/// ARGV: token ('' for none), entry json, ttl_ms.
const COMMIT: &str = r"
local v = redis.call('GET', KEYS[1])
local done = 'd:' .. ARGV[2]
local allowed
if v == done then return 1 end
if ARGV[1] ~= '' then
  allowed = (v == 'r:' .. ARGV[1])
else
  allowed = (not v) or string.sub(v, 1, 2) == 'd:' or redis.call('EXISTS', KEYS[2]) == 0
end
if not allowed then return 0 end
redis.call('SET', KEYS[1], done, 'PX', ARGV[3])
redis.call('DEL', KEYS[2])
return 1
";

/// ARGV: token.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) ~= 'r:' .. ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
";

/// ARGV: entry json ('' to free the key), ttl_ms.
const RESOLVE: &str = r"
redis.call('DEL', KEYS[2])
if ARGV[1] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], 'd:' .. ARGV[1], 'PX', ARGV[2]) end
return 1
";

struct Scripts {
    lookup: redis::Script,
    reserve: redis::Script,
    commit: redis::Script,
    release: redis::Script,
    resolve: redis::Script,
}

impl Scripts {
    fn new() -> Scripts {
        let with_state = |body: &str| redis::Script::new(&format!("{STATE_OF}{body}"));
        Scripts {
            lookup: with_state(LOOKUP),
            reserve: with_state(RESERVE),
            commit: redis::Script::new(COMMIT),
            release: redis::Script::new(RELEASE),
            resolve: redis::Script::new(RESOLVE),
        }
    }
}

pub struct RedisLedger {
    client: redis::Client,
    /// Opened on first use and again after any failure, so a server that
    /// comes back is used again without a new guard.
    conn: Option<redis::Connection>,
    prefix: String,
    timeout: Duration,
    ttl_ms: u64,
    store_payload: bool,
    scripts: Scripts,
    /// The URL without any password, for messages.
    shown: String,
}

fn entry_json(entry: &LedgerEntry, store_payload: bool) -> String {
    let mut v = json!({"ok": entry.ok, "error_code": entry.error_code, "executed": entry.side_effect_executed});
    if store_payload && !entry.payload.is_null() {
        v["payload"] = entry.payload.clone();
    }
    v.to_string()
}

fn parse_entry(text: &str) -> StoreResult<LedgerEntry> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| StoreError::new(format!("redis ledger: a corrupt entry: {e}")))?;
    Ok(LedgerEntry {
        ok: v["ok"].as_bool().unwrap_or(false),
        payload_kept: v.get("payload").is_some(),
        payload: v.get("payload").cloned().unwrap_or(Value::Null),
        error_code: v["error_code"].as_str().map(str::to_string),
        payload_sig: None,
        // An entry that does not say is treated as executed: never run twice.
        side_effect_executed: v["executed"].as_bool().unwrap_or(true),
    })
}

fn parse_state(reply: &[String]) -> StoreResult<Lookup> {
    match reply {
        [kind] if kind == "absent" => Ok(Lookup::Absent),
        [kind] if kind == "expired" => Ok(Lookup::Expired),
        [kind, json] if kind == "done" => Ok(Lookup::Done(parse_entry(json)?)),
        [kind, ms] if kind == "inflight" => Ok(Lookup::InFlight { lease_remaining_ms: ms.parse().unwrap_or(1) }),
        other => Err(StoreError::new(format!("redis ledger: unexpected reply {other:?}"))),
    }
}

impl RedisLedger {
    /// A ledger on the server at `url`. Only the URL is checked here; the
    /// server is reached on first use.
    pub fn open(url: &str, prefix: &str, cfg: &LedgerConfig) -> Result<RedisLedger> {
        let shown = match url.rsplit_once('@') {
            Some((_, host)) => format!("redis://…@{host}"),
            None => url.to_string(),
        };
        let client = redis::Client::open(url)
            .map_err(|e| Error::config(format!("config key `ledger.url` is not a usable Redis URL ({shown}): {e}")))?;
        Ok(RedisLedger {
            client,
            conn: None,
            prefix: prefix.to_string(),
            timeout: Duration::from_millis(cfg.timeout_ms),
            ttl_ms: super::ttl_ms(cfg),
            store_payload: cfg.store_payload,
            scripts: Scripts::new(),
            shown,
        })
    }

    fn keys(&self, key: &PublicKey) -> (String, String) {
        let main = format!("{}{{{}}}", self.prefix, public_key_hex(key));
        let lease = format!("{main}:lease");
        (main, lease)
    }

    fn connect(&mut self) -> StoreResult<()> {
        if self.conn.is_none() {
            let fail = |e: redis::RedisError| StoreError::new(format!("redis ledger {}: {e}", self.shown));
            let conn = self.client.get_connection_with_timeout(self.timeout).map_err(fail)?;
            conn.set_read_timeout(Some(self.timeout)).map_err(fail)?;
            conn.set_write_timeout(Some(self.timeout)).map_err(fail)?;
            self.conn = Some(conn);
        }
        Ok(())
    }

    /// Run one script; on a broken connection, reconnect and try once more
    /// (every script is safe to repeat: reservations and commits recognise
    /// their own token and value).
    fn run<T: redis::FromRedisValue>(
        &mut self,
        pick: impl Fn(&Scripts) -> &redis::Script,
        keys: &(String, String),
        args: &[String],
    ) -> StoreResult<T> {
        let reused = self.conn.is_some();
        for attempt in 0..2 {
            self.connect()?;
            let conn = self.conn.as_mut().expect("connected above");
            let script = pick(&self.scripts);
            let mut call = script.key(&keys.0);
            call.key(&keys.1);
            for a in args {
                call.arg(a);
            }
            match call.invoke::<T>(conn) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    self.conn = None;
                    let retry = attempt == 0 && reused && (e.is_io_error() || e.is_connection_dropped());
                    if !retry {
                        return Err(StoreError::new(format!("redis ledger {}: {e}", self.shown)));
                    }
                }
            }
        }
        unreachable!("the loop returns")
    }
}

impl IdempotencyLedger for RedisLedger {
    fn lookup(&mut self, key: &Sig) -> StoreResult<Lookup> {
        let keys = self.keys(&public_key(key));
        let reply: Vec<String> = self.run(|s| &s.lookup, &keys, &[])?;
        parse_state(&reply)
    }

    fn reserve(&mut self, key: &Sig, lease_ms: u64) -> StoreResult<Reservation> {
        let keys = self.keys(&public_key(key));
        let token = new_token();
        let keep = super::reservation_ms(lease_ms, self.ttl_ms);
        let args = [format!("{token:032x}"), lease_ms.to_string(), keep.to_string()];
        let reply: Vec<String> = self.run(|s| &s.reserve, &keys, &args)?;
        if reply.first().is_some_and(|k| k == "acquired") {
            return Ok(Reservation::Acquired(token));
        }
        Ok(Reservation::Taken(parse_state(&reply)?))
    }

    fn commit(&mut self, key: &Sig, token: Option<Token>, entry: &LedgerEntry) -> StoreResult<bool> {
        let keys = self.keys(&public_key(key));
        let token = token.map(|t| format!("{t:032x}")).unwrap_or_default();
        let args = [token, entry_json(entry, self.store_payload), self.ttl_ms.to_string()];
        let n: i64 = self.run(|s| &s.commit, &keys, &args)?;
        Ok(n == 1)
    }

    fn release(&mut self, key: &Sig, token: Token) -> StoreResult<bool> {
        let keys = self.keys(&public_key(key));
        let n: i64 = self.run(|s| &s.release, &keys, &[format!("{token:032x}")])?;
        Ok(n == 1)
    }

    fn resolve(&mut self, key: &PublicKey, resolution: Resolution) -> StoreResult<()> {
        let keys = self.keys(key);
        let entry = match resolution {
            Resolution::Executed => entry_json(&LedgerEntry::resolved_executed(), false),
            Resolution::NotExecuted => String::new(),
        };
        let _: i64 = self.run(|s| &s.resolve, &keys, &[entry, self.ttl_ms.to_string()])?;
        Ok(())
    }

    fn durable(&self) -> bool {
        true
    }
}
