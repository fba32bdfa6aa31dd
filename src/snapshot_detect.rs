//! The opt-in detectors' part of a saved state (`body.detect`): kept results
//! as signatures, warnings given, open breakers, and the run limits' counts.
//!
//! Written only when the configuration turns on a detector with run state,
//! so a state saved under the package's keys is the same as before. Times
//! are saved as ages ("opened 12.5 s ago"), since the clock of the process
//! that loads the state starts elsewhere.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::config_detect::{MAX_COOLDOWN_DOUBLINGS, WARNABLE};
use crate::error::{Error, Result};
use crate::signature::{hex, parse_hex, Sig};
use crate::state::{RunState, ToolId};
use crate::state_detect::{Breaker, DetectState, Limits, ResultEntry};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedResult {
    tool: String,
    args_sig: String,
    ok: bool,
    payload_sig: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedBreaker {
    tool: String,
    /// Seconds since the cooldown started.
    open_for_s: f64,
    /// Calls since the cooldown started.
    calls_since_open: u64,
    doublings: u32,
    probing: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedLimits {
    model_calls: u64,
    tokens: u64,
    tool_calls: u64,
    /// Seconds since the run started; none before its first call.
    run_for_s: Option<f64>,
    warned: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedDetect {
    results: Vec<SavedResult>,
    /// (detector reason code, tool).
    warned: Vec<(String, String)>,
    breakers: Vec<SavedBreaker>,
    checks: u64,
    limits: SavedLimits,
}

const LIMIT_KEYS: &[&str] = &["max_tool_calls_per_run", "max_model_calls", "max_tokens_per_run", "max_run_seconds"];

fn bad(what: &str) -> Error {
    Error::state(format!("saved state rejected: {what}"))
}

fn sig(s: &str) -> Result<Sig> {
    parse_hex(s).ok_or_else(|| bad("a signature in `detect` is not 64 hex characters"))
}

fn age(x: f64) -> Result<f64> {
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(bad("an age in `detect` is not a finite number of seconds >= 0"))
    }
}

/// The section to save, if the configuration has detectors with run state.
pub fn save(cfg: &Config, run: &RunState, now: f64) -> Option<SavedDetect> {
    if !cfg.detect.has_run_state() {
        return None;
    }
    let d = &run.detect;
    let name = |id: ToolId| run.name(id).to_string();
    let mut warned: Vec<(String, String)> = d.warned.iter().map(|(r, t)| (r.to_string(), name(*t))).collect();
    warned.sort();
    let mut breakers: Vec<SavedBreaker> = d
        .breakers
        .iter()
        .map(|(t, b)| SavedBreaker {
            tool: name(*t),
            open_for_s: (now - b.opened_at).max(0.0),
            calls_since_open: d.checks.saturating_sub(b.opened_at_check),
            doublings: b.doublings,
            probing: b.probing,
        })
        .collect();
    breakers.sort_by(|a, b| a.tool.cmp(&b.tool));
    let mut limit_warned: Vec<String> = d.limits.warned.iter().map(|k| k.to_string()).collect();
    limit_warned.sort();
    Some(SavedDetect {
        results: d
            .results
            .iter()
            .map(|r| SavedResult {
                tool: name(r.tool),
                args_sig: hex(&r.args_sig),
                ok: r.ok,
                payload_sig: r.payload_sig.map(|s| hex(&s)),
            })
            .collect(),
        warned,
        breakers,
        checks: d.checks,
        limits: SavedLimits {
            model_calls: d.limits.model_calls,
            tokens: d.limits.tokens,
            tool_calls: d.limits.tool_calls,
            run_for_s: d.limits.started_at.map(|t| (now - t).max(0.0)),
            warned: limit_warned,
        },
    })
}

/// Rebuild the section into `run` (whose tools are already interned).
pub fn load(cfg: &Config, run: &mut RunState, saved: SavedDetect, now: f64) -> Result<()> {
    let known = |run: &RunState, n: &str| -> Result<ToolId> {
        run.tool_ids.get(n).copied().ok_or_else(|| bad("`detect` names a tool missing from `tools`"))
    };
    let mut d = DetectState { checks: saved.checks, ..Default::default() };
    for r in saved.results {
        let entry = ResultEntry {
            tool: known(run, &r.tool)?,
            args_sig: sig(&r.args_sig)?,
            ok: r.ok,
            payload_sig: r.payload_sig.as_deref().map(sig).transpose()?,
        };
        d.results.push_back(entry);
    }
    while d.results.len() > cfg.tool_loop_window {
        d.results.pop_front();
    }
    for (reason, tool) in saved.warned {
        let detector = WARNABLE
            .iter()
            .find(|w| **w == reason)
            .ok_or_else(|| bad(&format!("`detect.warned` names `{reason}`, which is not a detector that can warn")))?;
        d.warned.insert((detector, known(run, &tool)?));
    }
    for b in saved.breakers {
        if b.doublings > MAX_COOLDOWN_DOUBLINGS {
            return Err(bad("a breaker in `detect` has more doublings than the cap"));
        }
        let breaker = Breaker {
            opened_at: now - age(b.open_for_s)?,
            opened_at_check: saved.checks.saturating_sub(b.calls_since_open),
            doublings: b.doublings,
            probing: b.probing,
        };
        d.breakers.insert(known(run, &b.tool)?, breaker);
    }
    let mut warned = HashSet::new();
    for k in &saved.limits.warned {
        let key =
            LIMIT_KEYS.iter().find(|l| **l == k).ok_or_else(|| bad("`detect.limits.warned` names an unknown limit"))?;
        warned.insert(*key);
    }
    d.limits = Limits {
        model_calls: saved.limits.model_calls,
        tokens: saved.limits.tokens,
        tool_calls: saved.limits.tool_calls,
        started_at: saved.limits.run_for_s.map(age).transpose()?.map(|a| now - a),
        warned,
    };
    run.detect = d;
    Ok(())
}
