//! OP's blob encoding (`op-service/eth/blob.go`), so one EIP-4844 blob carries one L1 payload.
//!
//! A blob is 4096 field elements of 32 bytes, and a field element must stay below the BLS
//! modulus, so the top two bits of each element's first byte are never used. The data is read
//! in rounds of 127 bytes, written into 4 field elements: four 31-byte chunks go to bytes 1..32
//! of the elements, and the three remaining bytes are cut into four 6-bit pieces that fill the
//! elements' first bytes. Round 0 starts with a version byte (0) and a 3-byte big-endian length
//! in the first element, leaving it 27 data bytes: (4·31 + 3)·1024 − 4 = 130,044 bytes per blob.
//!
//! The decoder is a line-by-line port, quirks included: the first byte of the blob is not
//! checked for its two top bits (they are masked away), and every byte past the length, in the
//! last round's data and in the unused field elements, must be zero.

use alloy_eips::eip4844::{BYTES_PER_BLOB, Blob};

/// Bytes of payload one blob holds.
pub const MAX_BLOB_DATA_SIZE: usize = (4 * 31 + 3) * 1024 - 4;

/// The blob encoding's version (byte 1 of the blob).
pub const BLOB_ENCODING_VERSION: u8 = 0;

const ROUNDS: usize = 1024;

/// Why data does not fit a blob, or a blob does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// More than [`MAX_BLOB_DATA_SIZE`] bytes to encode.
    #[error("{0} bytes do not fit in one blob")]
    TooLarge(usize),
    /// Byte 1 is not [`BLOB_ENCODING_VERSION`].
    #[error("invalid blob encoding version {0}")]
    InvalidVersion(u8),
    /// The length prefix is above [`MAX_BLOB_DATA_SIZE`].
    #[error("invalid blob data length {0}")]
    InvalidLength(usize),
    /// A field element uses one of its two top bits.
    #[error("invalid field element at byte {0}")]
    InvalidFieldElement(usize),
    /// Decoded bytes past the length are not zero.
    #[error("non-zero data past the length inside the last field elements")]
    ExtraneousDataFieldElement,
    /// Field elements past the data are not zero.
    #[error("non-zero data at byte {0} past the encoded data")]
    ExtraneousData(usize),
}

/// Reads the input the way `FromData`'s `read1`/`read31` closures do.
struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn read1(&mut self) -> u8 {
        match self.data.get(self.pos) {
            Some(&byte) => {
                self.pos += 1;
                byte
            }
            None => 0,
        }
    }

    fn read31(&mut self, buf: &mut [u8; 31]) {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let n = rest.len().min(31);
        buf[..n].copy_from_slice(&rest[..n]);
        buf[n..].fill(0);
        self.pos += n;
    }
}

/// Encodes up to [`MAX_BLOB_DATA_SIZE`] bytes into a blob.
pub fn encode_blob(data: &[u8]) -> Result<Box<Blob>, BlobError> {
    if data.len() > MAX_BLOB_DATA_SIZE {
        return Err(BlobError::TooLarge(data.len()));
    }
    let mut blob = Box::new(Blob::ZERO);
    let b = &mut blob.0;
    let mut input = Input { data, pos: 0 };
    let mut buf31 = [0u8; 31];
    let mut write = 0usize;
    let mut put = |b: &mut [u8; BYTES_PER_BLOB], top: u8, chunk: &[u8; 31]| {
        b[write] = top;
        b[write + 1..write + 32].copy_from_slice(chunk);
        write += 32;
    };
    for round in 0..ROUNDS {
        if input.pos >= data.len() {
            break;
        }
        if round == 0 {
            buf31[0] = BLOB_ENCODING_VERSION;
            // Fits 3 bytes: checked against MAX_BLOB_DATA_SIZE above.
            let len = (data.len() as u32).to_be_bytes();
            buf31[1..4].copy_from_slice(&len[1..]);
            let n = data.len().min(27);
            buf31[4..4 + n].copy_from_slice(&data[..n]);
            input.pos = n;
        } else {
            input.read31(&mut buf31);
        }
        let x = input.read1();
        put(b, x & 0b0011_1111, &buf31);

        input.read31(&mut buf31);
        let y = input.read1();
        put(b, (y & 0b0000_1111) | ((x & 0b1100_0000) >> 2), &buf31);

        input.read31(&mut buf31);
        let z = input.read1();
        put(b, z & 0b0011_1111, &buf31);

        input.read31(&mut buf31);
        put(b, ((z & 0b1100_0000) >> 2) | ((y & 0b1111_0000) >> 4), &buf31);
    }
    Ok(blob)
}

/// Decodes a blob written by [`encode_blob`] (or by OP's batcher).
pub fn decode_blob(blob: &Blob) -> Result<Vec<u8>, BlobError> {
    let b = &blob.0;
    if b[1] != BLOB_ENCODING_VERSION {
        return Err(BlobError::InvalidVersion(b[1]));
    }
    let len = usize::from(b[2]) << 16 | usize::from(b[3]) << 8 | usize::from(b[4]);
    if len > MAX_BLOB_DATA_SIZE {
        return Err(BlobError::InvalidLength(len));
    }
    let mut out = vec![0u8; MAX_BLOB_DATA_SIZE];
    out[..27].copy_from_slice(&b[5..32]);
    let mut opos = 28;
    let mut ipos = 32;
    let mut top = [b[0], 0, 0, 0];
    for slot in &mut top[1..] {
        *slot = decode_field_element(b, &mut opos, &mut ipos, &mut out)?;
    }
    opos = reassemble(opos, &top, &mut out);
    let mut round = 1;
    while round < ROUNDS && opos < len {
        for slot in &mut top {
            *slot = decode_field_element(b, &mut opos, &mut ipos, &mut out)?;
        }
        opos = reassemble(opos, &top, &mut out);
        round += 1;
    }
    if out[len..].iter().any(|&byte| byte != 0) {
        return Err(BlobError::ExtraneousDataFieldElement);
    }
    out.truncate(len);
    if let Some(at) = b[ipos..].iter().position(|&byte| byte != 0) {
        return Err(BlobError::ExtraneousData(ipos + at));
    }
    Ok(out)
}

/// Copies a field element's low 31 bytes to the output and returns its first byte.
fn decode_field_element(
    b: &[u8; BYTES_PER_BLOB],
    opos: &mut usize,
    ipos: &mut usize,
    out: &mut [u8],
) -> Result<u8, BlobError> {
    let first = b[*ipos];
    if first & 0b1100_0000 != 0 {
        return Err(BlobError::InvalidFieldElement(*ipos));
    }
    out[*opos..*opos + 31].copy_from_slice(&b[*ipos + 1..*ipos + 32]);
    *opos += 32;
    *ipos += 32;
    Ok(first)
}

/// Rebuilds the round's three spare bytes from the four 6-bit pieces; returns the next output
/// position (a round yields 127 bytes, not 128).
fn reassemble(opos: usize, top: &[u8; 4], out: &mut [u8]) -> usize {
    let opos = opos - 1;
    let x = (top[0] & 0b0011_1111) | ((top[1] & 0b0011_0000) << 2);
    let y = (top[1] & 0b0000_1111) | ((top[3] & 0b0000_1111) << 4);
    let z = (top[2] & 0b0011_1111) | ((top[3] & 0b0011_0000) << 2);
    out[opos - 32] = z;
    out[opos - 32 * 2] = y;
    out[opos - 32 * 3] = x;
    opos
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn blob_with_prefix(prefix: &[u8]) -> Box<Blob> {
        let mut blob = Box::new(Blob::ZERO);
        blob.0[..prefix.len()].copy_from_slice(prefix);
        blob
    }

    fn round_trip(data: &[u8]) {
        let blob = encode_blob(data).expect("fits");
        assert_eq!(decode_blob(&blob).expect("decodes"), data);
    }

    // blob_test.go: TestBlobEncodeDecode, TestSmallBlobEncoding.
    #[test]
    fn op_round_trips() {
        for case in [
            b"this is a test of blob encoding/decoding".as_slice(),
            b"short",
            b"\x00",
            b"\x00\x01\x00",
            &[0u8; 27],
            &[0u8; 26],
            &[0u8; 25],
            b"",
        ] {
            round_trip(case);
        }
        let mut data = vec![0u8; 128];
        data[127] = 0xff;
        round_trip(&data);
        let mut data = vec![0u8; 10];
        data[9] = 0xff;
        round_trip(&data);
        let mut data = vec![0u8; 27 + 31 * 3];
        data[27 + 31 * 3 - 1] = 0xff;
        round_trip(&data);
    }

    // blob_test.go: TestBigBlobEncoding (a deterministic stream instead of Go's rand).
    #[test]
    fn op_big_blob() {
        let mut state = 99u64;
        let big: Vec<u8> = (0..MAX_BLOB_DATA_SIZE)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 56) as u8
            })
            .collect();
        round_trip(&big);
        for i in 1..256 {
            round_trip(&big[i..]);
        }
        assert_eq!(
            encode_blob(&vec![0; BYTES_PER_BLOB]).err(),
            Some(BlobError::TooLarge(BYTES_PER_BLOB))
        );
    }

    // blob_test.go: TestInvalidBlobDecoding.
    #[test]
    fn op_invalid_blobs() {
        let mut blob = encode_blob(b"this is a test of invalid blob decoding").expect("fits");
        blob.0[32] = 0b1000_0000;
        assert_eq!(decode_blob(&blob), Err(BlobError::InvalidFieldElement(32)));
        blob.0[32] = 0b0100_0000;
        assert_eq!(decode_blob(&blob), Err(BlobError::InvalidFieldElement(32)));
        blob.0[32] = 0;
        blob.0[1] = 1;
        assert_eq!(decode_blob(&blob), Err(BlobError::InvalidVersion(1)));
        blob.0[1] = 0;
        blob.0[2] = 0xff;
        assert!(matches!(decode_blob(&blob), Err(BlobError::InvalidLength(_))));
    }

    // blob_test.go: TestDecodeTestVectors.
    #[test]
    fn op_decode_vectors() {
        let ff = |n: usize| vec![0xffu8; n];
        type Case = (Vec<u8>, Result<Vec<u8>, BlobError>);
        let cases: Vec<Case> = vec![
            (vec![], Ok(vec![])),
            (b"\x00\x00\x00\x00\x01".to_vec(), Ok(vec![0])),
            (b"\x00\x00\x01\xFB\xFC".to_vec(), Ok(vec![0; 130_044])),
            (b"\x00\x00\x01\xFB\xFD".to_vec(), Err(BlobError::InvalidLength(130_045))),
            (
                b"\x00\x00\x00\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff".to_vec(),
                Ok(b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff".to_vec()),
            ),
            ([b"\x00\x00\x00\x00\x1b".to_vec(), ff(27)].concat(), Ok(ff(27))),
            (
                [b"\x3f\x00\x00\x00\x20".to_vec(), ff(27), b"\x30".to_vec(), ff(4)].concat(),
                Ok(ff(32)),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(decode_blob(&blob_with_prefix(&input)), expected);
        }
    }

    // blob_test.go: TestEncodeTestVectors.
    #[test]
    fn op_encode_vectors() {
        let ff = |n: usize| vec![0xffu8; n];
        let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (vec![], vec![]),
            (vec![0; MAX_BLOB_DATA_SIZE], b"\x00\x00\x01\xfb\xfc".to_vec()),
            (ff(27), [b"\x00\x00\x00\x00\x1b".to_vec(), ff(27)].concat()),
            (ff(28), [b"\x3f\x00\x00\x00\x1c".to_vec(), ff(27), b"\x30".to_vec()].concat()),
        ];
        for (input, prefix) in cases {
            assert_eq!(encode_blob(&input).expect("fits"), blob_with_prefix(&prefix));
        }
        assert_eq!(
            encode_blob(&vec![0; MAX_BLOB_DATA_SIZE + 1]).err(),
            Some(BlobError::TooLarge(MAX_BLOB_DATA_SIZE + 1))
        );
    }

    // blob_test.go: TestExtraneousData.
    #[test]
    fn op_extraneous_data() {
        let blob = blob_with_prefix(b"\x30\x00\x00\x00\x00");
        assert_eq!(decode_blob(&blob), Err(BlobError::ExtraneousDataFieldElement));
        let blob = blob_with_prefix(b"\x01\x00\x00\x00\x00");
        assert_eq!(decode_blob(&blob), Err(BlobError::ExtraneousDataFieldElement));
        let mut blob = Box::new(Blob::ZERO);
        let mut i = 5;
        while i < 128 {
            blob.0[i - 1] = 0;
            blob.0[i] = 1;
            assert_eq!(decode_blob(&blob), Err(BlobError::ExtraneousDataFieldElement), "byte {i}");
            i += 1;
        }
        blob.0[i - 1] = 0;
        while i < BYTES_PER_BLOB {
            blob.0[i] = 1;
            assert_eq!(decode_blob(&blob), Err(BlobError::ExtraneousData(i)), "byte {i}");
            blob.0[i] = 0;
            i += 7;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn blob_round_trip(data in proptest::collection::vec(any::<u8>(), 0..3000)) {
            let blob = encode_blob(&data).expect("fits");
            prop_assert_eq!(decode_blob(&blob), Ok(data));
        }

        // blob_test.go: FuzzDetectNonBijectivity: a flipped bit never decodes to the same data.
        #[test]
        fn flipped_bit_changes_data(
            data in proptest::collection::vec(any::<u8>(), 0..500),
            at in 0..BYTES_PER_BLOB,
            bit in 0u8..8,
        ) {
            let mut blob = encode_blob(&data).expect("fits");
            blob.0[at] ^= 1 << bit;
            // The one tolerated change: the top two bits of byte 0 are masked away.
            if at != 0 || bit < 6 {
                prop_assert_ne!(decode_blob(&blob), Ok(data));
            }
        }

        #[test]
        fn decode_is_total(prefix in proptest::collection::vec(any::<u8>(), 0..400), len in 0usize..140_000) {
            let mut blob = blob_with_prefix(&prefix);
            let len = len as u32;
            blob.0[2..5].copy_from_slice(&len.to_be_bytes()[1..]);
            let _ = decode_blob(&blob);
        }
    }
}
