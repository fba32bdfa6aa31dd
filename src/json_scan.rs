//! Canonical JSON straight from text, without building a tree.
//!
//! Arguments and payloads arrive as JSON text on every call; parsing them
//! into a `serde_json::Value` only to print them again in canonical form
//! costs more than everything else the guard does. This scanner validates
//! the text and writes the canonical form (keys sorted by code point, no
//! whitespace, strings re-escaped the one canonical way, numbers written as
//! the reference signs them, see [`crate::json_number`]) in one pass, reusing its buffers between calls.
//! It produces byte for byte what `signature::write_canonical` writes for the
//! parsed value; a property test holds the two to it.

use std::collections::BTreeSet;
use std::ops::Range;

use crate::error::{Error, Result};
use crate::json_number::{write_number, NumberForm};
use crate::signature::write_string;

/// Deepest nesting accepted, as `serde_json`'s own limit.
pub(crate) const MAX_DEPTH: usize = 128;

/// One object member while its object is being written.
#[derive(Clone)]
struct Member {
    /// The decoded key, in `Scanner::keys`.
    key: Range<usize>,
    /// The key's first eight bytes (see [`key_prefix`]), set when its
    /// object has to be sorted: most keys are put in order by these alone.
    prefix: u64,
    /// `"key":value` in canonical form, in the output.
    piece: Range<usize>,
}

/// A top-level member of an arguments object, for the checks that look at
/// arguments (required keys, the query of a search).
#[derive(Clone, Debug)]
pub struct TopMember {
    key: Range<usize>,
    /// The decoded string value, when the value is a string.
    text: Option<Range<usize>>,
}

/// Reusable scanning buffers. Not thread-safe; one per guard.
#[derive(Default)]
pub struct Scanner {
    members: Vec<Member>,
    keys: String,
    tmp: String,
    top: Vec<TopMember>,
    /// Whether the last text scanned held a float beyond binary64's range
    /// (canonical `Infinity`: signable, but no JSON to keep).
    infinite: bool,
}

/// The top-level members of the last arguments object scanned.
pub struct ArgsView<'s> {
    top: &'s [TopMember],
    keys: &'s str,
}

impl ArgsView<'_> {
    pub fn contains_key(&self, key: &str) -> bool {
        self.top.iter().any(|m| &self.keys[m.key.clone()] == key)
    }

    /// The value of `key` when it is a string (the last one, for duplicate keys).
    pub fn str_value(&self, key: &str) -> Option<&str> {
        self.top
            .iter()
            .rev()
            .find(|m| &self.keys[m.key.clone()] == key)
            .and_then(|m| m.text.clone().map(|r| &self.keys[r]))
    }
}

struct Cursor<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
}

/// How many bytes at the start of `s` a string holds as they are: up to
/// the first `"`, `\` or control character (or all of them). Eight bytes at
/// a time: a byte equal to `"` or `\`, or below 0x20, sets its top bit in
/// one of three masks (the usual has-zero-byte test, `(x - 0x01..) & !x &
/// 0x80..`). A borrow can also set a bit above a byte that matched, never
/// below one, so the lowest bit set is the first match.
fn plain_run(s: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(chunk) = s.get(at..at + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
        let control = w.wrapping_sub(ONES * 0x20) & !w;
        let hits = (zero_byte(quote) | zero_byte(backslash) | control) & TOPS;
        if hits != 0 {
            return at + (hits.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + s[at..].iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(s.len() - at)
}

/// A key's first eight bytes as a big-endian number, padded with zeros.
/// Two keys whose prefixes differ are in the order of their prefixes: at
/// the first byte where the prefixes differ, either both keys have that
/// byte, or the one that ended there is the other's start, and the shorter
/// comes first either way. Equal prefixes say nothing: compare the keys.
fn key_prefix(key: &[u8]) -> u64 {
    match key.first_chunk::<8>() {
        Some(head) => u64::from_be_bytes(*head),
        // A shorter key is read in two overlapping loads, each byte shifted
        // to its place (the overlap ORs a byte with itself). Copying the key
        // into a zeroed array and reading that back as one word called
        // memcpy and then waited for its stores: four tenths of the sorting
        // function's time on objects whose keys are short, as most are.
        None => {
            let n = key.len();
            if n >= 4 {
                let head = u32::from_be_bytes([key[0], key[1], key[2], key[3]]);
                let tail = u32::from_be_bytes([key[n - 4], key[n - 3], key[n - 2], key[n - 1]]);
                u64::from(head) << 32 | u64::from(tail) << (64 - 8 * n)
            } else if n > 0 {
                let at = |i: usize| u64::from(key[i]) << (56 - 8 * i);
                at(0) | at(n / 2) | at(n - 1)
            } else {
                0
            }
        }
    }
}

impl<'a> Cursor<'a> {
    fn err(&self, what: &str) -> Error {
        Error::invalid(format!("{what} at byte {}", self.pos))
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.src.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.src.get(self.pos).copied()
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<()> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected {what}")))
        }
    }

    fn literal(&mut self, word: &str) -> Result<()> {
        if self.src[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self.src.get(self.pos..self.pos + 4).ok_or_else(|| self.err("truncated \\u escape"))?;
        let s = std::str::from_utf8(digits).map_err(|_| self.err("invalid \\u escape"))?;
        let v = u32::from_str_radix(s, 16).map_err(|_| self.err("invalid \\u escape"))?;
        self.pos += 4;
        Ok(v)
    }

    /// A string without escapes (the cursor on its opening quote): its
    /// content, the cursor moved past it. `None`, the cursor unmoved, when
    /// the string has an escape or a control character: decode it instead.
    /// Such a string's canonical form is its own text.
    fn plain_string(&mut self) -> Option<&'a str> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.pos + 1;
        let len = plain_run(&self.src[start..]);
        if start + len == self.src.len() {
            return None;
        }
        if self.src[start + len] != b'"' {
            return None;
        }
        self.pos = start + len + 1;
        Some(&self.text[start..start + len])
    }

    /// Decode a string (the cursor on its opening quote) into `decoded` and
    /// write its canonical form to `out`: a plain string is copied as it
    /// is, without looking for characters to escape a second time.
    fn string_canonical(&mut self, decoded: &mut String, out: &mut String) -> Result<()> {
        if let Some(plain) = self.plain_string() {
            decoded.push_str(plain);
            out.push('"');
            out.push_str(plain);
            out.push('"');
            return Ok(());
        }
        let start = decoded.len();
        self.string_into(decoded)?;
        write_string(out, &decoded[start..]);
        Ok(())
    }

    /// Decode a string (the cursor on its opening quote) into `out`.
    fn string_into(&mut self, out: &mut String) -> Result<()> {
        if let Some(plain) = self.plain_string() {
            out.push_str(plain);
            return Ok(());
        }
        self.expect(b'"', "a string")?;
        loop {
            let start = self.pos;
            self.pos += plain_run(&self.src[self.pos..]);
            out.push_str(&self.text[start..self.pos]);
            match self.src.get(self.pos) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = *self.src.get(self.pos).ok_or_else(|| self.err("unterminated string"))?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                if !self.src[self.pos..].starts_with(b"\\u") {
                                    return Err(self.err("lone leading surrogate in \\u escape"));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("invalid trailing surrogate in \\u escape"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return Err(self.err("lone trailing surrogate in \\u escape"));
                            } else {
                                hi
                            };
                            out.push(char::from_u32(c).ok_or_else(|| self.err("invalid \\u escape"))?);
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                Some(_) => return Err(self.err("control character in string")),
            }
        }
    }

    /// A number's text, checked against the JSON grammar.
    /// A member's value as the result schema sees it: its JSON type (an
    /// array or object is left unread, since no field but the payload
    /// takes one and the schema refuses it).
    fn scalar(&mut self) -> Result<Scalar> {
        Ok(match self.peek() {
            Some(b'n') => self.literal("null").map(|()| Scalar::Null)?,
            Some(b't') => self.literal("true").map(|()| Scalar::Bool(true))?,
            Some(b'f') => self.literal("false").map(|()| Scalar::Bool(false))?,
            Some(b'"') => {
                let mut s = String::new();
                self.string_into(&mut s)?;
                Scalar::Str(s)
            }
            Some(b'-' | b'0'..=b'9') => {
                Scalar::Number(self.number()?.parse::<serde_json::Number>().ok().and_then(|n| n.as_u64()))
            }
            _ => Scalar::Composite,
        })
    }

    fn number(&mut self) -> Result<&'a str> {
        let start = self.pos;
        let digits = |c: &mut Cursor| {
            let s = c.pos;
            while c.src.get(c.pos).is_some_and(u8::is_ascii_digit) {
                c.pos += 1;
            }
            c.pos > s
        };
        if self.src.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.src.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.src.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.src.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.src.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.err("invalid number"));
            }
        }
        Ok(&self.text[start..self.pos])
    }
}

impl Scanner {
    pub fn new() -> Scanner {
        Scanner::default()
    }

    /// Whether the text last scanned held a number beyond binary64's range,
    /// written `Infinity` in its canonical form: fine to sign, not JSON to keep.
    pub fn saw_infinite(&self) -> bool {
        self.infinite
    }

    /// Write the canonical form of the JSON object `text` (members named in
    /// `ignore` left out) to `out`, remembering its top-level members.
    pub fn canonical_args(
        &mut self,
        text: &str,
        ignore: Option<&BTreeSet<String>>,
        out: &mut String,
    ) -> Result<ArgsView<'_>> {
        self.members.clear();
        self.keys.clear();
        self.top.clear();
        self.infinite = false;
        let mut c = Cursor { src: text.as_bytes(), text, pos: 0 };
        if c.peek() != Some(b'{') {
            return Err(Error::invalid("args must be a JSON object"));
        }
        self.object(&mut c, out, 1, ignore, true)?;
        c.skip_ws();
        if c.pos != c.src.len() {
            return Err(c.err("trailing characters"));
        }
        Ok(ArgsView { top: &self.top, keys: &self.keys })
    }

    /// Write the canonical form of any JSON value `text` to `out`.
    pub fn canonical_value(&mut self, text: &str, out: &mut String) -> Result<()> {
        self.members.clear();
        self.keys.clear();
        self.infinite = false;
        let mut c = Cursor { src: text.as_bytes(), text, pos: 0 };
        self.value(&mut c, out, 0)?;
        c.skip_ws();
        if c.pos != c.src.len() {
            return Err(c.err("trailing characters"));
        }
        Ok(())
    }

    fn value(&mut self, c: &mut Cursor, out: &mut String, depth: usize) -> Result<()> {
        match c.peek() {
            Some(b'{') => self.object(c, out, depth + 1, None, false),
            Some(b'[') => {
                if depth + 1 > MAX_DEPTH {
                    return Err(c.err("recursion limit exceeded"));
                }
                c.pos += 1;
                out.push('[');
                if c.peek() == Some(b']') {
                    c.pos += 1;
                    out.push(']');
                    return Ok(());
                }
                loop {
                    self.value(c, out, depth + 1)?;
                    match c.peek() {
                        Some(b',') => {
                            c.pos += 1;
                            out.push(',');
                        }
                        Some(b']') => {
                            c.pos += 1;
                            out.push(']');
                            return Ok(());
                        }
                        _ => return Err(c.err("expected `,` or `]`")),
                    }
                }
            }
            Some(b'"') => {
                if let Some(plain) = c.plain_string() {
                    out.push('"');
                    out.push_str(plain);
                    out.push('"');
                    return Ok(());
                }
                let mark = self.tmp.len();
                let mut decoded = std::mem::take(&mut self.tmp);
                let r = c.string_into(&mut decoded);
                if r.is_ok() {
                    write_string(out, &decoded[mark..]);
                }
                decoded.truncate(mark);
                self.tmp = decoded;
                r
            }
            Some(b't') => c.literal("true").map(|()| out.push_str("true")),
            Some(b'f') => c.literal("false").map(|()| out.push_str("false")),
            Some(b'n') => c.literal("null").map(|()| out.push_str("null")),
            Some(b'-' | b'0'..=b'9') => {
                let text = c.number()?;
                if write_number(out, text) == NumberForm::Infinite {
                    self.infinite = true;
                }
                Ok(())
            }
            Some(_) => Err(c.err("expected a value")),
            None => Err(c.err("unexpected end of input")),
        }
    }

    fn object(
        &mut self,
        c: &mut Cursor,
        out: &mut String,
        depth: usize,
        ignore: Option<&BTreeSet<String>>,
        top: bool,
    ) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(c.err("recursion limit exceeded"));
        }
        c.expect(b'{', "`{`")?;
        out.push('{');
        let base = out.len();
        let first = self.members.len();
        let keys_base = self.keys.len();
        if c.peek() == Some(b'}') {
            c.pos += 1;
            out.push('}');
            return Ok(());
        }
        let mut written = 0usize;
        loop {
            let comma_at = out.len();
            if written > 0 {
                out.push(',');
            }
            let piece_start = out.len();
            let key_start = self.keys.len();
            c.string_canonical(&mut self.keys, out)?;
            let key = key_start..self.keys.len();
            c.expect(b':', "`:`")?;
            out.push(':');
            if top {
                let text = if c.peek() == Some(b'"') {
                    let s = self.keys.len();
                    c.string_canonical(&mut self.keys, out)?;
                    Some(s..self.keys.len())
                } else {
                    self.value(c, out, depth)?;
                    None
                };
                self.top.push(TopMember { key: key.clone(), text });
            } else {
                self.value(c, out, depth)?;
            }
            if ignore.is_some_and(|ig| ig.contains(&self.keys[key.clone()])) {
                out.truncate(comma_at);
            } else {
                self.members.push(Member { key, prefix: 0, piece: piece_start..out.len() });
                written += 1;
            }
            match c.peek() {
                Some(b',') => {
                    c.pos += 1;
                }
                Some(b'}') => {
                    c.pos += 1;
                    break;
                }
                _ => return Err(c.err("expected `,` or `}`")),
            }
        }
        self.finish_object(out, base, first);
        if !top {
            self.keys.truncate(keys_base);
        }
        self.members.truncate(first);
        out.push('}');
        Ok(())
    }

    /// Put the members written since `base` (comma-separated, in input
    /// order) in key order, one per key (the last one wins, as when parsing
    /// into a map).
    fn finish_object(&mut self, out: &mut String, base: usize, first: usize) {
        let members = &mut self.members[first..];
        let keys = self.keys.as_bytes();
        let key = |m: &Member| &keys[m.key.clone()];
        // Arguments mostly hold one or two members, in order: their check
        // stops here, without the prefixes.
        if members.windows(2).all(|w| key(&w[0]) < key(&w[1])) {
            return; // already canonical
        }
        for m in members.iter_mut() {
            m.prefix = key_prefix(key(m));
        }
        let order = |a: &Member, b: &Member| a.prefix.cmp(&b.prefix).then_with(|| key(a).cmp(key(b)));
        // Stable sort, then keep the last of each run of equal keys.
        members.sort_by(order);
        self.tmp.clear();
        self.tmp.push_str(&out[base..]);
        out.truncate(base);
        let mut wrote = false;
        for i in 0..members.len() {
            if i + 1 < members.len() && order(&members[i], &members[i + 1]).is_eq() {
                continue;
            }
            if wrote {
                out.push(',');
            }
            wrote = true;
            let p = &members[i].piece;
            out.push_str(&self.tmp[(p.start - base)..(p.end - base)]);
        }
    }
}

impl Scanner {
    /// Check that one JSON value starts at the cursor and move past it,
    /// writing nothing. Iterative, so any depth is fine.
    fn skip_value(&mut self, c: &mut Cursor) -> Result<()> {
        let mut open: Vec<u8> = Vec::new();
        let mark = self.tmp.len();
        loop {
            // A value.
            match c.peek() {
                Some(b'{') => {
                    c.pos += 1;
                    if c.peek() == Some(b'}') {
                        c.pos += 1;
                    } else {
                        open.push(b'}');
                        c.string_into(&mut self.tmp)?;
                        self.tmp.truncate(mark);
                        c.expect(b':', "`:`")?;
                        continue;
                    }
                }
                Some(b'[') => {
                    c.pos += 1;
                    if c.peek() == Some(b']') {
                        c.pos += 1;
                    } else {
                        open.push(b']');
                        continue;
                    }
                }
                Some(b'"') => {
                    c.string_into(&mut self.tmp)?;
                    self.tmp.truncate(mark);
                }
                Some(b't') => c.literal("true")?,
                Some(b'f') => c.literal("false")?,
                Some(b'n') => c.literal("null")?,
                Some(b'-' | b'0'..=b'9') => {
                    c.number()?;
                }
                Some(_) => return Err(c.err("expected a value")),
                None => return Err(c.err("unexpected end of input")),
            }
            // After it: close what ends here, or go on to the next member.
            loop {
                let Some(&close) = open.last() else { return Ok(()) };
                match c.peek() {
                    Some(b',') => {
                        c.pos += 1;
                        if close == b'}' {
                            c.string_into(&mut self.tmp)?;
                            self.tmp.truncate(mark);
                            c.expect(b':', "`:`")?;
                        }
                        break;
                    }
                    Some(b) if b == close => {
                        c.pos += 1;
                        open.pop();
                    }
                    _ => return Err(c.err(if close == b'}' { "expected `,` or `}`" } else { "expected `,` or `]`" })),
                }
            }
        }
    }
}

pub use crate::result_schema::ResultFields;
use crate::result_schema::{Field, FieldsReader, Scalar};

impl Scanner {
    /// Read a result object (`{"ok": bool, "payload": any, "error_code":
    /// str|null, "side_effect_executed": bool|null, "call_id": int|null}`),
    /// writing the payload's canonical form (`null` when absent) to `payload`.
    ///
    /// With `keep_payload` false the payload is only checked to be JSON, at
    /// any depth and size, and `payload` stays `null`: a result whose payload
    /// cannot be kept is still booked.
    pub fn canonical_result(&mut self, text: &str, payload: &mut String, keep_payload: bool) -> Result<ResultFields> {
        self.members.clear();
        self.keys.clear();
        self.infinite = false;
        payload.clear();
        payload.push_str("null");
        let mut c = Cursor { src: text.as_bytes(), text, pos: 0 };
        if c.peek() != Some(b'{') {
            return Err(Error::invalid("result must be a JSON object"));
        }
        c.pos += 1;
        let mut r = FieldsReader::default();
        if c.peek() == Some(b'}') {
            c.pos += 1;
        } else {
            loop {
                self.keys.clear();
                c.string_into(&mut self.keys)?;
                c.expect(b':', "`:`")?;
                match Field::named(&self.keys)? {
                    Field::Payload if keep_payload => {
                        payload.clear();
                        // Depth 1 to start: a kept payload is parsed again
                        // when replayed, under the JSON reader's limit of 127.
                        self.value(&mut c, payload, 1)?;
                    }
                    Field::Payload => self.skip_value(&mut c)?,
                    field => r.set(field, c.scalar()?)?,
                }
                match c.peek() {
                    Some(b',') => c.pos += 1,
                    Some(b'}') => {
                        c.pos += 1;
                        break;
                    }
                    _ => return Err(c.err("expected `,` or `}`")),
                }
            }
        }
        c.skip_ws();
        if c.pos != c.src.len() {
            return Err(c.err("trailing characters"));
        }
        r.finish()
    }
}

impl Scanner {
    /// Read a result's payload given on its own (the fast record path), as
    /// `canonical_result` reads the `payload` member: the canonical form to
    /// `payload` when `keep_payload`, else only checked to be JSON at any
    /// depth and size, `payload` left `null`.
    pub fn canonical_payload(&mut self, text: &str, payload: &mut String, keep_payload: bool) -> Result<()> {
        self.members.clear();
        self.keys.clear();
        self.infinite = false;
        payload.clear();
        let mut c = Cursor { src: text.as_bytes(), text, pos: 0 };
        if keep_payload {
            // Depth 1, as a member of the result object it stands for.
            self.value(&mut c, payload, 1)?;
        } else {
            payload.push_str("null");
            self.skip_value(&mut c)?;
        }
        c.skip_ws();
        if c.pos != c.src.len() {
            return Err(c.err("trailing characters"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::canonical;
    use proptest::prelude::*;
    use serde_json::{json, Value};

    fn scan(text: &str) -> Result<String> {
        let mut out = String::new();
        Scanner::new().canonical_value(text, &mut out).map(|()| out)
    }

    #[test]
    fn matches_the_tree_canonical_form() {
        for text in [
            r#"{"b": 1, "a": [true, null, {"z": "x", "y": 2.5}]}"#,
            r#"{"k": "caf\u00e9 \ud83d\ude00 \n \u0001 \" \\ \/"}"#,
            r#"{"é": 1, "z": 2, "a\"b": 3, "a": 4}"#,
            r#"[1, -0, 0.0, 1e2, 1E-7, 12345678901234567890, -9223372036854775808, 1.5e300]"#,
            r#"{"dup": 1, "x": 0, "dup": 2}"#,
            r#"  {"nested": {"c": {}, "b": [], "a": [{"y": 1, "x": 2}]}}  "#,
        ] {
            let tree: Value = serde_json::from_str(text).unwrap();
            assert_eq!(scan(text).unwrap(), canonical(&tree), "{text}");
        }
    }

    #[test]
    fn rejects_what_json_rejects() {
        for bad in [
            "",
            "{",
            "{\"a\" 1}",
            "{\"a\": 1,}",
            "[1,]",
            "01",
            "1.",
            "-",
            "tru",
            "\"\\x\"",
            "\"a\u{1}\"",
            "\"\\ud800\"",
            "\"\\udc00x\"",
            "{} {}",
            "nul",
            "[1 2]",
            "{\"a\":1 \"b\":2}",
        ] {
            assert!(scan(bad).is_err(), "{bad:?} should be rejected");
            assert!(serde_json::from_str::<Value>(bad).is_err(), "{bad:?} is bad JSON for serde too");
        }
        assert!(scan(&format!("{}{}", "[".repeat(200), "]".repeat(200))).unwrap_err().message().contains("recursion"));
    }

    #[test]
    fn args_view_and_ignored_keys() {
        let mut s = Scanner::new();
        let mut out = String::new();
        let ignore: BTreeSet<String> = ["ts".to_string()].into();
        let v =
            s.canonical_args(r#"{"q": "refund \u00e9", "ts": 5, "n": 1, "q2": "x"}"#, Some(&ignore), &mut out).unwrap();
        assert!(v.contains_key("ts") && v.contains_key("n"));
        assert_eq!(v.str_value("q"), Some("refund é"));
        assert_eq!(v.str_value("n"), None);
        assert_eq!(out, r#"{"n":1,"q":"refund é","q2":"x"}"#);
        assert!(s.canonical_args("[1]", None, &mut String::new()).is_err());
    }

    #[test]
    fn results_are_read_field_by_field() {
        let mut s = Scanner::new();
        let mut payload = String::new();
        let r = s
            .canonical_result(
                r#"{"ok": false, "payload": {"b": 1, "a": 2}, "error_code": "429", "side_effect_executed": true, "call_id": 7}"#,
                &mut payload,
                true,
            )
            .unwrap();
        assert_eq!(
            r,
            ResultFields {
                ok: false,
                error_code: Some("429".into()),
                side_effect_executed: Some(true),
                call_id: Some(7),
                cached: false,
            }
        );
        assert_eq!(payload, r#"{"a":2,"b":1}"#);
        s.canonical_result(r#"{"ok": true}"#, &mut payload, true).unwrap();
        assert_eq!(payload, "null");
        for (bad, word) in [
            (r#"{"payload": 1}"#, "`ok`"),
            (r#"{"ok": 1}"#, "`ok`"),
            (r#"{"ok": true, "error_code": 5}"#, "error_code"),
            (r#"{"ok": true, "call_id": -1}"#, "call_id"),
            (r#"{"ok": true, "call_id": 1.5}"#, "call_id"),
            (r#"{"ok": true, "extra": 1}"#, "extra"),
            ("[]", "object"),
        ] {
            let e = s.canonical_result(bad, &mut payload, true).unwrap_err();
            assert!(e.message().contains(word), "{bad}: {e}");
        }
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_value_scans_to_its_tree_canonical_form(v in any_json(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() };
            prop_assert_eq!(scan(&text).unwrap(), canonical(&v));
        }

        /// A kept payload is handed back as its canonical text (see
        /// `payload.rs`): that text must be what serde writes for it, or a
        /// cache hit's JSON would change.
        #[test]
        fn a_kept_payload_is_the_text_serde_writes_for_it(
            v in any_json(),
            pretty in any::<bool>(),
            // Exponents of two digits keep every number within binary64
            // (a payload beyond it is not kept at all).
            numbers in prop::collection::vec("-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,2})?", 0..4),
        ) {
            let tree = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() };
            let text = format!("[{tree}{}{}]", if numbers.is_empty() { "" } else { "," }, numbers.join(","));
            let mut kept = String::new();
            let mut s = Scanner::new();
            s.canonical_payload(&text, &mut kept, true).unwrap();
            prop_assert!(!s.saw_infinite());
            let reparsed: Value = serde_json::from_str(&kept).unwrap();
            prop_assert_eq!(serde_json::to_string(&reparsed).unwrap(), kept.as_str());
            // And it reads back to itself: the guard books a payload whose
            // text it signed before as it is (see `guard/fields.rs`).
            let mut again = String::new();
            s.canonical_payload(&kept, &mut again, true).unwrap();
            prop_assert!(!s.saw_infinite());
            prop_assert_eq!(again, kept);
        }

        #[test]
        fn plain_run_stops_at_the_first_quote_backslash_or_control(bytes in prop::collection::vec(prop::sample::select(vec![b'a', b'"', b'\\', 0x00, 0x1f, 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xdf, 0xff]), 0..40), pad in 0usize..9) {
            let mut s = vec![b'x'; pad];
            s.extend_from_slice(&bytes);
            let want = s.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(s.len());
            prop_assert_eq!(plain_run(&s), want);
        }

        #[test]
        fn any_text_is_accepted_exactly_when_serde_accepts_it(text in "[\\[\\]{}:,\"0-9a-z.eE+\\- \\\\]{0,24}") {
            let ours = scan(&text);
            let theirs = serde_json::from_str::<Value>(&text);
            prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: {:?} vs {:?}", text, ours, theirs);
            if let (Ok(o), Ok(t)) = (ours, theirs) {
                prop_assert_eq!(o, canonical(&t));
            }
        }

        /// Keys that share their first eight bytes, end within them, hold
        /// NULs (which pad a short key's prefix) or multi-byte characters,
        /// in any order and repeated: the prefixes order what they can and
        /// the keys themselves the rest, as the tree's map orders them.
        #[test]
        fn keys_alike_in_their_first_eight_bytes_are_ordered_in_full(
            entries in prop::collection::vec(("(abcdefgh|abcdefg|\\\\u0000|\u{e9}|z|\u{1F600}){0,3}", any::<i32>()), 0..8),
        ) {
            let items: Vec<_> = entries.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let text = format!("{{{}}}", items.join(","));
            prop_assert_eq!(scan(&text).unwrap(), canonical(&serde_json::from_str::<Value>(&text).unwrap()));
        }

        /// The prefix is what its definition says, for keys of every length
        /// around the eight bytes it reads.
        #[test]
        fn a_keys_prefix_is_its_first_eight_bytes_padded_with_zeros(key in prop::collection::vec(any::<u8>(), 0..12)) {
            let mut head = [0u8; 8];
            let n = key.len().min(8);
            head[..n].copy_from_slice(&key[..n]);
            prop_assert_eq!(key_prefix(&key), u64::from_be_bytes(head));
        }

        #[test]
        fn object_keys_in_any_order_give_one_form(entries in prop::collection::btree_map("[a-c]{0,2}", any::<i32>(), 0..6), seed in any::<u64>()) {
            let mut items: Vec<_> = entries.iter().map(|(k, v)| format!("{}:{}", json!(k), v)).collect();
            let n = items.len().max(1);
            items.rotate_left((seed as usize) % n);
            let text = format!("{{{}}}", items.join(","));
            prop_assert_eq!(scan(&text).unwrap(), canonical(&serde_json::from_str::<Value>(&text).unwrap()));
        }
    }
}
