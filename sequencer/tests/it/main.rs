//! Integration tests: the real `ol-node` binary on a free port, driven by real clients
//! (cast, forge, an alloy provider, raw HTTP).

#![allow(unreachable_pub)]

mod batcher;
mod cast;
mod clients;
mod commitments;
mod crash;
mod determinism;
mod dev_methods;
mod devnet;
mod differential;
mod economy;
mod follow;
mod harness;
mod import;
mod l1;
mod l1_harness;
mod operator;
mod precompiles;
mod provider;
mod rpc_errors;
mod rpc_methods;
mod strict;
mod tracing;
