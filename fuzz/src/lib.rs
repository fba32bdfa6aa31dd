//! What every fuzz target shares: a C caller of libauraguard that drives the
//! `extern "C"` functions exactly as a C program would (NUL-terminated
//! strings in, library-owned strings out, freed with
//! `auraguard_string_free`) and checks the C contract on every call:
//!
//! - no call ever reports `AURAGUARD_ERR_INTERNAL` (a caught panic);
//! - on success `error_out` is NULL and every output is written;
//! - on failure the outputs are untouched and `error_out` holds a message;
//! - every JSON the library hands out parses.
//!
//! A broken promise panics, which libFuzzer reports as a crash.

pub mod contract;
pub mod hot;
pub mod json;
pub mod run;

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use auraguard::ffi::auraguard_status as Status;
use auraguard::ffi::guard::*;
use auraguard::ffi::strings::auraguard_string_free;
use serde_json::Value;

/// A pointer the library never writes: an output still holding it after a
/// call was left untouched.
fn untouched<T>() -> *mut T {
    ptr::dangling_mut()
}

/// What a C caller can pass for fuzz bytes: everything up to the first NUL.
pub fn c_text(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).expect("no NUL before `end`")
}

/// A refused call: its status and message.
#[derive(Debug)]
pub struct Failure {
    pub status: Status,
    pub message: String,
}

pub type Outcome<T> = Result<T, Failure>;

/// Take a string the library handed out, and free it as the contract says.
///
/// # Safety
/// `s` is a non-NULL string returned by libauraguard, not yet freed.
unsafe fn take(s: *mut c_char) -> String {
    let text = unsafe { CStr::from_ptr(s) }.to_str().map(str::to_string);
    unsafe { auraguard_string_free(s) };
    text.expect("libauraguard hands out UTF-8 only")
}

/// Check one call's status and `error_out` (and `out`, when the function
/// has a string output) against the contract; the output on success.
fn finish(what: &str, status: Status, out: Option<*mut c_char>, err: *mut c_char) -> Outcome<Option<String>> {
    if status == Status::AURAGUARD_OK {
        assert!(err.is_null(), "{what}: succeeded but set error_out");
        let Some(out) = out else { return Ok(None) };
        assert!(out != untouched(), "{what}: succeeded without writing its output");
        // SAFETY: a written output is NULL or a library string.
        return Ok((!out.is_null()).then(|| unsafe { take(out) }));
    }
    assert!(!err.is_null() && err != untouched(), "{what}: failed ({status:?}) without an error message");
    // SAFETY: checked above; a library string.
    let message = unsafe { take(err) };
    assert!(status != Status::AURAGUARD_ERR_INTERNAL, "{what}: internal error (a caught panic): {message}");
    assert!(!message.trim().is_empty(), "{what}: failed ({status:?}) with an empty message");
    if let Some(out) = out {
        assert!(out == untouched(), "{what}: failed ({status:?}) but wrote its output: {message}");
    }
    Err(Failure { status, message })
}

/// JSON the library handed out, parsed (it must parse).
pub fn parse(what: &str, text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{what} is not valid JSON ({e}): {text}"))
}

/// The actions a decision may carry.
pub const ACTIONS: &[&str] = &["allow", "block", "cache", "rewrite", "escalate", "finalize"];

/// A decision as JSON, checked: a known action, a reason, and a `call_id`
/// exactly when the call is allowed.
pub fn decision(what: &str, text: &str) -> Value {
    let d = parse(what, text);
    let action = d["action"].as_str().unwrap_or_else(|| panic!("{what}: decision without an action: {text}"));
    assert!(ACTIONS.contains(&action), "{what}: unknown action {action:?}: {text}");
    assert!(d["reason"].is_string(), "{what}: decision without a reason: {text}");
    assert_eq!(d.get("call_id").is_some_and(|c| c.is_u64()), action == "allow", "{what}: call_id iff allow: {text}");
    d
}

/// A guard created through `auraguard_guard_new`, freed on drop.
pub struct CGuard(*mut auraguard_guard);

impl CGuard {
    pub fn new(config: &[u8]) -> Outcome<CGuard> {
        let config = c_text(config);
        let mut guard = untouched::<auraguard_guard>();
        let mut err = untouched();
        // SAFETY: valid strings and out-pointers.
        let status = unsafe { auraguard_guard_new(config.as_ptr(), &mut guard, &mut err) };
        match finish("guard_new", status, None, err) {
            Ok(_) => {
                assert!(!guard.is_null() && guard != untouched(), "guard_new: succeeded without a guard");
                Ok(CGuard(guard))
            }
            Err(f) => {
                assert!(guard == untouched(), "guard_new: failed but wrote guard_out");
                Err(f)
            }
        }
    }

    /// The guard, for calls this wrapper does not make (the hot paths, `hot`).
    pub fn as_ptr(&self) -> *mut auraguard_guard {
        self.0
    }

    /// A guard from a configuration known to be valid.
    pub fn valid(config: &str) -> CGuard {
        CGuard::new(config.as_bytes()).unwrap_or_else(|f| panic!("config {config} refused: {}", f.message))
    }

    /// `auraguard_check_tool`; the decision checked and parsed.
    pub fn check_tool(
        &self,
        tool: &[u8],
        args: Option<&[u8]>,
        ticket: Option<&[u8]>,
        side_effect: i32,
    ) -> Outcome<Value> {
        let tool = c_text(tool);
        let args = args.map(c_text);
        let ticket = ticket.map(c_text);
        let opt = |s: &Option<CString>| s.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        let (mut out, mut err) = (untouched(), untouched());
        // SAFETY: a live guard, valid strings and out-pointers.
        let status = unsafe {
            auraguard_check_tool(self.0, tool.as_ptr(), opt(&args), opt(&ticket), side_effect, &mut out, &mut err)
        };
        let text = finish("check_tool", status, Some(out), err)?.expect("check_tool: NULL decision on success");
        Ok(decision("check_tool", &text))
    }

    pub fn record_result(&self, result: &[u8]) -> Outcome<()> {
        let result = c_text(result);
        let mut err = untouched();
        // SAFETY: a live guard, a valid string and out-pointer.
        let status = unsafe { auraguard_record_result(self.0, result.as_ptr(), &mut err) };
        finish("record_result", status, None, err).map(drop)
    }

    /// `auraguard_check_output`: a checked decision, or None for "nothing to do".
    pub fn check_output(&self, text: &[u8]) -> Outcome<Option<Value>> {
        let text = c_text(text);
        let (mut out, mut err) = (untouched(), untouched());
        // SAFETY: a live guard, a valid string and out-pointers.
        let status = unsafe { auraguard_check_output(self.0, text.as_ptr(), &mut out, &mut err) };
        Ok(finish("check_output", status, Some(out), err)?.map(|d| decision("check_output", &d)))
    }

    pub fn record_tokens(&self, input: u64, output: u64, cost: f64) -> Outcome<()> {
        let mut err = untouched();
        // SAFETY: a live guard and a valid out-pointer.
        let status = unsafe { auraguard_record_tokens(self.0, input, output, cost, &mut err) };
        finish("record_tokens", status, None, err).map(drop)
    }

    /// One of the string getters, which never fail on a live guard.
    fn getter(
        &self,
        what: &str,
        f: unsafe extern "C" fn(*mut auraguard_guard, *mut *mut c_char, *mut *mut c_char) -> Status,
    ) -> String {
        let (mut out, mut err) = (untouched(), untouched());
        // SAFETY: a live guard and valid out-pointers.
        let status = unsafe { f(self.0, &mut out, &mut err) };
        match finish(what, status, Some(out), err) {
            Ok(Some(s)) => s,
            Ok(None) => panic!("{what}: NULL output on success"),
            Err(f) => panic!("{what} failed on a live guard: {}", f.message),
        }
    }

    pub fn stats(&self) -> Value {
        let s = parse("stats_json", &self.getter("stats_json", auraguard_stats_json));
        assert!(s.is_object(), "stats_json is not an object: {s}");
        s
    }

    pub fn report(&self) -> Value {
        let r = parse("report_json", &self.getter("report_json", auraguard_report_json));
        assert!(r.is_object(), "report_json is not an object: {r}");
        r
    }

    pub fn report_text(&self) -> String {
        self.getter("report_text", auraguard_report_text)
    }

    pub fn save(&self) -> String {
        let s = self.getter("state_save", auraguard_state_save);
        parse("state_save", &s);
        s
    }

    pub fn load(&self, state: &[u8]) -> Outcome<()> {
        let state = c_text(state);
        let mut err = untouched();
        // SAFETY: a live guard, a valid string and out-pointer.
        let status = unsafe { auraguard_state_load(self.0, state.as_ptr(), &mut err) };
        finish("state_load", status, None, err).map(drop)
    }

    pub fn reset(&self) {
        let mut err = untouched();
        // SAFETY: a live guard and a valid out-pointer.
        let status = unsafe { auraguard_reset(self.0, &mut err) };
        if let Err(f) = finish("reset", status, None, err) {
            panic!("reset failed on a live guard: {}", f.message);
        }
    }
}

impl Drop for CGuard {
    fn drop(&mut self) {
        // SAFETY: created by auraguard_guard_new, freed once.
        unsafe { auraguard_guard_free(self.0) };
    }
}
