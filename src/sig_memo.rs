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
    sig: Sig,
    used: bool,
}

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
        let slot = &mut self.slots[slot_of(text)];
        if slot.used && slot.text == text {
            return slot.sig;
        }
        let sig = signer.sign(&[text]);
        slot.text.clear();
        slot.text.extend_from_slice(text);
        slot.sig = sig;
        slot.used = true;
        sig
    }

    /// Bytes held, for the guard's memory bound.
    pub fn bytes(&self) -> usize {
        self.slots.iter().map(|s| s.text.capacity() + std::mem::size_of::<Slot>()).sum()
    }
}

/// The slot of a text: a multiply-and-rotate hash over 8-byte words (FxHash's
/// step), enough to spread the texts of one agent's calls.
fn slot_of(text: &[u8]) -> usize {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut h = text.len() as u64;
    let mut words = text.chunks_exact(8);
    for w in &mut words {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w.try_into().expect("8 bytes"))).wrapping_mul(K);
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    (h >> 32) as usize % SLOTS
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
    fn a_repeat_is_answered_from_its_slot() {
        let signer = Signer::new(b"k");
        let mut memo = SigMemo::default();
        let text = b"args:{\"order_id\":\"A-1\"}";
        let sig = memo.sign(&signer, text);
        // The slot holds the text and its signature: a repeat reads them.
        let slot = &memo.slots[slot_of(text)];
        assert!(slot.used && slot.text == text && slot.sig == sig);
        assert_eq!(memo.sign(&signer, text), sig);
    }
}
