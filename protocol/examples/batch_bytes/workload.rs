//! Signed transactions shaped like the node's load generator makes them (`ol-loadgen`).

use alloy_consensus::{SignableTransaction, TxEip1559, transaction::RlpEcdsaEncodableTx};
use alloy_eips::BlockNumHash;
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use ol_protocol::batch::L2Block;

sol! {
    function transfer(address to, uint256 value) external returns (bool);
    function recordAttribution(uint64[] datanetIds, bytes outputTokens, uint32 minSpan, uint64 maxOccurrences) external;
}

pub(crate) const CHAIN_ID: u64 = 1612;
/// Transactions per L2 block (the node's 1-second blocks under load hold hundreds).
pub(crate) const PER_BLOCK: usize = 200;
pub(crate) const SENDERS: usize = 200;
pub(crate) const RECIPIENTS: u64 = 10_000;
const TIP: u128 = 1_000_000_000;
const MAX_FEE: u128 = 3_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Workload {
    /// Plain value transfers (21,000 gas).
    Transfer,
    /// ERC-20 `transfer(to, amount)` on one token.
    Erc20,
    /// `recordAttribution` calls to the token-attribution precompile, 48..160 tokens each.
    Attribution,
}

impl Workload {
    pub(crate) const ALL: [Self; 3] = [Self::Transfer, Self::Erc20, Self::Attribution];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Transfer => "transfer",
            Self::Erc20 => "ERC-20 transfer",
            Self::Attribution => "attribution call",
        }
    }

    /// Its name in `--dump` file names.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Self::Transfer => "transfer",
            Self::Erc20 => "erc20",
            Self::Attribution => "attribution",
        }
    }
}

/// Who sends to whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// `ol-loadgen`'s order: transaction i goes from sender i mod 200 to recipient i mod 10,000,
    /// amount 1.
    Loadgen,
    /// Uniformly random sender and recipient, amounts of a few significant digits.
    Random,
}

impl Pattern {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Loadgen => "loadgen order",
            Self::Random => "random",
        }
    }

    /// Its name in `--dump` file names.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Self::Loadgen => "loadgen",
            Self::Random => "random",
        }
    }
}

/// SplitMix64: a deterministic stream without a dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub(crate) fn recipient(j: u64) -> Address {
    Address::from_word(keccak256([b"ol-loadgen/recipient".as_slice(), &j.to_be_bytes()].concat()))
}

fn token() -> Address {
    Address::from_word(keccak256(b"ol-bench/token"))
}

const ATTRIBUTION: Address =
    Address::new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x02]);

/// Output tokens: Zipf-like ids over a 50,000-token vocabulary, as language models emit.
fn output_tokens(rng: &mut Rng) -> Vec<u8> {
    let n = 48 + rng.below(113) as usize;
    let mut out = Vec::with_capacity(n * 4);
    for _ in 0..n {
        // Inverse-CDF sample of p(k) ∝ 1/k: k = 50,000^u.
        let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        let id = (50_000f64.powf(u) as u32).saturating_sub(1);
        out.extend_from_slice(&id.to_be_bytes());
    }
    out
}

/// A few significant digits, as people send: 1..999 × 10^12..10^17.
fn amount(rng: &mut Rng) -> U256 {
    U256::from(1 + rng.below(999)) * U256::from(10u64).pow(U256::from(12 + rng.below(6)))
}

pub(crate) struct Generated {
    pub(crate) blocks: Vec<L2Block>,
    pub(crate) txs: usize,
    pub(crate) raw_bytes: usize,
}

/// Builds `n` transactions in blocks of [`PER_BLOCK`], starting at block `first_block`.
///
/// `sign = false` fills in a fake signature (for history warm-up: only `to` and calldata matter
/// there, and signing is the slow part).
pub(crate) fn generate(
    workload: Workload,
    pattern: Pattern,
    n: usize,
    first_block: u64,
    start: u64,
    sign: bool,
    keys: &[PrivateKeySigner],
) -> Generated {
    let mut rng = Rng::new(0x5eed ^ start ^ ((workload as u64) << 40) ^ ((pattern as u64) << 48));
    let mut nonces = vec![start / SENDERS as u64; SENDERS];
    let plans: Vec<(usize, TxEip1559)> = (0..n as u64)
        .map(|k| {
            let i = start + k;
            let (sender, to, value) = match pattern {
                Pattern::Loadgen => {
                    ((i % SENDERS as u64) as usize, recipient(i % RECIPIENTS), U256::from(1))
                }
                Pattern::Random => (
                    rng.below(SENDERS as u64) as usize,
                    recipient(rng.below(RECIPIENTS)),
                    amount(&mut rng),
                ),
            };
            let nonce = nonces[sender];
            nonces[sender] += 1;
            let (to, value, input, gas_limit) = match workload {
                Workload::Transfer => (to, value, Bytes::new(), 21_000),
                Workload::Erc20 => {
                    (token(), U256::ZERO, transferCall { to, value }.abi_encode().into(), 61_800)
                }
                Workload::Attribution => {
                    let ids = (0..1 + rng.below(3)).map(|_| 1 + rng.below(8)).collect();
                    let call = recordAttributionCall {
                        datanetIds: ids,
                        outputTokens: output_tokens(&mut rng).into(),
                        minSpan: 4,
                        maxOccurrences: 1_000,
                    };
                    (ATTRIBUTION, U256::ZERO, call.abi_encode().into(), 400_000)
                }
            };
            let tx = TxEip1559 {
                chain_id: CHAIN_ID,
                nonce,
                gas_limit,
                max_fee_per_gas: MAX_FEE,
                max_priority_fee_per_gas: TIP,
                to: TxKind::Call(to),
                value,
                access_list: Default::default(),
                input,
            };
            (sender, tx)
        })
        .collect();
    let sign_one = |(sender, tx): &(usize, TxEip1559)| -> Bytes {
        let sig = if sign {
            keys[*sender].sign_hash_sync(&tx.signature_hash()).expect("signing")
        } else {
            let h = keccak256(tx.signature_hash());
            Signature::new(U256::from_be_bytes(h.0), U256::from_be_bytes(h.0) >> 2, false)
        };
        let mut out = Vec::new();
        tx.eip2718_encode(&sig, &mut out);
        out.into()
    };
    // Signing dominates: split it over two threads.
    let half = plans.len() / 2;
    let (a, b) = plans.split_at(half);
    let txs: Vec<Bytes> = std::thread::scope(|s| {
        let left = s.spawn(|| a.iter().map(sign_one).collect::<Vec<_>>());
        let right: Vec<Bytes> = b.iter().map(sign_one).collect();
        let mut all = left.join().expect("signing thread");
        all.extend(right);
        all
    });
    let raw_bytes = txs.iter().map(|t| t.len()).sum();
    let blocks = txs
        .chunks(PER_BLOCK)
        .enumerate()
        .map(|(k, chunk)| {
            let number = first_block + k as u64;
            L2Block {
                number,
                timestamp: 1_700_000_000 + number,
                parent_hash: keccak256(number.to_be_bytes()),
                l1_origin: BlockNumHash { number: 1_000 + number / 12, hash: B256::repeat_byte(1) },
                transactions: chunk.to_vec(),
            }
        })
        .collect();
    Generated { blocks, txs: n, raw_bytes }
}

pub(crate) fn keys() -> Vec<PrivateKeySigner> {
    (0..SENDERS as u64)
        .map(|i| PrivateKeySigner::from_bytes(&keccak256(i.to_be_bytes())).expect("valid key"))
        .collect()
}
