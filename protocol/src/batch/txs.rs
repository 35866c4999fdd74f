//! The transaction columns of a batch (version 0).
//!
//! Like OP's span batches, the fields of all transactions are stored column by column, so the
//! compressor sees runs of similar values (nonces next to nonces, fees next to fees). On top of
//! that:
//! - chain id and transaction type are implied by a one-byte kind; legacy transactions must be
//!   EIP-155 on this chain, EIP-1559 ones must have an empty access list; anything else is
//!   carried opaque (its EIP-2718 bytes), so every transaction a block can hold can be batched;
//! - `to` and every address word of ABI calldata name a recent address use by distance
//!   ([`super::history`]) instead of spelling 20 bytes;
//! - amounts (the value, and calldata words that are numbers) are written as `m · 10^e`: people
//!   send round decimal amounts, which are not round in binary; other words are copied whole so
//!   packed data keeps its alignment;
//! - the signature is stored as EIP-2098's 64-byte `r ‖ yParityAndS` (`s` is below 2^255 for
//!   every valid transaction, so its top bit carries the y parity), outside the compressed part
//!   together with new addresses: random bytes only slow a compressor down.

use super::{
    history::{Recent, is_abi_shaped, is_address_word, uses_of},
    wire::{
        WireError, decimal_join, decimal_split, put_amount, put_uvarint, read_amount, read_len,
        read_uvarint, read_uvarint_u128, take, trimmed,
    },
};
use alloy_consensus::{TxEip1559, TxEnvelope, TxLegacy, transaction::RlpEcdsaEncodableTx};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256};

/// Kind byte of an EIP-155 legacy transaction of this chain.
pub(crate) const KIND_LEGACY: u8 = 0;
/// Kind byte of an EIP-1559 transaction of this chain without access list.
pub(crate) const KIND_EIP1559: u8 = 2;
/// Kind byte of a transaction carried as its EIP-2718 bytes.
pub(crate) const KIND_OPAQUE: u8 = 0xff;

/// `to` column: a contract creation.
const TO_CREATE: u64 = 0;
/// `to` column: a new address, read from the literals.
const TO_LITERAL: u64 = 1;
/// `to` column: codes from here on name a recent use, `code − TO_REF` uses back.
const TO_REF: u64 = 2;

/// Word column: a new address, read from the literals.
const WORD_LITERAL: u64 = 0;
/// Word column: a recent address use, its distance in the word-reference column.
const WORD_REF: u64 = 1;
/// Word column: 32 bytes as they are, from the raw-word column (data such as packed tokens
/// keeps its alignment, which the compressor's context model needs).
const WORD_RAW: u64 = 2;
/// Word column: codes from here on are numbers `m · 10^e`, code − WORD_NUM = `e · 17 + len(m)`
/// with `m` of at most 16 bytes in the number column.
const WORD_NUM: u64 = 3;

/// Calldata a batch may rebuild in total. ABI words of zeros cost one packed byte each, so
/// without this cap a small batch could ask for gigabytes.
pub const MAX_BATCH_CALLDATA: usize = 100_000_000;

/// Bytes per stored signature.
pub(crate) const SIG_LEN: usize = 64;

/// Why the transaction columns do not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TxColumnsError {
    /// A column is cut short or holds a malformed number.
    #[error("transaction columns: {0}")]
    Wire(#[from] WireError),
    /// An unknown kind byte.
    #[error("unknown transaction kind {0}")]
    UnknownKind(u8),
    /// A count or length exceeds what the input can hold.
    #[error("count {0} exceeds the input")]
    CountTooLarge(u64),
    /// A reference reaches further back than the history and the batch hold.
    #[error("reference {0} uses back is not in the history or the batch")]
    UnknownReference(u64),
    /// The calldata of the batch adds up to more than [`MAX_BATCH_CALLDATA`].
    #[error("calldata of the batch exceeds {MAX_BATCH_CALLDATA} bytes")]
    CalldataTooLarge,
    /// Bytes left over after the last column.
    #[error("{0} trailing bytes after the transaction columns")]
    Trailing(usize),
    /// The stored section does not have the size the columns call for.
    #[error("stored section has {got} bytes, the columns call for {expected}")]
    StoredLength {
        /// Bytes the columns call for.
        expected: usize,
        /// Bytes present.
        got: usize,
    },
}

/// A transaction split into columns.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Coded {
    Legacy(TxLegacy),
    Eip1559(TxEip1559),
}

impl Coded {
    fn encode_2718(&self, sig: &Signature) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Self::Legacy(tx) => tx.eip2718_encode(sig, &mut out),
            Self::Eip1559(tx) => tx.eip2718_encode(sig, &mut out),
        }
        out
    }
}

/// Returns the columnar form of a transaction if re-encoding it gives back the same bytes.
fn classify(bytes: &[u8], chain_id: u64) -> Option<(Coded, Signature)> {
    let (coded, sig) = match TxEnvelope::decode_2718(&mut &bytes[..]).ok()? {
        TxEnvelope::Legacy(signed) if signed.tx().chain_id == Some(chain_id) => {
            let (tx, sig, _) = signed.into_parts();
            (Coded::Legacy(tx), sig)
        }
        TxEnvelope::Eip1559(signed)
            if signed.tx().chain_id == chain_id && signed.tx().access_list.0.is_empty() =>
        {
            let (tx, sig, _) = signed.into_parts();
            (Coded::Eip1559(tx), sig)
        }
        _ => return None,
    };
    // EIP-2098 needs the top bit of s; and the columns must reproduce the bytes exactly.
    (!sig.s().bit(255) && coded.encode_2718(&sig) == bytes).then_some((coded, sig))
}

/// Writes transactions into columns (the batcher's side).
#[derive(Debug, Default)]
pub(crate) struct TxColumnsWriter {
    kinds: Vec<u8>,
    nonces: Vec<u8>,
    gas_limits: Vec<u8>,
    fees: Vec<u8>,
    tos: Vec<u8>,
    values: Vec<u8>,
    input_lens: Vec<u8>,
    selectors: Vec<u8>,
    word_ops: Vec<u8>,
    word_refs: Vec<u8>,
    word_nums: Vec<u8>,
    word_raw: Vec<u8>,
    raw_inputs: Vec<u8>,
    opaque: Vec<u8>,
    sigs: Vec<u8>,
    literals: Vec<u8>,
    calldata: usize,
}

impl TxColumnsWriter {
    /// Calldata bytes of the columnar transactions so far (see [`MAX_BATCH_CALLDATA`]).
    pub(crate) fn calldata(&self) -> usize {
        self.calldata
    }

    /// Adds one transaction; `recent` is the reference space before it and is extended with
    /// its uses.
    pub(crate) fn push(&mut self, tx: &[u8], chain_id: u64, recent: &mut Recent) {
        let Some((coded, sig)) = classify(tx, chain_id) else {
            self.kinds.push(KIND_OPAQUE);
            put_uvarint(&mut self.opaque, tx.len() as u64);
            self.opaque.extend_from_slice(tx);
            super::history::address_uses(tx, |a| recent.push(a));
            return;
        };
        let (to, value, input) = match &coded {
            Coded::Legacy(t) => {
                self.kinds.push(KIND_LEGACY);
                put_uvarint(&mut self.nonces, t.nonce);
                put_uvarint(&mut self.gas_limits, t.gas_limit);
                put_uvarint(&mut self.fees, t.gas_price);
                (t.to, t.value, &t.input)
            }
            Coded::Eip1559(t) => {
                self.kinds.push(KIND_EIP1559);
                put_uvarint(&mut self.nonces, t.nonce);
                put_uvarint(&mut self.gas_limits, t.gas_limit);
                put_uvarint(&mut self.fees, t.max_priority_fee_per_gas);
                put_uvarint(&mut self.fees, t.max_fee_per_gas);
                (t.to, t.value, &t.input)
            }
        };
        match to {
            TxKind::Create => put_uvarint(&mut self.tos, TO_CREATE),
            TxKind::Call(address) => match recent.distance(&address) {
                Some(d) => put_uvarint(&mut self.tos, u128::from(d) + u128::from(TO_REF)),
                None => {
                    put_uvarint(&mut self.tos, TO_LITERAL);
                    self.literals.extend_from_slice(address.as_slice());
                }
            },
        }
        put_amount(&mut self.values, &value);
        put_uvarint(&mut self.input_lens, input.len() as u64);
        self.calldata = self.calldata.saturating_add(input.len());
        if is_abi_shaped(input) {
            self.selectors.extend_from_slice(&input[..4]);
            for word in input[4..].chunks_exact(32) {
                self.push_word(word, recent);
            }
        } else {
            self.raw_inputs.extend_from_slice(input);
        }
        self.sigs.extend_from_slice(&sig.r().to_be_bytes::<32>());
        let mut s = sig.s();
        s.set_bit(255, sig.v());
        self.sigs.extend_from_slice(&s.to_be_bytes::<32>());
        uses_of(to.to(), input, |a| recent.push(a));
    }

    fn push_word(&mut self, word: &[u8], recent: &Recent) {
        if is_address_word(word) {
            let address = Address::from_slice(&word[12..]);
            match recent.distance(&address) {
                Some(d) => {
                    put_uvarint(&mut self.word_ops, WORD_REF);
                    put_uvarint(&mut self.word_refs, d);
                }
                None => {
                    put_uvarint(&mut self.word_ops, WORD_LITERAL);
                    self.literals.extend_from_slice(address.as_slice());
                }
            }
            return;
        }
        let (exp, mantissa) = decimal_split(U256::from_be_slice(word));
        let bytes = trimmed(&mantissa);
        if bytes.len() <= 16 {
            put_uvarint(&mut self.word_ops, WORD_NUM + u64::from(exp) * 17 + bytes.len() as u64);
            self.word_nums.extend_from_slice(&bytes);
        } else {
            put_uvarint(&mut self.word_ops, WORD_RAW);
            self.word_raw.extend_from_slice(word);
        }
    }

    /// Appends the columns to the packed (compressed) section and the stored section.
    pub(crate) fn finish(self, packed: &mut Vec<u8>, stored: &mut Vec<u8>) {
        for column in [
            self.kinds,
            self.nonces,
            self.gas_limits,
            self.fees,
            self.tos,
            self.values,
            self.input_lens,
            self.selectors,
            self.word_ops,
            self.word_refs,
            self.word_nums,
            shuffle(&self.word_raw),
            self.raw_inputs,
            self.opaque,
        ] {
            packed.extend_from_slice(&column);
        }
        stored.extend_from_slice(&self.sigs);
        stored.extend_from_slice(&self.literals);
    }
}

/// The parsed columns (the deriver's side), before references are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TxColumns {
    kinds: Vec<u8>,
    nonces: Vec<u64>,
    gas_limits: Vec<u64>,
    fees: Vec<(u128, u128)>,
    tos: Vec<u64>,
    values: Vec<U256>,
    input_lens: Vec<usize>,
    selectors: Vec<u8>,
    word_ops: Vec<u64>,
    word_refs: Vec<u64>,
    word_nums: Vec<u8>,
    word_raw: Vec<u8>,
    raw_inputs: Vec<u8>,
    opaque: Vec<Vec<u8>>,
    sigs: Vec<u8>,
    literals: Vec<u8>,
}

/// Checks that `count` items of at least one byte each can come from `buf`, so no allocation
/// is sized by an untrusted count beyond the input.
fn bounded(count: u64, buf: &[u8]) -> Result<usize, TxColumnsError> {
    usize::try_from(count)
        .ok()
        .filter(|&n| n <= buf.len())
        .ok_or(TxColumnsError::CountTooLarge(count))
}

fn read_n<T>(
    buf: &mut &[u8],
    n: usize,
    mut read: impl FnMut(&mut &[u8]) -> Result<T, WireError>,
) -> Result<Vec<T>, TxColumnsError> {
    let n = bounded(n as u64, buf)?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(read(buf)?);
    }
    Ok(out)
}

impl TxColumns {
    /// Parses `count` transactions' columns; `packed` must end with them, `stored` is the
    /// whole stored section.
    pub(crate) fn parse(
        packed: &mut &[u8],
        count: u64,
        stored: &[u8],
    ) -> Result<Self, TxColumnsError> {
        let n = bounded(count, packed)?;
        let kinds = take(packed, n)?.to_vec();
        let mut columnar = 0usize;
        let mut fee_fields = 0usize;
        for &kind in &kinds {
            match kind {
                KIND_LEGACY => fee_fields += 1,
                KIND_EIP1559 => fee_fields += 2,
                KIND_OPAQUE => continue,
                other => return Err(TxColumnsError::UnknownKind(other)),
            }
            columnar += 1;
        }
        let nonces = read_n(packed, columnar, read_uvarint)?;
        let gas_limits = read_n(packed, columnar, read_uvarint)?;
        let flat_fees = read_n(packed, fee_fields, read_uvarint_u128)?;
        let mut fee_iter = flat_fees.into_iter();
        let mut fees = Vec::with_capacity(columnar);
        for &kind in &kinds {
            match kind {
                KIND_LEGACY => fees.push((fee_iter.next().unwrap_or_default(), 0)),
                KIND_EIP1559 => fees.push((
                    fee_iter.next().unwrap_or_default(),
                    fee_iter.next().unwrap_or_default(),
                )),
                _ => {}
            }
        }
        let tos = read_n(packed, columnar, read_uvarint)?;
        let values = read_n(packed, columnar, read_amount)?;
        let input_lens = read_n(packed, columnar, read_len)?;
        let total = input_lens.iter().try_fold(0usize, |sum, &len| sum.checked_add(len));
        if total.is_none_or(|t| t > MAX_BATCH_CALLDATA) {
            return Err(TxColumnsError::CalldataTooLarge);
        }
        let (mut shaped, mut words, mut raw_len) = (0usize, 0usize, 0usize);
        for &len in &input_lens {
            if len >= 4 && (len - 4).is_multiple_of(32) {
                shaped += 1;
                words = words.saturating_add((len - 4) / 32);
            } else {
                raw_len = raw_len.saturating_add(len);
            }
        }
        let selectors = take(packed, shaped.saturating_mul(4))?.to_vec();
        let word_ops = read_n(packed, words, read_uvarint)?;
        let (mut refs, mut num_bytes, mut raw_words) = (0usize, 0usize, 0usize);
        let mut literal_count = tos.iter().filter(|&&op| op == TO_LITERAL).count();
        for &op in &word_ops {
            match op {
                WORD_LITERAL => literal_count += 1,
                WORD_REF => refs += 1,
                WORD_RAW => raw_words += 1,
                // A mantissa of more than 16 bytes is malformed; resolving rejects it.
                _ => num_bytes += ((op - WORD_NUM) % 17) as usize,
            }
        }
        let word_refs = read_n(packed, refs, read_uvarint)?;
        let word_nums = take(packed, num_bytes)?.to_vec();
        let word_raw = unshuffle(take(packed, raw_words * 32)?);
        let raw_inputs = take(packed, raw_len)?.to_vec();
        let opaque = read_n(packed, n - columnar, |buf| {
            let len = read_len(buf)?;
            Ok(take(buf, len)?.to_vec())
        })?;
        if !packed.is_empty() {
            return Err(TxColumnsError::Trailing(packed.len()));
        }
        let expected = columnar * SIG_LEN + literal_count * 20;
        if stored.len() != expected {
            return Err(TxColumnsError::StoredLength { expected, got: stored.len() });
        }
        let (sigs, literals) = stored.split_at(columnar * SIG_LEN);
        Ok(Self {
            kinds,
            nonces,
            gas_limits,
            fees,
            tos,
            values,
            input_lens,
            selectors,
            word_ops,
            word_refs,
            word_nums,
            word_raw,
            raw_inputs,
            opaque,
            sigs: sigs.to_vec(),
            literals: literals.to_vec(),
        })
    }

    /// Number of transactions.
    pub(crate) fn len(&self) -> usize {
        self.kinds.len()
    }

    /// Rebuilds the transactions' EIP-2718 bytes, in order.
    pub(crate) fn resolve(
        &self,
        chain_id: u64,
        recent: &mut Recent,
    ) -> Result<Vec<Bytes>, TxColumnsError> {
        let mut cursor = Cursor::default();
        let mut out = Vec::with_capacity(self.kinds.len());
        for &kind in &self.kinds {
            if kind == KIND_OPAQUE {
                let tx = self.opaque.get(cursor.opaque).cloned().unwrap_or_default();
                cursor.opaque += 1;
                super::history::address_uses(&tx, |a| recent.push(a));
                out.push(Bytes::from(tx));
                continue;
            }
            let i = cursor.tx;
            cursor.tx += 1;
            // Every column has `columnar` entries (checked by `parse`), so `get` never fails.
            let field = |v: Option<u64>| v.ok_or(TxColumnsError::Wire(WireError::Eof));
            let nonce = field(self.nonces.get(i).copied())?;
            let gas_limit = field(self.gas_limits.get(i).copied())?;
            let (fee_a, fee_b) = self.fees.get(i).copied().unwrap_or_default();
            let to = match field(self.tos.get(i).copied())? {
                TO_CREATE => TxKind::Create,
                TO_LITERAL => TxKind::Call(cursor.literal(&self.literals)?),
                code => {
                    let d = code - TO_REF;
                    TxKind::Call(recent.resolve(d).ok_or(TxColumnsError::UnknownReference(d))?)
                }
            };
            let value = self.values.get(i).copied().unwrap_or_default();
            let len = self.input_lens.get(i).copied().unwrap_or_default();
            let input = if len >= 4 && (len - 4).is_multiple_of(32) {
                self.abi_input(len, &mut cursor, recent)?
            } else {
                let raw =
                    self.raw_inputs.get(cursor.raw..cursor.raw + len).ok_or(WireError::Eof)?;
                cursor.raw += len;
                Bytes::copy_from_slice(raw)
            };
            let sig_bytes = self.sigs.get(i * SIG_LEN..(i + 1) * SIG_LEN).ok_or(WireError::Eof)?;
            let r = U256::from_be_slice(&sig_bytes[..32]);
            let mut s = U256::from_be_slice(&sig_bytes[32..]);
            let parity = s.bit(255);
            s.set_bit(255, false);
            let sig = Signature::new(r, s, parity);
            uses_of(to.to(), &input, |a| recent.push(a));
            let coded = if kind == KIND_LEGACY {
                Coded::Legacy(TxLegacy {
                    chain_id: Some(chain_id),
                    nonce,
                    gas_price: fee_a,
                    gas_limit,
                    to,
                    value,
                    input,
                })
            } else {
                Coded::Eip1559(TxEip1559 {
                    chain_id,
                    nonce,
                    gas_limit,
                    max_fee_per_gas: fee_b,
                    max_priority_fee_per_gas: fee_a,
                    to,
                    value,
                    access_list: Default::default(),
                    input,
                })
            };
            out.push(Bytes::from(coded.encode_2718(&sig)));
        }
        Ok(out)
    }

    fn abi_input(
        &self,
        len: usize,
        cursor: &mut Cursor,
        recent: &Recent,
    ) -> Result<Bytes, TxColumnsError> {
        let mut input = Vec::with_capacity(len);
        let selector =
            self.selectors.get(cursor.selector..cursor.selector + 4).ok_or(WireError::Eof)?;
        input.extend_from_slice(selector);
        cursor.selector += 4;
        for _ in 0..(len - 4) / 32 {
            let op = self.word_ops.get(cursor.word).copied().ok_or(WireError::Eof)?;
            cursor.word += 1;
            let mut word = [0u8; 32];
            match op {
                WORD_LITERAL => {
                    word[12..].copy_from_slice(cursor.literal(&self.literals)?.as_slice())
                }
                WORD_REF => {
                    let d = self.word_refs.get(cursor.word_ref).copied().ok_or(WireError::Eof)?;
                    cursor.word_ref += 1;
                    let address = recent.resolve(d).ok_or(TxColumnsError::UnknownReference(d))?;
                    word[12..].copy_from_slice(address.as_slice());
                }
                WORD_RAW => {
                    let raw = self.word_raw.get(cursor.word_raw..cursor.word_raw + 32);
                    word.copy_from_slice(raw.ok_or(WireError::Eof)?);
                    cursor.word_raw += 32;
                }
                code => {
                    let header = code - WORD_NUM;
                    let n = (header % 17) as usize;
                    let bytes = self.word_nums.get(cursor.word_num..cursor.word_num + n);
                    let mantissa = U256::from_be_slice(bytes.ok_or(WireError::Eof)?);
                    cursor.word_num += n;
                    let value = decimal_join(header / 17, mantissa).ok_or(WireError::Overflow)?;
                    word = value.to_be_bytes::<32>();
                }
            }
            input.extend_from_slice(&word);
        }
        Ok(input.into())
    }
}

/// Groups the raw words' bytes by position modulo 4 (Blosc's shuffle filter): token ids are
/// 4-byte big-endian integers (`ITokenAttribution`), whose high bytes are mostly zero and whose
/// low bytes vary, and the compressor models each group better on its own.
fn shuffle(column: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(column.len());
    for lane in 0..4 {
        out.extend(column.iter().skip(lane).step_by(4));
    }
    out
}

/// Undoes [`shuffle`]; `column.len()` is a multiple of 32.
fn unshuffle(column: &[u8]) -> Vec<u8> {
    let quarter = column.len() / 4;
    let mut out = vec![0u8; column.len()];
    for (lane, group) in column.chunks(quarter.max(1)).enumerate().take(4) {
        for (i, &byte) in group.iter().enumerate() {
            out[i * 4 + lane] = byte;
        }
    }
    out
}

/// Positions in the columns whose entries are not one per columnar transaction.
#[derive(Debug, Default)]
struct Cursor {
    tx: usize,
    opaque: usize,
    raw: usize,
    selector: usize,
    word: usize,
    word_ref: usize,
    word_num: usize,
    word_raw: usize,
    literal: usize,
}

impl Cursor {
    fn literal(&mut self, literals: &[u8]) -> Result<Address, TxColumnsError> {
        let bytes =
            literals.get(self.literal * 20..(self.literal + 1) * 20).ok_or(WireError::Eof)?;
        self.literal += 1;
        Ok(Address::from_slice(bytes))
    }
}
