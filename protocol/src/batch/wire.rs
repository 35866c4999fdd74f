//! Byte readers and writers shared by the codecs.
//!
//! Every read checks the remaining length before it slices, so a decoder built on these returns
//! an error on short or malformed input and never panics. Varints are unsigned LEB128 (the
//! encoding of Go's `binary.PutUvarint`, which OP's span batches use), capped at the width of the
//! target type.

use alloy_primitives::U256;

/// Why a read failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The input ended before the value did.
    #[error("unexpected end of input")]
    Eof,
    /// A varint holds more bits than its type.
    #[error("varint overflows its type")]
    Overflow,
}

/// Splits off the next `n` bytes.
pub(crate) fn take<'a>(buf: &mut &'a [u8], n: usize) -> Result<&'a [u8], WireError> {
    if buf.len() < n {
        return Err(WireError::Eof);
    }
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Ok(head)
}

/// Reads one byte.
pub(crate) fn read_u8(buf: &mut &[u8]) -> Result<u8, WireError> {
    let (&first, rest) = buf.split_first().ok_or(WireError::Eof)?;
    *buf = rest;
    Ok(first)
}

/// Reads a fixed-size array.
pub(crate) fn read_array<const N: usize>(buf: &mut &[u8]) -> Result<[u8; N], WireError> {
    let mut out = [0u8; N];
    out.copy_from_slice(take(buf, N)?);
    Ok(out)
}

/// Reads an unsigned LEB128 varint of at most `bits` significant bits.
fn read_leb(buf: &mut &[u8], bits: u32) -> Result<u128, WireError> {
    let mut value = 0u128;
    let mut shift = 0u32;
    loop {
        let byte = read_u8(buf)?;
        let low = u128::from(byte & 0x7f);
        // Bits above `bits` must be zero; `checked_shr` is `None` once nothing can overflow.
        if shift >= bits || low.checked_shr(bits - shift).unwrap_or(0) != 0 {
            return Err(WireError::Overflow);
        }
        value |= low << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
    }
}

/// Reads a `u64` varint.
pub(crate) fn read_uvarint(buf: &mut &[u8]) -> Result<u64, WireError> {
    // At most 64 significant bits were accepted, so the conversion cannot fail.
    u64::try_from(read_leb(buf, 64)?).map_err(|_| WireError::Overflow)
}

/// Reads a `u128` varint (fees).
pub(crate) fn read_uvarint_u128(buf: &mut &[u8]) -> Result<u128, WireError> {
    read_leb(buf, 128)
}

/// Reads a varint that counts something held in memory.
pub(crate) fn read_len(buf: &mut &[u8]) -> Result<usize, WireError> {
    usize::try_from(read_uvarint(buf)?).map_err(|_| WireError::Overflow)
}

/// Writes an unsigned LEB128 varint.
pub(crate) fn put_uvarint(out: &mut Vec<u8>, value: impl Into<u128>) {
    let mut value: u128 = value.into();
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Largest decimal exponent: 10^77 is the largest power of ten below 2^256.
const MAX_EXP: u32 = 77;

/// Splits `value` into `(e, m)` with `value = m · 10^e` and `m` not a multiple of ten
/// (`(0, 0)` for zero). Amounts people send are round in decimal, not in binary: 0.25 ETH is
/// 25 · 10^16, two bytes of mantissa instead of seven bytes of binary.
pub(crate) fn decimal_split(mut value: U256) -> (u32, U256) {
    let ten = U256::from(10u8);
    let mut exp = 0;
    while !value.is_zero() && (value % ten).is_zero() {
        value /= ten;
        exp += 1;
    }
    (exp, value)
}

/// `m · 10^e`, or `None` if it does not fit 256 bits.
pub(crate) fn decimal_join(exp: u64, mantissa: U256) -> Option<U256> {
    let exp = u32::try_from(exp).ok().filter(|&e| e <= MAX_EXP)?;
    mantissa.checked_mul(U256::from(10u8).pow(U256::from(exp)))
}

/// The big-endian bytes of `value` without leading zeros.
pub(crate) fn trimmed(value: &U256) -> Vec<u8> {
    let bytes = value.to_be_bytes::<32>();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    bytes[skip..].to_vec()
}

/// Writes an amount as `e · 33 + len(m)` (varint) and the bytes of `m` (see [`decimal_split`]).
pub(crate) fn put_amount(out: &mut Vec<u8>, value: &U256) {
    let (exp, mantissa) = decimal_split(*value);
    let bytes = trimmed(&mantissa);
    put_uvarint(out, u64::from(exp) * 33 + bytes.len() as u64);
    out.extend_from_slice(&bytes);
}

/// Reads what [`put_amount`] wrote.
pub(crate) fn read_amount(buf: &mut &[u8]) -> Result<U256, WireError> {
    let header = read_uvarint(buf)?;
    let len = (header % 33) as usize;
    let mantissa = U256::from_be_slice(take(buf, len)?);
    decimal_join(header / 33, mantissa).ok_or(WireError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts() {
        let quarter_eth = U256::from(25u8) * U256::from(10u8).pow(U256::from(16u8));
        assert_eq!(decimal_split(quarter_eth), (16, U256::from(25u8)));
        assert_eq!(decimal_split(U256::ZERO), (0, U256::ZERO));
        let mut out = Vec::new();
        put_amount(&mut out, &quarter_eth);
        assert_eq!(out, [0x91, 0x04, 25], "header 16·33 + 1 = 529, then the mantissa");
        assert_eq!(decimal_split(U256::MAX).0, 0);
        // 10^78 does not fit; neither does a large mantissa times a power of ten.
        assert_eq!(decimal_join(78, U256::from(1u8)), None);
        assert_eq!(decimal_join(1, U256::MAX), None);
        assert_eq!(decimal_join(77, U256::from(1u8)), Some(U256::from(10u8).pow(U256::from(77u8))));
    }

    #[test]
    fn varint_edges() {
        for v in [0u64, 1, 127, 128, 300, u64::MAX] {
            let mut out = Vec::new();
            put_uvarint(&mut out, v);
            assert_eq!(read_uvarint(&mut out.as_slice()), Ok(v));
        }
        // u64::MAX + 1 does not fit.
        let mut out = Vec::new();
        put_uvarint(&mut out, u128::from(u64::MAX) + 1);
        assert_eq!(read_uvarint(&mut out.as_slice()), Err(WireError::Overflow));
        let mut out = Vec::new();
        put_uvarint(&mut out, u128::MAX);
        assert_eq!(read_uvarint_u128(&mut out.as_slice()), Ok(u128::MAX));
        // An endless run of continuation bytes stops at the type's width.
        assert_eq!(read_uvarint(&mut [0xff; 40].as_slice()), Err(WireError::Overflow));
        assert_eq!(read_uvarint_u128(&mut [0xff; 40].as_slice()), Err(WireError::Overflow));
        assert_eq!(read_uvarint(&mut [0x80].as_slice()), Err(WireError::Eof));
    }

    proptest! {
        #[test]
        fn varints_round_trip(v in any::<u128>()) {
            let mut out = Vec::new();
            put_uvarint(&mut out, v);
            let mut rest = out.as_slice();
            prop_assert_eq!(read_uvarint_u128(&mut rest), Ok(v));
            prop_assert!(rest.is_empty());
        }

        #[test]
        fn amount_round_trip(limbs in any::<[u64; 4]>(), mantissa in any::<u64>(), exp in 0u32..60) {
            let round = U256::from(mantissa).checked_mul(U256::from(10u8).pow(U256::from(exp)));
            for v in [Some(U256::from_limbs(limbs)), round].into_iter().flatten() {
                let mut out = Vec::new();
                put_amount(&mut out, &v);
                let mut rest = out.as_slice();
                prop_assert_eq!(read_amount(&mut rest), Ok(v));
                prop_assert!(rest.is_empty());
            }
        }

        #[test]
        fn readers_are_total(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut rest = bytes.as_slice();
            let _ = read_uvarint(&mut rest);
            let mut rest = bytes.as_slice();
            let _ = read_uvarint_u128(&mut rest);
            let mut rest = bytes.as_slice();
            let _ = read_amount(&mut rest);
        }
    }
}
