//! Seeded data generation shared by the tests.

use alloy_primitives::Address;

/// xorshift64*: tiny, seeded, and the same everywhere.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in 0..n (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Uniform in lo..=hi.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub(crate) fn i8_in(&mut self, lo: i8, hi: i8) -> i8 {
        (i64::from(lo) + self.below((i64::from(hi) - i64::from(lo) + 1) as u64) as i64) as i8
    }

    pub(crate) fn address(&mut self) -> Address {
        let mut b = [0u8; 20];
        for chunk in b.chunks_mut(8) {
            let r = self.next().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
        Address::from(b)
    }
}

/// `n` distinct-by-construction contributor addresses.
pub(crate) fn addresses(rng: &mut Rng, n: usize) -> Vec<Address> {
    (0..n).map(|_| rng.address()).collect()
}

/// A token corpus: documents of `lo..=hi` tokens over a vocabulary of `vocab` ids (skewed
/// towards small ids), owned by `contributors`; about a quarter of the documents copy a
/// stretch of an earlier one, so spans are shared between contributors.
pub(crate) fn corpus(
    rng: &mut Rng,
    total: usize,
    vocab: u32,
    (lo, hi): (usize, usize),
    contributors: &[Address],
) -> Vec<(Address, Vec<u32>)> {
    let mut docs: Vec<(Address, Vec<u32>)> = Vec::new();
    let mut n = 0;
    while n < total {
        let len = rng.range(lo as u64, hi as u64) as usize;
        let owner = contributors[rng.below(contributors.len() as u64) as usize];
        let mut doc = Vec::with_capacity(len);
        if !docs.is_empty() && rng.below(4) == 0 {
            let src = &docs[rng.below(docs.len() as u64) as usize].1;
            let start = rng.below(src.len() as u64) as usize;
            doc.extend(src[start..].iter().take(len));
        }
        while doc.len() < len {
            doc.push(skewed(rng, vocab));
        }
        n += doc.len();
        docs.push((owner, doc));
    }
    docs
}

/// A token id in 0..vocab, small ids more likely (min of two uniforms).
pub(crate) fn skewed(rng: &mut Rng, vocab: u32) -> u32 {
    let a = rng.below(u64::from(vocab));
    let b = rng.below(u64::from(vocab));
    a.min(b) as u32
}

/// An output made of excerpts of the corpus (lengths 1..=max_excerpt) and random tokens.
pub(crate) fn output(
    rng: &mut Rng,
    docs: &[(Address, Vec<u32>)],
    len: usize,
    vocab: u32,
    max_excerpt: usize,
) -> Vec<u32> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        if rng.below(3) == 0 {
            out.push(skewed(rng, vocab));
        } else {
            let d = &docs[rng.below(docs.len() as u64) as usize].1;
            let start = rng.below(d.len() as u64) as usize;
            let take = rng.range(1, max_excerpt as u64) as usize;
            out.extend(d[start..].iter().take(take.min(len - out.len())));
        }
    }
    out
}
