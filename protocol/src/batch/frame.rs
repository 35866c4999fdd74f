//! Frames and L1 payloads, byte for byte OP's (`op-node/rollup/derive/frame.go`).
//!
//! ```text
//! payload = derivation_version (0x00) ‖ frame ‖ frame ‖ …
//! frame   = channel_id [16] ‖ frame_number u16 BE ‖ data_length u32 BE ‖ data ‖ is_last u8 (0|1)
//! ```
//!
//! Keeping OP's framing lets OP's tools list and reassemble our channels; only the channel
//! contents differ. A payload is all or nothing: an unknown version byte or one frame that does
//! not parse drops the whole payload, as op-node does.

use super::wire::{WireError, read_array, read_u8, take};

/// Length of a channel id.
pub const CHANNEL_ID_LEN: usize = 16;

/// A channel's id: random, chosen by the batcher, so frames of concurrent channels never mix.
pub type ChannelId = [u8; CHANNEL_ID_LEN];

/// The only derivation version: a payload of frames. (OP reserves 1 for alt-DA commitments.)
pub const DERIVATION_VERSION_0: u8 = 0;

/// Bytes a frame adds to its data: id, number, length, is_last.
pub const FRAME_OVERHEAD: usize = CHANNEL_ID_LEN + 2 + 4 + 1;

/// Largest frame data a decoder accepts (op-node's `MaxFrameLen`).
pub const MAX_FRAME_LEN: usize = 1_000_000;

/// Why a frame or payload was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A payload must hold at least its version byte.
    #[error("empty payload")]
    Empty,
    /// The derivation version is not 0.
    #[error("unknown derivation version {0}")]
    UnknownVersion(u8),
    /// The version byte is followed by nothing.
    #[error("payload holds no frame")]
    NoFrames,
    /// A frame's data length is above [`MAX_FRAME_LEN`].
    #[error("frame data length {0} above the limit")]
    TooLarge(u32),
    /// `is_last` must be 0 or 1.
    #[error("invalid is_last byte {0}")]
    InvalidIsLast(u8),
    /// A frame is cut short.
    #[error("truncated frame: {0}")]
    Truncated(#[from] WireError),
    /// A channel needs more than 65,536 frames of this size.
    #[error("channel needs more than 65,536 frames")]
    TooManyFrames,
    /// Frames must carry at least one byte of data.
    #[error("maximum frame size {0} leaves no room for data")]
    FrameSizeTooSmall(usize),
}

/// One piece of a channel.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    /// The channel the frame belongs to.
    pub id: ChannelId,
    /// Position in the channel, from 0.
    pub number: u16,
    /// A slice of the channel's data.
    pub data: Vec<u8>,
    /// Whether this is the channel's last frame.
    pub is_last: bool,
}

impl Frame {
    /// Bytes of the encoded frame.
    pub fn encoded_len(&self) -> usize {
        FRAME_OVERHEAD + self.data.len()
    }

    /// Appends the encoded frame.
    pub fn encode_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&self.number.to_be_bytes());
        // Frames are cut at most MAX_FRAME_LEN long by `split_channel`.
        out.extend_from_slice(&(self.data.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.data);
        out.push(u8::from(self.is_last));
    }

    /// Decodes one frame from the front of `buf` and advances it.
    pub fn decode(buf: &mut &[u8]) -> Result<Self, FrameError> {
        let id = read_array::<CHANNEL_ID_LEN>(buf)?;
        let number = u16::from_be_bytes(read_array(buf)?);
        let len = u32::from_be_bytes(read_array(buf)?);
        if len as usize > MAX_FRAME_LEN {
            return Err(FrameError::TooLarge(len));
        }
        let data = take(buf, len as usize)?.to_vec();
        let is_last = match read_u8(buf)? {
            0 => false,
            1 => true,
            other => return Err(FrameError::InvalidIsLast(other)),
        };
        Ok(Self { id, number, data, is_last })
    }
}

/// Parses an L1 payload (calldata, or the data of one blob) into its frames.
pub fn parse_payload(payload: &[u8]) -> Result<Vec<Frame>, FrameError> {
    let (&version, mut rest) = payload.split_first().ok_or(FrameError::Empty)?;
    if version != DERIVATION_VERSION_0 {
        return Err(FrameError::UnknownVersion(version));
    }
    if rest.is_empty() {
        return Err(FrameError::NoFrames);
    }
    let mut frames = Vec::new();
    while !rest.is_empty() {
        frames.push(Frame::decode(&mut rest)?);
    }
    Ok(frames)
}

/// Encodes frames as one L1 payload.
pub fn encode_payload(frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + frames.iter().map(Frame::encoded_len).sum::<usize>());
    out.push(DERIVATION_VERSION_0);
    for frame in frames {
        frame.encode_to(&mut out);
    }
    out
}

/// Cuts channel data into frames whose encoding is at most `max_frame_size` bytes.
///
/// For a calldata transaction `max_frame_size` is the payload limit minus the version byte; for
/// a blob, [`super::MAX_BLOB_DATA_SIZE`] minus one.
pub fn split_channel(
    id: ChannelId,
    data: &[u8],
    max_frame_size: usize,
) -> Result<Vec<Frame>, FrameError> {
    let chunk = max_frame_size
        .checked_sub(FRAME_OVERHEAD)
        .filter(|&n| n > 0)
        .ok_or(FrameError::FrameSizeTooSmall(max_frame_size))?
        .min(MAX_FRAME_LEN);
    let count = data.len().div_ceil(chunk).max(1);
    if count > usize::from(u16::MAX) + 1 {
        return Err(FrameError::TooManyFrames);
    }
    let mut frames: Vec<Frame> = Vec::with_capacity(count);
    let mut pieces = data.chunks(chunk).peekable();
    if pieces.peek().is_none() {
        return Ok(vec![Frame { id, number: 0, data: Vec::new(), is_last: true }]);
    }
    let mut number = 0u16;
    while let Some(piece) = pieces.next() {
        let is_last = pieces.peek().is_none();
        frames.push(Frame { id, number, data: piece.to_vec(), is_last });
        number = number.wrapping_add(1);
    }
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame_strategy() -> impl Strategy<Value = Frame> {
        (
            any::<ChannelId>(),
            any::<u16>(),
            proptest::collection::vec(any::<u8>(), 0..300),
            any::<bool>(),
        )
            .prop_map(|(id, number, data, is_last)| Frame { id, number, data, is_last })
    }

    #[test]
    fn op_layout() {
        let frame = Frame { id: [0xab; 16], number: 0x0102, data: vec![9, 8, 7], is_last: true };
        let payload = encode_payload(std::slice::from_ref(&frame));
        let mut expected = vec![0u8];
        expected.extend_from_slice(&[0xab; 16]);
        expected.extend_from_slice(&[0x01, 0x02, 0, 0, 0, 3, 9, 8, 7, 1]);
        assert_eq!(payload, expected);
        assert_eq!(parse_payload(&payload), Ok(vec![frame]));
    }

    #[test]
    fn payload_errors() {
        assert_eq!(parse_payload(&[]), Err(FrameError::Empty));
        assert_eq!(parse_payload(&[1, 2, 3]), Err(FrameError::UnknownVersion(1)));
        assert_eq!(parse_payload(&[0]), Err(FrameError::NoFrames));
        let frame = Frame { id: [1; 16], number: 0, data: vec![5; 10], is_last: false };
        let mut payload = encode_payload(&[frame.clone(), frame]);
        // One bad frame drops the payload.
        *payload.last_mut().expect("non-empty") = 2;
        assert_eq!(parse_payload(&payload), Err(FrameError::InvalidIsLast(2)));
        payload.pop();
        assert_eq!(parse_payload(&payload), Err(FrameError::Truncated(WireError::Eof)));
        let mut huge = vec![0u8];
        huge.extend_from_slice(&[0; 18]);
        huge.extend_from_slice(&(MAX_FRAME_LEN as u32 + 1).to_be_bytes());
        assert_eq!(parse_payload(&huge), Err(FrameError::TooLarge(MAX_FRAME_LEN as u32 + 1)));
    }

    #[test]
    fn split_sizes() {
        let data = vec![7u8; 1000];
        let frames = split_channel([3; 16], &data, FRAME_OVERHEAD + 300).expect("splits");
        assert_eq!(frames.len(), 4);
        assert!(frames.iter().all(|f| f.encoded_len() <= FRAME_OVERHEAD + 300));
        assert_eq!(frames.iter().filter(|f| f.is_last).count(), 1);
        assert!(frames[3].is_last);
        assert_eq!(frames.iter().flat_map(|f| f.data.clone()).collect::<Vec<_>>(), data);
        assert_eq!(
            split_channel([3; 16], &data, FRAME_OVERHEAD),
            Err(FrameError::FrameSizeTooSmall(FRAME_OVERHEAD))
        );
        let many = vec![0u8; 70_000];
        assert_eq!(
            split_channel([0; 16], &many, FRAME_OVERHEAD + 1),
            Err(FrameError::TooManyFrames)
        );
    }

    proptest! {
        #[test]
        fn payload_round_trip(frames in proptest::collection::vec(frame_strategy(), 1..5)) {
            let payload = encode_payload(&frames);
            prop_assert_eq!(parse_payload(&payload), Ok(frames));
        }

        #[test]
        fn split_round_trip(data in proptest::collection::vec(any::<u8>(), 0..2000), size in 24usize..600) {
            let frames = split_channel([1; 16], &data, size).expect("splits");
            prop_assert!(frames.iter().all(|f| f.encoded_len() <= size));
            prop_assert!(frames.last().is_some_and(|f| f.is_last));
            let joined: Vec<u8> = frames.iter().flat_map(|f| f.data.iter().copied()).collect();
            prop_assert_eq!(joined, data);
        }

        #[test]
        fn parse_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse_payload(&bytes);
        }
    }
}
