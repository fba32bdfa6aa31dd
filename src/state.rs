//! The state of one run: everything the guard remembers between calls, as
//! signatures, counts, reasons and costs. Every collection here is bounded by
//! a configured cap, whatever the length of the run.
//!
//! Tools are interned: the first call of a tool gives it a [`ToolId`] and
//! resolves its configuration once, so the hot path indexes a vector instead
//! of hashing the tool's name again and again.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use crate::config::{Config, ToolPolicy};
use crate::count_map::CountMap;
use crate::error::{Error, Result};
use crate::events::{CostEvent, Event, Intervention};
use crate::primitives::idempotency::{IdempotencyLedger, MemoryLedger};
use crate::signature::{Sig, Signer};
use crate::token_set::TokenSet;
use crate::window::Window;

/// A tool's index in its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ToolId(pub u32);

/// The configuration that applies to one tool, resolved once per run.
#[derive(Debug, Clone)]
pub struct ToolRules {
    /// Whether its calls are side effects when the caller does not say.
    pub side_effect: bool,
    pub ignore_keys: Option<BTreeSet<String>>,
    pub policy: Option<ToolPolicy>,
    pub query_keys: Option<Vec<String>>,
    pub call_cap: Option<u64>,
    pub never_cache: bool,
    pub cost: f64,
    /// How long a reservation of this tool's side effects holds.
    pub lease_ms: u64,
    /// A polling tool (`poll_tools`).
    pub poll: bool,
}

impl ToolRules {
    /// Whether a rule of this tool reads its arguments' members (the
    /// policy's required arguments, the jitter query); the others need
    /// only their signature.
    pub fn reads_args(&self) -> bool {
        self.query_keys.is_some() || self.policy.as_ref().is_some_and(|p| !p.require_args.is_empty())
    }

    pub fn resolve(cfg: &Config, tool: &str) -> ToolRules {
        ToolRules {
            side_effect: cfg.side_effect_tools.contains(tool),
            ignore_keys: cfg.arg_ignore_keys.get(tool).cloned(),
            policy: cfg.tool_policies.get(tool).cloned(),
            query_keys: cfg.query_arg_keys_by_tool.get(tool).cloned(),
            call_cap: cfg.call_cap(tool),
            never_cache: cfg.never_cache_tools.contains(tool),
            cost: cfg.cost_model.tool_cost(tool),
            lease_ms: cfg.lease_ms(tool),
            poll: cfg.detect.poll_tools.contains(tool),
        }
    }
}

/// Per-tool memory.
#[derive(Debug, Clone)]
pub struct ToolState {
    pub name: Arc<str>,
    pub rules: ToolRules,
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
    pub jitter_history: VecDeque<TokenSet>,
}

impl ToolState {
    pub fn new(cfg: &Config, name: Arc<str>) -> ToolState {
        ToolState {
            rules: ToolRules::resolve(cfg, &name),
            name,
            allowed: 0,
            side_effects_attempted: 0,
            side_effects_executed: 0,
            quarantine: None,
            error_streaks: HashMap::new(),
            jitter_history: VecDeque::new(),
        }
    }

    /// Quarantine the tool for the rest of the run (the one way every
    /// primitive does it); a later reason replaces an earlier one.
    pub fn set_quarantine(&mut self, why: impl Into<String>) {
        self.quarantine = Some(why.into());
    }

    /// Close the quarantine (a half-open breaker's probe succeeded).
    pub fn clear_quarantine(&mut self) {
        self.quarantine = None;
    }
}

/// Hashing for keys that are already uniformly random (HMAC outputs, keyed
/// hashes): the first eight bytes are the hash. Nobody without the key can
/// choose such a key, so this is as safe against flooding as SipHash, and
/// much cheaper.
#[derive(Default, Clone, Copy)]
pub struct SigHasher(u64);

impl Hasher for SigHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8).take(2) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u128(&mut self, n: u128) {
        self.write_u64(n as u64);
    }
    fn write_usize(&mut self, _len: usize) {
        // Lengths of fixed-size signatures carry no information.
    }
}

pub type SigHashing = BuildHasherDefault<SigHasher>;

/// A tool call's identity: its tool and its argument signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallKey {
    pub tool: ToolId,
    pub args_sig: Sig,
}

impl Hash for CallKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u32(self.tool.0);
        state.write(&self.args_sig[..8]);
    }
}

/// An allowed call in the recent-call window.
#[derive(Debug, Clone, Copy)]
pub struct WindowEntry {
    pub tool: ToolId,
    pub args_sig: Sig,
    pub ticket_sig: Sig,
}

/// A result as the tool reported it, its payload kept as canonical JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResult {
    pub ok: bool,
    /// The payload's canonical text, shared with every cache hit.
    pub payload: std::sync::Arc<str>,
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
    pub tool: ToolId,
    pub args_sig: Sig,
    pub ticket_sig: Sig,
    pub side_effect: bool,
    /// The idempotency digest, for side effects.
    pub idem: Option<Sig>,
    /// The ledger reservation this call holds, if it reserved its key.
    pub token: Option<crate::ledger::Token>,
}

/// The counters reported in stats (saved as they are in a saved state).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Results booked without their payload (too large, too deep, a
    /// number beyond binary64).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub payloads_not_kept: u64,
    /// Every intervention of the run, counted by primitive, tool and reason.
    #[serde(default)]
    pub tally: Tally,
    /// Store operations of the ledger that failed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ledger_errors: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// An intervention as the run's log keeps it: the tool by its id and the
/// signature as bytes, the run left out (it is the log's own), so that
/// logging one or dropping the oldest touches no reference count.
/// [`RunState::intervention`] gives it back as reported.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedIntervention {
    pub tool: Option<ToolId>,
    pub action: Cow<'static, str>,
    pub reason: Cow<'static, str>,
    pub args_sig: Option<Sig>,
}

/// Interventions counted over the whole run: the log keeps only the most
/// recent ones, the report's aggregates come from here. Bounded: tools by
/// `max_tools_tracked`, primitives by their fixed list, reasons by
/// [`MAX_TALLIED_REASONS`].
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tally {
    pub by_primitive: CountMap,
    /// By tool name; decisions on assistant messages are counted apart, so
    /// no tool name can be mistaken for them.
    pub by_tool: CountMap,
    pub assistant_output: u64,
    pub by_reason: CountMap,
}

/// Distinct reasons counted one by one; later new ones are counted under
/// [`OTHER_REASONS`].
pub const MAX_TALLIED_REASONS: usize = 1000;
pub const OTHER_REASONS: &str = "(other reasons)";

impl Tally {
    fn count(&mut self, tool: Option<&str>, reason: &str) {
        self.by_primitive.bump(crate::report::primitive_of(reason));
        match tool {
            Some(t) => self.by_tool.bump(t),
            None => self.assistant_output += 1,
        }
        let reason = if self.by_reason.len() < MAX_TALLIED_REASONS || self.by_reason.contains_key(reason) {
            reason
        } else {
            OTHER_REASONS
        };
        self.by_reason.bump(reason);
    }
}

/// The stall detector's memory.
#[derive(Debug, Default, Clone)]
pub struct StallState {
    /// (unique calls, unique results) when last seen.
    pub marker: (usize, usize),
    pub last_tokens: Option<TokenSet>,
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
    pub events: VecDeque<LoggedCost>,
}

/// A cost event as the run keeps it: the tool by its id, the run left out,
/// so that every executed call's charge touches no reference count.
/// [`RunState::cost_event`] gives it back as reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoggedCost {
    /// `tool_call`, `tokens`, `budget_warning` or `budget_exceeded`.
    pub kind: &'static str,
    pub tool: Option<ToolId>,
    pub amount_usd: f64,
    pub spent_usd: f64,
}

/// The whole state of one run.
pub struct RunState {
    pub run_id: Arc<str>,
    pub run_sig: Sig,
    pub tool_ids: HashMap<Arc<str>, ToolId>,
    pub tools: Vec<ToolState>,
    /// The tool named last: agents call one tool many times in a row, and
    /// comparing its name is cheaper than hashing it.
    last_tool: Option<ToolId>,
    pub window: Window,
    pub cache: HashMap<CallKey, CacheEntry, SigHashing>,
    /// Bytes of the cached payloads (at most `max_cache_bytes`).
    pub cache_bytes: usize,
    /// Bytes held by all the tools' jitter histories (at most
    /// `max_jitter_bytes`, as [`crate::memory::token_set_bytes`] counts them).
    pub jitter_bytes: usize,
    pub unique_calls: HashSet<CallKey, SigHashing>,
    pub unique_results: HashSet<Sig, SigHashing>,
    pub ledger: Box<dyn IdempotencyLedger>,
    pub pending: VecDeque<PendingCall>,
    pub counters: Counters,
    pub stall: StallState,
    pub cost: CostState,
    pub interventions: crate::intervention_log::InterventionLog,
    /// Events produced since the last drain (only kept while a sink listens;
    /// at most `MAX_UNDRAINED_EVENTS`, the oldest dropped first).
    pub events: Vec<Event>,
    /// The opt-in detectors' memory.
    pub detect: crate::state_detect::DetectState,
}

/// Events kept for a listener that does not drain them.
pub const MAX_UNDRAINED_EVENTS: usize = 4096;

/// A fresh random run id (32 hex characters).
pub fn new_run_id() -> String {
    crate::signature::hex(&unique_bytes())
}

/// 16 random bytes, for ids that must differ between runs and processes.
pub(crate) fn unique_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No OS randomness: fall back on the clock and the process id, which
        // is unique enough to tell runs apart (the id is not a secret).
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        bytes[..8].copy_from_slice(&(t.as_nanos() as u64).to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    bytes
}

impl RunState {
    /// A run with nothing in it yet, under the configured `run_id` (a
    /// restarted process resumes its run: the keys of its ticketless side
    /// effects are the same) or a fresh random one.
    pub fn new(cfg: &Config, signer: &Signer, ledger: Box<dyn IdempotencyLedger>) -> RunState {
        let run_id: Arc<str> = match &cfg.run_id {
            Some(id) => Arc::from(id.as_str()),
            None => Arc::from(new_run_id()),
        };
        let run_sig = signer.run_sig(&run_id);
        RunState {
            run_id,
            run_sig,
            tool_ids: HashMap::new(),
            tools: Vec::new(),
            last_tool: None,
            window: Window::default(),
            cache: HashMap::default(),
            cache_bytes: 0,
            jitter_bytes: 0,
            unique_calls: HashSet::default(),
            unique_results: HashSet::default(),
            ledger,
            pending: VecDeque::new(),
            counters: Counters::default(),
            stall: StallState::default(),
            cost: CostState::default(),
            interventions: Default::default(),
            events: Vec::new(),
            detect: Default::default(),
        }
    }

    pub fn with_memory_ledger(cfg: &Config, signer: &Signer) -> RunState {
        let ledger = MemoryLedger::with_ttl(cfg.max_ledger_entries, cfg.ledger.ttl_s)
            .with_payload_budget(cfg.max_ledger_payload_bytes);
        RunState::new(cfg, signer, Box::new(ledger))
    }

    /// The id of `tool`, creating its per-tool state on first use. Refuses a
    /// new tool once `max_tools_tracked` distinct tools are known.
    pub fn intern(&mut self, cfg: &Config, tool: &str) -> Result<ToolId> {
        if let Some(id) = self.last_tool.filter(|id| &*self.tools[id.0 as usize].name == tool) {
            return Ok(id);
        }
        if let Some(id) = self.tool_ids.get(tool) {
            self.last_tool = Some(*id);
            return Ok(*id);
        }
        if self.tools.len() >= cfg.max_tools_tracked {
            return Err(Error::invalid(format!(
                "too many distinct tool names in this run (max_tools_tracked = {})",
                cfg.max_tools_tracked
            )));
        }
        let id = ToolId(self.tools.len() as u32);
        let name: Arc<str> = Arc::from(tool);
        self.tools.push(ToolState::new(cfg, name.clone()));
        self.tool_ids.insert(name, id);
        self.last_tool = Some(id);
        Ok(id)
    }

    /// A tool's state by name (for tests and reports).
    pub fn tool(&self, name: &str) -> Option<&ToolState> {
        self.tool_ids.get(name).map(|id| &self.tools[id.0 as usize])
    }

    /// A tool's state by name, for tests; the tool must be interned.
    pub fn tool_named_mut(&mut self, name: &str) -> &mut ToolState {
        let id = *self.tool_ids.get(name).expect("tool interned before use");
        self.tool_mut(id)
    }

    pub fn tool_at(&self, id: ToolId) -> &ToolState {
        &self.tools[id.0 as usize]
    }

    pub fn tool_mut(&mut self, id: ToolId) -> &mut ToolState {
        &mut self.tools[id.0 as usize]
    }

    pub fn name(&self, id: ToolId) -> &Arc<str> {
        &self.tools[id.0 as usize].name
    }

    /// Push an allowed call into the recent-call window, keeping its size.
    pub fn push_window(&mut self, cfg: &Config, entry: WindowEntry) {
        self.window.push(cfg.tool_loop_window, entry);
    }

    /// Log an intervention (the count stays exact; the list keeps the most
    /// recent `max_intervention_log`).
    pub fn log_intervention(&mut self, cfg: &Config, entry: LoggedIntervention, listening: bool) {
        self.counters.interventions += 1;
        let tool = entry.tool.map(|id| &*self.tools[id.0 as usize].name);
        self.counters.tally.count(tool, &entry.reason);
        if listening {
            self.push_event(Event::Intervention(self.intervention(&entry)));
        }
        self.interventions.push(entry, cfg.max_intervention_log);
    }

    /// A logged intervention as reported, with its run and tool named.
    pub fn intervention(&self, entry: &LoggedIntervention) -> Intervention {
        Intervention {
            run_id: self.run_id.clone(),
            tool: entry.tool.map(|id| self.name(id).clone()),
            action: entry.action.clone(),
            reason: entry.reason.clone(),
            args_sig: entry.args_sig.map(crate::events::HexSig),
        }
    }

    /// A logged cost event as reported, with its run and tool named.
    pub fn cost_event(&self, entry: &LoggedCost) -> CostEvent {
        CostEvent {
            run_id: self.run_id.clone(),
            kind: entry.kind,
            tool: entry.tool.map(|id| self.name(id).clone()),
            amount_usd: entry.amount_usd,
            spent_usd: entry.spent_usd,
        }
    }

    pub fn push_event(&mut self, event: Event) {
        if self.events.len() >= MAX_UNDRAINED_EVENTS {
            self.events.remove(0);
        }
        self.events.push(event);
    }

    /// Record money spent (or a budget notice) as a cost event.
    pub fn log_cost(&mut self, cfg: &Config, event: LoggedCost, listening: bool) {
        if listening {
            self.push_event(Event::Cost(self.cost_event(&event)));
        }
        if self.cost.events.len() >= cfg.max_cost_events {
            self.cost.events.pop_front();
        }
        self.cost.events.push_back(event);
    }
}
