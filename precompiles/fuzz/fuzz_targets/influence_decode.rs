//! Any calldata decodes to an influence call or a revertable error, never a panic; a decoded
//! `score` runs the scorer on whatever sketch it carries without panicking either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ol_precompiles::{
    abi::{self, InfluenceCall},
    influence::{Datanet, InfluenceQuery, score},
};

fuzz_target!(|data: &[u8]| {
    match abi::decode_influence_call(data) {
        Err(e) => {
            let _ = e.revert_data();
        }
        Ok(InfluenceCall::score(c)) => {
            let sketch = abi::sketch_from_bytes(&c.querySketch);
            if let Ok(mut d) = Datanet::new(1, sketch.len()) {
                let _ = d.push(alloy_primitives::Address::ZERO, &sketch);
                let q = InfluenceQuery {
                    sketch: &sketch,
                    top_k: std::num::NonZeroU32::new(c.topK),
                    top_points: usize::from(c.topPoints),
                };
                let _ = score(&[&d], &q);
            }
        }
        Ok(_) => {}
    }
});
