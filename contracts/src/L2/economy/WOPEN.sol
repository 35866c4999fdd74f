// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title WOPEN
/// @notice Wrapped native OPEN ("Wrapped OPEN" / "WOPEN", 18 decimals), the governance token:
///         `deposit()` (or a plain transfer) mints WOPEN 1:1 for the native OPEN sent,
///         `withdraw(amount)` burns it and returns the OPEN. ERC20Votes gives OpenGovernor its
///         voting weight (holders must `delegate`, to themselves or another account, before
///         their balance counts) and ERC20Permit (EIP-2612) allows gasless approvals.
///
///         Clock: votes are checkpointed by **timestamp** (ERC-6372 `CLOCK_MODE` =
///         "mode=timestamp"), so OpenGovernor's voting delay and period are in seconds. L2 blocks
///         are produced on a timer that the sequencer can change, so seconds are the stable unit.
///
///         Invariant: `address(this).balance >= totalSupply()` (equal unless OPEN is forced in
///         without a deposit, which nobody can withdraw).
contract WOPEN is ERC20, ERC20Permit, ERC20Votes, ReentrancyGuardTransient {
    /// @notice `account` wrapped `amount` OPEN.
    event Deposit(address indexed account, uint256 amount);
    /// @notice `account` unwrapped `amount` WOPEN.
    event Withdrawal(address indexed account, uint256 amount);

    /// @notice A deposit or withdrawal of zero.
    error ZeroAmount();
    /// @notice The native transfer of a withdrawal failed.
    error TransferFailed();

    constructor() ERC20("Wrapped OPEN", "WOPEN") ERC20Permit("Wrapped OPEN") {}

    /// @notice A plain transfer of OPEN wraps it for the sender.
    receive() external payable {
        _deposit(msg.sender, msg.value);
    }

    /// @notice Wraps `msg.value` OPEN for the caller.
    function deposit() external payable {
        _deposit(msg.sender, msg.value);
    }

    /// @notice Burns `amount` WOPEN of the caller and sends it the same amount of OPEN.
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        _burn(msg.sender, amount);
        emit Withdrawal(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice ERC-6372 clock: the block timestamp.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice ERC-6372 clock mode: timestamps.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    function _deposit(address account, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        _mint(account, amount);
        emit Deposit(account, amount);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}
