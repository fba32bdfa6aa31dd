//! One frame through a session, whatever the transport: parse it, route it
//! (each element of a batch on its own), and say what goes where. Frames
//! forwarded whole keep their bytes; only a batch the guard answered in part
//! is written anew.

use serde_json::Value;

use super::jsonrpc::{self, INVALID_REQUEST, PARSE_ERROR};
use super::session::{Route, Session};

/// Which peer a frame came from.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum From {
    Client,
    Server,
}

/// What to send after one frame.
#[derive(Default, Debug, PartialEq)]
pub struct Outcome {
    /// For the other peer.
    pub forward: Option<Vec<u8>>,
    /// For the peer the frame came from.
    pub reply: Option<Vec<u8>>,
    /// For stderr: what was wrong with the frame.
    pub note: Option<String>,
}

fn route(session: &Session, from: From, msg: &Value) -> Route {
    match from {
        From::Client => session.client_message(msg),
        From::Server => session.server_message(msg),
    }
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("JSON values serialize")
}

/// Route one frame.
pub fn relay(session: &Session, from: From, frame: &[u8]) -> Outcome {
    let msg: Value = match serde_json::from_slice(frame) {
        Ok(v) => v,
        Err(e) => {
            let why = format!("the message is not valid JSON: {e}");
            return Outcome {
                reply: Some(bytes(&jsonrpc::error(Value::Null, PARSE_ERROR, why.clone()))),
                note: Some(why),
                ..Outcome::default()
            };
        }
    };
    let Value::Array(items) = &msg else {
        return match route(session, from, &msg) {
            Route::Forward => Outcome { forward: Some(frame.to_vec()), ..Outcome::default() },
            Route::Reply(r) => {
                let note = r.pointer("/error/message").and_then(Value::as_str).map(str::to_string);
                Outcome { reply: Some(bytes(&r)), note, ..Outcome::default() }
            }
            Route::Drop(why) => Outcome { note: (!why.is_empty()).then_some(why), ..Outcome::default() },
        };
    };
    if items.is_empty() {
        let why = "an empty batch is not a valid JSON-RPC message";
        return Outcome {
            reply: Some(bytes(&jsonrpc::error(Value::Null, INVALID_REQUEST, why))),
            note: Some(why.to_string()),
            ..Outcome::default()
        };
    }
    let (mut forward, mut replies, mut notes) = (Vec::new(), Vec::new(), Vec::new());
    for item in items {
        match route(session, from, item) {
            Route::Forward => forward.push(item),
            Route::Reply(r) => replies.push(r),
            Route::Drop(why) if why.is_empty() => {}
            Route::Drop(why) => notes.push(why),
        }
    }
    let whole = forward.len() == items.len();
    Outcome {
        forward: if whole {
            Some(frame.to_vec())
        } else {
            (!forward.is_empty()).then(|| serde_json::to_vec(&forward).expect("JSON values serialize"))
        },
        reply: (!replies.is_empty()).then(|| bytes(&Value::Array(replies))),
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}
