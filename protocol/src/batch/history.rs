//! Recent addresses of the L2 chain, which a batch may name by distance instead of by value.
//!
//! A recipient costs 20 incompressible bytes the first time a channel names it. Most
//! recipients (tokens, routers, exchanges, users paid again) already appeared in earlier blocks,
//! and derivation has those blocks: it derived them. So a batch may name any address *use* of
//! the last [`HISTORY_BLOCKS`] L2 blocks before its first block (at most the last
//! [`HISTORY_USES`]) by its distance from the newest use, which costs one to three bytes.
//!
//! The uses of a transaction are a pure function of its bytes ([`address_uses`]): its `to`,
//! then every 32-byte ABI word of its calldata that holds an address. The batcher and every
//! deriving node compute the same list from the same blocks. A batch states how many uses it
//! relies on, and its parent check ties it to the chain those uses came from, so a node whose
//! history is shorter or misaligned rejects the batch instead of resolving wrong addresses.

use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, map::HashMap};
use std::collections::VecDeque;

/// L2 blocks before a batch whose address uses it may reference.
///
/// Bounds what a restarting node re-reads (an hour of 1-second blocks).
pub const HISTORY_BLOCKS: u64 = 3_600;

/// Address uses a batch may reference at most (20 bytes each in memory).
pub const HISTORY_USES: usize = 1 << 18;

/// Why a block cannot extend the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// Blocks must be pushed in order without gaps; rebuild the history after a reorg.
    #[error("history expects block {expected}, got {got}")]
    Gap {
        /// The block that would extend the history.
        expected: u64,
        /// The block that was pushed.
        got: u64,
    },
}

/// The address uses of the recent L2 blocks, oldest first.
#[derive(Debug, Clone, Default)]
pub struct AddressHistory {
    uses: VecDeque<Address>,
    /// Uses per block still (partly) in `uses`, oldest first.
    blocks: VecDeque<(u64, usize)>,
    /// The block a batch resolved against this history must start at.
    next: Option<u64>,
}

impl AddressHistory {
    /// An empty history (a chain start, or a batch that references nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the history from consecutive blocks as `(number, non-deposit transactions)`,
    /// oldest first; blocks older than the window are skipped at no cost.
    pub fn from_blocks<'a, I, T>(blocks: I) -> Result<Self, HistoryError>
    where
        I: IntoIterator<Item = (u64, T)>,
        T: IntoIterator<Item = &'a [u8]>,
    {
        let mut history = Self::new();
        for (number, txs) in blocks {
            history.push_block(number, txs)?;
        }
        Ok(history)
    }

    /// Appends block `number`'s transactions (EIP-2718 bytes; deposits are ignored) and drops
    /// uses that fall out of the window of the next block.
    pub fn push_block<'a>(
        &mut self,
        number: u64,
        txs: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<(), HistoryError> {
        if let Some(expected) = self.next
            && expected != number
        {
            return Err(HistoryError::Gap { expected, got: number });
        }
        let before = self.uses.len();
        for tx in txs {
            address_uses(tx, |address| self.uses.push_back(address));
        }
        self.blocks.push_back((number, self.uses.len() - before));
        self.next = Some(number.saturating_add(1));
        // The next batch starts at number + 1 and may see blocks number + 1 - HISTORY_BLOCKS on.
        while let Some(&(oldest, count)) = self.blocks.front()
            && (oldest.saturating_add(HISTORY_BLOCKS) <= number || self.uses.len() > HISTORY_USES)
        {
            let drop = if oldest.saturating_add(HISTORY_BLOCKS) <= number {
                count
            } else {
                count.min(self.uses.len() - HISTORY_USES)
            };
            self.uses.drain(..drop);
            if drop == count {
                self.blocks.pop_front();
            } else if let Some(front) = self.blocks.front_mut() {
                front.1 -= drop;
            }
        }
        Ok(())
    }

    /// Number of address uses held.
    pub fn len(&self) -> usize {
        self.uses.len()
    }

    /// Whether no use is held.
    pub fn is_empty(&self) -> bool {
        self.uses.is_empty()
    }

    /// The block right after the newest pushed one: where a batch using this history starts.
    pub fn next_block(&self) -> Option<u64> {
        self.next
    }

    /// The newest `n` uses, oldest first (`None` if fewer are held).
    pub(crate) fn newest(&self, n: usize) -> Option<impl Iterator<Item = &Address>> {
        let skip = self.uses.len().checked_sub(n)?;
        Some(self.uses.iter().skip(skip))
    }
}

/// The reference space of one batch: the history's uses it relies on, then the uses of the
/// batch's own transactions as they are coded.
#[derive(Debug, Default)]
pub(crate) struct Recent {
    uses: Vec<Address>,
    /// Encoder only: position of each address's newest use.
    latest: Option<HashMap<Address, usize>>,
}

impl Recent {
    /// For the decoder: resolves distances only.
    pub(crate) fn for_decoding<'a>(base: impl Iterator<Item = &'a Address>) -> Self {
        Self { uses: base.copied().collect(), latest: None }
    }

    /// For the encoder: also finds the newest use of an address.
    pub(crate) fn for_encoding<'a>(base: impl Iterator<Item = &'a Address>) -> Self {
        let mut this = Self { uses: Vec::new(), latest: Some(HashMap::default()) };
        for address in base {
            this.push(*address);
        }
        this
    }

    pub(crate) fn push(&mut self, address: Address) {
        if let Some(latest) = &mut self.latest {
            latest.insert(address, self.uses.len());
        }
        self.uses.push(address);
    }

    /// Distance from the newest use to `address`'s newest use (0 = the newest).
    pub(crate) fn distance(&self, address: &Address) -> Option<u64> {
        let at = *self.latest.as_ref()?.get(address)?;
        Some((self.uses.len() - 1 - at) as u64)
    }

    /// The address `distance` uses back.
    pub(crate) fn resolve(&self, distance: u64) -> Option<Address> {
        let back = usize::try_from(distance).ok()?;
        let at = self.uses.len().checked_sub(back)?.checked_sub(1)?;
        self.uses.get(at).copied()
    }
}

/// Whether a 32-byte ABI word holds an address: 12 zero bytes, then 20 bytes of which the first
/// four are not all zero (an address is random; an amount below 2^128 is not an address).
pub(crate) fn is_address_word(word: &[u8]) -> bool {
    word.len() == 32 && word[..12].iter().all(|&b| b == 0) && word[12..16] != [0, 0, 0, 0]
}

/// Whether calldata is a selector and whole 32-byte words, the shape ABI-encoded calls have.
pub(crate) fn is_abi_shaped(input: &[u8]) -> bool {
    input.len() >= 4 && (input.len() - 4).is_multiple_of(32)
}

/// Calls `f` with the address uses of a transaction given its `to` and calldata.
pub(crate) fn uses_of(to: Option<&Address>, input: &[u8], mut f: impl FnMut(Address)) {
    if let Some(to) = to {
        f(*to);
    }
    if is_abi_shaped(input) {
        for word in input[4..].chunks_exact(32) {
            if is_address_word(word) {
                f(Address::from_slice(&word[12..]));
            }
        }
    }
}

/// Calls `f` with the address uses of an EIP-2718 transaction; bytes that are not a
/// transaction (or a deposit) have none.
pub fn address_uses(tx: &[u8], f: impl FnMut(Address)) {
    if let Ok(envelope) = TxEnvelope::decode_2718(&mut &tx[..]) {
        uses_of(envelope.to().as_ref(), envelope.input(), f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_words() {
        let mut word = [0u8; 32];
        word[31] = 1;
        assert!(!is_address_word(&word), "an amount");
        word[12] = 0x5a;
        assert!(is_address_word(&word));
        word[0] = 1;
        assert!(!is_address_word(&word), "a hash");
    }

    #[test]
    fn window_by_blocks_and_uses() {
        let mut history = AddressHistory::new();
        // Uses are computed from the bytes; feed them through `Recent`-free pushes by using
        // blocks without transactions and checking the block window.
        for n in 10..10 + HISTORY_BLOCKS + 5 {
            history.push_block(n, std::iter::empty()).expect("consecutive");
        }
        assert_eq!(history.blocks.len() as u64, HISTORY_BLOCKS);
        assert_eq!(history.next_block(), Some(10 + HISTORY_BLOCKS + 5));
        assert_eq!(
            history.push_block(5, std::iter::empty()),
            Err(HistoryError::Gap { expected: 10 + HISTORY_BLOCKS + 5, got: 5 })
        );
    }

    /// One transaction whose calldata holds `words` address words, all of byte `tag`.
    fn many_uses(words: usize, tag: u8) -> Vec<u8> {
        use alloy_consensus::{TxEip1559, transaction::RlpEcdsaEncodableTx};
        use alloy_primitives::{Signature, TxKind, U256};
        let mut input = vec![0u8; 4];
        for _ in 0..words {
            input.extend_from_slice(&[0; 12]);
            input.extend_from_slice(&[tag; 20]);
        }
        let tx = TxEip1559 {
            to: TxKind::Call(Address::repeat_byte(tag)),
            input: input.into(),
            ..Default::default()
        };
        let mut out = Vec::new();
        tx.eip2718_encode(&Signature::new(U256::from(1), U256::from(1), false), &mut out);
        out
    }

    #[test]
    fn window_by_uses_keeps_the_newest() {
        let mut history = AddressHistory::new();
        for (n, tag) in (1u64..=4).zip([1u8, 2, 3, 4]) {
            let tx = many_uses(HISTORY_USES / 3, tag);
            history.push_block(n, [tx.as_slice()]).expect("consecutive");
        }
        assert_eq!(history.len(), HISTORY_USES);
        let newest: Vec<&Address> = history.newest(1).expect("held").collect();
        assert_eq!(newest, [&Address::repeat_byte(4)]);
        // Block 1 fell out entirely, block 2 partly.
        assert_eq!(history.blocks.front().map(|b| b.0), Some(2));
        assert!(history.newest(HISTORY_USES + 1).is_none());
        let mut seen = 0;
        address_uses(&many_uses(3, 9), |a| {
            assert_eq!(a, Address::repeat_byte(9));
            seen += 1;
        });
        assert_eq!(seen, 4, "the `to`, then three words");
    }

    #[test]
    fn recent_distances() {
        let a = Address::repeat_byte(1);
        let b = Address::repeat_byte(2);
        let mut recent = Recent::for_encoding([a, b].iter());
        assert_eq!(recent.distance(&b), Some(0));
        assert_eq!(recent.distance(&a), Some(1));
        recent.push(a);
        assert_eq!(recent.distance(&a), Some(0));
        assert_eq!(recent.distance(&b), Some(1));
        let decoder = Recent::for_decoding([a, b, a].iter());
        assert_eq!(decoder.resolve(0), Some(a));
        assert_eq!(decoder.resolve(1), Some(b));
        assert_eq!(decoder.resolve(3), None);
        assert_eq!(decoder.resolve(u64::MAX), None);
    }
}
