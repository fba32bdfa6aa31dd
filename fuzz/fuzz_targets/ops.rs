//! A whole run on one guard: a sequence of operations decoded from the
//! fuzz input with `arbitrary` (checks, results, messages, tokens, save,
//! load, reset, stats, reports) under a small configuration, so that every
//! cap is reached within a few operations.
//!
//! After every operation: a refusal has a documented status and changed
//! nothing; the waiting calls, the intervention log and the cost events
//! stay within their caps; stats and reports parse; a save/load round trip
//! changes nothing; a state saved earlier in the run loads back as itself
//! (call ids keep counting).

#![no_main]

use arbitrary::Arbitrary;
use auraguard::ffi::auraguard_status as Status;
use auraguard_fuzz::json::{object, Json};
use auraguard_fuzz::{contract, parse, CGuard, Failure};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

#[derive(Arbitrary, Debug)]
struct Setup {
    strict: bool,
    shadow: bool,
    pending: u8,
    log: u8,
    cache: u8,
    cost_events: u8,
    tools: u8,
    window: u8,
    max_cost: Option<u8>,
}

impl Setup {
    fn caps(&self) -> Caps {
        Caps {
            pending: 1 + u64::from(self.pending % 3),
            log: 1 + u64::from(self.log % 8),
            cost_events: 1 + u64::from(self.cost_events % 8),
        }
    }

    fn config(&self, caps: &Caps) -> String {
        let mut c = json!({
            "secret_key": "fuzz",
            "strict_mode": self.strict,
            "shadow_mode": self.shadow,
            "max_pending_calls": caps.pending,
            "max_intervention_log": caps.log,
            "max_cost_events": caps.cost_events,
            "max_cache_entries": 1 + self.cache % 4,
            "max_tools_tracked": 1 + self.tools % 6,
            "tool_loop_window": 2 + self.window % 11,
            "max_json_bytes": 1024,
            "max_text_bytes": 1024,
        });
        if let Some(m) = self.max_cost {
            c["max_cost_per_run"] = json!((f64::from(m) + 1.0) / 50.0);
        }
        c.to_string()
    }
}

struct Caps {
    pending: u64,
    log: u64,
    cost_events: u64,
}

#[derive(Arbitrary, Debug)]
enum Tool {
    SearchKb,
    Refund,
    GetOrder,
    SendReply,
    Named(String),
}

impl Tool {
    fn name(&self) -> &str {
        match self {
            Tool::SearchKb => "search_kb",
            Tool::Refund => "refund",
            Tool::GetOrder => "get_order",
            Tool::SendReply => "send_reply",
            Tool::Named(n) => n,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Args {
    Object(Vec<(String, Json)>),
    Query(String),
    Text(String),
    Null,
}

#[derive(Arbitrary, Debug)]
enum Call {
    Latest,
    Issued(u8),
    Id(u64),
}

#[derive(Arbitrary, Debug)]
enum Code {
    TooMany,
    Timeout,
    Server,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Text {
    Stall,
    Finalize(String),
    Escalate(String),
    Free(String),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Check { tool: Tool, args: Args, ticket: Option<String>, side_effect: i8 },
    Record { ok: bool, payload: Json, code: Option<Code>, executed: Option<bool>, call: Call },
    RecordText(String),
    Output(Text),
    Tokens { input: u64, output: u64, cost: Option<f64> },
    SaveLoad,
    LoadSaved(u8),
    LoadGarbage(String),
    Reset,
    Stats,
    Report,
}

#[derive(Arbitrary, Debug)]
struct Run {
    setup: Setup,
    ops: Vec<Op>,
}

const INVALID: Status = Status::AURAGUARD_ERR_INVALID_ARGUMENT;
const MISUSE: Status = Status::AURAGUARD_ERR_MISUSE;

struct State {
    g: CGuard,
    caps: Caps,
    strict: bool,
    /// Every call id an allow handed out, oldest first.
    issued: Vec<u64>,
    /// States saved during the run, each loadable again.
    saved: Vec<String>,
}

fuzz_target!(|run: Run| {
    let caps = run.setup.caps();
    let g = CGuard::valid(&run.setup.config(&caps));
    let mut st = State { g, caps, strict: run.setup.strict, issued: Vec::new(), saved: Vec::new() };
    for op in run.ops.iter().take(64) {
        st.apply(op);
        st.invariants();
    }
    contract::round_trip(&st.g);
});

impl State {
    fn apply(&mut self, op: &Op) {
        let before = self.g.save();
        let in_order = if self.strict { &[INVALID, MISUSE][..] } else { &[INVALID][..] };
        let refused = match op {
            Op::Check { tool, args, ticket, side_effect } => {
                let args = match args {
                    Args::Object(members) => Some(Value::Object(object(members)).to_string()),
                    Args::Query(q) => Some(json!({ "query": q }).to_string()),
                    Args::Text(t) => Some(t.clone()),
                    Args::Null => None,
                };
                let side_effect = i32::from(*side_effect % 3);
                let r = self.g.check_tool(
                    tool.name().as_bytes(),
                    args.as_deref().map(str::as_bytes),
                    ticket.as_deref().map(str::as_bytes),
                    side_effect,
                );
                match r {
                    Ok(d) => {
                        self.issued.extend(d["call_id"].as_u64());
                        None
                    }
                    Err(f) => Some((f, in_order)),
                }
            }
            Op::Record { ok, payload, code, executed, call } => {
                let mut r = json!({ "ok": ok, "payload": payload.to_value() });
                if let Some(code) = code {
                    r["error_code"] = json!(match code {
                        Code::TooMany => "429",
                        Code::Timeout => "timeout",
                        Code::Server => "503",
                        Code::Other(s) => s,
                    });
                }
                if let Some(e) = executed {
                    r["side_effect_executed"] = json!(e);
                }
                match call {
                    Call::Latest => {}
                    Call::Issued(i) if !self.issued.is_empty() => {
                        r["call_id"] = json!(self.issued[usize::from(*i) % self.issued.len()]);
                    }
                    Call::Issued(_) => {}
                    Call::Id(id) => r["call_id"] = json!(id),
                }
                self.g.record_result(r.to_string().as_bytes()).err().map(|f| (f, in_order))
            }
            Op::RecordText(t) => self.g.record_result(t.as_bytes()).err().map(|f| (f, in_order)),
            Op::Output(text) => {
                let text = match text {
                    Text::Stall => "I'm sorry, I'm still checking on that for you.".to_string(),
                    Text::Finalize(s) => json!({"action": "finalize", "reason": s, "reply_draft": s}).to_string(),
                    Text::Escalate(s) => {
                        json!({"action": "escalate", "reason": s, "escalation": {"route": s}}).to_string()
                    }
                    Text::Free(s) => s.clone(),
                };
                self.g.check_output(text.as_bytes()).err().map(|f| (f, &[INVALID][..]))
            }
            Op::Tokens { input, output, cost } => {
                let cost = cost.unwrap_or(f64::NAN);
                let r = self.g.record_tokens(*input, *output, cost);
                // A price beyond MAX_USD is refused, so sums of costs stay finite.
                let valid = cost.is_nan() || (0.0..=auraguard::config::MAX_USD).contains(&cost);
                assert_eq!(r.is_ok(), valid, "record_tokens with cost {cost}: {r:?}");
                r.err().map(|f| (f, &[INVALID][..]))
            }
            Op::SaveLoad => {
                contract::round_trip(&self.g);
                self.saved.push(self.g.save());
                None
            }
            Op::LoadSaved(i) => {
                if !self.saved.is_empty() {
                    let s = self.saved[usize::from(*i) % self.saved.len()].clone();
                    if let Err(f) = self.g.load(s.as_bytes()) {
                        panic!("a state saved earlier in the run does not load: {}", f.message);
                    }
                    same_run_but_fresh_ids(&parse("earlier state", &s), &parse("loaded state", &self.g.save()));
                }
                None
            }
            Op::LoadGarbage(t) => match self.g.load(t.as_bytes()) {
                Ok(()) => panic!("a made-up state was accepted: {t:?}"),
                Err(f) => Some((f, &[Status::AURAGUARD_ERR_STATE][..])),
            },
            Op::Reset => {
                self.g.reset();
                None
            }
            Op::Stats => {
                self.g.stats();
                None
            }
            Op::Report => {
                self.g.report();
                assert!(!self.g.report_text().is_empty(), "empty text report");
                None
            }
        };
        if let Some((f, allowed)) = refused {
            let what = format!("{op:?}");
            contract::status_in(&what, &f, allowed);
            self.refusal_changed_nothing(&before, &what, &f);
        }
    }

    fn refusal_changed_nothing(&self, before: &str, what: &str, f: &Failure) {
        contract::unchanged(&self.g, before, what, f);
    }

    fn invariants(&self) {
        let s = self.g.stats();
        let pending = contract::count(&s, "pending_calls");
        assert!(pending <= self.caps.pending, "{pending} calls wait, over max_pending_calls {}", self.caps.pending);
        let r = self.g.report();
        let len = |key: &str| r[key].as_array().unwrap_or_else(|| panic!("report without `{key}`: {r}")).len() as u64;
        assert!(len("interventions") <= self.caps.log, "intervention log over max_intervention_log: {r}");
        assert!(len("cost_events") <= self.caps.cost_events, "cost events over max_cost_events: {r}");
    }
}

/// A state saved earlier loads as itself, except that call ids keep
/// counting from where the guard was (an id is never handed out twice, so a
/// late result cannot match a newer call): `next_call_id` never goes back.
fn same_run_but_fresh_ids(earlier: &Value, loaded: &Value) {
    let (mut earlier_body, mut loaded_body) = (earlier["body"].clone(), loaded["body"].clone());
    let next = |b: &mut Value| b.as_object_mut().and_then(|b| b.remove("next_call_id")).and_then(|n| n.as_u64());
    let (was, now) = (next(&mut earlier_body), next(&mut loaded_body));
    assert!(now >= was && was.is_some(), "next_call_id went back from {was:?} to {now:?}");
    assert_eq!(loaded_body, earlier_body, "a state saved earlier loads as another");
}
