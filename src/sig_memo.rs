//! The argument signatures of recent calls, remembered by their canonical
//! text.
//!
//! A loop repeats a call with the same arguments: the guard's answer to it
//! (a cache hit, a block) is cheap, but signing the arguments again, an
//! HMAC-SHA256, was most of its cost. The signature is a function of the
//! key and the text alone, and a guard's key never changes, so the
//! signature of a text seen a moment ago can be reused as it is.
//!
//! A small direct-mapped table: a text goes to one slot by a cheap hash
//! and is compared in full, so a wrong signature is impossible and a
//! collision only means signing again. Texts longer than
//! [`MAX_REMEMBERED_BYTES`] are always signed. Nothing here depends on what a
//! caller can choose to be slow: the worst input costs one signature, as
//! without the memo. At most [`SLOTS`] × [`MAX_REMEMBERED_BYTES`] bytes are kept.

use crate::signature::{Sig, Signer};

/// How many texts are remembered.
pub const SLOTS: usize = 32;

/// The longest text remembered (canonical arguments are usually far shorter).
pub const MAX_REMEMBERED_BYTES: usize = 256;

#[derive(Default)]
struct Slot {
    text: Vec<u8>,
    /// The text's full hash (the slot is its top half modulo [`SLOTS`]):
    /// another text in the slot is told apart by it before any byte is
    /// compared.
    hash: u64,
    sig: Sig,
    used: bool,
}

/// Where a pair [`SigMemo::get`] did not find would be kept, with the
/// pair's hash (none when it is too long to keep).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vacancy(Option<(usize, u64)>);

/// See the module documentation. One per guard, beside its `Signer`.
#[derive(Default)]
pub struct SigMemo {
    slots: Vec<Slot>,
}

impl SigMemo {
    /// `signer.sign(&[text])`, from the memo when `text` was signed recently.
    pub fn sign(&mut self, signer: &Signer, text: &[u8]) -> Sig {
        if text.len() > MAX_REMEMBERED_BYTES {
            return signer.sign(&[text]);
        }
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, Slot::default);
        }
        let hash = hash_of(text);
        let slot = &mut self.slots[slot_at(hash)];
        if slot.used && slot.hash == hash && slot.text == text {
            return slot.sig;
        }
        let sig = signer.sign(&[text]);
        slot.text.clear();
        slot.text.extend_from_slice(text);
        slot.hash = hash;
        slot.sig = sig;
        slot.used = true;
        sig
    }

    /// The signature remembered for the pair (`name`, `text`), or else
    /// where it would go (for [`put`]). For a memo keyed by something other
    /// than the signed text; the pair is compared in full, its parts apart
    /// (`a` + `bc` is not `ab` + `c`).
    ///
    /// [`put`]: SigMemo::put
    pub fn get(&self, name: &[u8], text: &[u8]) -> Result<Sig, Vacancy> {
        if !fits(name, text) {
            return Err(Vacancy(None));
        }
        let hash = hash_of_pair(name, text);
        let at = Vacancy(Some((slot_at(hash), hash)));
        let Some(slot) = self.slots.get(slot_at(hash)) else {
            return Err(at);
        };
        let held = &slot.text;
        let same = slot.used
            && slot.hash == hash
            && held.len() == 8 + name.len() + text.len()
            && held[..8] == (name.len() as u64).to_le_bytes()
            && held[8..8 + name.len()] == *name
            && held[8 + name.len()..] == *text;
        if same {
            Ok(slot.sig)
        } else {
            Err(at)
        }
    }

    /// Remember `sig` under the pair that [`get`] did not find (nothing is
    /// kept for a pair longer than [`MAX_REMEMBERED_BYTES`]). The caller
    /// vouches that `sig` is what the pair stands for.
    ///
    /// [`get`]: SigMemo::get
    pub fn put(&mut self, at: Vacancy, name: &[u8], text: &[u8], sig: Sig) {
        let Vacancy(Some((at, hash))) = at else {
            return;
        };
        debug_assert_eq!(hash, hash_of_pair(name, text), "the vacancy of this pair");
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, Slot::default);
        }
        let slot = &mut self.slots[at];
        slot.hash = hash;
        slot.text.clear();
        slot.text.extend_from_slice(&(name.len() as u64).to_le_bytes());
        slot.text.extend_from_slice(name);
        slot.text.extend_from_slice(text);
        slot.sig = sig;
        slot.used = true;
    }

    /// `signer.sign(&[prefix, text])`, from the memo when that pair was
    /// signed recently: for a signature of a text under a fixed domain
    /// prefix (a payload's), without joining the two first.
    pub fn sign_prefixed(&mut self, signer: &Signer, prefix: &[u8], text: &[u8]) -> Sig {
        match self.get(prefix, text) {
            Ok(sig) => sig,
            Err(vacancy) => self.sign_into(vacancy, signer, prefix, text),
        }
    }

    /// `signer.sign(&[prefix, text])`, remembered in the vacancy that
    /// [`get`] gave for that pair: for a caller that asked the memo
    /// already, so that a miss hashes the pair once.
    ///
    /// [`get`]: SigMemo::get
    pub fn sign_into(&mut self, at: Vacancy, signer: &Signer, prefix: &[u8], text: &[u8]) -> Sig {
        let sig = signer.sign(&[prefix, text]);
        self.put(at, prefix, text, sig);
        sig
    }

    /// Bytes held, for the guard's memory bound.
    pub fn bytes(&self) -> usize {
        self.slots.iter().map(|s| s.text.capacity() + std::mem::size_of::<Slot>()).sum()
    }
}

/// Whether a pair is short enough to remember (with its 8-byte length).
fn fits(name: &[u8], text: &[u8]) -> bool {
    8 + name.len() + text.len() <= MAX_REMEMBERED_BYTES
}

/// The hash of a pair: [`hash_of`]'s over the name, then the text, with
/// the name's length in.
fn hash_of_pair(name: &[u8], text: &[u8]) -> u64 {
    let h = mix(name.len() as u64, name);
    mix(h ^ text.len() as u64, text)
}

/// The hash of a text: a multiply-and-rotate hash over 8-byte words
/// (FxHash's step), enough to spread the texts of one agent's calls.
fn hash_of(text: &[u8]) -> u64 {
    mix(text.len() as u64, text)
}

/// The slot of a hash: its top half, which the multiplication mixes best.
fn slot_at(hash: u64) -> usize {
    (hash >> 32) as usize % SLOTS
}

/// Fold `bytes` into `h`, 8 bytes at a time.
fn mix(mut h: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w.try_into().expect("8 bytes"))).wrapping_mul(K);
    }
    (h.rotate_left(5) ^ tail_word(words.remainder())).wrapping_mul(K)
}

/// Up to seven bytes as a little-endian word padded with zeros, read with
/// at most two loads (overlapping, their common bytes alike): copying them
/// into a zeroed buffer first made the word's load wait for the copy's
/// narrower stores, a stall that cost more than the rest of the hash.
fn tail_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    debug_assert!(n < 8);
    match n {
        0 => 0,
        1..=3 => {
            let (first, middle, last) = (u64::from(bytes[0]), u64::from(bytes[n / 2]), u64::from(bytes[n - 1]));
            first | middle << (n / 2 * 8) | last << ((n - 1) * 8)
        }
        _ => {
            let low = u64::from(u32::from_le_bytes(bytes[..4].try_into().expect("four bytes")));
            let high = u64::from(u32::from_le_bytes(bytes[n - 4..].try_into().expect("four bytes")));
            low | high << ((n - 4) * 8)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_is_the_signature_of_exactly_that_text() {
        let signer = Signer::new(b"k");
        let mut memo = SigMemo::default();
        // More texts than slots, so slots are shared and overwritten; each
        // asked three times in an order that interleaves them.
        let texts: Vec<String> = (0..200).map(|i| format!("args:{{\"id\":{}}}", i * 7919 % 1000)).collect();
        for round in 0..3 {
            for (i, t) in texts.iter().enumerate() {
                let t = if round == 1 { &texts[texts.len() - 1 - i] } else { t };
                assert_eq!(memo.sign(&signer, t.as_bytes()), signer.sign(&[t.as_bytes()]), "{t}");
            }
        }
        // Texts that differ only past the hashed words, in length, or by a
        // byte in the remainder.
        for t in ["", "a", "ab", "args:{}", "args:{}\0", "args:{\"a\":1}", "args:{\"a\":2}", "args:{\"a\":1} "] {
            assert_eq!(memo.sign(&signer, t.as_bytes()), signer.sign(&[t.as_bytes()]), "{t:?}");
            assert_eq!(memo.sign(&signer, t.as_bytes()), signer.sign(&[t.as_bytes()]), "{t:?} again");
        }
    }

    #[test]
    fn long_texts_are_signed_and_not_kept() {
        let signer = Signer::new(b"k");
        let mut memo = SigMemo::default();
        let long = "x".repeat(MAX_REMEMBERED_BYTES + 1);
        assert_eq!(memo.sign(&signer, long.as_bytes()), signer.sign(&[long.as_bytes()]));
        assert_eq!(memo.bytes(), 0, "nothing kept, no table made");
        let at_limit = "y".repeat(MAX_REMEMBERED_BYTES);
        assert_eq!(memo.sign(&signer, at_limit.as_bytes()), signer.sign(&[at_limit.as_bytes()]));
        assert!(memo.bytes() <= SLOTS * (MAX_REMEMBERED_BYTES + std::mem::size_of::<Slot>()) + MAX_REMEMBERED_BYTES);
    }

    #[test]
    fn a_pair_gives_back_only_what_was_put_under_it() {
        let mut memo = SigMemo::default();
        let put = |memo: &mut SigMemo, name: &[u8], text: &[u8], sig| {
            let at = memo.get(name, text).expect_err("not there yet");
            memo.put(at, name, text, sig);
        };
        assert!(memo.get(b"t", b"{}").is_err(), "an empty memo");
        put(&mut memo, b"t", b"{}", [1; 32]);
        assert_eq!(memo.get(b"t", b"{}"), Ok([1; 32]));
        assert!(memo.get(b"t", b"{} ").is_err());
        assert!(memo.get(b"t ", b"{}").is_err());
        put(&mut memo, b"ab", b"c", [4; 32]);
        assert!(memo.get(b"a", b"bc").is_err(), "the parts are kept apart");
        assert_eq!(memo.get(b"ab", b"c"), Ok([4; 32]));
        let long = vec![b'x'; MAX_REMEMBERED_BYTES - 8];
        assert_eq!(memo.get(b"t", &long), Err(Vacancy(None)), "too long to keep");
        put(&mut memo, b"t", &long, [3; 32]);
        assert!(memo.get(b"t", &long).is_err(), "still not kept");
        put(&mut memo, b"", &long, [5; 32]);
        assert_eq!(memo.get(b"", &long), Ok([5; 32]), "at the limit");
        // Another pair in a taken slot replaces what was there.
        let texts: Vec<String> = (0..1000).map(|i| format!("{{\"n\":{i}}}")).collect();
        let slot = |t: &String| slot_at(hash_of_pair(b"t", t.as_bytes()));
        let a = &texts[0];
        let b = texts[1..].iter().find(|t| slot(t) == slot(a)).expect("two texts share a slot among a thousand");
        put(&mut memo, b"t", a.as_bytes(), [6; 32]);
        put(&mut memo, b"t", b.as_bytes(), [7; 32]);
        assert!(memo.get(b"t", a.as_bytes()).is_err());
        assert_eq!(memo.get(b"t", b.as_bytes()), Ok([7; 32]));
    }

    #[test]
    fn a_prefixed_answer_is_the_signature_of_prefix_and_text_joined() {
        let signer = Signer::new(b"k");
        let mut memo = SigMemo::default();
        let texts: Vec<String> = (0..100).map(|i| format!("{{\"n\":{}}}", i % 40)).collect();
        for t in texts.iter().chain(texts.iter().rev()) {
            let want = signer.sign(&[b"payload:", t.as_bytes()]);
            assert_eq!(memo.sign_prefixed(&signer, b"payload:", t.as_bytes()), want, "{t}");
        }
        // The same text under another prefix is another signature, and the
        // split between prefix and text is part of the key.
        let t = b"{\"n\":1}";
        let payload = memo.sign_prefixed(&signer, b"payload:", t);
        assert_eq!(memo.sign_prefixed(&signer, b"args:", t), signer.sign(&[b"args:", t]));
        assert_ne!(memo.sign_prefixed(&signer, b"args:", t), payload);
        assert_eq!(memo.sign_prefixed(&signer, b"payload", b":{\"n\":1}"), payload, "the same joined text");
        // Too long to keep: still the signature.
        let long = "z".repeat(MAX_REMEMBERED_BYTES);
        assert_eq!(
            memo.sign_prefixed(&signer, b"payload:", long.as_bytes()),
            signer.sign(&[b"payload:", long.as_bytes()])
        );
    }

    #[test]
    fn a_pair_signed_into_its_vacancy_is_found_there() {
        let signer = Signer::new(b"k");
        let mut memo = SigMemo::default();
        for i in 0..100 {
            let t = format!("{{\"n\":{}}}", i * 7);
            let at = memo.get(b"payload:", t.as_bytes()).expect_err("not signed yet");
            let sig = memo.sign_into(at, &signer, b"payload:", t.as_bytes());
            assert_eq!(sig, signer.sign(&[b"payload:", t.as_bytes()]), "{t}");
            assert_eq!(memo.get(b"payload:", t.as_bytes()), Ok(sig), "{t} kept");
        }
        // Too long to keep: signed, and still not found.
        let long = "w".repeat(MAX_REMEMBERED_BYTES);
        let at = memo.get(b"payload:", long.as_bytes()).expect_err("too long");
        assert_eq!(
            memo.sign_into(at, &signer, b"payload:", long.as_bytes()),
            signer.sign(&[b"payload:", long.as_bytes()])
        );
        assert!(memo.get(b"payload:", long.as_bytes()).is_err());
    }

    #[test]
    fn a_tail_word_is_its_bytes_padded_with_zeros() {
        let bytes: Vec<u8> = (1..=7).map(|b| b * 0x11).collect();
        for n in 0..8 {
            let mut padded = [0u8; 8];
            padded[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(tail_word(&bytes[..n]), u64::from_le_bytes(padded), "{n} bytes");
        }
    }

    #[test]
    fn a_repeat_is_answered_from_its_slot() {
        let signer = Signer::new(b"k");
        let mut memo = SigMemo::default();
        let text = b"args:{\"order_id\":\"A-1\"}";
        let sig = memo.sign(&signer, text);
        // The slot holds the text and its signature: a repeat reads them.
        let slot = &memo.slots[slot_at(hash_of(text))];
        assert!(slot.used && slot.text == text && slot.hash == hash_of(text) && slot.sig == sig);
        assert_eq!(memo.sign(&signer, text), sig);
    }
}
