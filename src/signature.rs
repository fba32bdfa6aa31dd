//! What the guard keeps instead of raw data: canonical JSON and HMAC-SHA256
//! signatures under the guard's secret key.
//!
//! The HMAC state is keyed once per guard (the inner and outer pads are
//! hashed up front) and cloned for each signature, so a signature costs two
//! SHA-256 compressions of the message and no allocation.

use serde_json::{Map, Value};
use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// A full HMAC-SHA256 signature.
pub type Sig = [u8; 32];

/// Lower-case hex of a signature (64 characters).
pub fn hex(sig: &[u8]) -> String {
    hex::encode(sig)
}

/// Parse 64 hex characters back into a signature.
pub fn parse_hex(s: &str) -> Option<Sig> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// SHA-256's initial state.
const H0: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
    sha2::compress256(state, std::slice::from_ref(GenericArray::from_slice(block)));
}

/// Signs data under one secret key: HMAC-SHA256 (RFC 2104).
///
/// The states after the key's inner and outer pads are computed once, so a
/// signature of a short message costs two or three SHA-256 compressions, on
/// the stack, with no allocation. Both states are wiped when dropped.
pub struct Signer {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl Signer {
    pub fn new(key: &[u8]) -> Signer {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| {
            let mut state = H0;
            let padded: [u8; 64] = std::array::from_fn(|i| block[i] ^ byte);
            compress(&mut state, &padded);
            state
        };
        let signer = Signer { inner: pad(0x36), outer: pad(0x5c) };
        wipe(&mut block);
        signer
    }

    /// HMAC(key, parts concatenated).
    pub fn sign(&self, parts: &[&[u8]]) -> Sig {
        let mut state = self.inner;
        let mut block = [0u8; 64];
        let mut fill = 0;
        let mut len: u64 = 64; // the inner pad's block
        for part in parts {
            len += part.len() as u64;
            let mut rest: &[u8] = part;
            while !rest.is_empty() {
                let take = rest.len().min(64 - fill);
                block[fill..fill + take].copy_from_slice(&rest[..take]);
                fill += take;
                rest = &rest[take..];
                if fill == 64 {
                    compress(&mut state, &block);
                    fill = 0;
                }
            }
        }
        let inner = finish(state, &mut block, fill, len);
        // The outer hash: the outer pad's state, then the inner digest.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&inner);
        finish(self.outer, &mut block, 32, 64 + 32)
    }

    /// `args_sig`: HMAC of `"args:" + canonical(args without ignored keys)`.
    pub fn args_sig(&self, args: &Map<String, Value>, ignore: Option<&BTreeSet<String>>, buf: &mut String) -> Sig {
        buf.clear();
        buf.push_str("args:");
        write_canonical_object(buf, args, ignore);
        self.sign(&[buf.as_bytes()])
    }

    /// `ticket_sig` for a non-empty ticket id.
    pub fn ticket_sig(&self, ticket_id: &str) -> Sig {
        self.sign(&[b"ticket:", ticket_id.as_bytes()])
    }

    /// `ticket_sig` of a call without a ticket: the run's own signature.
    pub fn run_sig(&self, run_id: &str) -> Sig {
        self.sign(&[b"run:", run_id.as_bytes()])
    }

    /// `payload_sig`: HMAC of `"payload:" + canonical(payload)`, given the canonical text.
    pub fn payload_sig(&self, canonical_payload: &str) -> Sig {
        self.sign(&[b"payload:", canonical_payload.as_bytes()])
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
}

impl Drop for Signer {
    fn drop(&mut self) {
        // The pad states are derived from the key: leave nothing behind.
        wipe_words(&mut self.inner);
        wipe_words(&mut self.outer);
    }
}

/// Pad the last block (`fill` bytes used, `len` bytes hashed in all),
/// compress, and return the digest.
fn finish(mut state: [u32; 8], block: &mut [u8; 64], fill: usize, len: u64) -> Sig {
    block[fill] = 0x80;
    block[fill + 1..].fill(0);
    if fill >= 56 {
        compress(&mut state, block);
        block.fill(0);
    }
    block[56..].copy_from_slice(&(len * 8).to_be_bytes());
    compress(&mut state, block);
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn wipe(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        // SAFETY: a valid, exclusively borrowed byte.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

fn wipe_words(words: &mut [u32; 8]) {
    for w in words.iter_mut() {
        // SAFETY: a valid, exclusively borrowed word.
        unsafe { std::ptr::write_volatile(w, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
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
    fn agrees_with_the_hmac_crate_on_any_key_and_message() {
        use hmac::{Hmac, Mac};
        for key_len in [0usize, 1, 31, 63, 64, 65, 200] {
            let key: Vec<u8> = (0..key_len).map(|i| (i * 7 + 3) as u8).collect();
            let s = Signer::new(&key);
            for msg_len in [0usize, 1, 54, 55, 56, 63, 64, 65, 119, 120, 128, 1000] {
                let msg: Vec<u8> = (0..msg_len).map(|i| (i * 13 + 1) as u8).collect();
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
                mac.update(&msg);
                let expected: [u8; 32] = mac.finalize().into_bytes().into();
                assert_eq!(s.sign(&[&msg]), expected, "key {key_len}, message {msg_len}");
                let (a, b) = msg.split_at(msg_len / 3);
                assert_eq!(s.sign(&[a, b]), expected, "split message");
            }
        }
    }

    #[test]
    fn hex_round_trips() {
        let s = Signer::new(b"k").ticket_sig("x");
        assert_eq!(parse_hex(&hex(&s)), Some(s));
        assert_eq!(parse_hex("zz"), None);
    }
}
