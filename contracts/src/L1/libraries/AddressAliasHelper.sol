// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title AddressAliasHelper
/// @notice The L1-to-L2 address alias of the OP Stack (and Arbitrum): a contract on L1 appears
///         on L2 as its address plus 0x1111000000000000000000000000000000001111 (mod 2^160), so
///         that it cannot impersonate the L2 contract that happens to have the same address.
library AddressAliasHelper {
    uint160 internal constant OFFSET = uint160(0x1111000000000000000000000000000000001111);

    /// @notice The L2 address of L1 contract `_l1Address`.
    function applyL1ToL2Alias(address _l1Address) internal pure returns (address l2Address_) {
        unchecked {
            l2Address_ = address(uint160(_l1Address) + OFFSET);
        }
    }

    /// @notice The L1 address behind alias `_l2Address`.
    function undoL1ToL2Alias(address _l2Address) internal pure returns (address l1Address_) {
        unchecked {
            l1Address_ = address(uint160(_l2Address) - OFFSET);
        }
    }
}
