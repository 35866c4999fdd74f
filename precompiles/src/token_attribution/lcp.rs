//! The LCP array of a segment with a block-minimum tree, for "nearest row whose LCP is below t"
//! queries in O(block + log n) reads.
//!
//! ```text
//! lcp[r]   = length of the common prefix of the suffixes at SA rows r-1 and r  (lcp[0] = 0)
//! mins[b]  = min(lcp[b*BLOCK .. (b+1)*BLOCK])        leaves of a binary min-tree
//! ```
//!
//! Matching statistics ([`super::segment::Segment::matches`]) move from the rows of
//! `o[i..i+L]` to those of `o[i+1..i+L]` through the inverse suffix array, then widen that one
//! row to every row sharing `L - 1` tokens with it: the widening is exactly these two queries.
//! The tree keeps each one logarithmic whatever the corpus looks like (a long run of one token
//! makes LCP plateaus that a linear scan would walk).

/// LCP entries per tree leaf: scanned linearly at both ends of a query.
pub(super) const BLOCK: usize = 16;

/// See the module doc.
#[derive(Debug, Clone)]
pub(super) struct Lcp {
    lcp: Vec<u32>,
    /// Implicit binary tree: `tree[leaves + b]` = min of block `b`, `tree[v]` = min of children.
    tree: Vec<u32>,
    leaves: usize,
}

impl Lcp {
    /// Kasai et al.'s linear-time LCP construction from the text, its suffix array and inverse.
    pub(super) fn build(text: &[i32], sa: &[u32], isa: &[u32]) -> Self {
        let n = text.len();
        let mut lcp = vec![0u32; n];
        let mut h = 0usize;
        for (i, &rank) in isa.iter().enumerate() {
            let r = rank as usize;
            if r == 0 {
                h = 0;
                continue;
            }
            let j = sa[r - 1] as usize;
            while i + h < n && j + h < n && text[i + h] == text[j + h] {
                h += 1;
            }
            lcp[r] = h as u32;
            h = h.saturating_sub(1);
        }
        let leaves = 1usize << depth(n);
        let mut tree = vec![u32::MAX; 2 * leaves];
        for (b, chunk) in lcp.chunks(BLOCK).enumerate() {
            tree[leaves + b] = chunk.iter().copied().min().unwrap_or(u32::MAX);
        }
        for v in (1..leaves).rev() {
            tree[v] = tree[2 * v].min(tree[2 * v + 1]);
        }
        Self { lcp, tree, leaves }
    }

    /// Largest `a <= r` with `lcp[a] < t`: the first row of the interval of rows sharing at
    /// least `t >= 1` tokens with row `r` (`lcp[0] = 0` guarantees one exists).
    pub(super) fn prev_less(&self, r: usize, t: u32, work: &mut u64) -> usize {
        let block = r / BLOCK;
        if let Some(a) = self.scan_down(block * BLOCK, r, t, work) {
            return a;
        }
        match self.prev_block(block, t, work) {
            Some(b) => {
                let end = ((b + 1) * BLOCK).min(self.lcp.len()) - 1;
                self.scan_down(b * BLOCK, end, t, work).unwrap_or(0)
            }
            None => 0,
        }
    }

    /// Smallest `b > r` with `lcp[b] < t`, or the row count: one past the last row sharing at
    /// least `t` tokens with row `r`.
    pub(super) fn next_less(&self, r: usize, t: u32, work: &mut u64) -> usize {
        let n = self.lcp.len();
        let block = r / BLOCK;
        let block_end = ((block + 1) * BLOCK).min(n);
        if let Some(b) = self.scan_up(r + 1, block_end, t, work) {
            return b;
        }
        match self.next_block(block, t, work) {
            Some(b) => self.scan_up(b * BLOCK, ((b + 1) * BLOCK).min(n), t, work).unwrap_or(n),
            None => n,
        }
    }

    /// Last row in `from..=to` (scanned downwards) with LCP below `t`.
    fn scan_down(&self, from: usize, to: usize, t: u32, work: &mut u64) -> Option<usize> {
        let rows = self.lcp.get(from..=to)?;
        let hit = rows.iter().rposition(|&v| v < t);
        *work += hit.map_or(rows.len(), |p| rows.len() - p) as u64;
        hit.map(|p| from + p)
    }

    /// First row in `from..to` with LCP below `t`.
    fn scan_up(&self, from: usize, to: usize, t: u32, work: &mut u64) -> Option<usize> {
        let rows = self.lcp.get(from..to)?;
        let hit = rows.iter().position(|&v| v < t);
        *work += hit.map_or(rows.len(), |p| p + 1) as u64;
        hit.map(|p| from + p)
    }

    /// The nearest block before `block` whose minimum is below `t`.
    fn prev_block(&self, block: usize, t: u32, work: &mut u64) -> Option<usize> {
        let mut v = self.leaves + block;
        while v > 1 {
            *work += 1;
            if v & 1 == 1 && self.tree[v - 1] < t {
                return Some(self.descend(v - 1, t, true, work));
            }
            v >>= 1;
        }
        None
    }

    /// The nearest block after `block` whose minimum is below `t`.
    fn next_block(&self, block: usize, t: u32, work: &mut u64) -> Option<usize> {
        let mut v = self.leaves + block;
        while v > 1 {
            *work += 1;
            if v & 1 == 0 && self.tree[v + 1] < t {
                return Some(self.descend(v + 1, t, false, work));
            }
            v >>= 1;
        }
        None
    }

    /// From a node whose minimum is below `t`, the rightmost (or leftmost) leaf below `t`.
    fn descend(&self, mut v: usize, t: u32, rightmost: bool, work: &mut u64) -> usize {
        while v < self.leaves {
            *work += 1;
            let (first, second) = if rightmost { (2 * v + 1, 2 * v) } else { (2 * v, 2 * v + 1) };
            v = if self.tree[first] < t { first } else { second };
        }
        v - self.leaves
    }
}

/// Levels of the tree over `n` LCP entries (the most steps of one tree walk, each way).
pub(super) fn depth(n: usize) -> u64 {
    let leaves = n.div_ceil(BLOCK).max(1).checked_next_power_of_two();
    leaves.map_or(usize::BITS, usize::trailing_zeros).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_smaller_matches_a_scan() {
        // A pseudo-random LCP-like array with plateaus.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let lcp: Vec<u32> = (0..1000)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if i == 0 { 0 } else { (x % 9) as u32 + if i % 97 < 40 { 6 } else { 0 } }
            })
            .collect();
        let n = lcp.len();
        let leaves = n.div_ceil(BLOCK).next_power_of_two();
        let mut tree = vec![u32::MAX; 2 * leaves];
        for (b, c) in lcp.chunks(BLOCK).enumerate() {
            tree[leaves + b] = *c.iter().min().expect("block");
        }
        for v in (1..leaves).rev() {
            tree[v] = tree[2 * v].min(tree[2 * v + 1]);
        }
        let ix = Lcp { lcp: lcp.clone(), tree, leaves };
        let mut work = 0;
        for r in 0..n {
            for t in 1..16u32 {
                let prev = (0..=r).rev().find(|&a| lcp[a] < t).expect("lcp[0] = 0");
                let next = (r + 1..n).find(|&b| lcp[b] < t).unwrap_or(n);
                assert_eq!(ix.prev_less(r, t, &mut work), prev, "prev r={r} t={t}");
                assert_eq!(ix.next_less(r, t, &mut work), next, "next r={r} t={t}");
            }
        }
    }
}
