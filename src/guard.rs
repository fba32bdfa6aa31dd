//! The guard: runs the primitives in the order of the specification for each
//! tool call, keeps the result bookkeeping, and answers `check_output`.
//!
//! A `Guard` is single-threaded (`&mut self`); `SharedGuard` adds the lock
//! and the event sink for use from several threads and from C.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::clock::{Clock, MonotonicClock};
use crate::config::Config;
use crate::decision::{Action, Decision};
use crate::error::{Error, Result};
use crate::events::{Event, Warning};
use crate::json_scan::{ResultFields, Scanner};
use crate::ledger::{self, StoreError};
use crate::primitives::idempotency::{Checked, IdempotencyLedger, LedgerEntry, Reserved};
use crate::primitives::{
    budget, circuit_breaker, idempotency, jitter, per_tool_cap, policy, recovery, repeat, run_limits, same_result,
    sequence, side_effect, stall, warning, Args, Call,
};
use crate::result_schema::{Field, FieldsReader, Scalar};
use crate::sig_memo::{SigMemo, Vacancy};
use crate::signature::{hex, write_args_text, write_canonical, Sig, Signer, PAYLOAD_DOMAIN, TICKET_DOMAIN};
use crate::state::{CallKey, LoggedCost, LoggedIntervention, PendingCall, RunState, ToolId, WindowEntry};
use crate::text::TokenSigner;

mod fields;

/// Longest error code kept, in bytes; a longer one is cut (at a character
/// boundary) before it is classified or stored.
pub const MAX_ERROR_CODE_BYTES: usize = 256;

/// Largest result text read at all (its payload is not kept past
/// `max_json_bytes`, but the result is still booked up to this size).
pub const MAX_RESULT_SCAN_BYTES: usize = 256 << 20;

fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// Longest tool name accepted, in bytes.
pub const MAX_TOOL_NAME_BYTES: usize = 1024;

/// What the booking of a result knows of its payload's signature before
/// it signs: the payload memo is asked once per result, and a payload it
/// did not hold is kept where that one lookup said.
enum PayloadSig {
    /// The signature itself (the memo held the text, or the caller signed it).
    Known(Sig),
    /// The memo was asked about this very text and did not hold it.
    Vacant(Vacancy),
    /// The memo was not asked about this text.
    Unasked,
}

/// What a tool call produced, as reported by `record_result`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ToolResult {
    pub ok: bool,
    pub payload: Value,
    pub error_code: Option<String>,
    /// Whether the side effect happened; by default, "a side effect that
    /// succeeded". Say `true` for a timeout after the request was sent.
    pub side_effect_executed: Option<bool>,
    /// Which allowed call this result is for; by default the latest.
    pub call_id: Option<u64>,
    /// Served from a cache, not executed: free, and not counted as executed.
    pub cached: bool,
}

impl ToolResult {
    pub fn ok(payload: Value) -> Self {
        ToolResult { ok: true, payload, ..Default::default() }
    }
    pub fn failed(error_code: &str) -> Self {
        ToolResult { ok: false, error_code: Some(error_code.to_string()), ..Default::default() }
    }

    /// Read `{"ok": bool, "payload": ..., "error_code": str, "side_effect_executed": bool, "call_id": int}`.
    pub fn from_json_value(v: &Value) -> Result<ToolResult> {
        Self::from_json(v.clone())
    }

    /// As `from_json_value`, taking the value (and its payload) over.
    pub fn from_json(v: Value) -> Result<ToolResult> {
        let Value::Object(obj) = v else { return Err(Error::invalid("result must be a JSON object")) };
        let mut fields = FieldsReader::default();
        let mut payload = Value::Null;
        for (k, item) in obj {
            match Field::named(&k)? {
                Field::Payload => payload = item,
                field => fields.set(field, Scalar::of(item))?,
            }
        }
        let f = fields.finish()?;
        Ok(ToolResult {
            ok: f.ok,
            payload,
            error_code: f.error_code,
            side_effect_executed: f.side_effect_executed,
            call_id: f.call_id,
            cached: f.cached,
        })
    }
}

/// `bytes` as text, or an error naming the parameter they came as.
pub(crate) fn utf8<'b>(bytes: &'b [u8], name: &str) -> Result<&'b str> {
    // Names and ids are short and ASCII: checking that is a few word
    // compares, where the general check costs some 80 instructions a call.
    if bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes)
        .map_err(|e| Error::invalid(format!("`{name}` is not valid UTF-8 (at byte {})", e.valid_up_to())))
}

/// The time for the result cache: it matters only to a cache whose entries
/// expire (`cache_ttl_seconds`), so the clock is not read otherwise.
fn cache_now(cfg: &Config, clock: &dyn Clock) -> f64 {
    if cfg.cache_ttl_seconds.is_some() {
        clock.now()
    } else {
        0.0
    }
}

/// One run's guard. Not thread-safe by itself: see `SharedGuard`.
pub struct Guard {
    pub(crate) cfg: Config,
    pub(crate) signer: Signer,
    pub(crate) run: RunState,
    tokens: TokenSigner,
    clock: Box<dyn Clock>,
    listening: bool,
    next_call_id: u64,
    /// The signatures of recent canonical arguments (a loop's repeats).
    args_memo: SigMemo,
    /// The same signatures under the tool's name and the arguments' text as
    /// given, so a repeat of a text can skip reading it (see `check_scanned`).
    raw_memo: SigMemo,
    /// The signatures of recent canonical payloads: a loop's results repeat
    /// too (the same "not found", the same error), and a short payload's
    /// signature is most of what booking it costs.
    payload_memo: SigMemo,
    /// The signatures of recent ticket ids: agents ask for the same ticket
    /// call after call.
    ticket_memo: SigMemo,
    /// Reusable buffers: canonical arguments, a payload, the JSON scanner.
    scratch: String,
    payload: String,
    scanner: Scanner,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard").field("run_id", &self.run.run_id).field("config", &self.cfg).finish_non_exhaustive()
    }
}

impl Guard {
    /// A guard for `cfg`, its ledger opened as `cfg.ledger` says. A store
    /// that cannot be opened leaves every side effect to `ledger_on_error`
    /// (use [`Guard::open`] to get that error instead). In shadow mode
    /// without a key, a random key is used.
    pub fn new(cfg: Config) -> Guard {
        let ledger = ledger::open(&cfg).unwrap_or_else(|e| Box::new(ledger::Unavailable(e.message().to_string())));
        Guard::with_store(cfg, ledger)
    }

    /// A guard for `cfg`, or the reason its ledger's store cannot be opened.
    pub fn open(cfg: Config) -> Result<Guard> {
        let ledger = ledger::open(&cfg)?;
        Ok(Guard::with_store(cfg, ledger))
    }

    fn with_store(cfg: Config, ledger: Box<dyn IdempotencyLedger>) -> Guard {
        let mut random = zeroize::Zeroizing::new([0u8; 32]);
        let key: &[u8] = if cfg.secret_key.is_empty() {
            let _ = getrandom::getrandom(&mut random[..]);
            &random[..]
        } else {
            cfg.secret_key.bytes()
        };
        let signer = Signer::new(key);
        let tokens = TokenSigner::new(signer.clone()).multilingual(cfg.detect.multilingual_text);
        let run = RunState::new(&cfg, &signer, ledger);
        Guard {
            cfg,
            signer,
            run,
            tokens,
            clock: Box::new(MonotonicClock::default()),
            listening: false,
            next_call_id: 1,
            args_memo: SigMemo::default(),
            raw_memo: SigMemo::default(),
            payload_memo: SigMemo::default(),
            ticket_memo: SigMemo::default(),
            scratch: String::new(),
            payload: String::new(),
            scanner: Scanner::new(),
        }
    }

    /// A guard from a JSON configuration.
    pub fn from_json(config_json: &str) -> Result<Guard> {
        Guard::open(Config::from_json(config_json)?)
    }

    /// Replace the idempotency ledger (for a shared, durable store).
    pub fn with_ledger(mut self, ledger: Box<dyn IdempotencyLedger>) -> Guard {
        self.run.ledger = ledger;
        self
    }

    /// Replace the clock (for tests of cache expiry).
    pub fn with_clock(mut self, clock: Box<dyn Clock>) -> Guard {
        self.clock = clock;
        self
    }

    /// The clock of the opt-in detectors that need one (cooldowns, run
    /// time), in seconds; 0 without them, so the clock is not read for nothing.
    pub(crate) fn now(&self) -> f64 {
        if self.cfg.detect.uses_clock() {
            self.clock.now()
        } else {
            0.0
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn run_id(&self) -> &str {
        &self.run.run_id
    }

    /// Keep events for `take_events` (off by default: no cost when nobody listens).
    pub fn set_listening(&mut self, on: bool) {
        self.listening = on;
        if !on {
            self.run.events.clear();
        }
    }

    #[cfg(test)]
    pub(crate) fn is_listening(&self) -> bool {
        self.listening
    }

    /// The events produced since the last call.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.run.events)
    }

    /// `check_tool` with the arguments as JSON text (`None` means `{}`).
    pub fn check_tool_json(
        &mut self,
        tool: &str,
        args_json: Option<&str>,
        ticket_id: Option<&str>,
        side_effect: Option<bool>,
    ) -> Result<Decision> {
        let known = args_json.map(|text| self.raw_memo.get(tool.as_bytes(), text.as_bytes()));
        self.check_text(tool, args_json, known, ticket_id, side_effect)
    }

    /// [`check_tool_json`] with the arguments and the ticket id as bytes
    /// that must be UTF-8 (the C API's text), an error naming `args_json` or
    /// `ticket_id` otherwise. Arguments whose very bytes were checked for
    /// this tool a moment ago are not validated again.
    ///
    /// [`check_tool_json`]: Guard::check_tool_json
    pub fn check_tool_utf8(
        &mut self,
        tool: &str,
        args_json: Option<&[u8]>,
        ticket_id: Option<&[u8]>,
        side_effect: Option<bool>,
    ) -> Result<Decision> {
        let (args, known) = match args_json {
            None => (None, None),
            Some(bytes) => match self.raw_memo.get(tool.as_bytes(), bytes) {
                // SAFETY: the memo keeps only text that was a `str` (see
                // `check_scanned`), and these are the same bytes.
                Ok(sig) => (Some(unsafe { std::str::from_utf8_unchecked(bytes) }), Some(Ok(sig))),
                Err(vacancy) => (Some(utf8(bytes, "args_json")?), Some(Err(vacancy))),
            },
        };
        let ticket = ticket_id.map(|t| utf8(t, "ticket_id")).transpose()?;
        self.check_text(tool, args, known, ticket, side_effect)
    }

    /// The check of JSON text, with what the raw memo said of it.
    fn check_text(
        &mut self,
        tool: &str,
        args_json: Option<&str>,
        known: Option<std::result::Result<Sig, Vacancy>>,
        ticket_id: Option<&str>,
        side_effect: Option<bool>,
    ) -> Result<Decision> {
        let (Some(text), Some(known)) = (args_json, known) else {
            return self.check_tool(tool, &Map::new(), ticket_id, side_effect);
        };
        if text.len() > self.cfg.max_json_bytes {
            return Err(Error::invalid(format!(
                "args is {} bytes, over the limit of {} bytes (max_json_bytes)",
                text.len(),
                self.cfg.max_json_bytes
            )));
        }
        // The scanner is taken out for the call so that the view of the
        // arguments it keeps can live beside `&mut self`.
        let mut scanner = std::mem::take(&mut self.scanner);
        let result = match known {
            Ok(args_sig) => self.check_known(&mut scanner, tool, text, args_sig, ticket_id, side_effect),
            Err(vacancy) => self.check_scanned(&mut scanner, tool, text, vacancy, ticket_id, side_effect),
        };
        self.scanner = scanner;
        result
    }

    /// The check of a text the raw memo did not know: read, signed and
    /// remembered in `vacancy`.
    ///
    /// A text repeated for the same tool a moment ago (a loop, a cache hit)
    /// goes to [`check_known`] instead: reading it again was most of such a
    /// call's cost.
    ///
    /// [`check_known`]: Guard::check_known
    fn check_scanned(
        &mut self,
        scanner: &mut Scanner,
        tool: &str,
        text: &str,
        vacancy: Vacancy,
        ticket_id: Option<&str>,
        side_effect: Option<bool>,
    ) -> Result<Decision> {
        self.scratch.clear();
        self.scratch.push_str("args:");
        let ignore = self.cfg.arg_ignore_keys.get(tool);
        let view = scanner.canonical_args(text, ignore, &mut self.scratch).map_err(|e| match e.message() {
            // Valid JSON of the wrong shape says so, not "not valid JSON".
            m if m.starts_with("args") => e,
            m => Error::invalid(format!("args is not valid JSON: {m}")),
        })?;
        let id = self.admit(tool, ticket_id)?;
        let args_sig = self.args_memo.sign(&self.signer, self.scratch.as_bytes());
        self.raw_memo.put(vacancy, tool.as_bytes(), text.as_bytes(), args_sig);
        self.decide(id, tool, Args::Scanned(view), args_sig, ticket_id, side_effect)
    }

    /// The check of a text whose signature the raw memo knew: it was valid
    /// for this tool a moment ago, and it is read again only when a rule of
    /// the tool reads an argument.
    fn check_known(
        &mut self,
        scanner: &mut Scanner,
        tool: &str,
        text: &str,
        args_sig: Sig,
        ticket_id: Option<&str>,
        side_effect: Option<bool>,
    ) -> Result<Decision> {
        let id = self.admit(tool, ticket_id)?;
        if !self.run.tool_at(id).rules.reads_args() {
            return self.decide(id, tool, Args::Unread(text), args_sig, ticket_id, side_effect);
        }
        self.scratch.clear();
        let view = scanner.canonical_args(text, self.cfg.arg_ignore_keys.get(tool), &mut self.scratch)?;
        self.decide(id, tool, Args::Scanned(view), args_sig, ticket_id, side_effect)
    }

    /// Decide on a tool call before it runs.
    pub fn check_tool(
        &mut self,
        tool: &str,
        args: &Map<String, Value>,
        ticket_id: Option<&str>,
        side_effect: Option<bool>,
    ) -> Result<Decision> {
        let id = self.admit(tool, ticket_id)?;
        let ignore = self.run.tool_at(id).rules.ignore_keys.as_ref();
        write_args_text(args, ignore, &mut self.scratch);
        let args_sig = self.args_memo.sign(&self.signer, self.scratch.as_bytes());
        self.decide(id, tool, Args::Map(args), args_sig, ticket_id, side_effect)
    }

    /// Validate a call's name and ticket, apply the pending-call rule, and
    /// intern the tool. Nothing changes when this fails.
    fn admit(&mut self, tool: &str, ticket_id: Option<&str>) -> Result<ToolId> {
        if tool.is_empty() {
            return Err(Error::invalid("tool name must not be empty"));
        }
        if tool.len() > MAX_TOOL_NAME_BYTES {
            return Err(Error::invalid(format!(
                "tool name is {} bytes, over the limit of {MAX_TOOL_NAME_BYTES}",
                tool.len()
            )));
        }
        if ticket_id.is_some_and(|t| t.len() > self.cfg.max_json_bytes) {
            return Err(Error::invalid(format!("ticket_id is over the limit of {} bytes", self.cfg.max_json_bytes)));
        }
        if self.run.pending.len() >= self.cfg.max_pending_calls && self.cfg.strict_mode {
            let p = self.run.pending.back().expect("pending is not empty");
            return Err(Error::misuse(format!(
                "strict mode: check_tool(\"{tool}\") while the allowed call {} to `{}` still awaits record_result \
                 (max_pending_calls = {})",
                p.call_id,
                self.run.name(p.tool),
                self.cfg.max_pending_calls
            )));
        }
        let id = self.run.intern(&self.cfg, tool)?;
        if self.run.pending.len() >= self.cfg.max_pending_calls {
            if let Some(dropped) = self.run.pending.pop_front() {
                if let Err(e) = idempotency::on_dropped(&self.cfg, &mut self.run, &dropped) {
                    self.ledger_error(None, "ledger_error", e);
                }
            }
            self.run.counters.missed_results += 1;
        }
        Ok(id)
    }

    /// `name` is the tool's name as the caller gave it (the one `id` was
    /// interned from): borrowed, not the run's shared copy, whose reference
    /// count would be touched twice on every call.
    fn decide<'a>(
        &mut self,
        id: ToolId,
        name: &'a str,
        args: Args<'a>,
        args_sig: Sig,
        ticket_id: Option<&str>,
        side_effect: Option<bool>,
    ) -> Result<Decision> {
        let side_effect = side_effect.unwrap_or(self.run.tool_at(id).rules.side_effect);
        // The ticket's signature keys a side effect's idempotency and is kept
        // with a call that goes ahead; a read that is answered otherwise (a
        // cache hit, a block) never needs it, so it is not computed for one.
        let ticket_sig = if side_effect { self.ticket_sig(ticket_id) } else { [0; 32] };
        self.run.detect.checks += 1;
        let repeats = match self.run.tool_at(id).rules.poll {
            true => same_result::poll_repeats(&self.run, id, &args_sig),
            false => repeat::count(&self.run.window, id, &args_sig),
        };
        let mut call = Call { tool: id, name, args, args_sig, ticket_sig, side_effect, repeats };
        let idem = side_effect.then(|| self.signer.idempotency(&call.ticket_sig, call.name, &call.args_sig));
        let decision = self.evaluate(&call, idem.as_ref());
        // A read that goes ahead (in shadow mode, every read does) is kept
        // in the window and awaits its result with its ticket's signature.
        if !side_effect && (decision.action == Action::Allow || self.cfg.shadow_mode) {
            call.ticket_sig = self.ticket_sig(ticket_id);
        }
        Ok(self.conclude(&call, idem, decision))
    }

    /// The signature of the call's ticket, or the run's own without one.
    fn ticket_sig(&mut self, ticket_id: Option<&str>) -> Sig {
        match ticket_id {
            Some(t) if !t.is_empty() => self.ticket_memo.sign_prefixed(&self.signer, TICKET_DOMAIN, t.as_bytes()),
            _ => self.run.run_sig,
        }
    }

    /// Steps 1 to 11: the first primitive that decides wins.
    fn evaluate(&mut self, call: &Call, idem: Option<&Sig>) -> Decision {
        let (cfg, run) = (&self.cfg, &mut self.run);
        let tool = call.tool;
        if let Some(d) = policy::check(run.tool_at(tool).rules.policy.as_ref(), call) {
            return d;
        }
        if let Some(key) = idem {
            match idempotency::check(cfg, run, call, key) {
                Checked::Decided(d) => return d,
                Checked::Pass => {}
                Checked::FailOpen(e) => self.ledger_error(Some(call), "fail_open", e),
            }
        }
        let now = self.now();
        let (cfg, run) = (&self.cfg, &mut self.run);
        if call.repeats >= cfg.repeat_toolcall_threshold {
            if let Some(d) = repeat::cached(cfg, &run.cache, call, cache_now(cfg, &*self.clock)) {
                return d;
            }
        }
        if let Some(d) = budget::check(cfg, run, tool, self.listening) {
            return d;
        }
        if let Some(d) = run_limits::check(cfg, run, now, true, self.listening) {
            return d;
        }
        let probe = match recovery::gate(cfg, run, tool, now) {
            recovery::Gate::Wait(d) => return *d,
            // A probe retries what failed: it is not an identical-repeat loop.
            recovery::Gate::Probe => true,
            recovery::Gate::NotMine => {
                if let Some(d) = circuit_breaker::check(run, tool) {
                    return d;
                }
                false
            }
        };
        if let Some(d) = side_effect::check(cfg, run, tool, call.side_effect) {
            return d;
        }
        // A detector that warns first (`warn_before_enforce`) lets the
        // guard go on looking: a later one may still have to enforce.
        let mut warned = None;
        let blocked = repeat::block(cfg, call).filter(|_| !probe).map(|d| warning::soften(cfg, run, tool, d));
        if let Some(d) = warning::settle(blocked, &mut warned) {
            return d;
        }
        if let Some(d) = warning::settle(jitter::check(cfg, run, &mut self.tokens, call), &mut warned) {
            return d;
        }
        if let Some(d) = warning::settle(same_result::check(cfg, run, call), &mut warned) {
            return d;
        }
        if let Some(d) = warning::settle(per_tool_cap::check(cfg, run, tool), &mut warned) {
            return d;
        }
        if let Some(d) = warning::settle(sequence::check(cfg, run, tool), &mut warned) {
            return d;
        }
        warned.unwrap_or_else(Decision::allow)
    }

    /// Apply a decision to the run: counters, window, pending calls, log.
    fn conclude(&mut self, call: &Call, idem: Option<Sig>, decision: Decision) -> Decision {
        let mut reservation = None;
        let decision = match (&idem, decision.action) {
            (Some(key), Action::Allow) => match idempotency::reserve(&self.cfg, &mut self.run, call, key) {
                Reserved::Held(token, lease) => {
                    reservation = Some((token, lease));
                    decision
                }
                Reserved::Decided(d) => d,
                Reserved::FailOpen(e) => {
                    self.ledger_error(Some(call), "fail_open", e);
                    decision
                }
            },
            _ => decision,
        };
        if decision.action == Action::Allow {
            self.run.tool_mut(call.tool).allowed += 1;
            let entry = WindowEntry { tool: call.tool, args_sig: call.args_sig, ticket_sig: call.ticket_sig };
            self.run.push_window(&self.cfg, entry);
            return self.await_result(call, idem, reservation, decision);
        }
        if self.cfg.shadow_mode {
            self.run.counters.shadow_would_deny += 1;
            self.log(Some(call), "shadow_deny", &decision.reason);
            return self.await_result(call, idem, None, Decision::new(Action::Allow, "shadow_allow"));
        }
        let c = &mut self.run.counters;
        c.tool_calls_denied += 1;
        match decision.action {
            Action::Block => c.blocks += 1,
            Action::Cache => c.cache_hits += 1,
            Action::Rewrite => c.rewrite_decisions += 1,
            Action::Escalate | Action::Finalize => c.escalations += 1,
            Action::Allow => unreachable!("handled above"),
        }
        self.log(Some(call), decision.action.as_str(), &decision.reason);
        if let Some(cr) = &decision.cached_result {
            // A cached result goes through the bookkeeping as a cached one:
            // only the error streaks move (the ledger already holds it, and
            // cached results are neither executed, stored nor paid for).
            circuit_breaker::on_result(&self.cfg, &mut self.run, call.tool, cr.ok, cr.error_code.as_deref());
        }
        decision
    }

    /// Register an allowed call as awaiting its result and stamp the decision.
    fn await_result(
        &mut self,
        call: &Call,
        idem: Option<Sig>,
        reservation: Option<(ledger::Token, u64)>,
        mut decision: Decision,
    ) -> Decision {
        let call_id = self.next_call_id;
        self.next_call_id += 1;
        run_limits::on_allowed(&mut self.run);
        let now = self.now();
        recovery::on_allowed(&self.cfg, &mut self.run, call.tool, now, self.listening);
        warning::on_allowed(&mut self.run, call.tool, &decision, self.listening);
        decision.call_id = Some(call_id);
        let retry_after_ms = decision.retry_after_ms();
        decision.set_terms(idem.map(|k| hex(&k[..16])), reservation.map(|(_, lease)| lease), retry_after_ms);
        self.run.pending.push_back(PendingCall {
            call_id,
            tool: call.tool,
            args_sig: call.args_sig,
            ticket_sig: call.ticket_sig,
            side_effect: call.side_effect,
            idem,
            token: reservation.map(|(token, _)| token),
        });
        decision
    }

    /// Report a failed store operation: counted, and logged as an
    /// intervention (so an event reaches any listener).
    fn ledger_error(&mut self, call: Option<&Call>, action: &'static str, _error: StoreError) {
        self.run.counters.ledger_errors += 1;
        self.log(call, action, &Cow::Borrowed("ledger_unavailable"));
    }

    // The reason as a `Cow`: a fixed code stays borrowed in the log entry.
    #[allow(clippy::ptr_arg)]
    fn log(&mut self, call: Option<&Call>, action: &'static str, reason: &Cow<'static, str>) {
        let entry = LoggedIntervention {
            tool: call.map(|c| c.tool),
            action: Cow::Borrowed(action),
            reason: crate::primitives::stall::loggable_reason(&self.signer, reason),
            args_sig: call.map(|c| c.args_sig),
        };
        self.run.log_intervention(&self.cfg, entry, self.listening);
    }

    /// `record_result` with the result as JSON text.
    ///
    /// Total: a well-formed result is always booked (counters, cost, ledger,
    /// breaker). A payload that cannot be kept (over `max_json_bytes`,
    /// nested deeper than 127 levels, or holding a number beyond binary64)
    /// is booked as absent, with a `payload_not_kept` warning event and a
    /// count in `payloads_not_kept`; a later replay says `payload_kept:
    /// false`.
    pub fn record_result_json(&mut self, result_json: &str) -> Result<()> {
        if result_json.len() > MAX_RESULT_SCAN_BYTES {
            return Err(Error::invalid(format!(
                "result is {} bytes, over the limit of {MAX_RESULT_SCAN_BYTES} bytes that can be read at all",
                result_json.len()
            )));
        }
        let mut payload = std::mem::take(&mut self.payload);
        let too_large = result_json.len() > self.cfg.max_json_bytes;
        let mut scanned = self.scanner.canonical_result(result_json, &mut payload, !too_large);
        let mut dropped = too_large.then_some("too_large");
        match &scanned {
            Ok(_) if self.scanner.saw_infinite() => dropped = Some("unrepresentable"),
            Err(first) if !too_large => {
                // Read again without the payload: if that works, only the
                // payload was the trouble, and the result is still booked.
                let why = if first.message().starts_with("recursion limit") { "too_deep" } else { "unrepresentable" };
                if let Ok(fields) = self.scanner.canonical_result(result_json, &mut payload, false) {
                    scanned = Ok(fields);
                    dropped = Some(why);
                }
            }
            _ => {}
        }
        let scanned = scanned.map_err(|e| {
            if e.message().starts_with("result") {
                e
            } else {
                Error::invalid(format!("result is not valid JSON: {}", e.message()))
            }
        });
        let recorded = scanned.and_then(|fields| {
            if dropped.is_some() {
                payload.clear();
                payload.push_str("null");
            }
            self.record(fields, &payload, dropped, PayloadSig::Unasked)
        });
        self.payload = payload;
        recorded
    }

    /// Report what an allowed call produced.
    pub fn record_result(&mut self, r: ToolResult) -> Result<()> {
        let mut payload = std::mem::take(&mut self.payload);
        payload.clear();
        write_canonical(&mut payload, &r.payload);
        let fields = ResultFields {
            ok: r.ok,
            error_code: r.error_code,
            side_effect_executed: r.side_effect_executed,
            call_id: r.call_id,
            cached: r.cached,
        };
        // Dropped for the reasons the text paths drop a payload for, in their
        // order: its size, then its depth or a number beyond binary64.
        let dropped =
            if payload.len() > self.cfg.max_json_bytes { Some("too_large") } else { unkeepable(&r.payload, 1) };
        if dropped.is_some() {
            payload.clear();
            payload.push_str("null");
        }
        // Signed here, not through the payload memo: the memo holds only
        // texts the scanner wrote, which it reads back to themselves.
        let signed = match dropped.is_none() && payload != "null" {
            true => PayloadSig::Known(self.signer.payload_sig(&payload)),
            false => PayloadSig::Unasked,
        };
        let recorded = self.record(fields, &payload, dropped, signed);
        self.payload = payload;
        recorded
    }

    /// Match a result with its waiting call and do the bookkeeping.
    /// `payload` is the payload's canonical JSON; `dropped` says why it
    /// could not be kept, if it could not; `signed`, what the caller knows
    /// of its signature.
    fn record(
        &mut self,
        mut r: ResultFields,
        payload: &str,
        dropped: Option<&'static str>,
        signed: PayloadSig,
    ) -> Result<()> {
        let index = match r.call_id {
            Some(id) => self.run.pending.iter().position(|p| p.call_id == id).ok_or_else(|| {
                Error::invalid(format!(
                    "call_id {id} does not await a result (never issued, already recorded, or dropped as missed)"
                ))
            })?,
            None if self.run.pending.is_empty() => {
                if self.cfg.strict_mode {
                    return Err(Error::misuse("strict mode: record_result with no allowed call awaiting its result"));
                }
                return Ok(());
            }
            None => self.run.pending.len() - 1,
        };
        let call = self.run.pending.remove(index).expect("index is in range");
        if let Some(code) = r.error_code.as_mut() {
            truncate_at_char(code, MAX_ERROR_CODE_BYTES);
        }
        if let Some(why) = dropped {
            self.run.counters.payloads_not_kept += 1;
            if self.listening {
                let warning = Warning {
                    run_id: self.run.run_id.clone(),
                    tool: Some(self.run.name(call.tool).clone()),
                    reason: format!("payload_not_kept:{why}"),
                };
                self.run.push_event(Event::Warning(warning));
            }
        }
        self.bookkeep(&call, r, payload, dropped.is_none(), signed);
        Ok(())
    }

    /// The bookkeeping of an executed call's result (see the specification).
    ///
    /// Each primitive books its own part: the breaker its streaks, the
    /// idempotency ledger its entry, the repeat detector its cache, the
    /// stall detector its progress markers, the budget the cost. A result
    /// marked `cached` was not executed: only the streaks and the ledger see
    /// it, and it costs nothing.
    fn bookkeep(&mut self, call: &PendingCall, r: ResultFields, payload: &str, payload_kept: bool, signed: PayloadSig) {
        let now = self.now();
        let (cfg, run) = (&self.cfg, &mut self.run);
        let tool: ToolId = call.tool;
        let ok = r.ok;
        if !r.cached {
            run.counters.tool_calls_executed += 1;
            if !ok {
                run.counters.tool_calls_failed += 1;
            }
        }
        let payload_sig = (payload_kept && payload != "null").then(|| match signed {
            PayloadSig::Known(sig) => sig,
            PayloadSig::Vacant(at) => self.payload_memo.sign_into(at, &self.signer, PAYLOAD_DOMAIN, payload.as_bytes()),
            PayloadSig::Unasked => self.payload_memo.sign_prefixed(&self.signer, PAYLOAD_DOMAIN, payload.as_bytes()),
        });
        let executed = r.side_effect_executed.unwrap_or(call.side_effect && ok && !r.cached);
        circuit_breaker::on_result(cfg, run, tool, ok, r.error_code.as_deref());
        recovery::on_result(cfg, run, tool, ok, now);
        if !call.side_effect && !r.cached {
            let entry = crate::state_detect::ResultEntry { tool, args_sig: call.args_sig, ok, payload_sig };
            same_result::on_result(cfg, run, entry);
        }

        let mut store_error = None;
        if call.side_effect {
            let keep = payload_kept && (ok || executed);
            let entry = LedgerEntry {
                ok,
                payload: if keep { serde_json::from_str(payload).unwrap_or(Value::Null) } else { Value::Null },
                error_code: r.error_code,
                payload_sig,
                side_effect_executed: executed,
                payload_kept,
            };
            store_error = idempotency::on_result(run, call, entry).err();
            if executed && !r.cached {
                run.tool_mut(tool).side_effects_executed += 1;
            }
        } else if ok && !r.cached && !run.tool_at(tool).rules.never_cache {
            let key = CallKey { tool, args_sig: call.args_sig };
            if payload_kept {
                let result =
                    repeat::ReadResult { ok, payload, error_code: r.error_code, side_effect_executed: executed };
                repeat::store(cfg, run, key, result, cache_now(cfg, &*self.clock));
            }
            stall::on_progress(cfg, run, key, payload_sig);
        }
        if !r.cached {
            budget::charge_tool_call(cfg, run, tool, self.listening);
        }
        if let Some(e) = store_error {
            self.ledger_error(None, "ledger_error", e);
        }
    }

    /// An operator's word on a side effect whose outcome was unknown
    /// (`side_effect_outcome_unknown`): executed (later calls replay it) or
    /// not executed (its key is freed and a retry may run). `idempotency_key`
    /// is the 32 hex characters a decision carried.
    pub fn ledger_resolve(&mut self, idempotency_key: &str, resolution: ledger::Resolution) -> Result<()> {
        let key = ledger::parse_public_key(idempotency_key)?;
        self.run.ledger.resolve(&key, resolution).map_err(|e| Error::ledger(e.to_string()))
    }

    /// Decide on an assistant message; `None` when there is nothing to do.
    pub fn check_output(&mut self, text: &str) -> Result<Option<Decision>> {
        if text.len() > self.cfg.max_text_bytes {
            return Err(Error::invalid(format!(
                "text is {} bytes, over the limit of {} bytes (max_text_bytes)",
                text.len(),
                self.cfg.max_text_bytes
            )));
        }
        if text.is_empty() {
            return Ok(None);
        }
        let now = self.now();
        let limit = run_limits::check(&self.cfg, &mut self.run, now, false, self.listening);
        let Some(decision) = limit.or_else(|| stall::check(&self.cfg, &mut self.run, &mut self.tokens, text)) else {
            return Ok(None);
        };
        if self.cfg.shadow_mode {
            // Counted, not logged, as the reference does for messages.
            self.run.counters.shadow_would_deny += 1;
            return Ok(None);
        }
        match decision.action {
            Action::Rewrite => self.run.counters.rewrite_decisions += 1,
            _ => self.run.counters.escalations += 1,
        }
        self.log(None, decision.action.as_str(), &decision.reason);
        Ok(Some(decision))
    }

    /// Add model usage to the run's cost.
    pub fn record_tokens(&mut self, input_tokens: u64, output_tokens: u64, cost_override: Option<f64>) -> Result<()> {
        let cost = match cost_override {
            Some(c) if !(0.0..=crate::config::MAX_USD).contains(&c) => {
                return Err(Error::invalid(format!(
                    "cost_override must be a number from 0 to {}, got {c}",
                    crate::config::MAX_USD
                )))
            }
            Some(c) => c,
            None => {
                let m = &self.cfg.cost_model;
                input_tokens as f64 / 1000.0 * m.input_token_cost_per_1k
                    + output_tokens as f64 / 1000.0 * m.output_token_cost_per_1k
            }
        };
        self.run.cost.spent += cost;
        self.run.cost.reported_token_cost += cost;
        let now = self.now();
        run_limits::on_tokens(&mut self.run, input_tokens, output_tokens, now);
        let event = LoggedCost { kind: "tokens", tool: None, amount_usd: cost, spent_usd: self.run.cost.spent };
        self.run.log_cost(&self.cfg, event, self.listening);
        Ok(())
    }

    /// Start a new run: every piece of run state is cleared; the
    /// configuration (and the ledger's backing store) is kept.
    pub fn reset(&mut self) {
        let mut ledger = std::mem::replace(&mut self.run.ledger, Box::new(idempotency::MemoryLedger::new(1)));
        ledger.clear();
        self.run = RunState::new(&self.cfg, &self.signer, ledger);
    }

    /// The allowed calls currently awaiting their results.
    pub fn pending_call_ids(&self) -> Vec<u64> {
        self.run.pending.iter().map(|p| p.call_id).collect()
    }

    pub(crate) fn next_call_id(&self) -> u64 {
        self.next_call_id
    }

    pub(crate) fn set_next_call_id(&mut self, id: u64) {
        self.next_call_id = self.next_call_id.max(id);
    }
}

/// Why a payload given as a value cannot be kept, as the scanner would say
/// of its text (`value` at nesting `depth`, the payload itself at 1): a
/// container deeper than the JSON reader replays (`too_deep`, found first
/// wherever it is), or a number beyond binary64 (`unrepresentable`).
fn unkeepable(value: &Value, depth: usize) -> Option<&'static str> {
    let mut infinite = false;
    let mut stack = vec![(value, depth)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Number(n) => infinite |= crate::json_number::is_beyond_binary64(n.as_str()),
            Value::Array(_) | Value::Object(_) if d + 1 > crate::json_scan::MAX_DEPTH => return Some("too_deep"),
            Value::Array(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
            Value::Object(map) => stack.extend(map.values().map(|i| (i, d + 1))),
            _ => {}
        }
    }
    infinite.then_some("unrepresentable")
}
