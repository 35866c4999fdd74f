//! Half-open index ranges `[first, end)`: the points or documents a datanet's owner excluded.

/// Sorts `ranges` and merges the ones that overlap or touch; empty ranges are dropped. The
/// result is sorted and disjoint, as [`contains`] needs.
pub fn merge(mut ranges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    ranges.retain(|(a, b)| a < b);
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// Whether `x` lies in one of `merged` (the output of [`merge`]): a binary search.
pub fn contains(merged: &[(u32, u32)], x: u32) -> bool {
    let i = merged.partition_point(|&(_, end)| end <= x);
    merged.get(i).is_some_and(|&(start, _)| start <= x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_finds() {
        let m = merge(vec![(15, 30), (10, 20), (5, 5), (40, 41), (30, 32)]);
        assert_eq!(m, vec![(10, 32), (40, 41)]);
        for x in 0..50 {
            assert_eq!(contains(&m, x), (10..32).contains(&x) || x == 40, "{x}");
        }
        assert!(!contains(&[], 0));
    }
}
