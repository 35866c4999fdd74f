// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Governed} from "./Governed.sol";

/// @title OpenStaking
/// @notice Stake native OPEN, earn the stakers' share of inference fees.
///
///         Rewards use a reward-per-token accumulator (O(1) per action, no loop over stakers):
///         `notifyReward` (called by InferencePayments with the stakers' share, or by anyone
///         who wants to add rewards) raises `rewardPerShare` by `amount * 1e36 / totalStaked`;
///         the remainder of that division is carried to the next notification, so no reward
///         is lost at the accumulator. A staker earns `staked * (rewardPerShare - paid) / 1e36`,
///         settled into `rewardsOf` on every action; each such settlement rounds down, so the
///         contract may keep a few wei of dust (at most one per settlement).
///
///         Unstaking moves stake into one unbonding bucket per staker: it stops earning at once
///         and is withdrawable `unbondingPeriod` seconds after the latest `unstake` (each unstake
///         restarts the clock for the whole bucket). Rewards are claimed separately and any time.
contract OpenStaking is Governed, ReentrancyGuardTransient {
    struct Staker {
        uint128 staked;
        uint128 unbonding;
        uint64 unlockAt;
        uint256 rewardPerSharePaid;
        uint256 rewards;
    }

    /// @dev Scale of `rewardPerShare`. 1e36 keeps the carried remainder below one wei for any
    ///      stake below 1e36 wei, and cannot overflow: a staker's `staked * (rewardPerShare -
    ///      paid)` is at most (all rewards ever notified) * 1e36, far below 2^256.
    uint256 internal constant PRECISION = 1e36;
    /// @notice Upper bound on `unbondingPeriod`.
    uint64 public constant MAX_UNBONDING_PERIOD = 90 days;

    /// @notice Seconds from `unstake` to `withdraw` (governance).
    uint64 public unbondingPeriod;
    /// @notice Stake that earns rewards.
    uint256 public totalStaked;
    /// @notice Stake waiting out its unbonding period.
    uint256 public totalUnbonding;
    /// @notice Accumulated rewards per staked wei, scaled by 1e36.
    uint256 public rewardPerShare;
    /// @dev Remainder (scaled) of the last accumulator division, carried forward.
    uint256 internal _rewardCarry;

    mapping(address account => Staker) internal _stakers;

    event Staked(address indexed account, uint256 amount);
    event Unstaked(address indexed account, uint256 amount, uint64 unlockAt);
    event Withdrawn(address indexed account, uint256 amount);
    event RewardNotified(address indexed from, uint256 amount, uint256 rewardPerShare);
    event RewardsClaimed(address indexed account, uint256 amount);
    event UnbondingPeriodUpdated(uint64 previousPeriod, uint64 newPeriod);

    error ZeroAmount();
    error InsufficientStake(uint256 staked, uint256 requested);
    error NothingToWithdraw();
    error StillUnbonding(uint64 unlockAt);
    error NoStakers();
    error NothingToClaim();
    error UnbondingTooLong(uint64 period, uint64 max);
    error TransferFailed();

    /// @param governance The owner (the timelock).
    /// @param unbondingPeriod_ Seconds from `unstake` to `withdraw` (e.g. 7 days).
    constructor(address governance, uint64 unbondingPeriod_) Governed(governance) {
        _setUnbondingPeriod(unbondingPeriod_);
    }

    /// @notice Stakes `msg.value` OPEN for the caller.
    function stake() external payable nonReentrant {
        if (msg.value == 0) revert ZeroAmount();
        Staker storage s = _accrue(msg.sender);
        // msg.value < 2^128: there is far less OPEN than that.
        s.staked += uint128(msg.value);
        totalStaked += msg.value;
        emit Staked(msg.sender, msg.value);
    }

    /// @notice Moves `amount` of the caller's stake to unbonding: it stops earning now and can be
    ///         withdrawn after `unbondingPeriod` (which restarts for the whole bucket).
    function unstake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Staker storage s = _accrue(msg.sender);
        if (amount > s.staked) revert InsufficientStake(s.staked, amount);
        uint64 unlockAt = uint64(block.timestamp) + unbondingPeriod;
        // amount <= s.staked, a uint128.
        // forge-lint: disable-next-line(unsafe-typecast)
        s.staked -= uint128(amount);
        // forge-lint: disable-next-line(unsafe-typecast)
        s.unbonding += uint128(amount);
        s.unlockAt = unlockAt;
        totalStaked -= amount;
        totalUnbonding += amount;
        emit Unstaked(msg.sender, amount, unlockAt);
    }

    /// @notice Sends the caller its unbonded stake once the unbonding period is over.
    function withdraw() external nonReentrant {
        Staker storage s = _stakers[msg.sender];
        uint256 amount = s.unbonding;
        if (amount == 0) revert NothingToWithdraw();
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < s.unlockAt) revert StillUnbonding(s.unlockAt);
        s.unbonding = 0;
        totalUnbonding -= amount;
        emit Withdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @notice Sends the caller all its rewards.
    function claimRewards() external nonReentrant {
        Staker storage s = _accrue(msg.sender);
        uint256 amount = s.rewards;
        if (amount == 0) revert NothingToClaim();
        s.rewards = 0;
        emit RewardsClaimed(msg.sender, amount);
        _send(msg.sender, amount);
    }

    /// @notice Distributes `msg.value` to current stakers pro rata (reverts `NoStakers` when
    ///         nothing is staked; InferencePayments checks `totalStaked` first).
    function notifyReward() external payable nonReentrant {
        if (msg.value == 0) revert ZeroAmount();
        uint256 total = totalStaked;
        if (total == 0) revert NoStakers();
        uint256 scaled = msg.value * PRECISION + _rewardCarry;
        uint256 acc = rewardPerShare + scaled / total;
        rewardPerShare = acc;
        _rewardCarry = scaled % total;
        emit RewardNotified(msg.sender, msg.value, acc);
    }

    /// @notice Sets the unbonding period of future `unstake`s (governance).
    function setUnbondingPeriod(uint64 period) external onlyOwner {
        _setUnbondingPeriod(period);
    }

    // ------------------------------------------------------------------- views

    /// @notice A staker's record (rewards as of its last action; see `earned`).
    function stakerInfo(address account) external view returns (Staker memory) {
        return _stakers[account];
    }

    /// @notice `account`'s stake that earns rewards.
    function stakedOf(address account) external view returns (uint256) {
        return _stakers[account].staked;
    }

    /// @notice Rewards `account` could claim now.
    function earned(address account) public view returns (uint256) {
        Staker storage s = _stakers[account];
        return s.rewards + uint256(s.staked) * (rewardPerShare - s.rewardPerSharePaid) / PRECISION;
    }

    // --------------------------------------------------------------- internals

    function _accrue(address account) internal returns (Staker storage s) {
        s = _stakers[account];
        uint256 acc = rewardPerShare;
        uint256 paid = s.rewardPerSharePaid;
        if (acc != paid) {
            s.rewards += uint256(s.staked) * (acc - paid) / PRECISION;
            s.rewardPerSharePaid = acc;
        }
    }

    function _setUnbondingPeriod(uint64 period) internal {
        if (period > MAX_UNBONDING_PERIOD) revert UnbondingTooLong(period, MAX_UNBONDING_PERIOD);
        emit UnbondingPeriodUpdated(unbondingPeriod, period);
        unbondingPeriod = period;
    }

    function _send(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
