//! Scenarios of the failure modes the package lets through, one per opt-in
//! detector (docs/DETECTION.md). The bench plays each without the guard,
//! with the package's defaults, and with the detector's keys on.

use serde_json::{json, Value};

use crate::scenarios::{config, ok, say, tool, Outcome, Scenario, ESCALATE_REPLY};

/// Every opt-in key on at once, at values an operator would pick: the
/// healthy workflow must see no intervention with them.
pub fn every_feature() -> Value {
    json!({
        "same_result_threshold": 3,
        "poll_tools": ["get_job_status"],
        "quarantine_cooldown_calls": 3,
        "quarantine_cooldown_s": 30,
        "warn_before_enforce": true,
        "sequence_gap_tolerance": 2,
        "max_model_calls": 50,
        "max_tokens_per_run": 60000,
        "max_tool_calls_per_run": 40,
        "max_run_seconds": 3600,
        "multilingual_text": true,
        "stall_phrases": {"apology": ["mea culpa"]}
    })
}

fn same_answer() -> Scenario {
    let queries = [
        "order ORD-9 status",
        "status of my order 9",
        "where is order nine",
        "ORD-9 shipping state",
        "track ORD 9",
        "has order 9 shipped",
        "delivery status for ORD-9",
        "ORD-9 carrier tracking",
    ];
    Scenario {
        id: "same_answer",
        title: "Same answer, varied queries: every rewording returns \"not found\"",
        config: config(json!({})),
        sections: vec![
            queries.iter().map(|q| tool("find_order", json!({"text": q}), ok(json!({"found": false})))).collect(),
            vec![say("I could not find that order; could you confirm its number?")],
        ],
        forced_reply: None,
        feature: json!({"same_result_threshold": 3}),
        goal: None,
    }
}

fn recovering_tool() -> Scenario {
    let carrier = |outcome| tool("carrier_status", json!({"tracking": "1Z999"}), outcome);
    Scenario {
        id: "recovering_tool",
        title: "Outage then recovery: the carrier API fails twice, then works again",
        config: config(json!({})),
        sections: vec![
            vec![carrier(Outcome::Err("503")), carrier(Outcome::Err("503"))],
            vec![
                tool("get_order", json!({"order_id": "ORD-8"}), ok(json!({"total": 12}))),
                tool("get_customer", json!({"customer": "C-8"}), ok(json!({"tier": "gold"}))),
                tool("search_kb", json!({"query": "late delivery compensation"}), ok(json!({"hits": 2}))),
            ],
            vec![carrier(ok(json!({"eta": "tomorrow"})))],
            vec![say("Your parcel arrives tomorrow.")],
        ],
        forced_reply: None,
        feature: json!({"quarantine_cooldown_calls": 3}),
        goal: Some("carrier_status"),
    }
}

fn polling_ok() -> Scenario {
    let mut polls: Vec<_> = (1..=7)
        .map(|i| tool("get_job_status", json!({"job": "EXPORT-1"}), ok(json!({"state": "running", "pct": i * 12}))))
        .collect();
    polls.push(tool("get_job_status", json!({"job": "EXPORT-1"}), ok(json!({"state": "done", "pct": 100}))));
    Scenario {
        id: "polling_ok",
        title: "Polling a job that moves: every poll returns new progress",
        config: config(json!({})),
        sections: vec![polls, vec![say("Your export is ready.")]],
        forced_reply: None,
        feature: json!({"poll_tools": ["get_job_status"]}),
        goal: Some("get_job_status"),
    }
}

fn polling_stuck() -> Scenario {
    Scenario {
        id: "polling_stuck",
        title: "Polling a job that is stuck: the same status again and again",
        config: config(json!({})),
        sections: vec![
            (0..12)
                .map(|_| tool("get_job_status", json!({"job": "EXPORT-2"}), ok(json!({"state": "running", "pct": 40}))))
                .collect(),
            vec![say("The export is taking longer than usual; I'll email you when it is done.")],
        ],
        forced_reply: None,
        feature: json!({"poll_tools": ["get_job_status"]}),
        goal: None,
    }
}

fn spanish_stall() -> Scenario {
    let sorry = [
        "Lo siento, sigo revisando su pedido.",
        "Disculpe la demora, un momento por favor.",
        "Lo siento mucho, todavía estoy verificando.",
        "Disculpe las molestias, sigo buscando.",
        "Mis disculpas, un momento más por favor.",
        "Lo siento, sigo revisando con el almacén.",
    ];
    Scenario {
        id: "spanish_stall",
        title: "Apology spiral in Spanish: \"lo siento, sigo revisando\"",
        config: config(json!({})),
        sections: vec![
            vec![tool("get_order", json!({"order_id": "ORD-404"}), Outcome::Err("404"))],
            sorry.iter().map(|s| say(s)).collect(),
        ],
        forced_reply: Some(ESCALATE_REPLY),
        feature: json!({"multilingual_text": true}),
        goal: None,
    }
}

fn token_burn() -> Scenario {
    Scenario {
        id: "token_burn",
        title: "Token burn: the model thinks aloud turn after turn, no tool call at all",
        config: config(json!({})),
        sections: vec![(1..=20)
            .map(|i| say(&format!("Step {i}: weighing clause {i} of the draft against policy section {}.", i + 40)))
            .collect()],
        forced_reply: None,
        feature: json!({"max_tokens_per_run": 10000}),
        goal: None,
    }
}

fn gapped_cycle() -> Scenario {
    let mut steps = Vec::new();
    // Two different calls between the rounds, by turns: no cycle of up to
    // four tools repeats back to back, so the package sees none.
    for round in 0..8 {
        steps.push(tool("ask_reviewer", json!({"round": round}), ok(json!({"verdict": "ask the author"}))));
        steps.push(tool("ask_author", json!({"round": round}), ok(json!({"verdict": "ask the reviewer"}))));
        let between = if round % 2 == 0 { "write_log" } else { "notify_team" };
        steps.push(tool(between, json!({"round": round}), ok(json!("done"))));
    }
    Scenario {
        id: "gapped_cycle",
        title: "A ping-pong broken up by logging calls between the rounds",
        config: config(json!({})),
        sections: vec![steps],
        forced_reply: None,
        feature: json!({"sequence_gap_tolerance": 1}),
        goal: None,
    }
}

fn warned_jitter() -> Scenario {
    let queries = [
        "refund policy",
        "refund policy EU",
        "refund policy EU Germany",
        "refund policy Germany 2024",
        "refund policy EU returns",
        "refund policy EU 14 days",
    ];
    Scenario {
        id: "warned_jitter",
        title: "Warning step: a search spiral warned once, then stopped",
        config: config(json!({})),
        sections: vec![
            queries.iter().map(|q| tool("search_kb", json!({"query": q}), ok(json!({"hits": 2})))).collect(),
            vec![say("Our refund window in the EU is 14 days.")],
        ],
        forced_reply: None,
        feature: json!({"warn_before_enforce": ["arg_jitter_loop"]}),
        goal: None,
    }
}

pub fn all() -> Vec<Scenario> {
    vec![
        same_answer(),
        recovering_tool(),
        polling_ok(),
        polling_stuck(),
        spanish_stall(),
        token_burn(),
        gapped_cycle(),
        warned_jitter(),
    ]
}
