//! Any channel data (compressed or not) decodes to a batch or an error, and resolving a
//! decoded batch against any history never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ol_protocol::batch::{AddressHistory, decode_channel};

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = decode_channel(data) {
        let _ = raw.resolve(1612, &AddressHistory::new());
        let mut history = AddressHistory::new();
        let _ = history.push_block(raw.header().first_number.wrapping_sub(1), [data]);
        let _ = raw.resolve(1612, &history);
    }
});
