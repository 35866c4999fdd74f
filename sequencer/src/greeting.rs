//! What `ol-node --dev` prints once at start, as anvil does: a developer copies keys and network
//! settings from the terminal, so this is plain text on stdout rather than log lines.

use crate::genesis::{DEV_BALANCE, DEV_MNEMONIC};
use alloy_signer_local::PrivateKeySigner;
use std::{fmt::Write, net::SocketAddr};

/// The dev accounts with their keys, the chain id, the RPC URLs and the MetaMask settings.
pub fn dev_greeting(
    keys: &[PrivateKeySigner],
    chain_id: u64,
    http: SocketAddr,
    ws: Option<SocketAddr>,
) -> String {
    let mut out = String::from("\nol-node --dev: the OpenLedger L2 node in dev mode\n\n");
    out.push_str("Available Accounts\n==================\n");
    for (i, key) in keys.iter().enumerate() {
        let balance = alloy_primitives::utils::format_ether(DEV_BALANCE);
        let _ = writeln!(out, "({i}) {} ({balance} OPEN)", key.address());
    }
    out.push_str("\nPrivate Keys\n==================\n");
    for (i, key) in keys.iter().enumerate() {
        let _ = writeln!(out, "({i}) 0x{}", alloy_primitives::hex::encode(key.to_bytes()));
    }
    let _ = writeln!(out, "\nMnemonic:          {DEV_MNEMONIC}");
    let _ = writeln!(out, "Derivation path:   m/44'/60'/0'/0/");
    let _ = writeln!(out, "\nChain ID:          {chain_id}");
    let _ = writeln!(out, "JSON-RPC (HTTP):   http://{http}");
    let ws = ws.unwrap_or(http);
    let _ = writeln!(out, "WebSocket:         ws://{ws}");
    out.push_str("\nMetaMask: Settings > Networks > Add a network manually\n");
    let _ = writeln!(out, "  Network name     OpenLedger L2 (dev)");
    let _ = writeln!(out, "  RPC URL          http://{http}");
    let _ = writeln!(out, "  Chain ID         {chain_id}");
    out.push_str("  Currency symbol  OPEN\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::dev_keys;

    #[test]
    fn names_every_account_with_its_key_and_the_network() {
        let keys = dev_keys().expect("keys");
        let addr: SocketAddr = "127.0.0.1:8545".parse().expect("addr");
        let text = dev_greeting(&keys, 1612, addr, None);
        assert!(text.contains("(0) 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 (10000"));
        assert!(
            text.contains("(0) 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
        );
        assert!(text.contains("(9) 0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"));
        assert!(text.contains("Chain ID:          1612"));
        assert!(text.contains("RPC URL          http://127.0.0.1:8545"));
        assert!(text.contains("ws://127.0.0.1:8545"), "WebSocket on the HTTP port");
    }
}
