//! Any calldata decodes to an adapter-registry call or a revertable error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ol_precompiles::abi;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = abi::decode_adapter_call(data) {
        let _ = e.revert_data();
    }
});
