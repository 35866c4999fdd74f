//! Any calldata decodes to a token-attribution call or a revertable error; packed token bytes
//! and document splits never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ol_precompiles::abi;

fuzz_target!(|data: &[u8]| {
    match abi::decode_token_call(data) {
        Err(e) => {
            let _ = e.revert_data();
        }
        Ok(_) => {}
    }
    let _ = abi::tokens_from_bytes(data);
});
