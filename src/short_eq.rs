//! Equality of two short byte strings of the same length, in a few loads.
//!
//! The token memo compares every word of every message with the word its
//! slot holds, and the stall cues compare words with a few fixed ones: at
//! a few bytes a word, a call to `memcmp` (through the PLT, then its own
//! dispatch on length) cost more than the comparison. Two loads a side that
//! overlap in the middle cover every byte of a string of 1 to 32 bytes.

/// Whether `a == b`, for `a` and `b` of the same length, at most 32 bytes
/// (longer ones are compared as slices).
#[inline]
pub fn same(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len();
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => read::<4>(a, 0) == read::<4>(b, 0) && read::<4>(a, n - 4) == read::<4>(b, n - 4),
        8..=16 => read::<8>(a, 0) == read::<8>(b, 0) && read::<8>(a, n - 8) == read::<8>(b, n - 8),
        17..=32 => read::<16>(a, 0) == read::<16>(b, 0) && read::<16>(a, n - 16) == read::<16>(b, n - 16),
        _ => a == b,
    }
}

/// `N` bytes of `s` from `at` (within `s`: the callers check the length).
#[inline(always)]
fn read<const N: usize>(s: &[u8], at: usize) -> [u8; N] {
    s[at..at + N].try_into().expect("N bytes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_byte_counts_at_every_length() {
        for n in 0..=40usize {
            let a: Vec<u8> = (0..n as u8).map(|i| i.wrapping_mul(37).wrapping_add(1)).collect();
            assert!(same(&a, &a.clone()), "{n}");
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same(&a, &b), "length {n}, byte {at}");
            }
        }
    }

    proptest! {
        #[test]
        fn same_is_slice_equality(a in proptest::collection::vec(0u8..3, 0..40), flip in any::<proptest::sample::Index>()) {
            let mut b = a.clone();
            if !b.is_empty() && flip.index(4) == 0 {
                let at = flip.index(b.len());
                b[at] = (b[at] + 1) % 3;
            }
            prop_assert_eq!(same(&a, &b), a == b);
        }
    }
}
