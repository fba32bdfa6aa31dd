//! The enforcement primitives, one file each, in the order `check_tool`
//! consults them (see `guard.rs`). Each looks at one call and the run's
//! state and either decides or lets the next one look.

pub mod budget;
pub mod circuit_breaker;
pub mod idempotency;
pub mod jitter;
pub mod per_tool_cap;
pub mod policy;
pub mod recovery;
pub mod repeat;
pub mod run_limits;
pub mod same_result;
pub mod sequence;
pub mod side_effect;
pub mod stall;
pub mod warning;

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::json_scan::ArgsView;
use crate::signature::Sig;
use crate::state::ToolId;

/// A call's arguments: a parsed map (the Rust API) or the top-level members
/// the scanner kept (JSON text).
pub enum Args<'a> {
    Map(&'a Map<String, Value>),
    Scanned(ArgsView<'a>),
    /// JSON text the guard did not scan: the same text was scanned and
    /// signed for this tool a moment ago, and no rule of the tool reads an
    /// argument. Should a rule read one, the text is scanned then.
    Unread(&'a str),
}

impl Args<'_> {
    pub fn contains_key(&self, key: &str) -> bool {
        match self {
            Args::Map(m) => m.contains_key(key),
            Args::Scanned(v) => v.contains_key(key),
            Args::Unread(text) => scan_unread(text, |v| v.contains_key(key)).unwrap_or(false),
        }
    }

    /// The value of `key` when it is a string.
    pub fn str_value(&self, key: &str) -> Option<Cow<'_, str>> {
        match self {
            Args::Map(m) => m.get(key).and_then(Value::as_str).map(Cow::Borrowed),
            Args::Scanned(v) => v.str_value(key).map(Cow::Borrowed),
            Args::Unread(text) => scan_unread(text, |v| v.str_value(key).map(str::to_string)).flatten().map(Cow::Owned),
        }
    }
}

/// `f` of the top-level members of arguments that were not scanned (see
/// [`Args::Unread`]); they scanned before, so this does too. The view does
/// not depend on the ignored keys (they are left out of the signature
/// only), so none are given.
fn scan_unread<T>(text: &str, f: impl FnOnce(&ArgsView<'_>) -> T) -> Option<T> {
    let mut scanner = crate::json_scan::Scanner::default();
    scanner.canonical_args(text, None, &mut String::new()).ok().map(|v| f(&v))
}

/// One tool call under evaluation, with its signatures computed once.
pub struct Call<'a> {
    pub tool: ToolId,
    pub name: &'a str,
    pub args: Args<'a>,
    pub args_sig: Sig,
    pub ticket_sig: Sig,
    pub side_effect: bool,
    /// Occurrences of (tool, args_sig) in the recent-call window, plus one.
    pub repeats: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_arguments_are_read_when_a_rule_asks() {
        let args = Args::Unread(r#"{"q": "a\u0042c", "n": 1, "q2": " ", "q": "last"}"#);
        assert_eq!(args.str_value("q").as_deref(), Some("last"), "the last of duplicate keys");
        assert_eq!(args.str_value("q2").as_deref(), Some(" "));
        assert_eq!(args.str_value("n"), None, "not a string");
        assert!(args.contains_key("n") && !args.contains_key("m"));
        let escaped = Args::Unread(r#"{"q": "a\u0042c"}"#);
        assert_eq!(escaped.str_value("q").as_deref(), Some("aBc"));
        let broken = Args::Unread("{");
        assert!(!broken.contains_key("q") && broken.str_value("q").is_none());
    }
}
