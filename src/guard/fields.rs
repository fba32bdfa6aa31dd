//! `record_result` with the result's fields given one by one and only the
//! payload as JSON text: the fast C path builds no result object and the
//! engine parses nothing but the payload.

use super::{Guard, PayloadSig, MAX_RESULT_SCAN_BYTES};
use crate::error::{Error, Result};
use crate::json_scan::ResultFields;
use crate::signature::PAYLOAD_DOMAIN;

impl Guard {
    /// Book a result whose fields are given as values and whose payload is
    /// JSON text (`None` is `null`). The same booking as
    /// [`Guard::record_result_json`] of the object holding these fields, with
    /// one difference: `max_json_bytes` applies to the payload's text alone.
    /// A payload that cannot be kept is booked as absent (as there); text
    /// that is not JSON is an error and nothing changes.
    pub fn record_result_fields(&mut self, fields: ResultFields, payload_json: Option<&str>) -> Result<()> {
        let text = payload_json.unwrap_or("null");
        if text.len() > MAX_RESULT_SCAN_BYTES {
            return Err(Error::invalid(format!(
                "payload is {} bytes, over the limit of {MAX_RESULT_SCAN_BYTES} bytes that can be read at all",
                text.len()
            )));
        }
        let mut payload = std::mem::take(&mut self.payload);
        let too_large = text.len() > self.cfg.max_json_bytes;
        let mut vacancy = None;
        if !too_large {
            // The payload memo holds canonical payloads only, so a text it
            // holds is its own canonical form (canonical text reads back to
            // itself): JSON within every limit but the size, checked above.
            // Booked as it is, with the signature the memo kept.
            match self.payload_memo.get(PAYLOAD_DOMAIN, text.as_bytes()) {
                Ok(sig) => {
                    payload.clear();
                    payload.push_str(text);
                    let recorded = self.record(fields, &payload, None, PayloadSig::Known(sig));
                    self.payload = payload;
                    return recorded;
                }
                Err(at) => vacancy = Some(at),
            }
        }
        let mut scanned = self.scanner.canonical_payload(text, &mut payload, !too_large);
        let mut dropped = too_large.then_some("too_large");
        match &scanned {
            Ok(()) if self.scanner.saw_infinite() => dropped = Some("unrepresentable"),
            Err(first) if !too_large => {
                // Only the payload's depth or numbers may be the trouble:
                // checked again without keeping it, the result is still booked.
                let why = if first.message().starts_with("recursion limit") { "too_deep" } else { "unrepresentable" };
                if self.scanner.canonical_payload(text, &mut payload, false).is_ok() {
                    scanned = Ok(());
                    dropped = Some(why);
                }
            }
            _ => {}
        }
        let recorded =
            scanned.map_err(|e| Error::invalid(format!("payload is not valid JSON: {}", e.message()))).and_then(|()| {
                if dropped.is_some() {
                    payload.clear();
                    payload.push_str("null");
                }
                // A text that was canonical already is the one the memo was
                // asked about: its vacancy is this payload's.
                let signed = match vacancy {
                    Some(at) if payload == text => PayloadSig::Vacant(at),
                    _ => PayloadSig::Unasked,
                };
                self.record(fields, &payload, dropped, signed)
            });
        self.payload = payload;
        recorded
    }
}
