//! The C surface: `extern "C"` functions and nothing else.
//!
//! Conventions, for every function here:
//! - Each entry point runs inside [`boundary`], which catches any Rust panic
//!   and reports `AURAGUARD_ERR_INTERNAL`: nothing unwinds into C.
//! - A function that can fail returns an `auraguard_status` and takes a last
//!   parameter `char **error_out`. When `error_out` is not NULL it is set to
//!   NULL on success and, on failure, to a message (owned by the caller,
//!   released with `auraguard_string_free`). Errors travel with the call;
//!   there is no thread-local "last error".
//! - Outputs are written only on success.
//! - Strings in are NUL-terminated UTF-8 and are validated; strings out are
//!   owned by the caller and released with `auraguard_string_free`.

#![allow(non_camel_case_types)]
// The C caller guarantees the pointer contracts stated in each function's
// documentation; those are the only safety requirements.
#![allow(clippy::missing_safety_doc)]

pub mod call;
pub mod decision;
pub mod fast;
pub mod guard;
pub mod ledger;
pub mod strings;

use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, ErrorKind};

/// The result of every fallible function. The values never change.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum auraguard_status {
    /// Success.
    AURAGUARD_OK = 0,
    /// NULL where not allowed, bad UTF-8, malformed JSON, an out-of-range
    /// flag, an input over its size limit, an unknown `call_id`.
    AURAGUARD_ERR_INVALID_ARGUMENT = 1,
    /// The configuration was rejected; the message names the key.
    AURAGUARD_ERR_CONFIG = 2,
    /// Strict mode: `check_tool`/`record_result` called out of order.
    AURAGUARD_ERR_MISUSE = 3,
    /// A saved state was rejected (unreadable, unknown version, bad MAC).
    AURAGUARD_ERR_STATE = 4,
    /// A bug: a panic was caught inside the library.
    AURAGUARD_ERR_INTERNAL = 5,
    /// The idempotency ledger's store did not answer (server down, disk
    /// full, timeout); the message names the store.
    AURAGUARD_ERR_LEDGER = 6,
}

/// A status as received from C: any integer, so that an out-of-range value
/// is an error and not undefined behaviour. Shown as `auraguard_status` in
/// the header.
#[repr(transparent)]
#[derive(Debug, Clone, Copy)]
pub struct StatusCode(pub c_int);

impl From<ErrorKind> for auraguard_status {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => auraguard_status::AURAGUARD_ERR_INVALID_ARGUMENT,
            ErrorKind::Config => auraguard_status::AURAGUARD_ERR_CONFIG,
            ErrorKind::Misuse => auraguard_status::AURAGUARD_ERR_MISUSE,
            ErrorKind::State => auraguard_status::AURAGUARD_ERR_STATE,
            ErrorKind::Internal => auraguard_status::AURAGUARD_ERR_INTERNAL,
            ErrorKind::Ledger => auraguard_status::AURAGUARD_ERR_LEDGER,
        }
    }
}

/// A string for C, with any interior NUL replaced so it stays whole.
pub(crate) fn c_string(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let fixed: Vec<u8> = e.into_vec().into_iter().map(|b| if b == 0 { b'?' } else { b }).collect();
        CString::new(fixed).expect("no NUL left")
    })
}

/// A string handed to C, owned by the caller (see [`c_string`]).
pub(crate) fn to_c_string(s: String) -> *mut c_char {
    c_string(s).into_raw()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Run `body` as an entry point: catch panics, map errors to a status, and
/// write `error_out`.
pub(crate) fn boundary(error_out: *mut *mut c_char, body: impl FnOnce() -> Result<(), Error>) -> auraguard_status {
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        Err(Error::internal(format!("internal error (a bug in libauraguard): {}", panic_message(&*payload))))
    });
    let (status, message) = match outcome {
        Ok(()) => (auraguard_status::AURAGUARD_OK, None),
        Err(e) => (auraguard_status::from(e.kind()), Some(e.message().to_string())),
    };
    if !error_out.is_null() {
        // SAFETY: the caller passes NULL or a valid `char **`.
        unsafe { *error_out = message.map(to_c_string).unwrap_or(std::ptr::null_mut()) };
    }
    status
}

/// A required pointer argument, or an invalid-argument error naming it.
macro_rules! non_null {
    ($ptr:expr, $name:literal) => {
        if $ptr.is_null() {
            return Err($crate::error::Error::invalid(concat!("`", $name, "` must not be NULL")));
        }
    };
}
pub(crate) use non_null;

/// A NUL-terminated UTF-8 argument as `&str`.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::invalid(format!("`{name}` must not be NULL")));
    }
    // SAFETY: guaranteed by the caller.
    let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes();
    crate::guard::utf8(bytes, name)
}

/// An optional NUL-terminated UTF-8 argument.
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn arg_opt_str<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { arg_str(ptr, name) }.map(Some)
    }
}

/// An optional NUL-terminated argument as bytes, for text the guard checks
/// for UTF-8 itself (`check_tool_utf8`).
///
/// # Safety
/// `ptr` is NULL or NUL-terminated and readable for `'a`.
pub(crate) unsafe fn arg_opt_bytes<'a>(ptr: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: guaranteed by the caller.
    (!ptr.is_null()).then(|| unsafe { CStr::from_ptr(ptr) }.to_bytes())
}

/// Write an owned string to a `char **` output.
///
/// # Safety
/// `out` is a valid, non-NULL `char **`.
pub(crate) unsafe fn write_out(out: *mut *mut c_char, s: String) {
    // SAFETY: guaranteed by the caller.
    unsafe { *out = to_c_string(s) };
}

#[cfg(test)]
mod tests;
