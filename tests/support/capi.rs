//! A guard driven through the C API (the exported functions, called as C
//! calls them), for tests that run in separate processes.
#![allow(dead_code)]

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use auraguard::ffi::auraguard_status;
use auraguard::ffi::guard::{self as g, auraguard_guard};
use auraguard::ffi::ledger::{auraguard_ledger_resolve, OutcomeCode};
use auraguard::ffi::strings::auraguard_string_free;
use serde_json::Value;

pub struct CGuard(*mut auraguard_guard);

// SAFETY: guards are thread-safe (the header says so).
unsafe impl Send for CGuard {}
unsafe impl Sync for CGuard {}

fn take(s: *mut c_char) -> String {
    // SAFETY: `s` is a string the library handed out; freed once here.
    let text = unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_string();
    unsafe { auraguard_string_free(s) };
    text
}

fn status(st: auraguard_status, err: *mut c_char) -> Result<(), String> {
    if st == auraguard_status::AURAGUARD_OK {
        Ok(())
    } else {
        Err(format!("{st:?}: {}", take(err)))
    }
}

impl CGuard {
    pub fn new(config: &Value) -> Result<CGuard, String> {
        let text = CString::new(config.to_string()).unwrap();
        let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: valid strings and out-pointers.
        status(unsafe { g::auraguard_guard_new(text.as_ptr(), &mut out, &mut err) }, err)?;
        Ok(CGuard(out))
    }

    pub fn check(&self, tool: &str, args: &str, ticket: &str) -> Value {
        let (tool, args, ticket) =
            (CString::new(tool).unwrap(), CString::new(args).unwrap(), CString::new(ticket).unwrap());
        let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: a live guard, valid strings and out-pointers.
        let st = unsafe {
            g::auraguard_check_tool(self.0, tool.as_ptr(), args.as_ptr(), ticket.as_ptr(), -1, &mut out, &mut err)
        };
        status(st, err).expect("check_tool");
        serde_json::from_str(&take(out)).unwrap()
    }

    pub fn record(&self, result: &Value) {
        let text = CString::new(result.to_string()).unwrap();
        let mut err = ptr::null_mut();
        // SAFETY: a live guard and a valid string.
        status(unsafe { g::auraguard_record_result(self.0, text.as_ptr(), &mut err) }, err).expect("record_result");
    }

    pub fn resolve(&self, key: &str, executed: bool) -> Result<(), String> {
        let key = CString::new(key).unwrap();
        let mut err = ptr::null_mut();
        // SAFETY: a live guard and a valid string.
        status(
            unsafe { auraguard_ledger_resolve(self.0, key.as_ptr(), OutcomeCode(i32::from(executed)), &mut err) },
            err,
        )
    }

    pub fn stats(&self) -> Value {
        let (mut out, mut err) = (ptr::null_mut(), ptr::null_mut());
        // SAFETY: a live guard and valid out-pointers.
        status(unsafe { g::auraguard_stats_json(self.0, &mut out, &mut err) }, err).expect("stats");
        serde_json::from_str(&take(out)).unwrap()
    }
}

impl Drop for CGuard {
    fn drop(&mut self) {
        // SAFETY: freed once.
        unsafe { g::auraguard_guard_free(self.0) };
    }
}
