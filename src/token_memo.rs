//! The signatures of recent tokens, remembered by the token itself.
//!
//! The stall detector signs every word of every assistant message, and the
//! jitter check every word of every query: an HMAC a word, when the model
//! mostly repeats a vocabulary of a few hundred words. This memo answers a
//! word it holds with a table lookup.
//!
//! A set-associative table: a fast seeded hash gives a word two sets of
//! [`WAYS`] slots (it goes to the first with room), and the word is
//! compared in full with the slots of those sets whose tag matches, so a
//! wrong signature is impossible and the hash decides only where a word
//! goes. A lookup reads at most two sets, so the worst input (words that
//! all fall in the same two sets) costs one signature a word, as without
//! the memo, and never a longer search. Words longer than
//! [`MAX_WORD_BYTES`] are always signed.
//!
//! The table starts small and doubles while it is more than half full, or
//! when both sets of a word are full, up to [`TOKEN_MEMO`] slots: until then
//! no word is forgotten. From then on a full set replaces its words in turn.

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

    /// The two sets `hash` may be in (from its low bits and from its bits
    /// 32 and up) and its tag (its top bits, never 0).
    fn place(&self, hash: u64) -> ([usize; 2], u8) {
        let mask = self.tags.len() - 1;
        ([hash as usize & mask, (hash >> 32) as usize & mask], (hash >> 57) as u8 | 0x80)
    }

    fn get(&self, bytes: &[u8], hash: u64) -> Option<u128> {
        if self.tags.is_empty() {
            return None;
        }
        let (sets, tag) = self.place(hash);
        sets.into_iter().find_map(|set| self.find(set, tag, bytes))
    }

    /// The signature of `bytes` if `set` holds it.
    #[inline(always)]
    fn find(&self, set: usize, tag: u8, bytes: &[u8]) -> Option<u128> {
        // Bytes of the set's tags equal to `tag` become 0, and a zero byte
        // gets its high bit set below (a byte after a zero one may too:
        // every candidate is compared in full).
        let x = self.tags[set] ^ (LOWS * u64::from(tag));
        let mut candidates = x.wrapping_sub(LOWS) & !x & HIGHS;
        while candidates != 0 {
            let way = candidates.trailing_zeros() as usize / 8;
            let slot = &self.slots[set * WAYS + way];
            if usize::from(slot.len) == bytes.len() && crate::short_eq::same(&slot.word[..bytes.len()], bytes) {
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
        loop {
            let (sets, tag) = self.place(hash);
            if let Some((set, way)) = self.free_way(sets) {
                self.len += 1;
                self.fill(set, way, tag, bytes, sig);
                return;
            }
            // Both sets full: a larger table splits them, and at the
            // largest size one of the first set's words gives way.
            if self.slots.len() < TOKEN_MEMO {
                self.grow();
                continue;
            }
            self.victim = (self.victim + 1) % WAYS;
            self.fill(sets[0], self.victim, tag, bytes, sig);
            return;
        }
    }

    /// An empty way of the first of `sets` that has one.
    fn free_way(&self, sets: [usize; 2]) -> Option<(usize, usize)> {
        sets.into_iter().find_map(|set| {
            let tags = self.tags[set];
            // The lowest zero byte is found exactly (no byte below it is 0).
            let empty = tags.wrapping_sub(LOWS) & !tags & HIGHS;
            (empty != 0).then(|| (set, empty.trailing_zeros() as usize / 8))
        })
    }

    fn fill(&mut self, set: usize, way: usize, tag: u8, bytes: &[u8], sig: u128) {
        let shift = 8 * way;
        self.tags[set] = self.tags[set] & !(0xff << shift) | u64::from(tag) << shift;
        let slot = &mut self.slots[set * WAYS + way];
        slot.sig = sig;
        slot.len = bytes.len() as u8;
        slot.word[..bytes.len()].copy_from_slice(bytes);
    }

    /// A larger table (the first when there is none) holding the words
    /// held: twice the slots, or more while both sets of a word would be
    /// full; at the largest size such a word is forgotten.
    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        let old_tags = std::mem::take(&mut self.tags);
        let mut size = (old.len() * 2).clamp(FIRST_SLOTS, TOKEN_MEMO);
        loop {
            self.slots = vec![EMPTY; size];
            self.tags = vec![0; size / WAYS];
            self.len = 0;
            let mut overflowed = false;
            for slot in held(&old_tags, &old) {
                let word = &slot.word[..usize::from(slot.len)];
                let (sets, tag) = self.place(self.hash(word));
                match self.free_way(sets) {
                    Some((set, way)) => {
                        self.len += 1;
                        self.fill(set, way, tag, word, slot.sig);
                    }
                    None => overflowed = true,
                }
            }
            if !overflowed || size == TOKEN_MEMO {
                return;
            }
            size *= 2;
        }
    }
}

/// The slots whose tag says they hold a word (the empty word included).
fn held<'a>(tags: &'a [u64], slots: &'a [Slot]) -> impl Iterator<Item = &'a Slot> {
    tags.iter().enumerate().flat_map(move |(set, tags)| {
        (0..WAYS).filter(move |way| tags >> (8 * way) & 0xff != 0).map(move |way| &slots[set * WAYS + way])
    })
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
        // 3,000 words fit below the largest table: none is forgotten.
        let again: Vec<_> = signed.iter().filter(|(_, n)| **n > 1).collect();
        assert!(again.is_empty(), "signed again: {again:?}");
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

    /// Every word in one set (both of its sets), under one tag: every
    /// lookup compares words.
    #[derive(Default)]
    struct OneSet;
    struct Constant;
    impl Hasher for Constant {
        fn finish(&self) -> u64 {
            0x5a00_0003_0000_0003
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

    /// A word's two sets are its number's (the same twice): words a
    /// multiple of 8 apart share them in the first table (8 sets), and a
    /// table of 16 sets splits them.
    #[derive(Default)]
    struct ByNumber;
    struct Number(u64);
    impl Hasher for Number {
        fn finish(&self) -> u64 {
            self.0 | self.0 << 32
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0 = std::str::from_utf8(bytes).unwrap().parse().unwrap();
        }
    }
    impl BuildHasher for ByNumber {
        type Hasher = Number;
        fn build_hasher(&self) -> Number {
            Number(0)
        }
    }

    #[test]
    fn a_full_set_grows_the_table_instead_of_forgetting() {
        let mut memo = TokenMemo::<ByNumber>::default();
        let words: Vec<String> = (0..9).map(|k| (8 * k).to_string()).collect();
        for w in &words {
            assert_eq!(memo.get_or_sign(w, sig_of), sig_of(w));
        }
        assert!(memo.capacity() > FIRST_SLOTS, "nine words of one set grew the table");
        for w in &words {
            assert_eq!(memo.get_or_sign(w, |_| panic!("{w} was forgotten")), sig_of(w));
        }
        assert_eq!(memo.len(), 9);
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
