//! Saving a run's state to JSON and loading it back, so a run can move
//! between processes.
//!
//! The saved form holds signatures, counts, reasons and costs only: never
//! raw arguments, payloads, ticket ids, assistant text or the key. The
//! result cache is not saved; the idempotency ledger's keys and result
//! metadata are, so a duplicate side effect is still caught after a restore.
//! The body carries a MAC under the guard's key: a state edited by hand, or
//! saved under another key, is refused, and nothing is half-loaded.

mod sections;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::guard::Guard;
use crate::intervention_log::InterventionLog;
use crate::primitives::idempotency::LedgerEntry;
use crate::signature::{canonical, hex, parse_hex, Sig};
use crate::state::{Counters, RunState};
use crate::window::Window;
use sections::{SavedCall, SavedCost, SavedIntervention, SavedLedgerEntry, SavedPending, SavedStall, SavedTool};

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

fn bad(what: &str) -> Error {
    Error::state(format!("saved state rejected: {what}"))
}

/// A rebuilt run, the next call id, and the ledger entries to restore.
type Rebuilt = (RunState, u64, Vec<(Sig, LedgerEntry)>);

impl Guard {
    /// The run's state as JSON (see the module documentation).
    pub fn save_state(&self) -> String {
        let run = &self.run;
        let (unique_calls, unique_results) = sections::save_unique(run);
        let body = Body {
            run_id: run.run_id.to_string(),
            next_call_id: self.next_call_id(),
            tools: run.tools.iter().map(|t| (t.name.to_string(), SavedTool::of(t))).collect(),
            window: run.window.iter().map(|w| SavedCall::of(run, w)).collect(),
            unique_calls,
            unique_results,
            ledger: run.ledger.entries().into_iter().map(|(k, e)| SavedLedgerEntry::of(&k, e)).collect(),
            pending: run.pending.iter().map(|p| SavedPending::of(run, p)).collect(),
            counters: run.counters.clone(),
            stall: SavedStall::of(&run.stall),
            cost: SavedCost::of(run),
            interventions: run.interventions.iter().map(|i| SavedIntervention::of(run, i)).collect(),
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

    /// A run from a saved body, section by section; the first section that
    /// does not check out refuses the whole state.
    fn rebuild(&self, b: Body) -> Result<Rebuilt> {
        let cfg = &self.cfg;
        if b.tools.len() > cfg.max_tools_tracked {
            return Err(bad("more tools than max_tools_tracked"));
        }
        let mut run = RunState::with_memory_ledger(cfg, &self.signer);
        run.run_id = Arc::from(b.run_id.as_str());
        run.run_sig = self.signer.run_sig(&run.run_id);
        for (name, t) in b.tools {
            t.restore(cfg, &mut run, &name)?;
        }
        crate::primitives::jitter::recount(cfg, &mut run);
        run.window = Window::from_calls(sections::restore_queue(b.window, cfg.tool_loop_window, |w| w.restore(&run))?);
        sections::restore_unique(cfg, &mut run, b.unique_calls, b.unique_results)?;
        let max_id = b.pending.iter().map(SavedPending::call_id).max().unwrap_or(0);
        run.pending = sections::restore_queue(b.pending, cfg.max_pending_calls, |p| p.restore(&run))?;
        run.counters = b.counters;
        run.stall = b.stall.restore()?;
        run.cost = b.cost.restore(cfg, &run)?;
        let restored = sections::restore_queue(b.interventions, cfg.max_intervention_log, |i| i.restore(&run))?;
        run.interventions = InterventionLog::from_entries(restored, cfg.max_intervention_log);
        if let Some(detect) = b.detect {
            crate::snapshot_detect::load(cfg, &mut run, detect, self.now())?;
        }
        let entries = b.ledger.into_iter().map(SavedLedgerEntry::restore).collect::<Result<Vec<_>>>()?;
        Ok((run, b.next_call_id.max(max_id + 1), entries))
    }
}
