//! Configuration: every key of the specification with its default, read from
//! a JSON object. Unlike the Python package, an unknown key, a value of the
//! wrong type or a value out of range is rejected with a message naming the
//! key, so a typo never silently turns a protection off.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Prices used to turn tool calls and tokens into dollars.
#[derive(Debug, Clone, PartialEq)]
pub struct CostModel {
    pub default_tool_call_cost: f64,
    pub tool_cost_by_name: HashMap<String, f64>,
    pub input_token_cost_per_1k: f64,
    pub output_token_cost_per_1k: f64,
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel {
            default_tool_call_cost: 0.04,
            tool_cost_by_name: HashMap::new(),
            input_token_cost_per_1k: 0.003,
            output_token_cost_per_1k: 0.015,
        }
    }
}

impl CostModel {
    /// The cost of one call of `tool`.
    pub fn tool_cost(&self, tool: &str) -> f64 {
        self.tool_cost_by_name.get(tool).copied().unwrap_or(self.default_tool_call_cost)
    }
}

/// Who may call a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allow,
    Deny,
    Human,
}

/// A per-tool policy (`tool_policies`).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolPolicy {
    pub access: Access,
    pub max_calls: Option<u64>,
    pub risk: String,
    pub require_args: Vec<String>,
    pub deny_reason: Option<String>,
    /// The lease of this tool's side-effect reservations, when not `ledger_lease_ms`.
    pub lease_ms: Option<u64>,
}

/// Where the idempotency ledger lives (`ledger.kind`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerKind {
    /// In the guard's memory (the default).
    Memory,
    /// A SQLite file shared by the processes of one machine.
    Sqlite { path: String },
    /// A Redis server shared by many machines.
    Redis { url: String, prefix: String },
}

/// What a side-effect call gets when the ledger's store cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerOnError {
    /// Blocked with `ledger_unavailable` (other tools go on).
    FailClosed,
    /// Allowed, with an event and a counter (`ledger_errors`).
    FailOpen,
}

/// The idempotency ledger's store and protocol settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerConfig {
    pub kind: LedgerKind,
    /// How long one store operation may take (`ledger.timeout_ms`).
    pub timeout_ms: u64,
    /// How long a reservation holds before its outcome counts as unknown.
    pub lease_ms: u64,
    /// How long done entries are kept.
    pub ttl_s: u64,
    pub on_error: LedgerOnError,
    /// Whether durable stores keep result payloads (they always keep ok,
    /// error_code and side_effect_executed).
    pub store_payload: bool,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            kind: LedgerKind::Memory,
            timeout_ms: 2000,
            lease_ms: 60_000,
            ttl_s: 7 * 24 * 3600,
            on_error: LedgerOnError::FailClosed,
            store_payload: false,
        }
    }
}

/// The secret key; wiped from memory when dropped, never printed.
#[derive(Clone, Default)]
pub struct SecretKey(Zeroizing<Vec<u8>>);

impl SecretKey {
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretKey(Zeroizing::new(bytes))
    }
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// The full configuration of a guard.
#[derive(Debug, Clone)]
pub struct Config {
    pub secret_key: SecretKey,
    pub tool_loop_window: usize,
    pub repeat_toolcall_threshold: usize,
    pub arg_jitter_similarity_threshold: f64,
    pub arg_jitter_repeat_threshold: usize,
    pub max_calls_per_tool: Option<u64>,
    pub sequence_repeat_threshold: usize,
    pub max_sequence_length: usize,
    pub sequence_detection_enabled: bool,
    pub error_retry_threshold: u32,
    pub quarantine_error_codes: Arc<HashSet<String>>,
    pub side_effect_max_executed_per_run: u64,
    pub side_effect_tools: Arc<HashSet<String>>,
    pub no_state_change_threshold: u32,
    pub stall_text_similarity_threshold: f64,
    pub stall_pattern_threshold: f64,
    pub stall_pattern_streak_threshold: u32,
    pub stall_rewrite_max_attempts: u32,
    pub max_cost_per_run: Option<f64>,
    pub cost_warning_threshold: f64,
    pub query_arg_keys_by_tool: Arc<HashMap<String, Vec<String>>>,
    pub cost_model: CostModel,
    pub never_cache_tools: HashSet<String>,
    pub cache_ttl_seconds: Option<f64>,
    pub arg_ignore_keys: HashMap<String, BTreeSet<String>>,
    pub max_cache_entries: usize,
    pub max_unique_calls_tracked: usize,
    pub max_cost_events: usize,
    pub tool_policies: HashMap<String, ToolPolicy>,
    pub max_pending_calls: usize,
    pub shadow_mode: bool,
    pub strict_mode: bool,
    /// The run's id (a restarted process resumes the run); random when unset.
    pub run_id: Option<String>,
    pub ledger: LedgerConfig,
    // Limits against hostile input (beyond the package).
    pub max_json_bytes: usize,
    pub max_text_bytes: usize,
    pub max_intervention_log: usize,
    pub max_ledger_entries: usize,
    pub max_tools_tracked: usize,
    // Byte budgets (beyond the package): see `crate::memory`.
    pub max_cache_bytes: usize,
    pub max_ledger_payload_bytes: usize,
    pub max_jitter_bytes: usize,
    /// The opt-in detectors beyond the package (all off by default).
    pub detect: crate::config_detect::DetectConfig,
}

/// The package's default lists, made once per process and shared by every
/// configuration that keeps them: building them was a quarter of the
/// instructions of making a guard (a guard per agent run is common).
struct DefaultLists {
    quarantine_error_codes: Arc<HashSet<String>>,
    side_effect_tools: Arc<HashSet<String>>,
    query_arg_keys_by_tool: Arc<HashMap<String, Vec<String>>>,
}

fn default_lists() -> &'static DefaultLists {
    static LISTS: OnceLock<DefaultLists> = OnceLock::new();
    LISTS.get_or_init(|| {
        let set_of = |items: &[&str]| Arc::new(items.iter().map(|s| s.to_string()).collect::<HashSet<_>>());
        let keys = |keys: &[&str]| keys.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut query = HashMap::new();
        for tool in ["search_kb", "search", "search_documents"] {
            query.insert(tool.to_string(), keys(&["query", "q"]));
        }
        query.insert("rag_retrieve".to_string(), keys(&["query", "q", "question"]));
        DefaultLists {
            quarantine_error_codes: set_of(&["401", "403", "429", "timeout", "connection_error", "5xx"]),
            side_effect_tools: set_of(&["send_reply", "refund", "cancel"]),
            query_arg_keys_by_tool: Arc::new(query),
        }
    })
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secret_key: SecretKey::default(),
            tool_loop_window: 12,
            repeat_toolcall_threshold: 3,
            arg_jitter_similarity_threshold: 0.60,
            arg_jitter_repeat_threshold: 3,
            max_calls_per_tool: None,
            sequence_repeat_threshold: 3,
            max_sequence_length: 4,
            sequence_detection_enabled: true,
            error_retry_threshold: 2,
            quarantine_error_codes: Arc::clone(&default_lists().quarantine_error_codes),
            side_effect_max_executed_per_run: 1,
            side_effect_tools: Arc::clone(&default_lists().side_effect_tools),
            no_state_change_threshold: 4,
            stall_text_similarity_threshold: 0.92,
            stall_pattern_threshold: 0.6,
            stall_pattern_streak_threshold: 2,
            stall_rewrite_max_attempts: 1,
            max_cost_per_run: None,
            cost_warning_threshold: 0.8,
            query_arg_keys_by_tool: Arc::clone(&default_lists().query_arg_keys_by_tool),
            cost_model: CostModel::default(),
            never_cache_tools: HashSet::new(),
            cache_ttl_seconds: None,
            arg_ignore_keys: HashMap::new(),
            max_cache_entries: 1000,
            max_unique_calls_tracked: 5000,
            max_cost_events: 500,
            tool_policies: HashMap::new(),
            max_pending_calls: 1,
            shadow_mode: false,
            strict_mode: false,
            run_id: None,
            ledger: LedgerConfig::default(),
            max_json_bytes: 1 << 20,
            max_text_bytes: 256 << 10,
            max_intervention_log: 1000,
            max_ledger_entries: 100_000,
            max_tools_tracked: 10_000,
            max_cache_bytes: 64 << 20,
            max_ledger_payload_bytes: 16 << 20,
            max_jitter_bytes: 32 << 20,
            detect: Default::default(),
        }
    }
}

// Upper bounds of the count-type keys. Each keeps every step of a check
// proportional to the recent-call window at most, keeps the arithmetic on
// counts far from overflow, and keeps the largest state a run can reach
// loadable by `state_load`.

/// The recent-call window; every per-call scan is bounded by it.
pub const MAX_WINDOW: u64 = 10_000;
/// Longest cycle looked for; the cycle scan costs at most this times the window.
pub const MAX_SEQUENCE: u64 = 1001;
/// Thresholds and streak lengths.
pub const MAX_THRESHOLD: u64 = 1_000_000;
/// Per-tool and per-run call caps.
pub const MAX_CALLS: u64 = 1_000_000_000;
/// Entry-count caps of the run's collections (cache, ledger, logs).
pub const MAX_ENTRIES: u64 = 1_000_000;
/// Distinct tools tracked in a run.
pub const MAX_TOOLS: u64 = 100_000;
/// Calls awaiting their results at once.
pub const MAX_PENDING: u64 = 10_000;
/// Smallest `max_json_bytes`: room for any result object without a payload.
pub const MIN_JSON_BYTES: u64 = 1024;
/// Smallest `max_text_bytes`: room for a short sentence.
pub const MIN_TEXT_BYTES: u64 = 64;
/// Largest `max_json_bytes` and `max_text_bytes`.
pub const MAX_JSON_BYTES: u64 = 64 << 20;
pub const MAX_TEXT_BYTES: u64 = 16 << 20;

/// Largest byte budget (result cache, ledger payloads, jitter histories).
pub const MAX_BUDGET_BYTES: u64 = 1 << 34;

/// Largest price or budget, in dollars: sums of such amounts over any run
/// stay finite (so a saved state always loads) and the budget's rounding
/// stays cheap.
pub const MAX_USD: f64 = 1e9;

/// Largest configuration text accepted.
pub const MAX_CONFIG_BYTES: usize = 4 << 20;

/// Every key a configuration object may hold.
pub const CONFIG_KEYS: &[&str] = &[
    "secret_key",
    "tool_loop_window",
    "repeat_toolcall_threshold",
    "arg_jitter_similarity_threshold",
    "arg_jitter_repeat_threshold",
    "max_calls_per_tool",
    "sequence_repeat_threshold",
    "max_sequence_length",
    "sequence_detection_enabled",
    "error_retry_threshold",
    "quarantine_error_codes",
    "side_effect_max_executed_per_run",
    "side_effect_tools",
    "no_state_change_threshold",
    "stall_text_similarity_threshold",
    "stall_pattern_threshold",
    "stall_pattern_streak_threshold",
    "stall_rewrite_max_attempts",
    "max_cost_per_run",
    "cost_warning_threshold",
    "query_arg_keys_by_tool",
    "cost_model",
    "never_cache_tools",
    "cache_ttl_seconds",
    "arg_ignore_keys",
    "max_cache_entries",
    "max_unique_calls_tracked",
    "max_cost_events",
    "tool_policies",
    "max_pending_calls",
    "shadow_mode",
    "strict_mode",
    "max_json_bytes",
    "max_text_bytes",
    "max_intervention_log",
    "max_ledger_entries",
    "max_tools_tracked",
    "max_cache_bytes",
    "max_ledger_payload_bytes",
    "max_jitter_bytes",
    "run_id",
    "ledger",
    "ledger_lease_ms",
    "ledger_ttl_s",
    "ledger_on_error",
    "ledger_store_payload",
    // The opt-in detectors (read by `config_detect::read`).
    "same_result_threshold",
    "poll_tools",
    "quarantine_cooldown_s",
    "quarantine_cooldown_calls",
    "warn_before_enforce",
    "sequence_gap_tolerance",
    "max_model_calls",
    "max_tokens_per_run",
    "max_tool_calls_per_run",
    "max_run_seconds",
    "multilingual_text",
    "stall_phrases",
];

impl Config {
    /// Parse and validate a configuration from JSON text.
    pub fn from_json(text: &str) -> Result<Config> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(Error::config(format!(
                "configuration is {} bytes, over the limit of {MAX_CONFIG_BYTES} bytes",
                text.len()
            )));
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| Error::config(format!("configuration is not valid JSON: {e}")))?;
        Config::from_value(&value)
    }

    /// Validate a configuration from an already parsed JSON value.
    pub fn from_value(value: &Value) -> Result<Config> {
        let obj = value
            .as_object()
            .ok_or_else(|| Error::config(format!("configuration must be a JSON object, got {}", kind_of(value))))?;
        let mut c = Config::default();
        for (key, v) in obj {
            let k = key.as_str();
            match k {
                "secret_key" => {
                    let s = v.as_str().ok_or_else(|| wrong(k, "a non-empty string", v))?;
                    if s.is_empty() {
                        return Err(Error::config("config key `secret_key` must not be empty"));
                    }
                    c.secret_key = SecretKey::new(s.as_bytes().to_vec());
                }
                "tool_loop_window" => c.tool_loop_window = count(k, v, 1, MAX_WINDOW)?,
                "repeat_toolcall_threshold" => c.repeat_toolcall_threshold = count(k, v, 1, MAX_THRESHOLD)?,
                "arg_jitter_similarity_threshold" => c.arg_jitter_similarity_threshold = unit(k, v)?,
                "arg_jitter_repeat_threshold" => c.arg_jitter_repeat_threshold = count(k, v, 1, MAX_THRESHOLD)?,
                "max_calls_per_tool" => c.max_calls_per_tool = opt(v, |v| count(k, v, 1, MAX_CALLS))?,
                "sequence_repeat_threshold" => c.sequence_repeat_threshold = count(k, v, 2, MAX_THRESHOLD)?,
                "max_sequence_length" => c.max_sequence_length = count(k, v, 2, MAX_SEQUENCE)?,
                "sequence_detection_enabled" => c.sequence_detection_enabled = boolean(k, v)?,
                "error_retry_threshold" => c.error_retry_threshold = count(k, v, 1, MAX_THRESHOLD)?,
                "quarantine_error_codes" => c.quarantine_error_codes = Arc::new(string_set(k, v)?),
                "side_effect_max_executed_per_run" => c.side_effect_max_executed_per_run = count(k, v, 1, MAX_CALLS)?,
                "side_effect_tools" => c.side_effect_tools = Arc::new(string_set(k, v)?),
                "no_state_change_threshold" => c.no_state_change_threshold = count(k, v, 1, MAX_THRESHOLD)?,
                "stall_text_similarity_threshold" => c.stall_text_similarity_threshold = unit(k, v)?,
                "stall_pattern_threshold" => c.stall_pattern_threshold = unit(k, v)?,
                "stall_pattern_streak_threshold" => c.stall_pattern_streak_threshold = count(k, v, 1, MAX_THRESHOLD)?,
                "stall_rewrite_max_attempts" => c.stall_rewrite_max_attempts = count(k, v, 0, MAX_THRESHOLD)?,
                "max_cost_per_run" => c.max_cost_per_run = opt(v, |v| budget(k, v))?,
                "cost_warning_threshold" => c.cost_warning_threshold = unit(k, v)?,
                "query_arg_keys_by_tool" => c.query_arg_keys_by_tool = Arc::new(string_lists(k, v)?),
                "cost_model" => c.cost_model = cost_model(v)?,
                "never_cache_tools" => c.never_cache_tools = string_set(k, v)?,
                "cache_ttl_seconds" => c.cache_ttl_seconds = opt(v, |v| positive(k, v))?,
                "arg_ignore_keys" => {
                    c.arg_ignore_keys =
                        string_lists(k, v)?.into_iter().map(|(t, keys)| (t, keys.into_iter().collect())).collect()
                }
                "max_cache_entries" => c.max_cache_entries = count(k, v, 1, MAX_ENTRIES)?,
                "max_unique_calls_tracked" => c.max_unique_calls_tracked = count(k, v, 1, MAX_ENTRIES)?,
                "max_cost_events" => c.max_cost_events = count(k, v, 1, MAX_ENTRIES)?,
                "tool_policies" => c.tool_policies = tool_policies(v)?,
                "max_pending_calls" => c.max_pending_calls = count(k, v, 1, MAX_PENDING)?,
                "shadow_mode" => c.shadow_mode = boolean(k, v)?,
                "strict_mode" => c.strict_mode = boolean(k, v)?,
                "max_json_bytes" => c.max_json_bytes = count(k, v, MIN_JSON_BYTES, MAX_JSON_BYTES)?,
                "max_text_bytes" => c.max_text_bytes = count(k, v, MIN_TEXT_BYTES, MAX_TEXT_BYTES)?,
                "max_intervention_log" => c.max_intervention_log = count(k, v, 1, MAX_ENTRIES)?,
                "max_ledger_entries" => c.max_ledger_entries = count(k, v, 1, MAX_ENTRIES)?,
                "max_tools_tracked" => c.max_tools_tracked = count(k, v, 1, MAX_TOOLS)?,
                "max_cache_bytes" => c.max_cache_bytes = count(k, v, 0, MAX_BUDGET_BYTES)?,
                "max_ledger_payload_bytes" => c.max_ledger_payload_bytes = count(k, v, 0, MAX_BUDGET_BYTES)?,
                "max_jitter_bytes" => c.max_jitter_bytes = count(k, v, 0, MAX_BUDGET_BYTES)?,
                "run_id" => c.run_id = opt(v, |v| run_id(k, v))?,
                "ledger" => {
                    let (kind, timeout_ms) = ledger_store(v)?;
                    c.ledger.kind = kind;
                    c.ledger.timeout_ms = timeout_ms;
                }
                "ledger_lease_ms" => c.ledger.lease_ms = count(k, v, 1, MAX_LEASE_MS)?,
                "ledger_ttl_s" => c.ledger.ttl_s = count(k, v, 1, MAX_TTL_S)?,
                "ledger_on_error" => {
                    c.ledger.on_error = match v.as_str() {
                        Some("fail_closed") => LedgerOnError::FailClosed,
                        Some("fail_open") => LedgerOnError::FailOpen,
                        _ => return Err(wrong(k, "\"fail_closed\" or \"fail_open\"", v)),
                    }
                }
                "ledger_store_payload" => c.ledger.store_payload = boolean(k, v)?,
                _ if crate::config_detect::read(&mut c.detect, k, v)? => {}
                _ => return Err(unknown_key(k, CONFIG_KEYS, "")),
            }
        }
        if c.secret_key.is_empty() && !c.shadow_mode {
            return Err(Error::config(
                "config key `secret_key` is required (a non-empty string) unless `shadow_mode` is true",
            ));
        }
        Ok(c)
    }

    /// The lease of a side-effect reservation for `tool`.
    pub fn lease_ms(&self, tool: &str) -> u64 {
        self.tool_policies.get(tool).and_then(|p| p.lease_ms).unwrap_or(self.ledger.lease_ms)
    }

    /// The per-tool call cap: the tool policy's `max_calls`, else `max_calls_per_tool`.
    pub fn call_cap(&self, tool: &str) -> Option<u64> {
        self.tool_policies.get(tool).and_then(|p| p.max_calls).or(self.max_calls_per_tool)
    }
}

/// How a JSON value is named in error messages ("a string", "null").
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn wrong(key: &str, expected: &str, got: &Value) -> Error {
    Error::config(format!("config key `{key}` must be {expected}, got {}", kind_of(got)))
}

fn unknown_key(key: &str, known: &[&str], within: &str) -> Error {
    let hint = known
        .iter()
        .find(|k| edit_distance(k, key) <= 2)
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    Error::config(format!("unknown config key `{key}`{within}{hint}"))
}

/// Levenshtein distance, for "did you mean" hints on typos.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

pub(crate) fn opt<T>(v: &Value, f: impl FnOnce(&Value) -> Result<T>) -> Result<Option<T>> {
    if v.is_null() {
        Ok(None)
    } else {
        f(v).map(Some)
    }
}

pub(crate) fn count<T: TryFrom<u64>>(key: &str, v: &Value, min: u64, max: u64) -> Result<T> {
    let n = v.as_u64().ok_or_else(|| wrong(key, &format!("an integer from {min} to {max}"), v))?;
    if n < min || n > max {
        return Err(Error::config(format!("config key `{key}` must be from {min} to {max}, got {n}")));
    }
    T::try_from(n).map_err(|_| Error::config(format!("config key `{key}` is too large: {n}")))
}

fn number(key: &str, v: &Value) -> Result<f64> {
    v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| wrong(key, "a number", v))
}

fn unit(key: &str, v: &Value) -> Result<f64> {
    let x = number(key, v)?;
    if !(0.0..=1.0).contains(&x) {
        return Err(Error::config(format!("config key `{key}` must be between 0 and 1, got {x}")));
    }
    Ok(x)
}

pub(crate) fn positive(key: &str, v: &Value) -> Result<f64> {
    let x = number(key, v)?;
    if x <= 0.0 {
        return Err(Error::config(format!("config key `{key}` must be > 0 (or null), got {x}")));
    }
    Ok(x)
}

/// A price in dollars: from 0 to [`MAX_USD`].
fn non_negative(key: &str, v: &Value) -> Result<f64> {
    let x = number(key, v)?;
    if !(0.0..=MAX_USD).contains(&x) {
        return Err(Error::config(format!("config key `{key}` must be from 0 to {MAX_USD}, got {x}")));
    }
    Ok(x)
}

/// A budget in dollars: above 0, at most [`MAX_USD`].
fn budget(key: &str, v: &Value) -> Result<f64> {
    let x = positive(key, v)?;
    if x > MAX_USD {
        return Err(Error::config(format!("config key `{key}` must be at most {MAX_USD}, got {x}")));
    }
    Ok(x)
}

pub(crate) fn boolean(key: &str, v: &Value) -> Result<bool> {
    v.as_bool().ok_or_else(|| wrong(key, "true or false", v))
}

fn string_list(key: &str, v: &Value) -> Result<Vec<String>> {
    let arr = v.as_array().ok_or_else(|| wrong(key, "an array of strings", v))?;
    arr.iter()
        .map(|item| item.as_str().map(str::to_string).ok_or_else(|| wrong(key, "an array of strings", v)))
        .collect()
}

pub(crate) fn string_set(key: &str, v: &Value) -> Result<HashSet<String>> {
    Ok(string_list(key, v)?.into_iter().collect())
}

/// The longest lease (a day): a holder that needs longer should record a
/// result and reserve again.
const MAX_LEASE_MS: u64 = 24 * 3600 * 1000;
/// The longest life of a done entry (ten years).
const MAX_TTL_S: u64 = 10 * 365 * 24 * 3600;
/// The longest wait for one store operation (a minute).
const MAX_TIMEOUT_MS: u64 = 60_000;

/// Longest `run_id` accepted, in bytes.
const MAX_RUN_ID_BYTES: usize = 256;

fn run_id(key: &str, v: &Value) -> Result<String> {
    let s = v.as_str().ok_or_else(|| wrong(key, "a non-empty string (or null)", v))?;
    if s.is_empty() || s.len() > MAX_RUN_ID_BYTES {
        return Err(Error::config(format!(
            "config key `{key}` must be 1 to {MAX_RUN_ID_BYTES} bytes long, got {} bytes",
            s.len()
        )));
    }
    Ok(s.to_string())
}

const LEDGER_KEYS: &[&str] = &["kind", "path", "url", "prefix", "timeout_ms"];

/// The `ledger` object: which store, where, and its operation timeout.
fn ledger_store(v: &Value) -> Result<(LedgerKind, u64)> {
    let obj = object("ledger", v)?;
    let text = |k: &str| -> Result<Option<String>> {
        match obj.get(k) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(other) => Err(wrong(&format!("ledger.{k}"), "a non-empty string", other)),
        }
    };
    for k in obj.keys() {
        if !LEDGER_KEYS.contains(&k.as_str()) {
            return Err(unknown_key(k, LEDGER_KEYS, " in `ledger`"));
        }
    }
    let timeout_ms = match obj.get("timeout_ms") {
        Some(t) => count("ledger.timeout_ms", t, 1, MAX_TIMEOUT_MS)?,
        None => LedgerConfig::default().timeout_ms,
    };
    let only = |kind: &str, allowed: &[&str]| -> Result<()> {
        match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(Error::config(format!("config key `ledger.{k}` does not apply to a {kind} ledger"))),
            None => Ok(()),
        }
    };
    let kind = match obj.get("kind").and_then(Value::as_str) {
        Some("memory") => {
            only("memory", &["kind", "timeout_ms"])?;
            LedgerKind::Memory
        }
        Some("sqlite") => {
            only("sqlite", &["kind", "path", "timeout_ms"])?;
            let path = text("path")?
                .ok_or_else(|| Error::config("config key `ledger.path` is required for a sqlite ledger"))?;
            LedgerKind::Sqlite { path }
        }
        Some("redis") => {
            only("redis", &["kind", "url", "prefix", "timeout_ms"])?;
            let url =
                text("url")?.ok_or_else(|| Error::config("config key `ledger.url` is required for a redis ledger"))?;
            if !(url.starts_with("redis://") || url.starts_with("unix://") || url.starts_with("redis+unix://")) {
                return Err(Error::config(format!(
                    "config key `ledger.url` must start with redis:// or unix://, got {:?}",
                    url.chars().take(80).collect::<String>()
                )));
            }
            let prefix = match obj.get("prefix") {
                None => "auraguard:".to_string(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => return Err(wrong("ledger.prefix", "a string", other)),
            };
            LedgerKind::Redis { url, prefix }
        }
        _ => {
            return Err(wrong(
                "ledger.kind",
                "one of \"memory\", \"sqlite\", \"redis\"",
                obj.get("kind").unwrap_or(&Value::Null),
            ))
        }
    };
    Ok((kind, timeout_ms))
}

fn object<'a>(key: &str, v: &'a Value) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| wrong(key, "an object", v))
}

/// `{tool: [key, ...]}` maps (`query_arg_keys_by_tool`, `arg_ignore_keys`).
fn string_lists(key: &str, v: &Value) -> Result<HashMap<String, Vec<String>>> {
    object(key, v)?
        .iter()
        .map(|(tool, keys)| Ok((tool.clone(), string_list(&format!("{key}.{tool}"), keys)?)))
        .collect()
}

const COST_MODEL_KEYS: &[&str] =
    &["default_tool_call_cost", "tool_cost_by_name", "input_token_cost_per_1k", "output_token_cost_per_1k"];

fn cost_model(v: &Value) -> Result<CostModel> {
    let mut m = CostModel::default();
    for (k, item) in object("cost_model", v)? {
        let path = format!("cost_model.{k}");
        match k.as_str() {
            "default_tool_call_cost" => m.default_tool_call_cost = non_negative(&path, item)?,
            "input_token_cost_per_1k" => m.input_token_cost_per_1k = non_negative(&path, item)?,
            "output_token_cost_per_1k" => m.output_token_cost_per_1k = non_negative(&path, item)?,
            "tool_cost_by_name" => {
                m.tool_cost_by_name = object(&path, item)?
                    .iter()
                    .map(|(tool, c)| Ok((tool.clone(), non_negative(&format!("{path}.{tool}"), c)?)))
                    .collect::<Result<_>>()?
            }
            _ => return Err(unknown_key(k, COST_MODEL_KEYS, " in `cost_model`")),
        }
    }
    Ok(m)
}

const POLICY_KEYS: &[&str] = &["access", "max_calls", "risk", "require_args", "deny_reason", "lease_ms"];

fn tool_policies(v: &Value) -> Result<HashMap<String, ToolPolicy>> {
    let mut out = HashMap::new();
    for (tool, p) in object("tool_policies", v)? {
        let base = format!("tool_policies.{tool}");
        let mut policy = ToolPolicy {
            access: Access::Allow,
            max_calls: None,
            risk: "default".to_string(),
            require_args: Vec::new(),
            deny_reason: None,
            lease_ms: None,
        };
        for (k, item) in object(&base, p)? {
            let path = format!("{base}.{k}");
            match k.as_str() {
                "access" => {
                    policy.access = match item.as_str() {
                        Some("allow") => Access::Allow,
                        Some("deny") => Access::Deny,
                        Some("human") => Access::Human,
                        _ => return Err(wrong(&path, "one of \"allow\", \"deny\", \"human\"", item)),
                    }
                }
                "max_calls" => policy.max_calls = opt(item, |x| count(&path, x, 1, MAX_CALLS))?,
                "risk" => policy.risk = item.as_str().ok_or_else(|| wrong(&path, "a string", item))?.to_string(),
                "require_args" => policy.require_args = string_list(&path, item)?,
                "deny_reason" => {
                    policy.deny_reason =
                        opt(item, |x| x.as_str().map(str::to_string).ok_or_else(|| wrong(&path, "a string", x)))?
                }
                "lease_ms" => policy.lease_ms = opt(item, |x| count(&path, x, 1, MAX_LEASE_MS))?,
                _ => return Err(unknown_key(k, POLICY_KEYS, &format!(" in `{base}`"))),
            }
        }
        out.insert(tool.clone(), policy);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sorted<'a>(set: impl IntoIterator<Item = &'a String>) -> Vec<&'a str> {
        let s: BTreeSet<&str> = set.into_iter().map(String::as_str).collect();
        s.into_iter().collect()
    }

    fn err(v: Value) -> String {
        Config::from_value(&v).unwrap_err().message().to_string()
    }

    #[test]
    fn a_configuration_setting_its_own_lists_leaves_the_shared_defaults_alone() {
        let own = Config::from_value(&json!({
            "secret_key": "k",
            "side_effect_tools": ["wire_transfer"],
            "quarantine_error_codes": [],
            "query_arg_keys_by_tool": {"lookup": ["term"]}
        }))
        .unwrap();
        assert_eq!(sorted(own.side_effect_tools.iter()), ["wire_transfer"]);
        assert!(own.quarantine_error_codes.is_empty());
        assert!(!own.query_arg_keys_by_tool.contains_key("search"));

        // Made after, and before: both still have the package's lists.
        for c in [Config::default(), Config::from_value(&json!({"secret_key": "k"})).unwrap()] {
            assert_eq!(sorted(c.side_effect_tools.iter()), ["cancel", "refund", "send_reply"]);
            assert_eq!(c.quarantine_error_codes.len(), 6);
            assert_eq!(c.query_arg_keys_by_tool["search_kb"], ["query", "q"]);
            assert!(!c.query_arg_keys_by_tool.contains_key("lookup"));
        }
    }

    #[test]
    fn defaults_match_the_specification() {
        let c = Config::from_value(&json!({"secret_key": "k"})).unwrap();
        assert_eq!(c.tool_loop_window, 12);
        assert_eq!(c.repeat_toolcall_threshold, 3);
        assert_eq!(c.arg_jitter_similarity_threshold, 0.60);
        assert_eq!(c.arg_jitter_repeat_threshold, 3);
        assert_eq!(c.max_calls_per_tool, None);
        assert_eq!(c.sequence_repeat_threshold, 3);
        assert_eq!(c.max_sequence_length, 4);
        assert!(c.sequence_detection_enabled);
        assert_eq!(c.error_retry_threshold, 2);
        assert_eq!(
            sorted(c.quarantine_error_codes.iter()),
            ["401", "403", "429", "5xx", "connection_error", "timeout"]
        );
        assert_eq!(c.side_effect_max_executed_per_run, 1);
        assert_eq!(sorted(c.side_effect_tools.iter()), ["cancel", "refund", "send_reply"]);
        assert_eq!(c.no_state_change_threshold, 4);
        assert_eq!(c.stall_text_similarity_threshold, 0.92);
        assert_eq!(c.stall_pattern_threshold, 0.6);
        assert_eq!(c.stall_pattern_streak_threshold, 2);
        assert_eq!(c.stall_rewrite_max_attempts, 1);
        assert_eq!(c.max_cost_per_run, None);
        assert_eq!(c.cost_warning_threshold, 0.8);
        assert_eq!(c.query_arg_keys_by_tool["rag_retrieve"], ["query", "q", "question"]);
        assert_eq!(c.query_arg_keys_by_tool["search"], ["query", "q"]);
        assert_eq!(c.cost_model.default_tool_call_cost, 0.04);
        assert_eq!(c.cost_model.input_token_cost_per_1k, 0.003);
        assert_eq!(c.cost_model.output_token_cost_per_1k, 0.015);
        assert_eq!(c.cache_ttl_seconds, None);
        assert_eq!(c.max_cache_entries, 1000);
        assert_eq!(c.max_unique_calls_tracked, 5000);
        assert_eq!(c.max_cost_events, 500);
        assert_eq!(c.max_pending_calls, 1);
        assert!(!c.shadow_mode && !c.strict_mode);
        assert_eq!(c.max_json_bytes, 1 << 20);
        assert_eq!(c.max_text_bytes, 256 << 10);
    }

    #[test]
    fn secret_key_is_required_unless_shadow_mode() {
        assert!(err(json!({})).contains("secret_key"));
        assert!(err(json!({"secret_key": ""})).contains("secret_key"));
        assert!(err(json!({"secret_key": 5})).contains("secret_key"));
        assert!(Config::from_value(&json!({"shadow_mode": true})).is_ok());
    }

    #[test]
    fn unknown_keys_are_rejected_with_a_hint() {
        let m = err(json!({"secret_key": "k", "tool_loop_windw": 3}));
        assert!(m.contains("tool_loop_windw") && m.contains("did you mean `tool_loop_window`"), "{m}");
        assert!(err(json!({"secret_key": "k", "cost_model": {"x": 1}})).contains("`x` in `cost_model`"));
        let m = err(json!({"secret_key": "k", "tool_policies": {"t": {"acess": "deny"}}}));
        assert!(m.contains("`acess` in `tool_policies.t`") && m.contains("did you mean `access`"), "{m}");
    }

    #[test]
    fn out_of_range_and_wrong_types_name_the_key() {
        for (cfg, key) in [
            (json!({"tool_loop_window": 0}), "tool_loop_window"),
            (json!({"repeat_toolcall_threshold": -1}), "repeat_toolcall_threshold"),
            (json!({"arg_jitter_similarity_threshold": 1.5}), "arg_jitter_similarity_threshold"),
            (json!({"sequence_repeat_threshold": 1}), "sequence_repeat_threshold"),
            (json!({"max_sequence_length": 1}), "max_sequence_length"),
            (json!({"max_cost_per_run": 0}), "max_cost_per_run"),
            (json!({"cache_ttl_seconds": -2}), "cache_ttl_seconds"),
            (json!({"side_effect_tools": "refund"}), "side_effect_tools"),
            (json!({"strict_mode": "yes"}), "strict_mode"),
            (json!({"tool_loop_window": 2.5}), "tool_loop_window"),
            (json!({"tool_policies": {"t": {"access": "maybe"}}}), "tool_policies.t.access"),
            (json!({"cost_model": {"tool_cost_by_name": {"x": -1}}}), "cost_model.tool_cost_by_name.x"),
            (json!({"max_pending_calls": 0}), "max_pending_calls"),
            // Upper bounds: no count can overflow a step or stretch it past the window.
            (json!({"sequence_repeat_threshold": u64::MAX / 2}), "sequence_repeat_threshold"),
            (json!({"max_sequence_length": 1_000_000_000u64}), "max_sequence_length"),
            (json!({"tool_loop_window": 10_001}), "tool_loop_window"),
            (json!({"max_pending_calls": 10_001}), "max_pending_calls"),
            (json!({"max_json_bytes": 2}), "max_json_bytes"),
            (json!({"max_text_bytes": 1}), "max_text_bytes"),
            (json!({"tool_policies": {"t": {"max_calls": u64::MAX}}}), "tool_policies.t.max_calls"),
            (json!({"max_cost_per_run": 1e300}), "max_cost_per_run"),
            (json!({"cost_model": {"input_token_cost_per_1k": 1e308}}), "cost_model.input_token_cost_per_1k"),
        ] {
            let mut cfg = cfg;
            cfg["secret_key"] = json!("k");
            let m = err(cfg);
            assert!(m.contains(key), "{m} should name {key}");
        }
        assert!(Config::from_json("[1]").unwrap_err().message().contains("object"));
        assert!(Config::from_json("{").unwrap_err().message().contains("not valid JSON"));
    }

    #[test]
    fn nullable_keys_accept_null_and_stall_attempts_accept_zero() {
        let c = Config::from_value(&json!({"secret_key": "k", "max_calls_per_tool": null, "max_cost_per_run": null,
            "stall_rewrite_max_attempts": 0}))
        .unwrap();
        assert_eq!(c.max_calls_per_tool, None);
        assert_eq!(c.stall_rewrite_max_attempts, 0);
    }

    #[test]
    fn policies_and_caps() {
        let c = Config::from_value(&json!({"secret_key": "k", "max_calls_per_tool": 5,
            "tool_policies": {"a": {"max_calls": 2, "risk": "high", "require_args": ["x"]}, "b": {"access": "deny"}}}))
        .unwrap();
        assert_eq!(c.call_cap("a"), Some(2));
        assert_eq!(c.call_cap("b"), Some(5));
        assert_eq!(c.call_cap("c"), Some(5));
        assert_eq!(c.tool_policies["a"].risk, "high");
        assert_eq!(c.tool_policies["b"].access, Access::Deny);
        assert_eq!(c.tool_policies["b"].risk, "default");
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let c = Config::from_value(&json!({"secret_key": "hunter2-very-secret"})).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
