//! Argument jitter (step 8): a search tool asked again and again with
//! reworded but overlapping queries is quarantined.

use std::borrow::Cow;

use super::Call;
use crate::config::Config;
use crate::decision::Decision;
use crate::memory;
use crate::messages;
use crate::state::{RunState, ToolId};
use crate::text::TokenSigner;
use crate::token_set::TokenSet;

/// The query of a call: the first of the tool's query keys whose value is a
/// non-blank string.
pub fn query<'c>(keys: Option<&[String]>, call: &'c Call<'_>) -> Option<Cow<'c, str>> {
    keys?.iter().find_map(|k| call.args.str_value(k).filter(|s| !s.trim().is_empty()))
}

pub fn check(cfg: &Config, run: &mut RunState, tokens: &mut TokenSigner, call: &Call) -> Option<Decision> {
    let state = run.tool_at(call.tool);
    let q = query(state.rules.query_keys.as_deref(), call)?;
    let set = tokens.token_set(&q);
    let similar =
        state.jitter_history.iter().filter(|h| set.overlaps_at_least(h, cfg.arg_jitter_similarity_threshold)).count();
    remember(cfg, run, call.tool, set);
    if similar < cfg.arg_jitter_repeat_threshold {
        return None;
    }
    if super::warning::first(cfg, run, "arg_jitter_loop", call.tool) {
        return Some(Decision::warned("arg_jitter_loop", messages::arg_jitter(call.name)));
    }
    run.tool_mut(call.tool).set_quarantine("arg_jitter_loop");
    Some(Decision::rewrite("arg_jitter_loop", messages::arg_jitter(call.name)))
}

/// Keep a query's tokens in its tool's history: the last
/// `tool_loop_window` queries, within the run's `max_jitter_bytes` (each
/// query charged [`memory::token_set_bytes`]). When the histories would
/// hold more, the oldest queries of whichever tool holds the most are
/// forgotten first (this tool's included); a query larger than the whole
/// budget is compared but not kept.
pub fn remember(cfg: &Config, run: &mut RunState, tool: ToolId, set: TokenSet) {
    let history = &mut run.tools[tool.0 as usize].jitter_history;
    if history.len() >= cfg.tool_loop_window {
        if let Some(old) = history.pop_front() {
            run.jitter_bytes -= memory::token_set_bytes(old.len());
        }
    }
    let cost = memory::token_set_bytes(set.len());
    if cost > cfg.max_jitter_bytes {
        return;
    }
    while run.jitter_bytes + cost > cfg.max_jitter_bytes {
        let Some(largest) = run
            .tools
            .iter_mut()
            .filter(|t| !t.jitter_history.is_empty())
            .max_by_key(|t| t.jitter_history.iter().map(|h| memory::token_set_bytes(h.len())).sum::<usize>())
        else {
            break;
        };
        if let Some(old) = largest.jitter_history.pop_front() {
            run.jitter_bytes -= memory::token_set_bytes(old.len());
        }
        memory::shrink_deque(&mut largest.jitter_history);
    }
    run.jitter_bytes += cost;
    run.tools[tool.0 as usize].jitter_history.push_back(set);
}

/// Recount the bytes of restored histories, forgetting the oldest queries
/// if the budget of this guard is smaller than the one that saved them.
pub fn recount(cfg: &Config, run: &mut RunState) {
    run.jitter_bytes = 0;
    let restored: Vec<(ToolId, Vec<TokenSet>)> =
        (0..run.tools.len()).map(|i| (ToolId(i as u32), run.tools[i].jitter_history.drain(..).collect())).collect();
    for (tool, sets) in restored {
        for set in sets {
            remember(cfg, run, tool, set);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Signer;
    use serde_json::{json, Map, Value};

    fn setup(extra: Value) -> (Config, RunState, TokenSigner) {
        let mut v = json!({"secret_key": "k"});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let cfg = Config::from_value(&v).unwrap();
        let signer = Signer::new(b"k");
        let mut run = RunState::with_memory_ledger(&cfg, &signer);
        run.intern(&cfg, "search_kb").unwrap();
        run.intern(&cfg, "get_order").unwrap();
        (cfg, run, TokenSigner::new(Signer::new(b"k")))
    }

    fn call<'a>(run: &RunState, tool: &'a str, args: &'a Map<String, Value>) -> Call<'a> {
        let id = run.tool_ids[tool];
        Call {
            tool: id,
            name: tool,
            args: crate::primitives::Args::Map(args),
            args_sig: [0; 32],
            ticket_sig: [0; 32],
            side_effect: false,
            repeats: 1,
        }
    }

    #[test]
    fn query_is_the_first_non_blank_string_key() {
        let (cfg, run, _) = setup(json!({}));
        let keys = |t: &str| cfg.query_arg_keys_by_tool.get(t).map(Vec::as_slice);
        let a = json!({"query": "  ", "q": "refund"}).as_object().unwrap().clone();
        assert_eq!(query(keys("search_kb"), &call(&run, "search_kb", &a)).as_deref(), Some("refund"));
        let b = json!({"query": 5, "q": ["x"]}).as_object().unwrap().clone();
        assert_eq!(query(keys("search_kb"), &call(&run, "search_kb", &b)).as_deref(), None);
        assert_eq!(
            query(keys("get_order"), &call(&run, "get_order", &a)).as_deref(),
            None,
            "tools without query keys are skipped"
        );
    }

    #[test]
    fn quarantines_when_enough_earlier_queries_are_similar() {
        let (cfg, mut run, mut tokens) = setup(json!({}));
        let queries = ["refund policy", "refund policy EU", "refund policy EU Germany", "refund policy Germany 2024"];
        let mut decisions = Vec::new();
        for q in queries {
            let a = json!({ "query": q }).as_object().unwrap().clone();
            let c = call(&run, "search_kb", &a);
            decisions.push(check(&cfg, &mut run, &mut tokens, &c));
        }
        assert!(decisions[..3].iter().all(Option::is_none));
        assert_eq!(decisions[3].as_ref().unwrap().reason, "arg_jitter_loop");
        assert_eq!(run.tool("search_kb").unwrap().quarantine.as_deref(), Some("arg_jitter_loop"));
    }

    #[test]
    fn dissimilar_queries_pass_and_history_keeps_the_window() {
        let (cfg, mut run, mut tokens) = setup(json!({"tool_loop_window": 2}));
        for q in ["alpha", "beta", "gamma", "delta", "alpha"] {
            let a = json!({ "q": q }).as_object().unwrap().clone();
            let c = call(&run, "search_kb", &a);
            assert!(check(&cfg, &mut run, &mut tokens, &c).is_none());
        }
        assert_eq!(run.tool("search_kb").unwrap().jitter_history.len(), 2);
        let _ = ToolId(0);
    }

    #[test]
    fn threshold_is_inclusive() {
        let (cfg, mut run, mut tokens) =
            setup(json!({"arg_jitter_repeat_threshold": 1, "arg_jitter_similarity_threshold": 0.5}));
        let a = json!({"q": "a b"}).as_object().unwrap().clone();
        let b = json!({"q": "a c"}).as_object().unwrap().clone();
        let c = call(&run, "search_kb", &a);
        assert!(check(&cfg, &mut run, &mut tokens, &c).is_none());
        let c = call(&run, "search_kb", &b);
        assert!(check(&cfg, &mut run, &mut tokens, &c).is_some(), "overlap 0.5 >= 0.5, 1 >= 1");
    }
}
