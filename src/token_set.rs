//! A text's tokens as their signatures, sorted and each once.
//!
//! The jitter histories and the stall detector keep these and compare one
//! new set with each kept one on every call. Sorted, two sets compare in one
//! merge pass over contiguous memory (no hashing, no probing), and a kept set
//! is one allocation of 16 bytes a token.
//!
//! The jitter check only asks whether each kept query overlaps the new one
//! enough, and most do not: a set also keeps one bit per signature in a
//! 64-bit mask, from which a bound on the overlap is a few word operations,
//! and the merge runs only when the bound does not settle the answer.

/// Token signatures, ascending, without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenSet {
    sigs: Box<[u128]>,
    /// Bit `sig % 64` of each signature (signatures are HMAC outputs, so
    /// their low bits are uniform): a function of `sigs`.
    mask: u64,
}

/// The bit a signature sets in a set's mask.
fn bit(sig: u128) -> u32 {
    (sig as u32) & 63
}

impl TokenSet {
    /// The set of `sigs`, given in any order and with repeats. `sigs` is
    /// left sorted and deduplicated: callers reuse it as a buffer.
    pub fn from_buffer(sigs: &mut Vec<u128>) -> TokenSet {
        sigs.sort_unstable();
        sigs.dedup();
        let mask = sigs.iter().fold(0u64, |m, &s| m | 1 << bit(s));
        TokenSet { sigs: Box::from(&sigs[..]), mask }
    }

    pub fn len(&self) -> usize {
        self.sigs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sigs.is_empty()
    }

    /// The signatures, ascending.
    pub fn as_slice(&self) -> &[u128] {
        &self.sigs
    }

    pub fn contains(&self, sig: u128) -> bool {
        self.sigs.binary_search(&sig).is_ok()
    }

    /// Whether `self.overlap(other) >= threshold`, the same answer for
    /// every pair of sets and every threshold.
    ///
    /// A signature both sets hold sets the same bit in both masks, so the
    /// number of this set's signatures whose bit `other`'s mask has is at
    /// least the number they share. When that bound, over the smaller
    /// set's size, is under the threshold, so is the overlap (dividing by
    /// the same number keeps the order, rounding included), and the merge
    /// is not needed. Past the shared signatures, the bound counts only
    /// bits that collide by chance: with five words a side, about one in
    /// thirteen for each word.
    pub fn overlaps_at_least(&self, other: &TokenSet, threshold: f64) -> bool {
        let (a, b) = (self.as_slice(), other.as_slice());
        if !a.is_empty() && !b.is_empty() {
            let bound: u32 = a.iter().map(|&s| (other.mask >> bit(s)) as u32 & 1).sum();
            let smaller = a.len().min(b.len()) as f64;
            if f64::from(bound) / smaller < threshold {
                return false;
            }
        }
        self.overlap(other) >= threshold
    }

    /// Overlap coefficient |A∩B| / min(|A|,|B|); 0 when either set is empty.
    pub fn overlap(&self, other: &TokenSet) -> f64 {
        let (a, b) = (self.as_slice(), other.as_slice());
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        let (mut i, mut j, mut common) = (0, 0, 0usize);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    common += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        common as f64 / a.len().min(b.len()) as f64
    }
}

impl FromIterator<u128> for TokenSet {
    fn from_iter<I: IntoIterator<Item = u128>>(iter: I) -> TokenSet {
        TokenSet::from_buffer(&mut iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn a_set_is_sorted_and_holds_each_signature_once() {
        let mut buf = vec![9, 3, 9, 1, 3];
        let s = TokenSet::from_buffer(&mut buf);
        assert_eq!(s.as_slice(), [1, 3, 9]);
        assert_eq!(buf, [1, 3, 9], "the buffer is left as the set");
        assert!(s.contains(3) && !s.contains(2));
        assert_eq!(s.len(), 3);
        assert!(TokenSet::default().is_empty());
    }

    #[test]
    fn overlap_is_shared_over_the_smaller_set() {
        let s = |v: &[u128]| v.iter().copied().collect::<TokenSet>();
        assert_eq!(s(&[1, 2]).overlap(&s(&[1, 2, 3, 4])), 1.0);
        assert_eq!(s(&[1, 2, 3, 4]).overlap(&s(&[1, 2, 7, 8])), 0.5);
        assert_eq!(s(&[]).overlap(&s(&[1])), 0.0);
        assert_eq!(s(&[1]).overlap(&s(&[2])), 0.0);
        assert_eq!(s(&[5, 5, 5]).overlap(&s(&[5])), 1.0, "repeats count once");
    }

    #[test]
    fn signatures_sharing_a_mask_bit_still_count_each() {
        // 1, 65 and 129 all set bit 1: the bound must count each of them.
        let s = |v: &[u128]| v.iter().copied().collect::<TokenSet>();
        let (a, b) = (s(&[1, 65, 129, 7]), s(&[1, 65, 129, 8]));
        assert_eq!(a.overlap(&b), 0.75);
        assert!(a.overlaps_at_least(&b, 0.75));
        assert!(!a.overlaps_at_least(&b, 0.76));
        // Bits in common without a signature in common: the merge decides.
        let (c, d) = (s(&[2, 3]), s(&[66, 67]));
        assert_eq!(c.overlap(&d), 0.0);
        assert!(!c.overlaps_at_least(&d, 0.5));
        assert!(c.overlaps_at_least(&d, 0.0));
    }

    proptest! {
        // The merge agrees with counting through a hash set, on sets that
        // share some of their elements.
        // The bound never turns away a pair whose overlap reaches the
        // threshold, and never lets through one that does not: small
        // signature ranges make shared masks bits (and shared signatures)
        // common, wide ones make them rare.
        #[test]
        fn overlaps_at_least_answers_as_the_overlap_does(
            wide in any::<bool>(),
            a in proptest::collection::vec(any::<u128>(), 0..6),
            b in proptest::collection::vec(any::<u128>(), 0..6),
            shared in proptest::collection::vec(any::<u128>(), 0..6),
            threshold in prop_oneof![Just(0.0), Just(0.6), Just(1.0), 0.0f64..=1.0],
        ) {
            let narrow = |v: &Vec<u128>| v.iter().map(|s| if wide { *s } else { s % 160 }).collect::<Vec<u128>>();
            let (mut a, mut b) = (narrow(&a), narrow(&b));
            a.extend(narrow(&shared));
            b.extend(narrow(&shared));
            let (ta, tb): (TokenSet, TokenSet) = (a.into_iter().collect(), b.into_iter().collect());
            prop_assert_eq!(ta.overlaps_at_least(&tb, threshold), ta.overlap(&tb) >= threshold);
            prop_assert_eq!(tb.overlaps_at_least(&ta, threshold), tb.overlap(&ta) >= threshold);
        }

        #[test]
        fn overlap_agrees_with_set_intersection(
            a in proptest::collection::vec(0u128..40, 0..30),
            b in proptest::collection::vec(0u128..40, 0..30),
        ) {
            let (ha, hb): (HashSet<u128>, HashSet<u128>) = (a.iter().copied().collect(), b.iter().copied().collect());
            let expected = if ha.is_empty() || hb.is_empty() {
                0.0
            } else {
                ha.intersection(&hb).count() as f64 / ha.len().min(hb.len()) as f64
            };
            let (ta, tb): (TokenSet, TokenSet) = (a.into_iter().collect(), b.into_iter().collect());
            prop_assert_eq!(ta.overlap(&tb), expected);
            prop_assert_eq!(tb.overlap(&ta), expected);
        }
    }
}
