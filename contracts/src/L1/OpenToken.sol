// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title OpenToken
/// @notice OPEN on L1: a plain ERC-20 with EIP-2612 permit ("OpenLedger", "OPEN", 18 decimals).
///         The whole, fixed supply of one billion OPEN is minted to `_holder` at construction;
///         nothing can mint or burn afterwards. On L2, OPEN is the native currency: the
///         OpenPortal locks L1 OPEN and the L2 deposit mints the same amount natively.
contract OpenToken is ERC20, ERC20Permit {
    /// @notice The fixed total supply: 1,000,000,000 OPEN.
    uint256 public constant TOTAL_SUPPLY = 1_000_000_000 ether;

    error ZeroHolder();

    constructor(address _holder) ERC20("OpenLedger", "OPEN") ERC20Permit("OpenLedger") {
        if (_holder == address(0)) revert ZeroHolder();
        _mint(_holder, TOTAL_SUPPLY);
    }
}
