//! Any L1 payload parses into frames or an error; a parsed payload re-encodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ol_protocol::batch::{encode_payload, parse_payload};

fuzz_target!(|data: &[u8]| {
    if let Ok(frames) = parse_payload(data) {
        assert_eq!(encode_payload(&frames), data);
    }
});
