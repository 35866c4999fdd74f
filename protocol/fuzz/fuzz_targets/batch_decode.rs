//! The batch parser behind the decompressor: the input is an uncompressed channel's two
//! sections (split at the first byte's ratio), so the fuzzer does not have to get past brotli.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ol_protocol::batch::{AddressHistory, CHANNEL_VERSION_0, decode_channel};

fuzz_target!(|data: &[u8]| {
    let Some((&split, rest)) = data.split_first() else { return };
    let packed = rest.len() * usize::from(split) / 255;
    let mut channel = vec![CHANNEL_VERSION_0, 0];
    let mut len = packed as u64;
    while len >= 0x80 {
        channel.push(len as u8 | 0x80);
        len >>= 7;
    }
    channel.push(len as u8);
    channel.extend_from_slice(rest);
    if let Ok(raw) = decode_channel(&channel) {
        let _ = raw.resolve(1612, &AddressHistory::new());
        // A history of the input's own address uses, ending right before the batch.
        let mut history = AddressHistory::new();
        let first = raw.header().first_number;
        if history.push_block(first.wrapping_sub(1), rest.chunks(97)).is_ok() {
            let _ = raw.resolve(1612, &history);
        }
    }
});
