//! The signatures of recent tokens, remembered by the token itself.
//!
//! The stall detector signs every word of every assistant message, and the
//! jitter check every word of every query: an HMAC a word, when the model
//! mostly repeats a vocabulary of a few hundred words. This memo answers a
//! word it holds with a table lookup.
//!
//! A set-associative table: a word goes to one set of [`WAYS`] slots by a
//! fast seeded hash and is compared in full with the slots whose tag
//! matches, so a wrong signature is impossible, and the hash decides only
//! where a word goes. A full set gives up one of its words, so the worst
//! input (words that all fall in one set) costs one signature a word, as
//! without the memo, and never a longer search. Words longer than
//! [`MAX_WORD_BYTES`] are always signed.
//!
//! The table starts small and doubles while it is more than half full, up
//! to [`TOKEN_MEMO`] slots; from then on a full set replaces its words in
//! turn.

use std::hash::{BuildHasher, Hasher};

/// Slots at most.
pub const TOKEN_MEMO: usize = 1 << 14;

/// What a slot holds in memory: the slot and its tag byte.
pub const BYTES_PER_SLOT: usize = std::mem::size_of::<Slot>() + 1;

/// The longest word remembered; a word is kept inline in its slot.
pub const MAX_WORD_BYTES: usize = 31;

/// Slots a word may go to: its set. One tag byte each, read as one word.
const WAYS: usize = 8;

/// Slots of the first table (grown from there).
const FIRST_SLOTS: usize = 64;

/// The low bit of every tag byte; their high bit.
const LOWS: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

#[derive(Clone, Copy)]
struct Slot {
    sig: u128,
    len: u8,
    word: [u8; MAX_WORD_BYTES],
}

const EMPTY: Slot = Slot { sig: 0, len: 0, word: [0; MAX_WORD_BYTES] };

/// See the module documentation. One per guard, in its `TokenSigner`; `S`
/// hashes words (a seeded foldhash; the tests choose one that collides).
pub struct TokenMemo<S = foldhash::fast::RandomState> {
    /// One word per set: its slots' tags, a byte each (0: empty).
    tags: Vec<u64>,
    slots: Vec<Slot>,
    /// Words held.
    len: usize,
    /// The way a full set gives up next (turns over every set alike).
    victim: usize,
    hasher: S,
}

impl<S: Default> Default for TokenMemo<S> {
    fn default() -> TokenMemo<S> {
        TokenMemo { tags: Vec::new(), slots: Vec::new(), len: 0, victim: 0, hasher: S::default() }
    }
}

impl<S: BuildHasher> TokenMemo<S> {
    /// The signature of `word`: from the memo when it holds the word, else
    /// `sign(word)`, remembered.
    #[inline]
    pub fn get_or_sign(&mut self, word: &str, sign: impl FnOnce(&str) -> u128) -> u128 {
        let bytes = word.as_bytes();
        if bytes.len() > MAX_WORD_BYTES {
            return sign(word);
        }
        let hash = self.hash(bytes);
        if let Some(sig) = self.get(bytes, hash) {
            return sig;
        }
        let sig = sign(word);
        self.put(bytes, hash, sig);
        sig
    }

    /// Words held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Slots allocated (at most [`TOKEN_MEMO`]).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn hash(&self, bytes: &[u8]) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write(bytes);
        h.finish()
    }

    /// The set of `hash` (low bits) and its tag (high bits, never 0).
    fn place(&self, hash: u64) -> (usize, u8) {
        let set = hash as usize & (self.tags.len() - 1);
        (set, (hash >> 57) as u8 | 0x80)
    }

    fn get(&self, bytes: &[u8], hash: u64) -> Option<u128> {
        if self.tags.is_empty() {
            return None;
        }
        let (set, tag) = self.place(hash);
        // Bytes of the set's tags equal to `tag` become 0, and a zero byte
        // gets its high bit set below (a byte after a zero one may too:
        // every candidate is compared in full).
        let x = self.tags[set] ^ (LOWS * u64::from(tag));
        let mut candidates = x.wrapping_sub(LOWS) & !x & HIGHS;
        while candidates != 0 {
            let way = candidates.trailing_zeros() as usize / 8;
            let slot = &self.slots[set * WAYS + way];
            if usize::from(slot.len) == bytes.len() && slot.word[..bytes.len()] == *bytes {
                return Some(slot.sig);
            }
            candidates &= candidates - 1;
        }
        None
    }

    fn put(&mut self, bytes: &[u8], hash: u64, sig: u128) {
        if self.tags.is_empty() || (self.len >= self.slots.len() / 2 && self.slots.len() < TOKEN_MEMO) {
            self.grow();
        }
        let (set, tag) = self.place(hash);
        let tags = self.tags[set];
        let empty = tags.wrapping_sub(LOWS) & !tags & HIGHS;
        let way = if empty != 0 {
            // The first empty byte is found exactly (no byte before it is 0).
            self.len += 1;
            empty.trailing_zeros() as usize / 8
        } else {
            self.victim = (self.victim + 1) % WAYS;
            self.victim
        };
        let shift = 8 * way;
        self.tags[set] = tags & !(0xff << shift) | u64::from(tag) << shift;
        let slot = &mut self.slots[set * WAYS + way];
        slot.sig = sig;
        slot.len = bytes.len() as u8;
        slot.word[..bytes.len()].copy_from_slice(bytes);
    }

    /// Twice the slots (the first table when there is none), the words
    /// held placed again; a word whose new set is full is forgotten.
    fn grow(&mut self) {
        let slots = (self.slots.len() * 2).clamp(FIRST_SLOTS, TOKEN_MEMO);
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; slots]);
        self.tags = vec![0; slots / WAYS];
        self.len = 0;
        for slot in old.iter().filter(|s| s.len != 0) {
            let word = &slot.word[..usize::from(slot.len)];
            let (set, _) = self.place(self.hash(word));
            if self.tags[set] & HIGHS != HIGHS {
                self.put(word, self.hash(word), slot.sig);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::Signer;
    use std::collections::HashMap;

    /// Each word's own signature, as the guard makes it.
    fn sig_of(word: &str) -> u128 {
        thread_local!(static SIGNER: Signer = Signer::new(b"k"));
        SIGNER.with(|s| s.token_sig(word))
    }

    #[test]
    fn words_come_back_with_their_own_signature_and_are_signed_once() {
        let mut memo = <TokenMemo>::default();
        let mut signed = HashMap::<String, usize>::new();
        let words: Vec<String> = (0..3000).map(|i| format!("w{i}")).collect();
        for round in 0..3 {
            for w in &words {
                let sig = memo.get_or_sign(w, |w| {
                    *signed.entry(w.to_string()).or_default() += 1;
                    sig_of(w)
                });
                assert_eq!(sig, sig_of(w), "round {round}: {w}");
            }
        }
        // 3,000 words fit in a table that doubles while half full: a word
        // is signed again only when its set of eight was full (a set holds
        // four words on average when the table is at its fullest), so few are.
        let again = signed.values().filter(|n| **n > 1).count();
        assert!(again < words.len() / 20, "{again} of {} words signed again", words.len());
        assert!(memo.capacity() <= TOKEN_MEMO && memo.len() <= memo.capacity());
    }

    #[test]
    fn long_words_are_signed_every_time_and_not_kept() {
        let mut memo = <TokenMemo>::default();
        let long = "x".repeat(MAX_WORD_BYTES + 1);
        let edge = "y".repeat(MAX_WORD_BYTES);
        let mut calls = 0;
        for _ in 0..3 {
            memo.get_or_sign(&long, |w| {
                calls += 1;
                sig_of(w)
            });
        }
        assert_eq!(calls, 3);
        for _ in 0..3 {
            assert_eq!(memo.get_or_sign(&edge, sig_of), sig_of(&edge));
        }
        assert_eq!(memo.len(), 1, "only the word that fits is kept");
    }

    proptest::proptest! {
        // Whatever words come, in whatever order, each answer is the word's
        // own signature, and the table stays within its bounds: words that
        // share a prefix, a length or a set never answer for each other.
        #[test]
        fn every_answer_is_the_words_own(words in proptest::collection::vec("[a-c]{0,3}|[a-z]{28,33}", 1..400)) {
            let mut memo = <TokenMemo>::default();
            for w in &words {
                proptest::prop_assert_eq!(memo.get_or_sign(w, sig_of), sig_of(w));
            }
            for w in words.iter().rev() {
                proptest::prop_assert_eq!(memo.get_or_sign(w, sig_of), sig_of(w));
            }
            proptest::prop_assert!(memo.len() <= memo.capacity() && memo.capacity() <= TOKEN_MEMO);
        }
    }

    /// Every word in one set, under one tag: every lookup compares words.
    #[derive(Default)]
    struct OneSet;
    struct Constant;
    impl Hasher for Constant {
        fn finish(&self) -> u64 {
            0x5a00_0000_0000_0003
        }
        fn write(&mut self, _: &[u8]) {}
    }
    impl BuildHasher for OneSet {
        type Hasher = Constant;
        fn build_hasher(&self) -> Constant {
            Constant
        }
    }

    #[test]
    fn words_that_share_a_set_and_a_tag_are_told_apart() {
        let mut memo = TokenMemo::<OneSet>::default();
        // Prefixes of one another, the empty word, and the longest kept.
        let words = ["abc", "ab", "a", "", "ba", "b", "x".repeat(MAX_WORD_BYTES).leak(), "abd"];
        for w in words {
            assert_eq!(memo.get_or_sign(w, sig_of), sig_of(w), "{w:?}");
        }
        // All eight fit the set: each is answered from the memo.
        for w in words {
            assert_eq!(memo.get_or_sign(w, |_| panic!("{w:?} signed again")), sig_of(w));
        }
        // A ninth word takes the place of one of them; the rest still answer
        // for themselves, and the one replaced is signed again.
        assert_eq!(memo.get_or_sign("abcd", sig_of), sig_of("abcd"));
        let mut signed = 0;
        for w in words {
            let sig = memo.get_or_sign(w, |w| {
                signed += 1;
                sig_of(w)
            });
            assert_eq!(sig, sig_of(w), "{w:?}");
        }
        assert!(signed >= 1);
        assert!(memo.len() <= WAYS);
    }

    #[test]
    fn a_full_table_replaces_words_and_stays_at_its_size() {
        let mut memo = <TokenMemo>::default();
        for i in 0..(3 * TOKEN_MEMO) {
            let w = format!("word{i}");
            assert_eq!(memo.get_or_sign(&w, sig_of), sig_of(&w));
        }
        assert_eq!(memo.capacity(), TOKEN_MEMO);
        assert!(memo.len() <= TOKEN_MEMO);
        // The latest words are still there.
        let last = format!("word{}", 3 * TOKEN_MEMO - 1);
        assert_eq!(memo.get_or_sign(&last, |_| panic!("signed again")), sig_of(&last));
    }
}
