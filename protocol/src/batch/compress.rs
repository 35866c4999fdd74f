//! Compression of a batch's packed section, and decompression with a hard output cap.

use std::io::Read;

/// Largest packed section a decoder inflates (OP's post-Fjord `MAX_RLP_BYTES_PER_CHANNEL`).
/// A compression bomb stops here instead of exhausting memory.
pub const MAX_PACKED_LEN: usize = 100_000_000;

/// How the packed section is compressed (the channel's second byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Stored as is (tests, and tiny channels where compression does not pay).
    None,
    /// Brotli (RFC 7932): on our packed sections it beats zstd (levels 3 to 22, with or
    /// without a trained dictionary) by 3 to 9 % (docs/PERFORMANCE.md).
    Brotli,
}

impl Compression {
    pub(crate) const fn byte(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Brotli => 1,
        }
    }

    pub(crate) const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(Self::None),
            1 => Some(Self::Brotli),
            _ => None,
        }
    }
}

/// Why a packed section does not inflate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecompressError {
    /// The compressed stream is corrupt or cut short.
    #[error("corrupt compressed data")]
    Corrupt,
    /// The output would exceed [`MAX_PACKED_LEN`].
    #[error("decompressed data exceeds {MAX_PACKED_LEN} bytes")]
    TooLarge,
}

/// Brotli quality used by the batcher: 10 is where brotli's context modelling starts (9 is
/// 11 % larger on calldata-heavy batches) and 11 is no smaller but 2.5× slower.
pub(crate) const BROTLI_QUALITY: i32 = 10;
/// Brotli window (2^24 bytes, its largest): a channel's packed section is rarely larger.
pub(crate) const BROTLI_LGWIN: i32 = 24;

/// Compresses `data`.
pub(crate) fn compress(compression: Compression, data: &[u8]) -> Vec<u8> {
    match compression {
        Compression::None => data.to_vec(),
        Compression::Brotli => {
            let params = brotli::enc::BrotliEncoderParams {
                quality: BROTLI_QUALITY,
                lgwin: BROTLI_LGWIN,
                ..Default::default()
            };
            let mut out = Vec::new();
            // Writing to a Vec cannot fail.
            let _ = brotli::BrotliCompress(&mut &data[..], &mut out, &params);
            out
        }
    }
}

/// Inflates `data`, refusing to produce more than [`MAX_PACKED_LEN`] bytes.
pub(crate) fn decompress(
    compression: Compression,
    data: &[u8],
) -> Result<Vec<u8>, DecompressError> {
    decompress_capped(compression, data, MAX_PACKED_LEN)
}

/// Inflates `data`, reading at most one byte past `max` before giving up.
pub(crate) fn decompress_capped(
    compression: Compression,
    data: &[u8],
    max: usize,
) -> Result<Vec<u8>, DecompressError> {
    let cap = max as u64 + 1;
    let mut out = Vec::new();
    let read = match compression {
        Compression::None => data.take(cap).read_to_end(&mut out),
        Compression::Brotli => {
            brotli::Decompressor::new(data, 4096).take(cap).read_to_end(&mut out)
        }
    };
    read.map_err(|_| DecompressError::Corrupt)?;
    if out.len() > max {
        return Err(DecompressError::TooLarge);
    }
    Ok(out)
}
