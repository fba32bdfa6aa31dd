//! Strings owned by the library, and static strings.

use std::ffi::{c_char, CString};

use super::{auraguard_status, StatusCode};

/// Free a string returned by this library (decisions, JSON, text, error
/// messages). NULL is a no-op. Never pass it a string from elsewhere, and
/// never free these strings with libc `free`.
///
/// Returned strings are read-only: the library needs their length to free
/// them, so a string whose bytes were changed (a NUL written inside it, say)
/// must not be passed here.
#[no_mangle]
pub unsafe extern "C" fn auraguard_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    let _ = std::panic::catch_unwind(|| {
        // SAFETY: the caller passes a string from this library, once.
        drop(unsafe { CString::from_raw(s) });
    });
}

/// The library's version, e.g. "0.1.0" (the same as `AURAGUARD_VERSION`).
/// Static: never free it.
#[no_mangle]
pub extern "C" fn auraguard_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The name of a status, e.g. "AURAGUARD_ERR_CONFIG"; for a value that is
/// not a status, "AURAGUARD_UNKNOWN_STATUS". Static: never free it.
#[no_mangle]
pub extern "C" fn auraguard_status_name(status: StatusCode) -> *const c_char {
    use auraguard_status::*;
    let name: &'static str = match status.0 {
        x if x == AURAGUARD_OK as i32 => "AURAGUARD_OK\0",
        x if x == AURAGUARD_ERR_INVALID_ARGUMENT as i32 => "AURAGUARD_ERR_INVALID_ARGUMENT\0",
        x if x == AURAGUARD_ERR_CONFIG as i32 => "AURAGUARD_ERR_CONFIG\0",
        x if x == AURAGUARD_ERR_MISUSE as i32 => "AURAGUARD_ERR_MISUSE\0",
        x if x == AURAGUARD_ERR_STATE as i32 => "AURAGUARD_ERR_STATE\0",
        x if x == AURAGUARD_ERR_INTERNAL as i32 => "AURAGUARD_ERR_INTERNAL\0",
        x if x == AURAGUARD_ERR_LEDGER as i32 => "AURAGUARD_ERR_LEDGER\0",
        _ => "AURAGUARD_UNKNOWN_STATUS\0",
    };
    name.as_ptr().cast()
}
