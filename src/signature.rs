//! What the guard keeps instead of raw data: canonical JSON and HMAC-SHA256
//! signatures under the guard's secret key.
//!
//! HMAC comes from the `hmac` crate, keyed once per guard (the inner and
//! outer pads are hashed up front) and cloned for each signature, so a
//! signature costs two SHA-256 compressions of the message and no
//! allocation. Every key-derived state, the guard's and each per-call copy,
//! is wiped once used.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// A full HMAC-SHA256 signature.
pub type Sig = [u8; 32];

type HmacSha256 = Hmac<Sha256>;

/// What a payload's canonical text is prefixed with before it is signed.
pub const PAYLOAD_DOMAIN: &[u8] = b"payload:";

/// What a ticket id is prefixed with before it is signed.
pub const TICKET_DOMAIN: &[u8] = b"ticket:";

/// Lower-case hex of a signature (64 characters).
pub fn hex(sig: &[u8]) -> String {
    // Two digits per byte into a buffer of the right size: `hex::encode`
    // collects characters one by one, and every intervention logs a signature.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(sig.len() * 2);
    for &b in sig {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

/// Parse 64 hex characters back into a signature.
pub fn parse_hex(s: &str) -> Option<Sig> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// A signature kept as bytes and shown as hex (64 digits): an intervention
/// carries its call's `args_sig` this way, so that logging one writes no
/// hex until it is reported, saved or sent as an event.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HexSig(pub Sig);

impl std::fmt::Display for HexSig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl std::fmt::Debug for HexSig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl serde::Serialize for HexSig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&hex(&self.0))
    }
}

impl PartialEq<str> for HexSig {
    fn eq(&self, other: &str) -> bool {
        hex(&self.0) == other
    }
}

/// Signs data under one secret key: HMAC-SHA256 (RFC 2104).
pub struct Signer {
    keyed: HmacSha256,
}

impl Signer {
    pub fn new(key: &[u8]) -> Signer {
        Signer { keyed: HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length") }
    }

    /// A copy of the keyed state with `parts` fed in; the caller wipes it.
    fn keyed_with(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        for part in parts {
            mac.update(part);
        }
        mac
    }

    /// HMAC(key, parts concatenated).
    pub fn sign(&self, parts: &[&[u8]]) -> Sig {
        let mut mac = self.keyed_with(parts);
        let sig: Sig = mac.finalize_reset().into_bytes().into();
        wipe(&mut mac);
        sig
    }

    /// Whether `mac` is HMAC(key, parts concatenated), compared in constant time.
    pub fn verify(&self, parts: &[&[u8]], mac: &[u8]) -> bool {
        let mut state = self.keyed_with(parts);
        let ok = state.verify_slice_reset(mac).is_ok();
        wipe(&mut state);
        ok
    }

    /// `args_sig`: HMAC of `"args:" + canonical(args without ignored keys)`.
    pub fn args_sig(&self, args: &Map<String, Value>, ignore: Option<&BTreeSet<String>>, buf: &mut String) -> Sig {
        write_args_text(args, ignore, buf);
        self.sign(&[buf.as_bytes()])
    }

    /// `ticket_sig` for a non-empty ticket id.
    pub fn ticket_sig(&self, ticket_id: &str) -> Sig {
        self.sign(&[TICKET_DOMAIN, ticket_id.as_bytes()])
    }

    /// `ticket_sig` of a call without a ticket: the run's own signature.
    pub fn run_sig(&self, run_id: &str) -> Sig {
        self.sign(&[b"run:", run_id.as_bytes()])
    }

    /// `payload_sig`: HMAC of `"payload:" + canonical(payload)`, given the canonical text.
    pub fn payload_sig(&self, canonical_payload: &str) -> Sig {
        self.sign(&[PAYLOAD_DOMAIN, canonical_payload.as_bytes()])
    }

    /// A token's signature, truncated to 128 bits: token sets are kept (and
    /// saved) as these, never as words.
    pub fn token_sig(&self, token: &str) -> u128 {
        let s = self.sign(&[b"tok:", token.as_bytes()]);
        u128::from_be_bytes(s[..16].try_into().expect("16 bytes"))
    }

    /// The idempotency digest of a side-effect call; its first 32 hex
    /// characters are the `idempotency_key` handed to the caller.
    pub fn idempotency(&self, ticket_sig: &Sig, tool: &str, args_sig: &Sig) -> Sig {
        let mut t = [0u8; 64];
        let mut a = [0u8; 64];
        hex::encode_to_slice(ticket_sig, &mut t).expect("64 bytes");
        hex::encode_to_slice(args_sig, &mut a).expect("64 bytes");
        self.sign(&[b"idem:", &t, b":", tool.as_bytes(), b":", &a])
    }

    /// A MAC over a saved state's body.
    pub fn state_mac(&self, body: &str) -> Sig {
        self.sign(&[b"state:", body.as_bytes()])
    }

    /// Whether `mac` is the MAC of a saved state's body (constant time).
    pub fn verify_state_mac(&self, body: &str, mac: &[u8]) -> bool {
        self.verify(&[b"state:", body.as_bytes()], mac)
    }
}

impl Clone for Signer {
    /// The same keyed state, without hashing the key's pads again (two
    /// compressions); the copy is wiped when dropped, as the original is.
    fn clone(&self) -> Signer {
        Signer { keyed: self.keyed.clone() }
    }
}

impl Drop for Signer {
    fn drop(&mut self) {
        // The pad states are derived from the key: leave nothing behind.
        wipe(&mut self.keyed);
    }
}

/// Overwrite a keyed HMAC state with zeros.
fn wipe(state: &mut HmacSha256) {
    // SAFETY: an HMAC-SHA256 state is flat data (hash states of `u32`
    // words, a block buffer of bytes and its position) with no pointers,
    // references or drop glue, so all zero bytes are a valid value for it;
    // it is not used again except to be dropped.
    unsafe { zeroize::zeroize_flat_type(state as *mut HmacSha256) }
}

/// The text `args_sig` signs, `"args:" + canonical(args without ignored
/// keys)`, into `buf`.
pub fn write_args_text(args: &Map<String, Value>, ignore: Option<&BTreeSet<String>>, buf: &mut String) {
    buf.clear();
    buf.push_str("args:");
    write_canonical_object(buf, args, ignore);
}

/// Canonical JSON: object keys sorted (by code point, which is UTF-8 byte
/// order), no whitespace, non-ASCII kept as UTF-8.
pub fn canonical(v: &Value) -> String {
    let mut s = String::new();
    write_canonical(&mut s, v);
    s
}

pub fn write_canonical(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => {
            crate::json_number::write_number(out, n.as_str());
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => write_canonical_object(out, map, None),
    }
}

fn write_canonical_object(out: &mut String, map: &Map<String, Value>, ignore: Option<&BTreeSet<String>>) {
    // serde_json's default map iterates in key order already; should a build
    // ever enable its insertion-order feature, sort here instead.
    let in_order = map.keys().zip(map.keys().skip(1)).all(|(a, b)| a < b);
    let mut sorted: Vec<(&String, &Value)>;
    let entries: &mut dyn Iterator<Item = (&String, &Value)> = if in_order {
        &mut map.iter()
    } else {
        sorted = map.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        &mut sorted.into_iter()
    };
    out.push('{');
    let mut first = true;
    for (k, v) in entries {
        if ignore.is_some_and(|ig| ig.contains(k)) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        write_string(out, k);
        out.push(':');
        write_canonical(out, v);
    }
    out.push('}');
}

/// Write `s` as a JSON string: `"` and `\\` escaped, control characters as
/// `\n`-style or `\u00XX` escapes, everything else as UTF-8.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_sorts_keys_and_drops_whitespace() {
        let v: Value = serde_json::from_str(r#"{ "b": 1, "a": [true, null, {"z": "x", "y": 2.5}] }"#).unwrap();
        assert_eq!(canonical(&v), r#"{"a":[true,null,{"y":2.5,"z":"x"}],"b":1}"#);
    }

    #[test]
    fn canonical_keeps_non_ascii_and_escapes_controls() {
        assert_eq!(canonical(&json!({"k": "café \u{1F600}\n\u{1}\""})), "{\"k\":\"café \u{1F600}\\n\\u0001\\\"\"}");
        // Code-point order: "é" (U+00E9) sorts after "z".
        assert_eq!(canonical(&json!({"é": 1, "z": 2})), "{\"z\":2,\"é\":1}");
    }

    #[test]
    fn hmac_matches_a_known_vector() {
        // RFC 4231 test case 2.
        let s = Signer::new(b"Jefe");
        assert_eq!(
            hex(&s.sign(&[b"what do ya want ", b"for nothing?"])),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_clone_signs_as_the_original_and_outlives_it() {
        // RFC 4231 test case 2, through a copy whose original is gone.
        let original = Signer::new(b"Jefe");
        let copy = original.clone();
        drop(original);
        assert_eq!(
            hex(&copy.sign(&[b"what do ya want for nothing?"])),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn args_sig_ignores_key_order_and_ignored_keys() {
        let s = Signer::new(b"k");
        let mut buf = String::new();
        let a = json!({"x": 1, "y": {"b": 2, "a": 1}});
        let b: Value = serde_json::from_str(r#"{"y": {"a": 1, "b": 2}, "x": 1}"#).unwrap();
        assert_eq!(
            s.args_sig(a.as_object().unwrap(), None, &mut buf),
            s.args_sig(b.as_object().unwrap(), None, &mut buf)
        );
        let with_ts = json!({"x": 1, "ts": 99});
        let without = json!({"x": 1});
        let ignore: BTreeSet<String> = ["ts".to_string()].into();
        assert_eq!(
            s.args_sig(with_ts.as_object().unwrap(), Some(&ignore), &mut buf),
            s.args_sig(without.as_object().unwrap(), None, &mut buf)
        );
        assert_ne!(
            s.args_sig(with_ts.as_object().unwrap(), None, &mut buf),
            s.args_sig(without.as_object().unwrap(), None, &mut buf)
        );
        // The definition: HMAC(key, "args:" + canonical).
        assert_eq!(s.args_sig(without.as_object().unwrap(), None, &mut buf), s.sign(&[b"args:{\"x\":1}"]));
    }

    #[test]
    fn signatures_depend_on_the_key_and_domain() {
        let a = Signer::new(b"k1");
        let b = Signer::new(b"k2");
        assert_ne!(a.ticket_sig("T"), b.ticket_sig("T"));
        assert_ne!(a.ticket_sig("T"), a.run_sig("T"));
        assert_eq!(a.ticket_sig("T"), a.sign(&[b"ticket:T"]));
        let ts = a.ticket_sig("T");
        let args = a.sign(&[b"args:{}"]);
        let expected = a.sign(&[format!("idem:{}:refund:{}", hex(&ts), hex(&args)).as_bytes()]);
        assert_eq!(a.idempotency(&ts, "refund", &args), expected);
    }

    #[test]
    fn a_signer_signs_alike_after_many_uses_and_split_messages() {
        // The per-call copy is wiped after use: the keyed state must not be.
        let s = Signer::new(b"Jefe");
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        for _ in 0..3 {
            assert_eq!(hex(&s.sign(&[b"what do ya want for nothing?"])), expected);
        }
        assert_eq!(hex(&s.sign(&[b"what ", b"do ya want ", b"", b"for nothing?"])), expected);
        // RFC 4231 test case 6: a key longer than the block.
        let long = Signer::new(&[0xaa; 131]);
        assert_eq!(
            hex(&long.sign(&[b"Test Using Larger Than Block-Size Key - Hash Key First"])),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn state_macs_verify_only_their_own_body() {
        let s = Signer::new(b"k");
        let mac = s.state_mac("{\"a\":1}");
        assert!(s.verify_state_mac("{\"a\":1}", &mac));
        assert!(!s.verify_state_mac("{\"a\":2}", &mac));
        assert!(!s.verify_state_mac("{\"a\":1}", &mac[..31]));
        assert!(!Signer::new(b"other").verify_state_mac("{\"a\":1}", &mac));
    }

    #[test]
    fn a_hex_sig_is_shown_and_serialized_as_its_hex() {
        let sig: Sig = std::array::from_fn(|i| (i * 37) as u8);
        let h = HexSig(sig);
        assert_eq!(h.to_string(), hex(&sig));
        assert_eq!(serde_json::to_string(&h).unwrap(), format!("\"{}\"", hex(&sig)));
        assert_eq!(format!("{h:?}"), format!("\"{}\"", hex(&sig)));
        assert!(h == *hex(&sig).as_str());
        assert!(h != *hex(&sig).to_uppercase().as_str());
    }

    #[test]
    fn hex_round_trips() {
        let s = Signer::new(b"k").ticket_sig("x");
        assert_eq!(parse_hex(&hex(&s)), Some(s));
        assert_eq!(parse_hex("zz"), None);
    }
}
