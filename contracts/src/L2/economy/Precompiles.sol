// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Precompiles
/// @notice Addresses of OpenLedger's native precompiles (docs/PRECOMPILES.md; the Rust constants
///         are `ol_precompiles::abi::{INFLUENCE_ADDRESS, TOKEN_ATTRIBUTION_ADDRESS,
///         ADAPTER_REGISTRY_ADDRESS}`). Their ABIs are `src/interfaces/I*.sol`, copied unchanged
///         from `precompiles/interfaces/`.
///
///         A precompile has no code, and Solidity checks `extcodesize` before a high-level call
///         to a function that returns nothing. Such functions (`IAdapterRegistry.setStatus`) are
///         therefore called with `callNoReturn`, which skips that check; functions with return
///         values are safe to call the usual way (the check is skipped for them since 0.8.10).
library Precompiles {
    /// @notice Influence scoring (`IInfluenceAttribution`).
    address internal constant INFLUENCE = address(0x0A01);
    /// @notice Token attribution (`ITokenAttribution`).
    address internal constant TOKEN_ATTRIBUTION = address(0x0A02);
    /// @notice LoRA adapter registry (`IAdapterRegistry`).
    address internal constant ADAPTER_REGISTRY = address(0x0A03);

    /// @notice Calls `target` with `data`, bubbling up its revert data verbatim.
    function callNoReturn(address target, bytes memory data) internal {
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }
}
