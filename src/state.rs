//! The state of one run: everything the guard remembers between calls, as
//! signatures, counts, reasons and costs. Every collection here is bounded by
//! a configured cap, whatever the length of the run.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde_json::Value;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::events::{CostEvent, Event, Intervention};
use crate::primitives::idempotency::{IdempotencyLedger, MemoryLedger};
use crate::signature::{Sig, Signer};

/// Per-tool memory.
#[derive(Debug, Default, Clone)]
pub struct ToolState {
    /// Calls allowed so far (step 11).
    pub allowed: u64,
    /// Side-effect calls that reached the side-effect gate.
    pub side_effects_attempted: u64,
    /// Side effects actually executed.
    pub side_effects_executed: u64,
    /// Why the tool is quarantined, if it is.
    pub quarantine: Option<String>,
    /// Consecutive failures by error class.
    pub error_streaks: HashMap<String, u32>,
    /// Token sets (as token signatures) of the last queries.
    pub jitter_history: VecDeque<HashSet<u128>>,
}

/// An allowed call in the recent-call window.
#[derive(Debug, Clone)]
pub struct WindowEntry {
    pub tool: Arc<str>,
    pub args_sig: Sig,
    pub ticket_sig: Sig,
}

/// A result as the tool reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResult {
    pub ok: bool,
    pub payload: Value,
    pub error_code: Option<String>,
    pub side_effect_executed: bool,
}

/// A cached read result and when it was stored (monotonic seconds).
#[derive(Debug, Clone)]
pub struct CacheEntry {
    pub result: StoredResult,
    pub stored_at: f64,
}

/// A call that was allowed and awaits its result.
#[derive(Debug, Clone)]
pub struct PendingCall {
    pub call_id: u64,
    pub tool: Arc<str>,
    pub args_sig: Sig,
    pub ticket_sig: Sig,
    pub side_effect: bool,
    /// The idempotency digest, for side effects.
    pub idem: Option<Sig>,
}

/// The counters reported in stats.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counters {
    pub tool_calls_executed: u64,
    pub tool_calls_failed: u64,
    pub tool_calls_denied: u64,
    pub blocks: u64,
    pub cache_hits: u64,
    pub rewrite_decisions: u64,
    pub escalations: u64,
    pub shadow_would_deny: u64,
    pub missed_results: u64,
    pub interventions: u64,
}

/// The stall detector's memory.
#[derive(Debug, Default, Clone)]
pub struct StallState {
    /// (unique calls, unique results) when last seen.
    pub marker: (usize, usize),
    pub last_tokens: Option<HashSet<u128>>,
    pub similarity_streak: u32,
    pub pattern_streak: u32,
    pub rewrites_used: u32,
}

/// Money spent in the run.
#[derive(Debug, Default, Clone)]
pub struct CostState {
    pub spent: f64,
    pub reported_token_cost: f64,
    pub warned: bool,
    pub events: VecDeque<CostEvent>,
}

/// The whole state of one run.
pub struct RunState {
    pub run_id: String,
    pub run_sig: Sig,
    pub tools: HashMap<Arc<str>, ToolState>,
    pub window: VecDeque<WindowEntry>,
    pub cache: HashMap<(Arc<str>, Sig), CacheEntry>,
    pub unique_calls: HashSet<(Arc<str>, Sig)>,
    pub unique_results: HashSet<Sig>,
    pub ledger: Box<dyn IdempotencyLedger>,
    pub pending: VecDeque<PendingCall>,
    pub counters: Counters,
    pub stall: StallState,
    pub cost: CostState,
    pub interventions: VecDeque<Intervention>,
    /// Events produced since the last drain (only kept while a sink listens).
    pub events: Vec<Event>,
}

/// A fresh random run id (32 hex characters).
pub fn new_run_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No OS randomness: fall back on the clock and the process id, which
        // is unique enough to tell runs apart (the id is not a secret).
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        bytes[..8].copy_from_slice(&(t.as_nanos() as u64).to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    hex::encode(bytes)
}

impl RunState {
    pub fn new(cfg: &Config, signer: &Signer, ledger: Box<dyn IdempotencyLedger>) -> RunState {
        let run_id = new_run_id();
        let run_sig = signer.run_sig(&run_id);
        let _ = cfg;
        RunState {
            run_id,
            run_sig,
            tools: HashMap::new(),
            window: VecDeque::new(),
            cache: HashMap::new(),
            unique_calls: HashSet::new(),
            unique_results: HashSet::new(),
            ledger,
            pending: VecDeque::new(),
            counters: Counters::default(),
            stall: StallState::default(),
            cost: CostState::default(),
            interventions: VecDeque::new(),
            events: Vec::new(),
        }
    }

    pub fn with_memory_ledger(cfg: &Config, signer: &Signer) -> RunState {
        RunState::new(
            cfg,
            signer,
            Box::new(MemoryLedger::new(cfg.max_ledger_entries)),
        )
    }

    /// The interned name of `tool`, creating its per-tool state on first use.
    /// Refuses a new tool once `max_tools_tracked` distinct tools are known.
    pub fn intern(&mut self, cfg: &Config, tool: &str) -> Result<Arc<str>> {
        if let Some((name, _)) = self.tools.get_key_value(tool) {
            return Ok(name.clone());
        }
        if self.tools.len() >= cfg.max_tools_tracked {
            return Err(Error::invalid(format!(
                "too many distinct tool names in this run (max_tools_tracked = {})",
                cfg.max_tools_tracked
            )));
        }
        let name: Arc<str> = Arc::from(tool);
        self.tools.insert(name.clone(), ToolState::default());
        Ok(name)
    }

    pub fn tool(&self, name: &str) -> Option<&ToolState> {
        self.tools.get(name)
    }

    pub fn tool_mut(&mut self, name: &str) -> &mut ToolState {
        self.tools.get_mut(name).expect("tool interned before use")
    }

    /// Quarantine `tool` for `why`; a later reason replaces an earlier one.
    pub fn quarantine(&mut self, tool: &str, why: impl Into<String>) {
        self.tool_mut(tool).quarantine = Some(why.into());
    }

    /// Push an allowed call into the recent-call window, keeping its size.
    pub fn push_window(&mut self, cfg: &Config, entry: WindowEntry) {
        self.window.push_back(entry);
        while self.window.len() > cfg.tool_loop_window {
            self.window.pop_front();
        }
    }

    /// Log an intervention (the count stays exact; the list keeps the most
    /// recent `max_intervention_log`).
    pub fn log_intervention(&mut self, cfg: &Config, entry: Intervention, listening: bool) {
        self.counters.interventions += 1;
        if listening {
            self.events.push(Event::Intervention(entry.clone()));
        }
        self.interventions.push_back(entry);
        while self.interventions.len() > cfg.max_intervention_log {
            self.interventions.pop_front();
        }
    }

    /// Record money spent (or a budget notice) as a cost event.
    pub fn log_cost(&mut self, cfg: &Config, event: CostEvent, listening: bool) {
        if listening {
            self.events.push(Event::Cost(event.clone()));
        }
        self.cost.events.push_back(event);
        while self.cost.events.len() > cfg.max_cost_events {
            self.cost.events.pop_front();
        }
    }
}
