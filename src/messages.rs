//! Every text the guard shows to a model or a human, in one place.

/// Rewrite text when a tool is quarantined.
pub fn quarantined(tool: &str, why: &str) -> String {
    format!(
        "Guard: the tool `{tool}` is switched off for the rest of this conversation ({why}). \
         Do not call it again. Continue with the information you already have, or tell the user \
         plainly what you could not find out."
    )
}

/// Rewrite text when a search tool is queried again and again with near-identical queries.
pub fn arg_jitter(tool: &str) -> String {
    format!(
        "Guard: you have called `{tool}` several times with nearly the same query, and rewording \
         it is not producing new results. Stop searching. Answer from the results you already \
         have, or say what is missing."
    )
}

/// Rewrite text when a tool has used up its call budget.
pub fn per_tool_cap(tool: &str, cap: u64) -> String {
    format!(
        "Guard: `{tool}` has been called {cap} times, its limit for this conversation. Do not call \
         it again; work with what you have."
    )
}

/// Rewrite text when the model cycles through the same sequence of tools.
pub fn sequence_loop(pattern: &str) -> String {
    format!(
        "Guard: the tool sequence {pattern} keeps repeating without progress. Break the cycle: \
         answer with what you know, or escalate."
    )
}

/// Rewrite text when the model's messages stall; it asks for one JSON object.
pub fn stall_forced_outcome() -> String {
    "Guard: the conversation is not moving forward. Do not call any more tools. Reply with \
     exactly one JSON object and nothing else, in this form:\n\
     {\"action\": \"finalize\" or \"escalate\", \"reason\": \"<short reason>\", \
     \"reply_draft\": \"<the reply to send the user, required for finalize>\", \
     \"escalation\": {\"route\": \"<team or queue>\", \"summary\": \"<what happened>\", \
     \"missing_info\": [\"<what is missing>\"], \"tags\": [\"<tag>\"]}}"
        .to_string()
}

pub fn summary_human_approval(tool: &str, risk: &str) -> String {
    format!("`{tool}` requires a human's approval before it runs (risk: {risk}).")
}

pub fn summary_budget(projected: f64, limit: f64) -> String {
    format!("The next tool call would bring this run's cost to ${projected:.4}, at or over its budget of ${limit:.4}.")
}

pub fn summary_stall_fallback() -> String {
    "The assistant kept producing messages without progress; the run needs a human.".to_string()
}

pub fn summary_noncompliant() -> String {
    "The assistant was asked to finalize or escalate in a fixed JSON form and did not; the run needs a human."
        .to_string()
}

/// Warning text when a repeated call would have been blocked (`warn_before_enforce`).
pub fn warned_block(tool: &str) -> String {
    format!(
        "Guard: you have called `{tool}` with the same arguments several times. This time it runs; \
         the next identical call will be refused. Use the result you already have."
    )
}

/// Rewrite text when a tool keeps returning the same result for different arguments.
pub fn same_result_loop(tool: &str) -> String {
    format!(
        "Guard: `{tool}` has returned the same result for several different requests. Asking it \
         differently will not change the answer. Work with that result, or tell the user what is missing."
    )
}

/// Rewrite text while a failing tool's breaker is open and will let a probe through later.
pub fn paused(tool: &str, why: &str, retry_after_ms: Option<u64>) -> String {
    let when = match retry_after_ms {
        Some(ms) => format!("in about {} s", ms.div_ceil(1000)),
        None => "after a few other calls".to_string(),
    };
    format!(
        "Guard: the tool `{tool}` is paused after repeated failures ({why}). It may be tried once more {when}. \
         Until then, do not call it; continue with other steps or the information you have."
    )
}

pub fn summary_run_limit(key: &str, used: f64, limit: f64) -> String {
    format!("The run has used {used} against its limit `{key}` of {limit}; it needs a human to go on.")
}
