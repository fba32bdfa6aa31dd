//! A text's tokens as their signatures, sorted and each once.
//!
//! The jitter histories and the stall detector keep these and compare one
//! new set with each kept one on every call. Sorted, two sets compare in one
//! merge pass over contiguous memory (no hashing, no probing), and a kept set
//! is one allocation of 16 bytes a token.

/// Token signatures, ascending, without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenSet(Box<[u128]>);

impl TokenSet {
    /// The set of `sigs`, given in any order and with repeats. `sigs` is
    /// left sorted and deduplicated: callers reuse it as a buffer.
    pub fn from_buffer(sigs: &mut Vec<u128>) -> TokenSet {
        sigs.sort_unstable();
        sigs.dedup();
        TokenSet(Box::from(&sigs[..]))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The signatures, ascending.
    pub fn as_slice(&self) -> &[u128] {
        &self.0
    }

    pub fn contains(&self, sig: u128) -> bool {
        self.0.binary_search(&sig).is_ok()
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

    proptest! {
        // The merge agrees with counting through a hash set, on sets that
        // share some of their elements.
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
