//! The sections of a saved state, one type each, each with the two
//! conversions it needs: `of` (from the live run, for saving) and `restore`
//! (back into a run being rebuilt, checking what it reads). Names stand for
//! tools, hex for signatures; nothing here holds raw arguments, payloads or
//! text.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::bad;
use crate::config::Config;
use crate::error::Result;
use crate::primitives::idempotency::LedgerEntry;
use crate::signature::{hex, parse_hex, Sig};
use crate::state::{
    CallKey, CostState, LoggedCost, LoggedIntervention, PendingCall, RunState, StallState, ToolId, ToolState,
    WindowEntry,
};
use crate::token_set::TokenSet;

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

fn sorted_toks(set: &TokenSet) -> Vec<String> {
    set.as_slice().iter().map(tok_hex).collect()
}

fn token_set(toks: &[String]) -> Result<TokenSet> {
    let mut sigs = toks.iter().map(|s| parse_tok(s)).collect::<Result<Vec<u128>>>()?;
    Ok(TokenSet::from_buffer(&mut sigs))
}

/// The id of a tool the `tools` section named.
fn known(run: &RunState, name: &str) -> Result<ToolId> {
    run.tool_ids.get(name).copied().ok_or_else(|| bad("a call names a tool missing from `tools`"))
}

/// Drop the oldest entries of a restored queue past its cap (a state saved
/// under larger caps).
fn keep_last<T>(queue: &mut VecDeque<T>, cap: usize) {
    while queue.len() > cap {
        queue.pop_front();
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SavedTool {
    allowed: u64,
    side_effects_attempted: u64,
    side_effects_executed: u64,
    quarantine: Option<String>,
    error_streaks: BTreeMap<String, u32>,
    jitter_history: Vec<Vec<String>>,
}

impl SavedTool {
    pub(super) fn of(t: &ToolState) -> SavedTool {
        SavedTool {
            allowed: t.allowed,
            side_effects_attempted: t.side_effects_attempted,
            side_effects_executed: t.side_effects_executed,
            quarantine: t.quarantine.clone(),
            error_streaks: t.error_streaks.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            jitter_history: t.jitter_history.iter().map(sorted_toks).collect(),
        }
    }

    /// Intern the tool and restore its state (the jitter budget is applied
    /// once every tool is back).
    pub(super) fn restore(self, cfg: &Config, run: &mut RunState, name: &str) -> Result<()> {
        let id = run.intern(cfg, name)?;
        let mut history = self.jitter_history.iter().map(|t| token_set(t)).collect::<Result<VecDeque<_>>>()?;
        keep_last(&mut history, cfg.tool_loop_window);
        let state = run.tool_mut(id);
        state.allowed = self.allowed;
        state.side_effects_attempted = self.side_effects_attempted;
        state.side_effects_executed = self.side_effects_executed;
        state.quarantine = self.quarantine;
        state.error_streaks = self.error_streaks.into_iter().collect();
        state.jitter_history = history;
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SavedCall {
    tool: String,
    args_sig: String,
    ticket_sig: String,
}

impl SavedCall {
    pub(super) fn of(run: &RunState, w: &WindowEntry) -> SavedCall {
        SavedCall { tool: run.name(w.tool).to_string(), args_sig: hex(&w.args_sig), ticket_sig: hex(&w.ticket_sig) }
    }

    pub(super) fn restore(self, run: &RunState) -> Result<WindowEntry> {
        Ok(WindowEntry {
            tool: known(run, &self.tool)?,
            args_sig: sig(&self.args_sig)?,
            ticket_sig: sig(&self.ticket_sig)?,
        })
    }
}

/// The stall detector's progress markers: distinct calls and results seen.
pub(super) fn save_unique(run: &RunState) -> (Vec<(String, String)>, Vec<String>) {
    let mut calls: Vec<_> = run.unique_calls.iter().map(|k| (run.name(k.tool).to_string(), hex(&k.args_sig))).collect();
    calls.sort();
    let mut results: Vec<_> = run.unique_results.iter().map(|s| hex(s)).collect();
    results.sort();
    (calls, results)
}

pub(super) fn restore_unique(
    cfg: &Config,
    run: &mut RunState,
    calls: Vec<(String, String)>,
    results: Vec<String>,
) -> Result<()> {
    for (t, s) in calls.into_iter().take(cfg.max_unique_calls_tracked) {
        let key = CallKey { tool: known(run, &t)?, args_sig: sig(&s)? };
        run.unique_calls.insert(key);
    }
    for s in results.into_iter().take(cfg.max_unique_calls_tracked) {
        run.unique_results.insert(sig(&s)?);
    }
    Ok(())
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SavedPending {
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

impl SavedPending {
    pub(super) fn call_id(&self) -> u64 {
        self.call_id
    }

    pub(super) fn of(run: &RunState, p: &PendingCall) -> SavedPending {
        SavedPending {
            call_id: p.call_id,
            tool: run.name(p.tool).to_string(),
            args_sig: hex(&p.args_sig),
            ticket_sig: hex(&p.ticket_sig),
            side_effect: p.side_effect,
            idem: p.idem.map(|s| hex(&s)),
            // A memory reservation dies with the process; a durable one is
            // resumed by whoever loads this state.
            token: p.token.filter(|_| run.ledger.durable()).map(|t| tok_hex(&t)),
        }
    }

    pub(super) fn restore(self, run: &RunState) -> Result<PendingCall> {
        Ok(PendingCall {
            call_id: self.call_id,
            tool: known(run, &self.tool)?,
            args_sig: sig(&self.args_sig)?,
            ticket_sig: sig(&self.ticket_sig)?,
            side_effect: self.side_effect,
            idem: self.idem.as_deref().map(sig).transpose()?,
            token: self.token.as_deref().map(parse_tok).transpose()?,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SavedLedgerEntry {
    key: String,
    ok: bool,
    error_code: Option<String>,
    payload_sig: Option<String>,
    side_effect_executed: bool,
}

impl SavedLedgerEntry {
    pub(super) fn of(key: &Sig, e: LedgerEntry) -> SavedLedgerEntry {
        SavedLedgerEntry {
            key: hex(key),
            ok: e.ok,
            error_code: e.error_code,
            payload_sig: e.payload_sig.map(|s| hex(&s)),
            side_effect_executed: e.side_effect_executed,
        }
    }

    /// The entry as the ledger gets it back: payloads are never saved.
    pub(super) fn restore(self) -> Result<(Sig, LedgerEntry)> {
        let entry = LedgerEntry {
            ok: self.ok,
            payload: Value::Null,
            payload_kept: false,
            error_code: self.error_code,
            payload_sig: self.payload_sig.as_deref().map(sig).transpose()?,
            side_effect_executed: self.side_effect_executed,
        };
        Ok((sig(&self.key)?, entry))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SavedStall {
    marker: (usize, usize),
    last_tokens: Option<Vec<String>>,
    similarity_streak: u32,
    pattern_streak: u32,
    rewrites_used: u32,
}

impl SavedStall {
    pub(super) fn of(s: &StallState) -> SavedStall {
        SavedStall {
            marker: s.marker,
            last_tokens: s.last_tokens.as_ref().map(sorted_toks),
            similarity_streak: s.similarity_streak,
            pattern_streak: s.pattern_streak,
            rewrites_used: s.rewrites_used,
        }
    }

    pub(super) fn restore(self) -> Result<StallState> {
        Ok(StallState {
            marker: self.marker,
            last_tokens: self.last_tokens.as_deref().map(token_set).transpose()?,
            similarity_streak: self.similarity_streak,
            pattern_streak: self.pattern_streak,
            rewrites_used: self.rewrites_used,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCostEvent {
    kind: String,
    tool: Option<String>,
    amount_usd: f64,
    spent_usd: f64,
}

fn kind_name(kind: &str) -> Result<&'static str> {
    ["tool_call", "tokens", "budget_warning", "budget_exceeded"]
        .into_iter()
        .find(|k| *k == kind)
        .ok_or_else(|| bad("unknown cost event kind"))
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SavedCost {
    spent: f64,
    reported_token_cost: f64,
    warned: bool,
    events: Vec<SavedCostEvent>,
}

impl SavedCost {
    pub(super) fn of(run: &RunState) -> SavedCost {
        let c = &run.cost;
        let event = |e: &LoggedCost| SavedCostEvent {
            kind: e.kind.to_string(),
            tool: e.tool.map(|id| run.name(id).to_string()),
            amount_usd: e.amount_usd,
            spent_usd: e.spent_usd,
        };
        SavedCost {
            spent: c.spent,
            reported_token_cost: c.reported_token_cost,
            warned: c.warned,
            events: c.events.iter().map(event).collect(),
        }
    }

    pub(super) fn restore(self, cfg: &Config, run: &RunState) -> Result<CostState> {
        if !self.spent.is_finite() || !self.reported_token_cost.is_finite() {
            return Err(bad("a cost is not a finite number"));
        }
        let mut events = VecDeque::new();
        for e in self.events {
            let tool = e.tool.as_deref().map(|n| known(run, n)).transpose()?;
            events.push_back(LoggedCost {
                kind: kind_name(&e.kind)?,
                tool,
                amount_usd: e.amount_usd,
                spent_usd: e.spent_usd,
            });
        }
        keep_last(&mut events, cfg.max_cost_events);
        Ok(CostState { spent: self.spent, reported_token_cost: self.reported_token_cost, warned: self.warned, events })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SavedIntervention {
    tool: Option<String>,
    action: String,
    reason: String,
    args_sig: Option<String>,
}

impl SavedIntervention {
    pub(super) fn of(run: &RunState, i: &LoggedIntervention) -> SavedIntervention {
        SavedIntervention {
            tool: i.tool.map(|id| run.name(id).to_string()),
            action: i.action.to_string(),
            reason: i.reason.to_string(),
            args_sig: i.args_sig.map(|s| hex(&s)),
        }
    }

    pub(super) fn restore(self, run: &RunState) -> Result<LoggedIntervention> {
        let tool = self.tool.as_deref().map(|n| known(run, n)).transpose()?;
        Ok(LoggedIntervention {
            tool,
            action: Cow::Owned(self.action),
            reason: Cow::Owned(self.reason),
            args_sig: self.args_sig.as_deref().map(sig).transpose()?,
        })
    }
}

/// Restore a queue section, keeping its last `cap` entries.
pub(super) fn restore_queue<S, T>(
    saved: Vec<S>,
    cap: usize,
    mut restore: impl FnMut(S) -> Result<T>,
) -> Result<VecDeque<T>> {
    let mut queue = saved.into_iter().map(&mut restore).collect::<Result<VecDeque<T>>>()?;
    keep_last(&mut queue, cap);
    Ok(queue)
}
