//! Any blob decodes or fails without panicking; data that fits round-trips through a blob.
#![no_main]

use alloy_eips::eip4844::{BYTES_PER_BLOB, Blob};
use libfuzzer_sys::fuzz_target;
use ol_protocol::batch::{MAX_BLOB_DATA_SIZE, decode_blob, encode_blob};

fuzz_target!(|data: &[u8]| {
    // The input is the blob's prefix (the rest zero), so short inputs reach every length.
    let mut blob = Box::new(Blob::ZERO);
    let n = data.len().min(BYTES_PER_BLOB);
    blob.0[..n].copy_from_slice(&data[..n]);
    let _ = decode_blob(&blob);
    if data.len() <= MAX_BLOB_DATA_SIZE {
        let encoded = encode_blob(data).expect("fits");
        assert_eq!(decode_blob(&encoded).expect("decodes"), data);
    }
});
