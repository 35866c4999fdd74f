//! The channel bank: frames from L1 payloads in, complete channels out, in the order their
//! first frames arrived (op-node's `ChannelBank` with Canyon's rule: the first *ready* channel
//! is read, so one stalled channel does not hold back the ones behind it).
//!
//! ```text
//!  payload (L1 block n) ──parse_payload──▶ frames ──▶ channel by id (opened at n)
//!     a frame that does not fit its channel is dropped; a frame of a timed-out channel too
//!  read(n) ──▶ first channel, in arrival order, that is complete and not timed out
//!     channels past opened_at + channel_timeout are dropped; past MAX_BANK_SIZE the oldest go
//! ```
//!
//! Everything here is a pure function of the payloads and L1 block numbers fed in, so the
//! batcher's read-back, the sequencer's safe head and derivation agree on which channels exist.

use super::{
    channel::ChannelAssembler,
    frame::{ChannelId, parse_payload},
};
use std::collections::VecDeque;

/// Bytes of frame data the bank holds at most (op-node's `MaxChannelBankSize`).
pub const MAX_BANK_SIZE: usize = 100_000_000;

/// A complete channel read from the bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyChannel {
    /// Its id.
    pub id: ChannelId,
    /// The L1 block of its first frame.
    pub opened_at: u64,
    /// The channel data.
    pub data: Vec<u8>,
}

/// What ingesting a payload did, for logs and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ingested {
    /// Frames added to a channel.
    pub frames: usize,
    /// Frames dropped (a duplicate, a frame beyond the last, a timed-out channel).
    pub dropped: usize,
    /// Whether the payload did not parse at all (dropped whole).
    pub garbage: bool,
}

/// See the module doc.
#[derive(Debug, Clone)]
pub struct ChannelBank {
    channel_timeout: u64,
    /// Channels in the order their first frame arrived.
    channels: VecDeque<ChannelAssembler>,
}

impl ChannelBank {
    /// An empty bank whose channels time out `channel_timeout` L1 blocks after they open.
    pub fn new(channel_timeout: u64) -> Self {
        Self { channel_timeout, channels: VecDeque::new() }
    }

    /// Channels held.
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// Whether no channel is held.
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }

    /// Bytes of frame data held.
    pub fn size(&self) -> usize {
        self.channels.iter().map(ChannelAssembler::size).sum()
    }

    /// Adds the frames of one L1 payload that arrived in L1 block `l1_block`.
    pub fn ingest(&mut self, l1_block: u64, payload: &[u8]) -> Ingested {
        let Ok(frames) = parse_payload(payload) else {
            return Ingested { garbage: true, ..Ingested::default() };
        };
        let mut out = Ingested::default();
        for frame in frames {
            let index = match self.channels.iter().position(|c| c.id() == frame.id) {
                Some(i) => i,
                None => {
                    self.channels.push_back(ChannelAssembler::new(frame.id, l1_block));
                    self.channels.len() - 1
                }
            };
            let channel = &mut self.channels[index];
            if channel.is_timed_out(l1_block, self.channel_timeout) {
                out.dropped += 1;
                continue;
            }
            match channel.add_frame(frame) {
                Ok(()) => out.frames += 1,
                Err(_) => out.dropped += 1,
            }
        }
        // A channel whose first frame was dropped holds nothing: forget it.
        self.channels.retain(|c| c.size() > 0 || c.is_ready());
        let mut size = self.size();
        while size > MAX_BANK_SIZE {
            match self.channels.pop_front() {
                Some(oldest) => size -= oldest.size(),
                None => break,
            }
        }
        out
    }

    /// Drops channels that timed out by L1 block `l1_block`, then takes the first complete one.
    pub fn read(&mut self, l1_block: u64) -> Option<ReadyChannel> {
        let timeout = self.channel_timeout;
        self.channels.retain(|c| !c.is_timed_out(l1_block, timeout));
        let index = self.channels.iter().position(ChannelAssembler::is_ready)?;
        let channel = self.channels.remove(index)?;
        Some(ReadyChannel {
            id: channel.id(),
            opened_at: channel.opened_at(),
            data: channel.data()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::frame::{Frame, encode_payload};

    fn payload(id: u8, number: u16, data: &[u8], is_last: bool) -> Vec<u8> {
        encode_payload(&[Frame { id: [id; 16], number, data: data.to_vec(), is_last }])
    }

    #[test]
    fn channels_complete_out_of_order_and_are_read_in_arrival_order() {
        let mut bank = ChannelBank::new(10);
        assert_eq!(bank.ingest(1, &payload(1, 1, b"world", true)).frames, 1);
        assert_eq!(bank.ingest(1, &payload(2, 0, b"solo", true)).frames, 1);
        // Channel 2 is ready first and is not held back by the incomplete channel 1.
        let two = bank.read(1).expect("channel 2");
        assert_eq!((two.id, two.data.as_slice(), two.opened_at), ([2; 16], &b"solo"[..], 1));
        assert_eq!(bank.read(1), None);
        bank.ingest(2, &payload(1, 0, b"hello ", false));
        let one = bank.read(2).expect("channel 1");
        assert_eq!((one.data.as_slice(), one.opened_at), (&b"hello world"[..], 1));
        assert!(bank.is_empty());
    }

    #[test]
    fn garbage_duplicates_and_timeouts_are_dropped_by_rule() {
        let mut bank = ChannelBank::new(2);
        assert!(bank.ingest(5, b"\x01not a payload").garbage);
        assert!(bank.ingest(5, b"").garbage);
        bank.ingest(5, &payload(7, 0, b"a", false));
        assert_eq!(bank.ingest(5, &payload(7, 0, b"b", false)).dropped, 1, "duplicate frame");
        // Opened at 5, timeout 2: a frame in block 8 is too late, and the channel is gone.
        assert_eq!(bank.ingest(8, &payload(7, 1, b"c", true)).dropped, 1);
        assert_eq!(bank.read(8), None);
        assert!(bank.is_empty());
        // In block 7 it would still have completed.
        let mut bank = ChannelBank::new(2);
        bank.ingest(5, &payload(7, 0, b"a", false));
        bank.ingest(7, &payload(7, 1, b"c", true));
        assert_eq!(bank.read(7).map(|c| c.data), Some(b"ac".to_vec()));
    }

    #[test]
    fn the_bank_is_bounded() {
        let mut bank = ChannelBank::new(1_000);
        let big = vec![0xab; 900_000];
        for id in 0..=120u8 {
            bank.ingest(1, &payload(id, 0, &big, false));
        }
        assert!(bank.size() <= MAX_BANK_SIZE);
        assert_eq!(bank.len(), MAX_BANK_SIZE / big.len(), "the oldest channels went first");
    }
}
