// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title Governed
/// @notice The one ownership model of the $OPEN economy contracts: OpenZeppelin `Ownable2Step`
///         whose owner is the governance `TimelockController` (OpenGovernor proposes, the timelock
///         executes). Every governance parameter of DatanetRegistry, ModelRegistry,
///         InferencePayments and OpenStaking is `onlyOwner`. Ownership moves in two steps
///         (`transferOwnership` then `acceptOwnership`, e.g. to a new timelock) and can never be
///         renounced, so no parameter is ever frozen by accident.
abstract contract Governed is Ownable2Step {
    /// @notice `renounceOwnership` is disabled.
    error RenounceDisabled();

    constructor(address governance) Ownable(governance) {}

    /// @notice Disabled: reverts `RenounceDisabled()`.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }
}
