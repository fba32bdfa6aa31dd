//! Scripted agent runs: the failure modes the guard exists for, and a
//! healthy workflow that must see no intervention. Each run is played twice,
//! without and with the guard, by `simulate`.

use serde_json::{json, Value};

/// What a tool call returns in the script.
#[derive(Clone)]
pub enum Outcome {
    Ok(Value),
    Err(&'static str),
    /// The request went out but the answer timed out: the side effect happened.
    TimedOutAfterSending,
}

/// One thing the scripted agent does.
#[derive(Clone)]
pub enum Step {
    Tool {
        name: &'static str,
        args: Value,
        ticket: Option<&'static str>,
        outcome: Outcome,
    },
    /// The model writes a message to the user (and spends tokens doing it).
    Say(String),
}

/// A scripted run: sections the agent works through. When the guard tells
/// it to change course (rewrite), it abandons the rest of the section.
pub struct Scenario {
    pub id: &'static str,
    pub title: &'static str,
    pub config: Value,
    pub sections: Vec<Vec<Step>>,
    /// What the model answers after being told to finalize or escalate.
    pub forced_reply: Option<&'static str>,
    /// The opt-in keys of the feature this scenario shows (null: none);
    /// the bench runs it a third time with them on.
    pub feature: Value,
    /// The tool whose last call in the script is the run's purpose: the
    /// bench says whether it ran.
    pub goal: Option<&'static str>,
}

/// Tokens one model turn costs in every scenario (input, output).
pub const TURN_TOKENS: (u64, u64) = (1_200, 150);

pub(crate) fn tool(name: &'static str, args: Value, outcome: Outcome) -> Step {
    Step::Tool { name, args, ticket: None, outcome }
}

pub(crate) fn ticketed(name: &'static str, args: Value, ticket: &'static str, outcome: Outcome) -> Step {
    Step::Tool { name, args, ticket: Some(ticket), outcome }
}

pub(crate) fn ok(v: Value) -> Outcome {
    Outcome::Ok(v)
}

pub(crate) fn say(text: &str) -> Step {
    Step::Say(text.to_string())
}

pub(crate) fn config(extra: Value) -> Value {
    let mut c = json!({"secret_key": "demo-key", "side_effect_tools": ["refund", "send_reply", "cancel"]});
    c.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
    c
}

pub(crate) const ESCALATE_REPLY: &str = r#"{"action": "escalate", "reason": "order record unavailable", "escalation": {"route": "support_tier2", "summary": "Could not load the order; customer waiting for a refund answer.", "missing_info": ["order status"], "tags": ["refund"]}}"#;

fn jitter_loop() -> Scenario {
    let queries = [
        "refund policy",
        "refund policy EU",
        "refund policy EU Germany",
        "refund policy Germany 2024",
        "refund policy EU returns",
        "EU refund policy digital goods",
        "refund policy Germany returns window",
        "refund policy EU 14 days",
        "refund policy returns Germany EU",
        "refund policy EU consumer law",
    ];
    Scenario {
        id: "jitter_loop",
        title: "Search spiral: the same question reworded again and again",
        config: config(json!({})),
        sections: vec![
            queries.iter().map(|q| tool("search_kb", json!({"query": q}), ok(json!({"hits": 2})))).collect(),
            vec![
                say("Our refund window in the EU is 14 days."),
                ticketed(
                    "send_reply",
                    json!({"ticket": "T-100", "body": "14-day refunds"}),
                    "T-100",
                    ok(json!("sent")),
                ),
            ],
        ],
        forced_reply: None,
        feature: Value::Null,
        goal: None,
    }
}

fn double_refund() -> Scenario {
    let refund =
        || ticketed("refund", json!({"order_id": "ORD-123", "amount": 50}), "T-200", ok(json!({"refund_id": "R-1"})));
    Scenario {
        id: "double_refund",
        title: "Double refund: the model retries a refund that already went through",
        config: config(json!({})),
        sections: vec![
            vec![tool("get_order", json!({"order_id": "ORD-123"}), ok(json!({"total": 50})))],
            vec![refund(), say("Let me make sure the refund went through."), refund(), refund()],
            vec![ticketed(
                "send_reply",
                json!({"ticket": "T-200", "body": "Refunded $50"}),
                "T-200",
                ok(json!("sent")),
            )],
        ],
        forced_reply: None,
        feature: Value::Null,
        goal: None,
    }
}

fn error_retry_spiral() -> Scenario {
    Scenario {
        id: "error_retry_spiral",
        title: "Retry storm: a carrier API that is down, retried forever",
        config: config(json!({})),
        sections: vec![
            (0..12)
                .map(|i| tool("carrier_status", json!({"tracking": "1Z999", "attempt": i}), Outcome::Err("503")))
                .collect(),
            vec![say("The carrier's system is down; I'll follow up by email.")],
        ],
        forced_reply: None,
        feature: Value::Null,
        goal: None,
    }
}

fn stall_spiral() -> Scenario {
    let sorry = [
        "I'm sorry for the delay, I'm still checking on your order.",
        "Apologies for the inconvenience, I'm still looking into this.",
        "I'm sorry, let me check again. Thank you for your patience.",
        "Sorry for the trouble, still checking with the warehouse.",
        "I apologize for the delay, please bear with me.",
        "I'm sorry for the wait, still investigating.",
        "Apologies again, I'm still working on it.",
        "I'm sorry for the delay, one moment please.",
    ];
    Scenario {
        id: "stall_spiral",
        title: "Apology spiral: the model keeps saying it is still checking",
        config: config(json!({})),
        sections: vec![
            vec![tool("get_order", json!({"order_id": "ORD-404"}), Outcome::Err("404"))],
            sorry.iter().map(|s| say(s)).collect(),
        ],
        forced_reply: Some(ESCALATE_REPLY),
        feature: Value::Null,
        goal: None,
    }
}

fn budget_overrun() -> Scenario {
    Scenario {
        id: "budget_overrun",
        title: "Budget overrun: an agent that keeps pulling records",
        config: config(json!({"max_cost_per_run": 0.30})),
        sections: vec![(0..15)
            .map(|i| tool("get_invoice", json!({"invoice_id": format!("INV-{i}")}), ok(json!({"n": i}))))
            .collect()],
        forced_reply: None,
        feature: Value::Null,
        goal: None,
    }
}

fn ping_pong() -> Scenario {
    Scenario {
        id: "ping_pong",
        title: "Ping-pong: two agents told to consult each other",
        config: config(json!({})),
        sections: vec![(0..20)
            .map(|i| {
                let name = if i % 2 == 0 { "ask_analyst" } else { "ask_coordinator" };
                tool(
                    name,
                    json!({"round": i, "message": "please review"}),
                    ok(json!({"reply": "please check with the other agent"})),
                )
            })
            .collect()],
        forced_reply: None,
        feature: Value::Null,
        goal: None,
    }
}

fn circular_delegation() -> Scenario {
    let agents = ["delegate_planner", "delegate_researcher", "delegate_writer"];
    Scenario {
        id: "circular_delegation",
        title: "Circular delegation: planner to researcher to writer to planner...",
        config: config(json!({})),
        sections: vec![(0..21).map(|i| tool(agents[i % 3], json!({"hop": i}), ok(json!({"handoff": true})))).collect()],
        forced_reply: None,
        feature: Value::Null,
        goal: None,
    }
}

fn mixed() -> Scenario {
    Scenario {
        id: "mixed",
        title: "Mixed: a realistic bad run with several failure modes at once",
        config: config(json!({"max_cost_per_run": 1.00})),
        sections: vec![
            [
                "refund policy",
                "refund policy EU",
                "refund policy EU Germany",
                "refund policy Germany 2024",
                "refund policy EU returns",
            ]
            .iter()
            .map(|q| tool("search_kb", json!({"query": q}), ok(json!({"hits": 1}))))
            .collect(),
            (0..3).map(|_| tool("get_order", json!({"order_id": "ORD-7"}), ok(json!({"total": 20})))).collect(),
            (0..5).map(|i| tool("inventory_api", json!({"sku": "SKU-1", "try": i}), Outcome::Err("timeout"))).collect(),
            vec![
                ticketed("refund", json!({"order_id": "ORD-7", "amount": 20}), "T-300", Outcome::TimedOutAfterSending),
                ticketed(
                    "refund",
                    json!({"order_id": "ORD-7", "amount": 20}),
                    "T-300",
                    ok(json!({"refund_id": "R-7"})),
                ),
            ],
            vec![ticketed(
                "send_reply",
                json!({"ticket": "T-300", "body": "Refund issued"}),
                "T-300",
                ok(json!("sent")),
            )],
        ],
        forced_reply: None,
        feature: Value::Null,
        goal: None,
    }
}

fn healthy() -> Scenario {
    Scenario {
        id: "healthy",
        title: "Healthy workflow: nothing to stop",
        config: config(json!({"max_cost_per_run": 1.00})),
        sections: vec![vec![
            tool("lookup_ticket", json!({"ticket": "T-500"}), ok(json!({"order_id": "ORD-5"}))),
            tool("get_order", json!({"order_id": "ORD-5"}), ok(json!({"total": 35, "status": "damaged"}))),
            tool("search_kb", json!({"query": "damaged item refund"}), ok(json!({"hits": 3}))),
            say("I can refund the damaged item right away."),
            ticketed("refund", json!({"order_id": "ORD-5", "amount": 35}), "T-500", ok(json!({"refund_id": "R-5"}))),
            ticketed(
                "send_reply",
                json!({"ticket": "T-500", "body": "Your $35 refund is on its way."}),
                "T-500",
                ok(json!("sent")),
            ),
        ]],
        forced_reply: None,
        feature: crate::scenarios_detect::every_feature(),
        goal: None,
    }
}

/// Every scenario, in the order the table shows them.
pub fn all() -> Vec<Scenario> {
    vec![
        jitter_loop(),
        double_refund(),
        error_retry_spiral(),
        stall_spiral(),
        budget_overrun(),
        ping_pong(),
        circular_delegation(),
        mixed(),
        healthy(),
    ]
    .into_iter()
    .chain(crate::scenarios_detect::all())
    .collect()
}
