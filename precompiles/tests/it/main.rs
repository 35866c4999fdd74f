//! Integration tests of the Proof-of-Attribution core: reference implementations (numpy for
//! influence scoring, a naive longest-match scan for token attribution), property tests and
//! determinism across rayon thread counts.

mod common;
mod determinism;
mod influence_ref;
mod influence_work;
mod props;
mod token_ref;
mod token_work;
