//! Basis-point normalization shared by both attribution methods.
//!
//! Fee splitting on chain needs shares that add up to exactly [`TOTAL_BPS`], computed the same
//! way on every node. Integer weights are turned into shares with the largest-remainder
//! (Hamilton) method:
//!
//! 1. every contributor gets `floor(weight * 10_000 / total)`;
//! 2. the `10_000 - sum` points still missing (fewer than the number of contributors) go, one
//!    each, to the contributors with the largest remainders `weight * 10_000 mod total`;
//!    equal remainders are broken by the lower address.
//!
//! Contributors whose share rounds to zero are dropped, so the output never has more than
//! 10,000 entries. The output is sorted by share, largest first, then by address ascending.

use alloy_primitives::Address;

/// Basis points in a whole: shares always sum to exactly this when any weight is positive.
pub const TOTAL_BPS: u16 = 10_000;

/// One contributor's share of an attribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Share {
    /// The credited contributor.
    pub contributor: Address,
    /// Share in basis points (1/10,000).
    pub bps: u16,
}

/// Normalizes per-contributor weights to basis points (see the module doc).
///
/// `weights` must hold each address at most once, in any order (the result does not depend on
/// it); zero weights are ignored. Returns an empty vector when every weight is zero. Weights up
/// to `u128::MAX / 10_000` are exact. Linear in the number of weights but for the at most
/// 10,000 shares it returns: a query may weigh millions of contributors.
pub fn normalize(weights: &[(Address, u128)]) -> Vec<Share> {
    let total: u128 = weights.iter().map(|&(_, w)| w).fold(0u128, u128::saturating_add);
    if total == 0 {
        return Vec::new();
    }
    let whole = u128::from(TOTAL_BPS);
    // (address, floor share, remainder) for every positive weight.
    let mut parts: Vec<(Address, u128, u128)> = weights
        .iter()
        .filter(|&&(_, w)| w > 0)
        .map(|&(a, w)| {
            let scaled = w.saturating_mul(whole);
            let floor = scaled / total;
            (a, floor, scaled - floor * total)
        })
        .collect();
    let assigned: u128 = parts.iter().map(|p| p.1).sum();
    let missing = usize::try_from(whole.saturating_sub(assigned)).unwrap_or(usize::MAX);
    // The `missing` largest remainders first (lower address first among equals; a total order,
    // so selecting them gives the same set as sorting all).
    if (1..parts.len()).contains(&missing) {
        parts.select_nth_unstable_by(missing - 1, |x, y| y.2.cmp(&x.2).then(x.0.cmp(&y.0)));
    }
    for part in parts.iter_mut().take(missing) {
        part.1 += 1;
    }
    let mut shares: Vec<Share> = parts
        .into_iter()
        .filter(|p| p.1 > 0)
        .map(|(contributor, bps, _)| Share {
            contributor,
            // bps <= 10_000 by construction.
            bps: u16::try_from(bps).unwrap_or(TOTAL_BPS),
        })
        .collect();
    shares.sort_unstable_by(|x, y| y.bps.cmp(&x.bps).then(x.contributor.cmp(&y.contributor)));
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(b: u8) -> Address {
        Address::repeat_byte(b)
    }

    fn sum(s: &[Share]) -> u32 {
        s.iter().map(|x| u32::from(x.bps)).sum()
    }

    /// The definition: sort every part by remainder, the first `missing` get a point.
    fn by_full_sort(weights: &[(Address, u128)]) -> Vec<Share> {
        let total: u128 = weights.iter().map(|w| w.1).sum();
        let mut parts: Vec<(Address, u128, u128)> = weights
            .iter()
            .filter(|w| w.1 > 0)
            .map(|&(a, w)| (a, w * 10_000 / total, w * 10_000 % total))
            .collect();
        let missing = 10_000 - parts.iter().map(|p| p.1).sum::<u128>() as usize;
        parts.sort_unstable_by(|x, y| y.2.cmp(&x.2).then(x.0.cmp(&y.0)));
        for p in parts.iter_mut().take(missing) {
            p.1 += 1;
        }
        let mut s: Vec<Share> = parts
            .into_iter()
            .filter(|p| p.1 > 0)
            .map(|(contributor, bps, _)| Share { contributor, bps: bps as u16 })
            .collect();
        s.sort_unstable_by(|x, y| y.bps.cmp(&x.bps).then(x.contributor.cmp(&y.contributor)));
        s
    }

    #[test]
    fn selection_matches_the_full_sort() {
        // Many equal remainders (few distinct weights) and many contributors.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for (n, distinct) in [(3usize, 2u64), (50, 3), (20_000, 7), (30_000, 1_000_000)] {
            let weights: Vec<(Address, u128)> = (0..n)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let a = Address::left_padding_from(&(i as u64 * 7919 % 65_521).to_be_bytes());
                    (a, u128::from(x % distinct))
                })
                .collect();
            let mut unique = weights.clone();
            unique.sort_unstable_by_key(|w| w.0);
            unique.dedup_by_key(|w| w.0);
            assert_eq!(normalize(&unique), by_full_sort(&unique), "{n} weights");
        }
    }

    #[test]
    fn empty_when_all_zero() {
        assert!(normalize(&[]).is_empty());
        assert!(normalize(&[(addr(1), 0), (addr(2), 0)]).is_empty());
    }

    #[test]
    fn thirds_go_to_lower_address() {
        let s = normalize(&[(addr(3), 1), (addr(1), 1), (addr(2), 1)]);
        assert_eq!(sum(&s), 10_000);
        assert_eq!(s[0], Share { contributor: addr(1), bps: 3334 });
        assert_eq!(s[1], Share { contributor: addr(2), bps: 3333 });
        assert_eq!(s[2], Share { contributor: addr(3), bps: 3333 });
    }

    #[test]
    fn largest_remainder_wins_over_address() {
        // 2/3 -> 6666.67 (rem .67), 1/3 -> 3333.33 (rem .33): the larger remainder gets the point.
        let s = normalize(&[(addr(1), 1), (addr(2), 2)]);
        assert_eq!(
            s,
            vec![
                Share { contributor: addr(2), bps: 6667 },
                Share { contributor: addr(1), bps: 3333 }
            ]
        );
    }

    #[test]
    fn tiny_weights_are_dropped_but_sum_holds() {
        let mut w = vec![(addr(0xff), 1_000_000_000u128)];
        w.extend((0..50u8).map(|i| (addr(i), 1)));
        let s = normalize(&w);
        assert_eq!(sum(&s), 10_000);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn huge_weights_do_not_overflow() {
        let big = u128::MAX / 20_000;
        let s = normalize(&[(addr(1), big), (addr(2), big)]);
        assert_eq!(s.iter().map(|x| x.bps).collect::<Vec<_>>(), vec![5000, 5000]);
    }
}
