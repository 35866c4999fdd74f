//! Frames in any order and any number feed a channel without panicking; a ready channel's
//! data is the concatenation of its frames.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ol_protocol::batch::{ChannelAssembler, Frame};

fuzz_target!(|data: &[u8]| {
    let mut channel = ChannelAssembler::new([0; 16], 0);
    let mut rest = data;
    while let Ok(frame) = Frame::decode(&mut rest) {
        // Most frames join the channel; a changed id byte tests the mismatch path.
        let _ = channel.add_frame(Frame { id: [frame.id[0] & 1; 16], ..frame });
    }
    if let Some(joined) = channel.data() {
        assert_eq!(joined.len(), channel.size());
    }
});
