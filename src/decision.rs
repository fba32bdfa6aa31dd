//! The decision returned for a tool call or an assistant message, and the
//! JSON shape it has everywhere (C API, replay, wrappers).

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use crate::payload::Payload;

/// What the agent should do with the call or message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Execute the tool, then report with `record_result`.
    Allow,
    /// Do not execute; tell the model it was refused.
    Block,
    /// Do not execute; reuse `cached_result`.
    Cache,
    /// Do not execute; add `injected_system` to the prompt and ask the model again.
    Rewrite,
    /// Stop the run and hand it to a human with `escalation_packet`.
    Escalate,
    /// Stop the run and send `finalized_output`.
    Finalize,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Block => "block",
            Action::Cache => "cache",
            Action::Rewrite => "rewrite",
            Action::Escalate => "escalate",
            Action::Finalize => "finalize",
        }
    }
}

/// A stored result handed back instead of executing the tool again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CachedResult {
    pub ok: bool,
    /// The stored payload as JSON text (`null` when there was none).
    pub payload: Payload,
    pub error_code: Option<String>,
    pub cached: bool,
    pub side_effect_executed: bool,
    /// False when the result's payload could not be kept (too large, too
    /// deep, a number beyond binary64; or a store that keeps no payloads):
    /// `payload` is then null, not what the tool returned. Written only
    /// when false.
    #[serde(skip_serializing_if = "is_true")]
    pub payload_kept: bool,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Everything a human needs to pick up an escalated run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationPacket {
    pub route: Value,
    pub tags: Vec<Value>,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args_sig: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cumulative_cost: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projected_cost: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_info: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Which run limit was reached (`max_tool_calls_per_run`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_key: Option<String>,
    /// How much of that limit the run has used (calls, tokens or seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used: Option<f64>,
}

impl EscalationPacket {
    /// A packet with no route and the given tags.
    pub fn new(route: Value, tags: &[&str], summary: impl Into<String>) -> Self {
        EscalationPacket {
            route,
            tags: tags.iter().map(|t| Value::String(t.to_string())).collect(),
            summary: summary.into(),
            tool: None,
            args_sig: None,
            risk: None,
            cumulative_cost: None,
            projected_cost: None,
            limit: None,
            missing_info: None,
            reason: None,
            limit_key: None,
            used: None,
        }
    }
}

/// The final answer the model produced when told to stop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinalizedOutput {
    pub reply_draft: String,
    pub reason: String,
}

/// What an allowed call carries when a detector would have intervened but
/// warns first (`warn_before_enforce`): the detector's reason code and the
/// text to show the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionWarning {
    pub reason: String,
    pub message: String,
}

/// What a decision says of a side effect's key and of when to come back.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Terms {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

/// A decision: an action, a reason code, and the fields of that action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub action: Action,
    /// Borrowed for the fixed codes (no allocation for a plain allow).
    pub reason: Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injected_system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_result: Option<Box<CachedResult>>,
    /// The rare fields are boxed: a decision is returned by value through
    /// every check, and they would be most of its size while almost no
    /// decision carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation_packet: Option<Box<EscalationPacket>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finalized_output: Option<Box<FinalizedOutput>>,
    /// Set on every `allow`: pass it back to `record_result`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_id: Option<u64>,
    /// The idempotency key, lease and retry time of side effects and
    /// paused tools (read them with [`Decision::idempotency_key`],
    /// [`Decision::lease_ms`], [`Decision::retry_after_ms`]). Out of line
    /// like the rare fields: with them a decision is under 128 bytes, and
    /// moving it is a few stores instead of a copy.
    #[serde(flatten)]
    pub terms: Option<Box<Terms>>,
    /// Set on an allow that a detector would have refused but warns about first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<Box<DecisionWarning>>,
}

impl Decision {
    pub fn new(action: Action, reason: impl Into<Cow<'static, str>>) -> Self {
        Decision {
            action,
            reason: reason.into(),
            injected_system: None,
            cached_result: None,
            escalation_packet: None,
            finalized_output: None,
            call_id: None,
            terms: None,
            warning: None,
        }
    }

    pub fn allow() -> Self {
        Decision::new(Action::Allow, "allow")
    }

    pub fn block(reason: impl Into<Cow<'static, str>>) -> Self {
        Decision::new(Action::Block, reason)
    }

    pub fn cache(reason: impl Into<Cow<'static, str>>, result: CachedResult) -> Self {
        Decision { cached_result: Some(Box::new(result)), ..Decision::new(Action::Cache, reason) }
    }

    pub fn rewrite(reason: impl Into<Cow<'static, str>>, injected: String) -> Self {
        Decision { injected_system: Some(injected), ..Decision::new(Action::Rewrite, reason) }
    }

    pub fn escalate(reason: impl Into<Cow<'static, str>>, packet: EscalationPacket) -> Self {
        Decision { escalation_packet: Some(Box::new(packet)), ..Decision::new(Action::Escalate, reason) }
    }

    /// An allow that carries a warning of `reason` (see [`DecisionWarning`]).
    pub fn warned(reason: &str, message: String) -> Self {
        Decision {
            warning: Some(Box::new(DecisionWarning { reason: reason.to_string(), message })),
            ..Decision::allow()
        }
    }

    /// Set on an allowed side-effect call: hand it to the downstream API.
    pub fn idempotency_key(&self) -> Option<&str> {
        self.terms.as_ref()?.idempotency_key.as_deref()
    }

    /// Set on an allowed side-effect call that reserved its key: how long
    /// the reservation holds (ms) before its outcome counts as unknown.
    pub fn lease_ms(&self) -> Option<u64> {
        self.terms.as_ref()?.lease_ms
    }

    /// Set on `side_effect_in_flight` and on a paused tool: when to try
    /// again (ms).
    pub fn retry_after_ms(&self) -> Option<u64> {
        self.terms.as_ref()?.retry_after_ms
    }

    /// This decision with these terms (none kept out of line when all are
    /// `None`).
    pub fn with_terms(
        mut self,
        idempotency_key: Option<String>,
        lease_ms: Option<u64>,
        retry_after_ms: Option<u64>,
    ) -> Self {
        self.set_terms(idempotency_key, lease_ms, retry_after_ms);
        self
    }

    /// Give this decision these terms, in place: the allow path sets them
    /// on the decision it is about to return, and moving a decision in and
    /// out of a call copies it through memory just written.
    pub fn set_terms(&mut self, idempotency_key: Option<String>, lease_ms: Option<u64>, retry_after_ms: Option<u64>) {
        self.terms = (idempotency_key.is_some() || lease_ms.is_some() || retry_after_ms.is_some())
            .then(|| Box::new(Terms { idempotency_key, lease_ms, retry_after_ms }));
    }

    /// Whether this is an allow with a warning.
    pub fn is_warning(&self) -> bool {
        self.action == Action::Allow && self.warning.is_some()
    }

    /// The decision as JSON. An allow (the common answer) is written by
    /// hand; the other actions go through serde.
    pub fn to_json(&self) -> String {
        let plain_allow = self.action == Action::Allow
            && self.injected_system.is_none()
            && self.cached_result.is_none()
            && self.escalation_packet.is_none()
            && self.finalized_output.is_none()
            && self.retry_after_ms().is_none()
            && self.warning.is_none();
        if !plain_allow {
            if let Some(cached) = self.cached_result.as_ref().filter(|_| self.is_plain_cache()) {
                return self.cache_json(cached);
            }
            return serde_json::to_string(self).expect("a decision always serializes");
        }
        use std::fmt::Write as _;
        // Room for the terminating NUL the C API adds, so it never reallocates.
        let mut out = String::with_capacity(112 + self.reason.len());
        out.push_str("{\"action\":\"allow\",\"reason\":");
        crate::signature::write_string(&mut out, &self.reason);
        if let Some(id) = self.call_id {
            let _ = write!(out, ",\"call_id\":{id}");
        }
        if let Some(key) = self.idempotency_key() {
            out.push_str(",\"idempotency_key\":");
            crate::signature::write_string(&mut out, key);
        }
        if let Some(ms) = self.lease_ms() {
            let _ = write!(out, ",\"lease_ms\":{ms}");
        }
        out.push('}');
        out
    }
}

impl Decision {
    /// Whether this is a cache decision with nothing but its cached result
    /// (every cache decision the engine makes): written by hand, as an allow.
    pub fn is_plain_cache(&self) -> bool {
        self.action == Action::Cache
            && self.cached_result.is_some()
            && self.injected_system.is_none()
            && self.escalation_packet.is_none()
            && self.finalized_output.is_none()
            && self.call_id.is_none()
            && self.idempotency_key().is_none()
            && self.lease_ms().is_none()
            && self.retry_after_ms().is_none()
    }

    /// The JSON of a plain cache decision (see [`Decision::is_plain_cache`]),
    /// its payload copied as the text it is kept as: the same text serde
    /// writes, without walking the payload. A cache hit answers with it on
    /// every repeat.
    pub fn cache_json(&self, cached: &CachedResult) -> String {
        let payload = cached.payload.json();
        let mut out = String::with_capacity(160 + self.reason.len() + payload.len());
        out.push_str("{\"action\":\"cache\",\"reason\":");
        crate::signature::write_string(&mut out, &self.reason);
        out.push_str(",\"cached_result\":{\"ok\":");
        out.push_str(if cached.ok { "true" } else { "false" });
        out.push_str(",\"payload\":");
        out.push_str(payload);
        out.push_str(",\"error_code\":");
        match &cached.error_code {
            Some(code) => crate::signature::write_string(&mut out, code),
            None => out.push_str("null"),
        }
        out.push_str(if cached.cached { ",\"cached\":true" } else { ",\"cached\":false" });
        out.push_str(if cached.side_effect_executed {
            ",\"side_effect_executed\":true"
        } else {
            ",\"side_effect_executed\":false"
        });
        if !cached.payload_kept {
            out.push_str(",\"payload_kept\":false");
        }
        out.push_str("}}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_hand_written_allow_matches_serde() {
        for d in [
            Decision { call_id: Some(7), ..Decision::allow() },
            Decision { call_id: Some(u64::MAX), ..Decision::allow() }.with_terms(Some("ab".repeat(16)), None, None),
            Decision { call_id: Some(2), ..Decision::allow() }.with_terms(Some("cd".repeat(16)), Some(60_000), None),
            Decision { call_id: Some(1), ..Decision::new(Action::Allow, "shadow_allow") },
            Decision::new(Action::Allow, "quote\" and \\ and \u{1}"),
        ] {
            assert_eq!(d.to_json(), serde_json::to_string(&d).unwrap());
        }
    }

    #[test]
    fn the_hand_written_cache_matches_serde() {
        let payloads = [
            json!({"s": 1, "a": [1.5, "x\u{7f}\\\"", null]}),
            json!("é\u{2028}\n"),
            json!(null),
            json!(12345678901234567890u64),
        ];
        for (i, payload) in payloads.into_iter().enumerate() {
            let cached = CachedResult {
                ok: i % 2 == 0,
                payload: payload.into(),
                error_code: (i % 3 == 0).then(|| "4\"29\u{1}".to_string()),
                cached: i != 1,
                side_effect_executed: i == 2,
                payload_kept: i != 3,
            };
            let d = Decision::cache(if i == 0 { "idempotent_replay" } else { "identical_toolcall_loop_cache" }, cached);
            assert!(d.is_plain_cache());
            assert_eq!(d.to_json(), serde_json::to_string(&d).unwrap());
        }
        let with_id = Decision {
            call_id: Some(3),
            ..Decision::cache(
                "x",
                CachedResult {
                    ok: true,
                    payload: json!(1).into(),
                    error_code: None,
                    cached: true,
                    side_effect_executed: false,
                    payload_kept: true,
                },
            )
        };
        assert!(!with_id.is_plain_cache(), "anything more goes through serde");
        assert_eq!(with_id.to_json(), serde_json::to_string(&with_id).unwrap());
    }

    #[test]
    fn json_shape_has_only_the_fields_of_the_action() {
        let d = Decision { call_id: Some(7), ..Decision::allow() };
        assert_eq!(serde_json::to_value(&d).unwrap(), json!({"action": "allow", "reason": "allow", "call_id": 7}));
        let c = Decision::cache(
            "idempotent_replay",
            CachedResult {
                ok: true,
                payload: json!({"s": 1}).into(),
                error_code: None,
                cached: true,
                side_effect_executed: true,
                payload_kept: true,
            },
        );
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"action": "cache", "reason": "idempotent_replay", "cached_result":
                {"ok": true, "payload": {"s": 1}, "error_code": null, "cached": true, "side_effect_executed": true}})
        );
        let e = Decision::escalate("x", EscalationPacket::new(Value::Null, &["a"], "s"));
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"action": "escalate", "reason": "x", "escalation_packet": {"route": null, "tags": ["a"], "summary": "s"}})
        );
    }
}

#[cfg(test)]
mod size {
    /// A decision is moved through every step of a check; at 128 bytes or
    /// less the compiler moves it with a few stores instead of `memcpy`.
    #[test]
    fn a_decision_moves_in_a_few_stores() {
        assert!(std::mem::size_of::<super::Decision>() <= 128, "{} bytes", std::mem::size_of::<super::Decision>());
    }
}
