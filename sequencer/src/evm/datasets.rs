//! Where registered data lives and how queries find it in memory.
//!
//! ```text
//!  addPoints / addDocuments ──▶ batch b of datanet id stored as the code of a data account
//!                               (0x00 ‖ payload, SSTORE2-style) at batch_address(P, id, b)
//!                           ──▶ chain[b] = keccak(chain[b-1] ‖ keccak(code))  in P's storage
//!  score / attribute        ──▶ head = chain[count-1] ──▶ Versions cache: (id, head) → index
//!                               miss: extend the longest cached prefix with the missing batches
//! ```
//!
//! Registered data is bulk, immutable and written once, which is exactly what account code is
//! in Ethereum: content-addressed, committed by the state root through the account's code hash,
//! persisted, rolled back with the frame that wrote it, and unwound with the block. Storing it
//! as code costs what Ethereum charges for code ([`DATA_BYTE_GAS`] per byte, a new account),
//! rather than 20,000 gas per 32-byte slot. The leading STOP byte makes a call into a data
//! account do nothing, and keeps the code clear of the `0xEF` prefixes (EOF, EIP-7702).
//!
//! The in-memory index of a datanet (a sketch matrix or suffix arrays) is a pure function of
//! its batches, so it is cached by the chain value `head`, which commits to all of them: a cache
//! entry can never be stale, and a miss only costs time, never a different result or different
//! gas. Each registration makes a new version that shares every older chunk or segment with its
//! parent, so blocks, `eth_call` on older states and speculative registrations can all hold
//! their own version. The node builds the latest version of every datanet at start-up.

use alloy_primitives::{Address, B256, U256, keccak256};
use parking_lot::Mutex;
use std::{collections::HashMap, sync::Arc};

/// Gas per byte of registered data: Ethereum's price for deployed code (`G_codedeposit`),
/// which is its price for bytes kept in state forever and never rewritten.
pub const DATA_BYTE_GAS: u64 = 200;
/// Gas of the data account a registration creates (`G_newaccount`).
pub const NEW_ACCOUNT_GAS: u64 = 25_000;
/// Slots a query reads per datanet (meta, batch count, chain value, excluded-range count),
/// besides one per excluded range.
pub const QUERY_READS_PER_DATANET: u64 = 4;
/// First byte of every data account's code (STOP).
pub const DATA_PREFIX: u8 = 0x00;
/// Versions kept per datanet. The newest committed version is touched by every query (also by
/// the queries that extend it speculatively), so it outlives speculative ones.
const VERSIONS_PER_DATANET: usize = 16;

fn id_word(v: u64) -> [u8; 32] {
    U256::from(v).to_be_bytes::<32>()
}

/// The data account holding batch `batch` of datanet `id` of precompile `precompile`: no one
/// holds its key, and CREATE / CREATE2 cannot reach it (different preimage domain).
pub fn batch_address(precompile: Address, id: u64, batch: u64) -> Address {
    let digest = keccak256(
        [b"ol.batch".as_slice(), precompile.as_slice(), &id_word(id), &id_word(batch)].concat(),
    );
    Address::from_slice(&digest[12..])
}

/// Storage slot of a datanet's batch count.
pub fn batches_key(id: u64) -> U256 {
    super::journal::slot_key(&[&id_word(id), b"batches"])
}

/// Storage slot of the chain value after batch `batch`.
pub fn chain_key(id: u64, batch: u64) -> U256 {
    super::journal::slot_key(&[&id_word(id), b"chain"]).wrapping_add(U256::from(batch))
}

/// Storage slot of a datanet's number of excluded ranges; range `i` is at this slot + 1 + i,
/// as `first << 32 | count`.
pub fn excluded_key(id: u64) -> U256 {
    super::journal::slot_key(&[&id_word(id), b"excluded"])
}

/// The chain value after appending a batch whose code hashes to `code_hash`.
pub fn chain_next(prev: B256, code_hash: B256) -> B256 {
    keccak256([prev.as_slice(), code_hash.as_slice()].concat())
}

/// A data account's code for `payload`.
pub fn data_code(payload: &[u8]) -> Vec<u8> {
    let mut code = Vec::with_capacity(payload.len() + 1);
    code.push(DATA_PREFIX);
    code.extend_from_slice(payload);
    code
}

/// Gas of storing a batch of `payload_len` bytes: the data account and its bytes.
pub fn store_gas(payload_len: u64) -> u64 {
    NEW_ACCOUNT_GAS.saturating_add(payload_len.saturating_add(1).saturating_mul(DATA_BYTE_GAS))
}

/// Read access to a datanet's batches in some state: the EVM journal while executing, the
/// world state at start-up.
pub trait BatchSource {
    /// Error of the underlying state.
    type Error;
    /// The chain value after batch `batch` of datanet `id`.
    fn chain(&mut self, id: u64, batch: u64) -> Result<B256, Self::Error>;
    /// The code of batch `batch`'s data account.
    fn code(&mut self, id: u64, batch: u64) -> Result<Vec<u8>, Self::Error>;
}

/// A datanet's batches in the node's world state (start-up warm-up).
pub struct WorldBatches<'a> {
    /// The state.
    pub state: &'a crate::state::WorldState,
    /// The precompile whose datanets are read.
    pub precompile: Address,
}

impl BatchSource for WorldBatches<'_> {
    type Error = String;

    fn chain(&mut self, id: u64, batch: u64) -> Result<B256, String> {
        let word = self.state.storage(&self.precompile, &chain_key(id, batch));
        Ok(B256::from(word.to_be_bytes::<32>()))
    }

    fn code(&mut self, id: u64, batch: u64) -> Result<Vec<u8>, String> {
        let at = batch_address(self.precompile, id, batch);
        let account = self.state.account(&at).ok_or_else(|| format!("no data account {at}"))?;
        let code = self
            .state
            .code(&account.code_hash)
            .ok_or_else(|| format!("no code for data account {at}"))?;
        Ok(code.original_bytes().to_vec())
    }
}

/// An index that grows by whole batches.
pub trait Versioned: Clone + Send + Sync + 'static {
    /// Appends one batch's payload (the data account's code without its prefix). Payloads were
    /// validated when registered; an error here means the state is corrupt.
    fn extend(&mut self, payload: &[u8]) -> Result<(), String>;
}

/// Why a datanet's index could not be produced.
#[derive(Debug)]
pub enum ResolveError<E> {
    /// The state could not be read.
    State(E),
    /// The stored batches do not match their chain values or do not decode.
    Corrupt(String),
}

#[derive(Debug)]
struct Entry<T> {
    head: B256,
    index: Arc<T>,
    used: u64,
}

/// The cached versions of every datanet, plus a use counter for eviction.
#[derive(Debug)]
struct Cached<T> {
    clock: u64,
    datanets: HashMap<u64, Vec<Entry<T>>>,
}

/// The versions of every datanet of one precompile, by `(datanet id, head)`.
#[derive(Debug)]
pub struct Versions<T> {
    inner: Mutex<Cached<T>>,
}

impl<T> Default for Versions<T> {
    fn default() -> Self {
        Self { inner: Mutex::new(Cached { clock: 0, datanets: HashMap::new() }) }
    }
}

impl<T: Versioned> Versions<T> {
    /// The cached version of datanet `id` at `head`.
    pub fn get(&self, id: u64, head: B256) -> Option<Arc<T>> {
        let mut cached = self.inner.lock();
        cached.clock += 1;
        let clock = cached.clock;
        let entry = cached.datanets.get_mut(&id)?.iter_mut().find(|e| e.head == head)?;
        entry.used = clock;
        Some(entry.index.clone())
    }

    /// Caches `index` as datanet `id`'s version at `head` (replacing an equal one: a compacted
    /// index answers exactly like the one it replaces).
    pub fn insert(&self, id: u64, head: B256, index: Arc<T>) {
        let mut cached = self.inner.lock();
        cached.clock += 1;
        let clock = cached.clock;
        let entries = cached.datanets.entry(id).or_default();
        if let Some(e) = entries.iter_mut().find(|e| e.head == head) {
            e.index = index;
            e.used = clock;
            return;
        }
        if entries.len() >= VERSIONS_PER_DATANET
            && let Some(oldest) =
                entries.iter().enumerate().min_by_key(|(_, e)| e.used).map(|(i, _)| i)
        {
            entries.swap_remove(oldest);
        }
        entries.push(Entry { head, index, used: clock });
    }

    /// Datanet `id`'s index after `count` batches, from the cache or built by extending the
    /// longest cached prefix. `empty` makes the index of no batch.
    pub fn resolve<S: BatchSource>(
        &self,
        source: &mut S,
        id: u64,
        count: u64,
        empty: impl FnOnce() -> Result<T, String>,
    ) -> Result<Arc<T>, ResolveError<S::Error>> {
        if count == 0 {
            return empty().map(Arc::new).map_err(ResolveError::Corrupt);
        }
        let head = source.chain(id, count - 1).map_err(ResolveError::State)?;
        if let Some(hit) = self.get(id, head) {
            return Ok(hit);
        }
        // Walk back to the newest batch whose version is cached, keeping the chain values read
        // on the way (newest first) to check the batches against.
        let mut expected = vec![head];
        let mut base: Option<(Arc<T>, B256)> = None;
        for b in (0..count - 1).rev() {
            let h = source.chain(id, b).map_err(ResolveError::State)?;
            if let Some(hit) = self.get(id, h) {
                base = Some((hit, h));
                break;
            }
            expected.push(h);
        }
        let start = count - expected.len() as u64;
        let (mut index, mut chain) = match base {
            Some((hit, h)) => ((*hit).clone(), h),
            None => (empty().map_err(ResolveError::Corrupt)?, B256::ZERO),
        };
        for (b, expected) in (start..count).zip(expected.into_iter().rev()) {
            let code = source.code(id, b).map_err(ResolveError::State)?;
            chain = chain_next(chain, keccak256(&code));
            if chain != expected {
                return Err(ResolveError::Corrupt(format!(
                    "datanet {id} batch {b}: code does not match its chain value"
                )));
            }
            let payload = match code.split_first() {
                Some((&DATA_PREFIX, payload)) => payload,
                _ => {
                    return Err(ResolveError::Corrupt(format!(
                        "datanet {id} batch {b}: data account has no data prefix"
                    )));
                }
            };
            index.extend(payload).map_err(ResolveError::Corrupt)?;
        }
        let index = Arc::new(index);
        self.insert(id, head, index.clone());
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy index: the concatenated payloads.
    #[derive(Clone, Debug, Default)]
    struct Concat(Vec<u8>);

    impl Versioned for Concat {
        fn extend(&mut self, payload: &[u8]) -> Result<(), String> {
            if payload.first() == Some(&0xff) {
                return Err("bad".into());
            }
            self.0.extend_from_slice(payload);
            Ok(())
        }
    }

    /// Batches of one datanet, with a read counter.
    struct Batches {
        codes: Vec<Vec<u8>>,
        reads: usize,
    }

    impl Batches {
        fn new(payloads: &[&[u8]]) -> Self {
            Self { codes: payloads.iter().map(|p| data_code(p)).collect(), reads: 0 }
        }
    }

    impl BatchSource for Batches {
        type Error = ();
        fn chain(&mut self, _id: u64, batch: u64) -> Result<B256, ()> {
            let mut h = B256::ZERO;
            for code in &self.codes[..=batch as usize] {
                h = chain_next(h, keccak256(code));
            }
            Ok(h)
        }
        fn code(&mut self, _id: u64, batch: u64) -> Result<Vec<u8>, ()> {
            self.reads += 1;
            self.codes.get(batch as usize).cloned().ok_or(())
        }
    }

    #[test]
    fn resolve_extends_cached_prefix_and_hits_after() {
        let cache = Versions::<Concat>::default();
        let mut src = Batches::new(&[b"ab", b"cd", b"ef"]);
        let v2 = cache.resolve(&mut src, 1, 2, || Ok(Concat::default())).expect("resolve");
        assert_eq!(v2.0, b"abcd");
        assert_eq!(src.reads, 2);
        let v3 = cache.resolve(&mut src, 1, 3, || Ok(Concat::default())).expect("resolve");
        assert_eq!(v3.0, b"abcdef");
        assert_eq!(src.reads, 3, "only the new batch is read");
        let again = cache.resolve(&mut src, 1, 3, || Ok(Concat::default())).expect("resolve");
        assert!(Arc::ptr_eq(&v3, &again));
        assert_eq!(src.reads, 3);
        // The older version is still served as it was.
        assert_eq!(
            cache.resolve(&mut src, 1, 2, || Ok(Concat::default())).expect("resolve").0,
            b"abcd"
        );
    }

    #[test]
    fn corrupt_batches_are_reported() {
        let cache = Versions::<Concat>::default();
        let mut src = Batches::new(&[b"ab", &[0xff]]);
        assert!(matches!(
            cache.resolve(&mut src, 1, 2, || Ok(Concat::default())),
            Err(ResolveError::Corrupt(_))
        ));
        let mut src = Batches::new(&[b"ab"]);
        src.codes[0][0] = 0x60;
        assert!(matches!(
            cache.resolve(&mut src, 2, 1, || Ok(Concat::default())),
            Err(ResolveError::Corrupt(_))
        ));
    }

    #[test]
    fn eviction_keeps_recently_used() {
        let cache = Versions::<Concat>::default();
        let keep = B256::repeat_byte(0xaa);
        cache.insert(1, keep, Arc::new(Concat(b"keep".to_vec())));
        for i in 0..100u8 {
            assert!(cache.get(1, keep).is_some(), "touched versions survive");
            cache.insert(1, B256::repeat_byte(i), Arc::new(Concat::default()));
        }
        assert!(cache.get(1, keep).is_some());
        assert!(cache.get(1, B256::repeat_byte(0)).is_none(), "old speculative versions go");
    }

    #[test]
    fn addresses_differ_per_precompile_datanet_and_batch() {
        let p = Address::repeat_byte(1);
        let a = batch_address(p, 1, 0);
        assert_ne!(a, batch_address(p, 1, 1));
        assert_ne!(a, batch_address(p, 2, 0));
        assert_ne!(a, batch_address(Address::repeat_byte(2), 1, 0));
        assert_eq!(store_gas(9), NEW_ACCOUNT_GAS + 10 * DATA_BYTE_GAS);
    }
}
