//! Saving a run's state to JSON and loading it back, so a run can move
//! between processes.
//!
//! The saved form holds signatures, counts, reasons and costs only: never
//! raw arguments, payloads, ticket ids, assistant text or the key. The
//! result cache is not saved; the idempotency ledger's keys and result
//! metadata are, so a duplicate side effect is still caught after a restore.
//! The body carries a MAC under the guard's key: a state edited by hand, or
//! saved under another key, is refused, and nothing is half-loaded.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::events::{CostEvent, Intervention};
use crate::guard::Guard;
use crate::primitives::idempotency::LedgerEntry;
use crate::signature::{canonical, hex, parse_hex, Sig};
use crate::state::{CallKey, CostState, Counters, PendingCall, RunState, SigHashing, StallState, ToolId, WindowEntry};

/// The format name written in every saved state.
pub const STATE_FORMAT: &str = "auraguard-state";
/// The version of the saved form this build writes and reads (2: the MAC
/// covers the format and version too).
pub const STATE_VERSION: u64 = 2;
/// The smallest load limit, in bytes: [`max_state_bytes`] raises it for
/// configurations whose caps allow larger states.
pub const MAX_STATE_BYTES: usize = 64 << 20;

/// The largest saved state a guard with `cfg` accepts: the largest state
/// its caps let a run reach (every name escaped at six bytes a byte, every
/// collection full), and at least [`MAX_STATE_BYTES`]. A guard can always
/// load what it saved.
pub fn max_state_bytes(cfg: &Config) -> usize {
    use crate::guard::{MAX_ERROR_CODE_BYTES, MAX_TOOL_NAME_BYTES};
    let name = 6 * MAX_TOOL_NAME_BYTES as u64 + 8;
    let code = 6 * MAX_ERROR_CODE_BYTES as u64 + 64;
    let sig = 68u64;
    let tools = cfg.max_tools_tracked as u64;
    let classes = cfg.quarantine_error_codes.len() as u64;
    // Each kept token is 35 bytes of text and at least 40 of the budget.
    let tokens = cfg.max_jitter_bytes as u64 / 40 + (cfg.max_text_bytes as u64 / 2 + 1);
    let parts = [
        8u64 << 10,
        tools * (name + 256 + code + classes * code) + tokens * 36 + (cfg.max_jitter_bytes as u64 / 192) * 4,
        cfg.tool_loop_window as u64 * (name + 2 * sig + 48),
        cfg.max_unique_calls_tracked as u64 * (name + 2 * sig + 16),
        cfg.max_ledger_entries as u64 * (2 * sig + code + 128),
        cfg.max_pending_calls as u64 * (name + 3 * sig + 160),
        // The tally: by tool and by reason.
        tools * (name + 32) + crate::state::MAX_TALLIED_REASONS as u64 * (2 * code + 32),
        cfg.max_cost_events as u64 * (name + 160),
        cfg.max_intervention_log as u64 * (name + 2 * code + sig + 96),
    ];
    let bound = parts.iter().fold(0u64, |a, b| a.saturating_add(*b));
    usize::try_from(bound).unwrap_or(usize::MAX).max(MAX_STATE_BYTES)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedTool {
    allowed: u64,
    side_effects_attempted: u64,
    side_effects_executed: u64,
    quarantine: Option<String>,
    error_streaks: BTreeMap<String, u32>,
    jitter_history: Vec<Vec<String>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCall {
    tool: String,
    args_sig: String,
    ticket_sig: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedPending {
    call_id: u64,
    tool: String,
    args_sig: String,
    ticket_sig: String,
    side_effect: bool,
    idem: Option<String>,
    /// The reservation a call holds in a durable ledger (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedLedgerEntry {
    key: String,
    ok: bool,
    error_code: Option<String>,
    payload_sig: Option<String>,
    side_effect_executed: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedStall {
    marker: (usize, usize),
    last_tokens: Option<Vec<String>>,
    similarity_streak: u32,
    pattern_streak: u32,
    rewrites_used: u32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCostEvent {
    kind: String,
    tool: Option<String>,
    amount_usd: f64,
    spent_usd: f64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCost {
    spent: f64,
    reported_token_cost: f64,
    warned: bool,
    events: Vec<SavedCostEvent>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedIntervention {
    tool: Option<String>,
    action: String,
    reason: String,
    args_sig: Option<String>,
}

/// The outer object of a saved state. Read with `deny_unknown_fields`:
/// an extra top-level key, or a key given twice (a second `body` after the
/// one the MAC covers, say), is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    format: Value,
    version: Value,
    mac: Value,
    body: Value,
}

/// What the MAC covers: the format, the version and the canonical body.
fn signed_text(body: &Value) -> String {
    format!("{STATE_FORMAT}\n{STATE_VERSION}\n{}", canonical(body))
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    run_id: String,
    next_call_id: u64,
    tools: BTreeMap<String, SavedTool>,
    window: Vec<SavedCall>,
    unique_calls: Vec<(String, String)>,
    unique_results: Vec<String>,
    ledger: Vec<SavedLedgerEntry>,
    pending: Vec<SavedPending>,
    counters: Counters,
    stall: SavedStall,
    cost: SavedCost,
    interventions: Vec<SavedIntervention>,
    /// The opt-in detectors' state (only when one of them is on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detect: Option<crate::snapshot_detect::SavedDetect>,
}

fn tok_hex(t: &u128) -> String {
    format!("{t:032x}")
}

fn parse_tok(s: &str) -> Result<u128> {
    if s.len() != 32 {
        return Err(bad("a token signature is not 32 hex characters"));
    }
    u128::from_str_radix(s, 16).map_err(|_| bad("a token signature is not hex"))
}

fn sig(s: &str) -> Result<Sig> {
    parse_hex(s).ok_or_else(|| bad("a signature is not 64 hex characters"))
}

fn bad(what: &str) -> Error {
    Error::state(format!("saved state rejected: {what}"))
}

fn kind_name(kind: &str) -> Result<&'static str> {
    ["tool_call", "tokens", "budget_warning", "budget_exceeded"]
        .into_iter()
        .find(|k| *k == kind)
        .ok_or_else(|| bad("unknown cost event kind"))
}

/// A rebuilt run, the next call id, and the ledger entries to restore.
type Rebuilt = (RunState, u64, Vec<(Sig, LedgerEntry)>);

impl Guard {
    /// The run's state as JSON (see the module documentation).
    pub fn save_state(&self) -> String {
        let run = &self.run;
        let name = |id: ToolId| run.name(id).to_string();
        let c = &run.counters;
        let mut unique_calls: Vec<_> = run.unique_calls.iter().map(|k| (name(k.tool), hex(&k.args_sig))).collect();
        unique_calls.sort();
        let mut unique_results: Vec<_> = run.unique_results.iter().map(|s| hex(s)).collect();
        unique_results.sort();
        let body = Body {
            run_id: run.run_id.to_string(),
            next_call_id: self.next_call_id(),
            tools: run
                .tools
                .iter()
                .map(|t| {
                    let saved = SavedTool {
                        allowed: t.allowed,
                        side_effects_attempted: t.side_effects_attempted,
                        side_effects_executed: t.side_effects_executed,
                        quarantine: t.quarantine.clone(),
                        error_streaks: t.error_streaks.iter().map(|(k, v)| (k.clone(), *v)).collect(),
                        jitter_history: t.jitter_history.iter().map(sorted_toks).collect(),
                    };
                    (t.name.to_string(), saved)
                })
                .collect(),
            window: run
                .window
                .iter()
                .map(|w| SavedCall { tool: name(w.tool), args_sig: hex(&w.args_sig), ticket_sig: hex(&w.ticket_sig) })
                .collect(),
            unique_calls,
            unique_results,
            ledger: run
                .ledger
                .entries()
                .into_iter()
                .map(|(k, e)| SavedLedgerEntry {
                    key: hex(&k),
                    ok: e.ok,
                    error_code: e.error_code,
                    payload_sig: e.payload_sig.map(|s| hex(&s)),
                    side_effect_executed: e.side_effect_executed,
                })
                .collect(),
            pending: run
                .pending
                .iter()
                .map(|p| SavedPending {
                    call_id: p.call_id,
                    tool: name(p.tool),
                    args_sig: hex(&p.args_sig),
                    ticket_sig: hex(&p.ticket_sig),
                    side_effect: p.side_effect,
                    idem: p.idem.map(|s| hex(&s)),
                    // A memory reservation dies with the process; a durable
                    // one is resumed by whoever loads this state.
                    token: p.token.filter(|_| run.ledger.durable()).map(|t| format!("{t:032x}")),
                })
                .collect(),
            counters: c.clone(),
            stall: SavedStall {
                marker: run.stall.marker,
                last_tokens: run.stall.last_tokens.as_ref().map(sorted_toks),
                similarity_streak: run.stall.similarity_streak,
                pattern_streak: run.stall.pattern_streak,
                rewrites_used: run.stall.rewrites_used,
            },
            cost: SavedCost {
                spent: run.cost.spent,
                reported_token_cost: run.cost.reported_token_cost,
                warned: run.cost.warned,
                events: run
                    .cost
                    .events
                    .iter()
                    .map(|e| SavedCostEvent {
                        kind: e.kind.to_string(),
                        tool: e.tool.as_deref().map(str::to_string),
                        amount_usd: e.amount_usd,
                        spent_usd: e.spent_usd,
                    })
                    .collect(),
            },
            interventions: run
                .interventions
                .iter()
                .map(|i| SavedIntervention {
                    tool: i.tool.as_deref().map(str::to_string),
                    action: i.action.clone(),
                    reason: i.reason.clone(),
                    args_sig: i.args_sig.clone(),
                })
                .collect(),
            detect: crate::snapshot_detect::save(&self.cfg, run, self.now()),
        };
        let body = serde_json::to_value(&body).expect("a state body always serializes");
        let mac = self.signer.state_mac(&signed_text(&body));
        let mut out = serde_json::Map::new();
        out.insert("format".into(), Value::from(STATE_FORMAT));
        out.insert("version".into(), Value::from(STATE_VERSION));
        out.insert("mac".into(), Value::from(hex(&mac)));
        out.insert("body".into(), body);
        Value::Object(out).to_string()
    }

    /// Replace the run's state with a saved one. On any error the guard is
    /// left exactly as it was.
    pub fn load_state(&mut self, text: &str) -> Result<()> {
        let limit = max_state_bytes(&self.cfg);
        if text.len() > limit {
            return Err(bad(&format!(
                "it is {} bytes, over the limit of {limit} bytes the caps of this configuration allow",
                text.len()
            )));
        }
        // Read straight from the text, so that a key given twice is seen.
        let env: Envelope = serde_json::from_str(text).map_err(|e| match e.classify() {
            serde_json::error::Category::Data if !text.trim_start().starts_with('{') => bad("not a JSON object"),
            serde_json::error::Category::Data => bad(&e.to_string()),
            _ => bad(&format!("not valid JSON: {e}")),
        })?;
        if env.format.as_str() != Some(STATE_FORMAT) {
            return Err(bad(&format!("`format` must be \"{STATE_FORMAT}\": this is not an auraguard state")));
        }
        match env.version.as_u64() {
            Some(STATE_VERSION) => {}
            Some(other) => {
                return Err(bad(&format!(
                    "version {other} is not supported by this build (it reads version {STATE_VERSION})"
                )))
            }
            None => {
                return Err(bad(&format!("`version` must be an integer, got {}", crate::config::kind_of(&env.version))))
            }
        }
        let mac = env
            .mac
            .as_str()
            .filter(|m| m.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .and_then(parse_hex)
            .ok_or_else(|| bad("`mac` must be 64 lower-case hex characters"))?;
        if !self.signer.verify_state_mac(&signed_text(&env.body), &mac) {
            return Err(bad("its MAC does not verify: it was modified, or saved under a different secret key"));
        }
        let body: Body = serde_json::from_value(env.body).map_err(|e| bad(&format!("malformed body: {e}")))?;
        let (run, next_id, entries) = self.rebuild(body)?;
        if entries.len() > self.cfg.max_ledger_entries {
            return Err(bad("more ledger entries than max_ledger_entries"));
        }
        // Everything parsed: swap the new run in.
        let placeholder = Box::new(crate::primitives::idempotency::MemoryLedger::new(1));
        let mut ledger = std::mem::replace(&mut self.run.ledger, placeholder);
        ledger.clear();
        for (k, e) in entries {
            ledger.put(k, e);
        }
        self.run = run;
        self.run.ledger = ledger;
        self.set_next_call_id(next_id);
        Ok(())
    }

    fn rebuild(&self, b: Body) -> Result<Rebuilt> {
        let cfg = &self.cfg;
        if b.tools.len() > cfg.max_tools_tracked {
            return Err(bad("more tools than max_tools_tracked"));
        }
        let mut run = RunState::with_memory_ledger(cfg, &self.signer);
        run.run_id = Arc::from(b.run_id.as_str());
        run.run_sig = self.signer.run_sig(&run.run_id);
        for (name, t) in b.tools {
            let id = run.intern(cfg, &name)?;
            let mut history = VecDeque::new();
            for set in &t.jitter_history {
                history.push_back(set.iter().map(|s| parse_tok(s)).collect::<Result<HashSet<u128, SigHashing>>>()?);
            }
            while history.len() > cfg.tool_loop_window {
                history.pop_front();
            }
            let state = run.tool_mut(id);
            state.allowed = t.allowed;
            state.side_effects_attempted = t.side_effects_attempted;
            state.side_effects_executed = t.side_effects_executed;
            state.quarantine = t.quarantine;
            state.error_streaks = t.error_streaks.into_iter().collect();
            state.jitter_history = history;
        }
        crate::primitives::jitter::recount(cfg, &mut run);
        let known = |run: &RunState, n: &str| -> Result<ToolId> {
            run.tool_ids.get(n).copied().ok_or_else(|| bad("a call names a tool missing from `tools`"))
        };
        for w in b.window {
            let entry = WindowEntry {
                tool: known(&run, &w.tool)?,
                args_sig: sig(&w.args_sig)?,
                ticket_sig: sig(&w.ticket_sig)?,
            };
            run.window.push_back(entry);
        }
        while run.window.len() > cfg.tool_loop_window {
            run.window.pop_front();
        }
        for (t, s) in b.unique_calls.into_iter().take(cfg.max_unique_calls_tracked) {
            let key = CallKey { tool: known(&run, &t)?, args_sig: sig(&s)? };
            run.unique_calls.insert(key);
        }
        for s in b.unique_results.into_iter().take(cfg.max_unique_calls_tracked) {
            run.unique_results.insert(sig(&s)?);
        }
        let mut max_id = 0;
        for p in b.pending {
            max_id = max_id.max(p.call_id);
            let pending = PendingCall {
                call_id: p.call_id,
                tool: known(&run, &p.tool)?,
                args_sig: sig(&p.args_sig)?,
                ticket_sig: sig(&p.ticket_sig)?,
                side_effect: p.side_effect,
                idem: p.idem.as_deref().map(sig).transpose()?,
                token: p.token.as_deref().map(parse_tok).transpose()?,
            };
            run.pending.push_back(pending);
        }
        while run.pending.len() > cfg.max_pending_calls {
            run.pending.pop_front();
        }
        run.counters = b.counters;
        run.stall = StallState {
            marker: b.stall.marker,
            last_tokens: b
                .stall
                .last_tokens
                .map(|v| v.iter().map(|s| parse_tok(s)).collect::<Result<_>>())
                .transpose()?,
            similarity_streak: b.stall.similarity_streak,
            pattern_streak: b.stall.pattern_streak,
            rewrites_used: b.stall.rewrites_used,
        };
        if !b.cost.spent.is_finite() || !b.cost.reported_token_cost.is_finite() {
            return Err(bad("a cost is not a finite number"));
        }
        let mut events = VecDeque::new();
        for e in b.cost.events {
            let tool = e.tool.as_deref().map(|n| known(&run, n).map(|id| run.name(id).clone())).transpose()?;
            events.push_back(CostEvent {
                run_id: run.run_id.clone(),
                kind: kind_name(&e.kind)?,
                tool,
                amount_usd: e.amount_usd,
                spent_usd: e.spent_usd,
            });
        }
        while events.len() > cfg.max_cost_events {
            events.pop_front();
        }
        run.cost = CostState {
            spent: b.cost.spent,
            reported_token_cost: b.cost.reported_token_cost,
            warned: b.cost.warned,
            events,
        };
        for i in b.interventions {
            let tool = i.tool.as_deref().map(|n| known(&run, n).map(|id| run.name(id).clone())).transpose()?;
            run.interventions.push_back(Intervention {
                run_id: run.run_id.clone(),
                tool,
                action: i.action,
                reason: i.reason,
                args_sig: i.args_sig,
            });
        }
        while run.interventions.len() > cfg.max_intervention_log {
            run.interventions.pop_front();
        }
        if let Some(detect) = b.detect {
            crate::snapshot_detect::load(cfg, &mut run, detect, self.now())?;
        }
        let mut entries = Vec::with_capacity(b.ledger.len());
        for e in b.ledger {
            entries.push((
                sig(&e.key)?,
                LedgerEntry {
                    ok: e.ok,
                    payload: Value::Null,
                    payload_kept: false,
                    error_code: e.error_code,
                    payload_sig: e.payload_sig.as_deref().map(sig).transpose()?,
                    side_effect_executed: e.side_effect_executed,
                },
            ));
        }
        Ok((run, b.next_call_id.max(max_id + 1), entries))
    }
}

fn sorted_toks(set: &HashSet<u128, SigHashing>) -> Vec<String> {
    let mut v: Vec<u128> = set.iter().copied().collect();
    v.sort_unstable();
    v.iter().map(tok_hex).collect()
}
