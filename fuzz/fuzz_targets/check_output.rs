//! `auraguard_check_output` with arbitrary assistant text.
//!
//! Input: one flags byte, then the text. Flags: bit 0 first sends a stall
//! twice, so the text may be the model's answer to a rewrite (a JSON
//! finalize/escalate outcome); bit 1 sends the text twice.
//!
//! Text is UTF-8 within `max_text_bytes` or refused as an invalid argument;
//! an answer is a decision or nothing; the text is never stored (neither
//! the saved state nor the report contains any run of 47 bytes of it that
//! was not there before), except a forced outcome's reason that is a short
//! code (docs/HARDENING.md, "No model text is kept"), which is kept as the
//! decision gave it.

#![no_main]

use auraguard::ffi::auraguard_status as Status;
use auraguard::primitives::stall::MAX_LOGGED_REASON_CODE;
use auraguard_fuzz::{c_text, contract, CGuard};
use libfuzzer_sys::fuzz_target;

const MAX_TEXT_BYTES: usize = 2048;
/// Shorter runs of text may legitimately appear in a state (a reason code,
/// a key); runs of 47 bytes and more may not.
const WINDOW: usize = 32;
const STEP: usize = 16;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, text)) = data.split_first() else { return };
    let g = CGuard::valid(&format!(r#"{{"secret_key": "fuzz", "max_text_bytes": {MAX_TEXT_BYTES}}}"#));
    if flags & 1 != 0 {
        for _ in 0..2 {
            g.check_output(b"I'm sorry, I'm still checking on that for you.").expect("a stall message");
        }
    }
    let text = c_text(text);
    let stored_before = stored(&g);
    let mut kept_codes = Vec::new();
    for _ in 0..1 + usize::from(flags & 2 != 0) {
        let before = g.save();
        match g.check_output(text.as_bytes()) {
            Ok(decision) => {
                assert!(text.to_str().is_ok() && text.as_bytes().len() <= MAX_TEXT_BYTES, "bad text accepted");
                kept_codes.extend(decision.as_ref().and_then(kept_reason_code));
            }
            Err(f) => {
                contract::status_in("check_output", &f, &[Status::AURAGUARD_ERR_INVALID_ARGUMENT]);
                let oversized = text.as_bytes().len() > MAX_TEXT_BYTES;
                assert!(text.to_str().is_err() || oversized, "valid text refused: {}", f.message);
                contract::unchanged(&g, &before, "check_output", &f);
                return;
            }
        }
    }
    if let Ok(t) = text.to_str() {
        // As JSON string content, the form it would take inside the state.
        let escaped = serde_json::to_string(t).expect("a string serializes");
        let escaped = &escaped[1..escaped.len() - 1];
        let (before, after) = (stored_before, stored(&g));
        // Windows of WINDOW bytes every STEP bytes: any stored run of the
        // text at least WINDOW + STEP - 1 bytes long holds a whole window.
        for at in (0..escaped.len().saturating_sub(WINDOW - 1)).step_by(STEP) {
            let Some(w) = escaped.get(at..at + WINDOW) else { continue };
            let in_kept_code = kept_codes.iter().any(|c: &String| c.contains(w));
            assert!(
                before.contains(w) || !after.contains(w) || in_kept_code,
                "assistant text was stored ({w:?}): {t:?}"
            );
        }
    }
    contract::round_trip(&g);
});

/// The reason a forced outcome may keep as it is: the text after
/// `forced_finalize:` or `forced_escalate:` when it is a short code (at most
/// `MAX_LOGGED_REASON_CODE` bytes of letters, digits, `_`, `-` and `.`).
fn kept_reason_code(decision: &serde_json::Value) -> Option<String> {
    let reason = decision.get("reason")?.as_str()?;
    let code = reason.strip_prefix("forced_finalize:").or_else(|| reason.strip_prefix("forced_escalate:"))?;
    let is_code = !code.is_empty()
        && code.len() <= MAX_LOGGED_REASON_CODE
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    is_code.then(|| code.to_string())
}

/// Everything the guard keeps that a caller can read back.
fn stored(g: &CGuard) -> String {
    format!("{}\n{}", g.save(), g.report())
}
