//! Tool policy (step 1): deny, human approval, required arguments.

use serde_json::Value;

use super::Call;
use crate::config::{Access, ToolPolicy};
use crate::decision::{Decision, EscalationPacket};
use crate::messages;
use crate::signature::hex;

pub fn check(policy: Option<&ToolPolicy>, call: &Call) -> Option<Decision> {
    let policy = policy?;
    match policy.access {
        Access::Deny => {
            let why = policy.deny_reason.as_deref().filter(|r| !r.is_empty()).unwrap_or("tool_denied_by_policy");
            return Some(Decision::block(format!("policy_deny:{why}")));
        }
        Access::Human => {
            let risk = policy.risk.as_str();
            let mut packet = EscalationPacket::new(
                Value::String("human_approval".into()),
                &["human_approval", &format!("risk:{risk}")],
                messages::summary_human_approval(call.name, risk),
            );
            packet.tool = Some(call.name.to_string());
            packet.args_sig = Some(hex(&call.args_sig));
            packet.risk = Some(risk.to_string());
            return Some(Decision::escalate("policy_human_approval_required", packet));
        }
        Access::Allow => {}
    }
    let mut missing: Vec<&str> =
        policy.require_args.iter().map(String::as_str).filter(|k| !call.args.contains_key(k)).collect();
    if missing.is_empty() {
        return None;
    }
    missing.sort_unstable();
    missing.dedup();
    Some(Decision::block(format!("policy_missing_args:{}", missing.join(","))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::decision::Action;
    use crate::state::ToolId;
    use serde_json::{json, Map};

    fn run(policies: Value, tool: &str, args: Value) -> Option<Decision> {
        let cfg = Config::from_value(&json!({"secret_key": "k", "tool_policies": policies})).unwrap();
        let args: Map<String, Value> = args.as_object().unwrap().clone();
        let call = Call {
            tool: ToolId(0),
            name: tool,
            args: crate::primitives::Args::Map(&args),
            args_sig: [7; 32],
            ticket_sig: [0; 32],
            side_effect: false,
            repeats: 1,
        };
        check(cfg.tool_policies.get(tool), &call)
    }

    #[test]
    fn deny_uses_the_reason_or_the_default() {
        let deny = |p: Value| run(json!({ "t": p }), "t", json!({})).unwrap().reason;
        assert_eq!(deny(json!({"access": "deny", "deny_reason": "never"})), "policy_deny:never");
        assert_eq!(deny(json!({"access": "deny"})), "policy_deny:tool_denied_by_policy");
        assert_eq!(deny(json!({"access": "deny", "deny_reason": ""})), "policy_deny:tool_denied_by_policy");
    }

    #[test]
    fn human_access_escalates_with_a_packet() {
        let d = run(json!({"t": {"access": "human", "risk": "high"}}), "t", json!({})).unwrap();
        assert_eq!(d.action, Action::Escalate);
        assert_eq!(d.reason, "policy_human_approval_required");
        let p = d.escalation_packet.unwrap();
        assert_eq!(p.route, json!("human_approval"));
        assert_eq!(p.tags, vec![json!("human_approval"), json!("risk:high")]);
        assert_eq!(p.risk.as_deref(), Some("high"));
        assert_eq!(p.args_sig.unwrap(), hex(&[7; 32]));
        let d = run(json!({"t": {"access": "human"}}), "t", json!({})).unwrap();
        assert_eq!(d.escalation_packet.unwrap().tags[1], json!("risk:default"));
    }

    #[test]
    fn missing_required_args_are_listed_sorted() {
        let p = json!({"t": {"require_args": ["z", "a", "m"]}});
        assert_eq!(run(p.clone(), "t", json!({"m": 1})).unwrap().reason, "policy_missing_args:a,z");
        assert!(run(p, "t", json!({"a": null, "m": 1, "z": 0})).is_none(), "presence as a key is enough");
    }

    #[test]
    fn other_tools_and_allow_pass() {
        assert!(run(json!({"t": {"access": "deny"}}), "u", json!({})).is_none());
        assert!(run(json!({"t": {"access": "allow"}}), "t", json!({})).is_none());
    }
}
