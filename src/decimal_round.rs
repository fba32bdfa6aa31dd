//! Rounding a float to a number of decimals exactly as Python's
//! `round(x, places)` does (and as printing with that many decimals and
//! reading the text back does): the float's exact binary value rounded to
//! the nearest multiple of 10^-places, ties to even, then the nearest float
//! to that decimal. The cost budget rounds on every check, so the common
//! case is done in a few float operations, with no text and no allocation.

/// Powers of ten that a float holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Below this, a float's spacing is at most 0.5, so integers and halves are floats.
const TWO_POW_52: f64 = 4_503_599_627_370_496.0;

/// `x` rounded to `places` decimals (see the module docs).
///
/// Why the float arithmetic is exact: with `s = 10^places` exact and
/// `p = x·s` rounded, the true product is `p + e` with `|e|` at most half of
/// `p`'s spacing. When `|p| < 2^52`, `p - floor(p)` is exact and, like 0.5,
/// a multiple of that spacing, so unless it is exactly 0.5 it decides the
/// direction by itself; at exactly 0.5 the sign of `e` (computed exactly
/// by a fused multiply-add) decides, and `e = 0` is a true tie, to even.
/// The result `n / s` of two exact floats is correctly rounded, as is
/// reading the decimal `n·10^-places`.
pub fn round_decimal(x: f64, places: usize) -> f64 {
    if x.is_finite() && places < POW10.len() {
        let scale = POW10[places];
        let p = x * scale;
        if p.abs() < TWO_POW_52 {
            let floor = p.floor();
            let frac = p - floor;
            let up = if frac != 0.5 {
                frac > 0.5
            } else {
                let e = x.mul_add(scale, -p);
                e > 0.0 || (e == 0.0 && floor % 2.0 != 0.0)
            };
            let n = if up { floor + 1.0 } else { floor };
            // The text of a value that rounds to zero keeps its sign ("-0.00").
            return if n == 0.0 { 0.0f64.copysign(x) } else { n / scale };
        }
    }
    by_text(x, places)
}

/// The same through text, for what the arithmetic above does not cover
/// (magnitudes of 2^52 · 10^-places and more, more than 22 places, NaN and
/// infinities): printed into a buffer on the stack and read back.
fn by_text(x: f64, places: usize) -> f64 {
    use std::fmt::Write as _;
    let mut buf = StackText { bytes: [0; 512], len: 0 };
    match write!(buf, "{x:.places$}") {
        Ok(()) => std::str::from_utf8(&buf.bytes[..buf.len]).ok().and_then(|s| s.parse().ok()).unwrap_or(x),
        // Longer than the buffer (hundreds of places): nothing left to round.
        Err(_) => x,
    }
}

/// A fixed buffer that text is written into; writing past its end fails.
struct StackText {
    bytes: [u8; 512],
    len: usize,
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition: print with `places` decimals, read it back.
    fn reference(x: f64, places: usize) -> f64 {
        format!("{x:.places$}").parse().unwrap_or(x)
    }

    fn same(x: f64, places: usize) -> Result<(), TestCaseError> {
        let (got, want) = (round_decimal(x, places), reference(x, places));
        prop_assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "{x:e} to {places}: {got:e} != {want:e}"
        );
        Ok(())
    }

    #[test]
    fn known_values() {
        assert_eq!(round_decimal(0.125, 2), 0.12, "a true tie goes to even");
        assert_eq!(round_decimal(0.375, 2), 0.38);
        assert_eq!(round_decimal(2.675, 2), 2.67, "2.675 is really 2.67499999...");
        assert_eq!(round_decimal(0.1 + 0.2, 8), 0.3);
        assert_eq!(round_decimal(-1e-12, 8).to_bits(), (-0.0f64).to_bits());
        assert_eq!(round_decimal(1e300, 8), 1e300);
        assert!(round_decimal(f64::NAN, 8).is_nan());
        assert_eq!(round_decimal(f64::INFINITY, 8), f64::INFINITY);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

        #[test]
        fn any_float_rounds_as_its_text(x in any::<f64>(), places in 0usize..30) {
            same(x, places)?;
        }

        #[test]
        fn costs_round_as_their_text(cents in 0u64..100_000_000_000, scale in 0usize..12, places in 0usize..12) {
            // Sums and products of prices sit next to decimal ties.
            let x = cents as f64 / POW10[scale];
            same(x, places)?;
            same(-x, places)?;
            same(x * 0.8, places)?;
            same(x + 0.1 + 0.2, places)?;
            same(f64::from_bits(x.to_bits() + 1), places)?;
            same(f64::from_bits(x.to_bits().saturating_sub(1)), places)?;
        }

        #[test]
        fn halves_round_as_their_text(k in -1_000_000i64..1_000_000, places in 0usize..10) {
            // (k + 1/2) · 10^-places: exact ties where the float holds them.
            let x = (k as f64 + 0.5) / POW10[places];
            same(x, places)?;
            same(f64::from_bits(x.to_bits() + 1), places)?;
            same(f64::from_bits(x.to_bits() - 1), places)?;
            same((k as f64 + 0.5) * 2f64.powi(-(places as i32)), places)?;
        }
    }
}
