// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IAdapterRegistry} from "../../src/interfaces/IAdapterRegistry.sol";
import {OpenStaking} from "../../src/L2/economy/OpenStaking.sol";
import {Precompiles} from "../../src/L2/economy/Precompiles.sol";

contract OpenStakingTest is Test {
    OpenStaking internal staking;
    address internal gov = makeAddr("gov");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal funder = makeAddr("funder");
    uint64 internal constant UNBONDING = 7 days;

    function setUp() public {
        staking = new OpenStaking(gov, UNBONDING);
        vm.deal(alice, 1_000 ether);
        vm.deal(bob, 1_000 ether);
        vm.deal(funder, 1_000 ether);
    }

    function _stake(address who, uint256 amount) internal {
        vm.prank(who);
        staking.stake{value: amount}();
    }

    function _reward(uint256 amount) internal {
        vm.prank(funder);
        staking.notifyReward{value: amount}();
    }

    function test_stakeAndRewardsProRata() public {
        vm.expectEmit(address(staking));
        emit OpenStaking.Staked(alice, 30 ether);
        _stake(alice, 30 ether);
        _stake(bob, 10 ether);
        assertEq(staking.totalStaked(), 40 ether);
        _reward(4 ether);
        assertEq(staking.earned(alice), 3 ether);
        assertEq(staking.earned(bob), 1 ether);

        // Late stakers earn nothing of earlier rewards.
        _stake(bob, 20 ether);
        _reward(6 ether);
        assertEq(staking.earned(alice), 6 ether);
        assertEq(staking.earned(bob), 4 ether);

        uint256 before = alice.balance;
        vm.expectEmit(address(staking));
        emit OpenStaking.RewardsClaimed(alice, 6 ether);
        vm.prank(alice);
        staking.claimRewards();
        assertEq(alice.balance, before + 6 ether);
        assertEq(staking.earned(alice), 0);
        vm.prank(alice);
        vm.expectRevert(OpenStaking.NothingToClaim.selector);
        staking.claimRewards();
    }

    function test_unstakeStopsEarningAndUnbonds() public {
        _stake(alice, 10 ether);
        _stake(bob, 10 ether);
        uint64 unlockAt = uint64(block.timestamp) + UNBONDING;
        vm.expectEmit(address(staking));
        emit OpenStaking.Unstaked(alice, 10 ether, unlockAt);
        vm.prank(alice);
        staking.unstake(10 ether);
        assertEq(staking.totalStaked(), 10 ether);
        assertEq(staking.totalUnbonding(), 10 ether);
        _reward(5 ether);
        assertEq(staking.earned(alice), 0);
        assertEq(staking.earned(bob), 5 ether);

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(OpenStaking.StillUnbonding.selector, unlockAt));
        staking.withdraw();
        vm.warp(unlockAt);
        uint256 before = alice.balance;
        vm.prank(alice);
        staking.withdraw();
        assertEq(alice.balance, before + 10 ether);
        assertEq(staking.totalUnbonding(), 0);
        vm.prank(alice);
        vm.expectRevert(OpenStaking.NothingToWithdraw.selector);
        staking.withdraw();
    }

    function test_unstakeRestartsTheClock() public {
        _stake(alice, 10 ether);
        vm.prank(alice);
        staking.unstake(4 ether);
        vm.warp(block.timestamp + 6 days);
        vm.prank(alice);
        staking.unstake(1 ether);
        vm.warp(block.timestamp + 2 days); // 8 days after the first, 2 after the second
        vm.prank(alice);
        vm.expectRevert();
        staking.withdraw();
        vm.warp(block.timestamp + 5 days);
        vm.prank(alice);
        staking.withdraw();
        assertEq(staking.stakerInfo(alice).unbonding, 0);
        assertEq(staking.stakedOf(alice), 5 ether);
    }

    function test_rewardsKeptAcrossUnstake() public {
        _stake(alice, 10 ether);
        _reward(1 ether);
        vm.prank(alice);
        staking.unstake(10 ether);
        assertEq(staking.earned(alice), 1 ether);
        vm.prank(alice);
        staking.claimRewards();
    }

    function test_errors() public {
        vm.prank(alice);
        vm.expectRevert(OpenStaking.ZeroAmount.selector);
        staking.stake();
        vm.prank(funder);
        vm.expectRevert(OpenStaking.NoStakers.selector);
        staking.notifyReward{value: 1 ether}();
        _stake(alice, 1 ether);
        vm.prank(funder);
        vm.expectRevert(OpenStaking.ZeroAmount.selector);
        staking.notifyReward();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(OpenStaking.InsufficientStake.selector, 1 ether, 2 ether));
        staking.unstake(2 ether);
        vm.prank(alice);
        vm.expectRevert(OpenStaking.ZeroAmount.selector);
        staking.unstake(0);
        // No plain transfers.
        vm.prank(alice);
        (bool ok,) = address(staking).call{value: 1}("");
        assertFalse(ok);
    }

    function test_governance() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        staking.setUnbondingPeriod(1 days);
        vm.prank(gov);
        staking.setUnbondingPeriod(1 days);
        assertEq(staking.unbondingPeriod(), 1 days);
        vm.prank(gov);
        vm.expectRevert(abi.encodeWithSelector(OpenStaking.UnbondingTooLong.selector, 91 days, 90 days));
        staking.setUnbondingPeriod(91 days);
    }

    function test_carryLosesNoRewardAtTheAccumulator() public {
        // 3 wei staked, 1 wei rewards three times: the carry makes each staker whole.
        _stake(alice, 1);
        _stake(bob, 2);
        _reward(1);
        _reward(1);
        _reward(1);
        assertEq(staking.earned(alice), 1);
        assertEq(staking.earned(bob), 2);
    }

    /// Rewards paid out never exceed rewards notified; the dust kept is tiny.
    function testFuzz_rewardsNeverExceedNotified(uint96 a, uint96 b, uint96 r1, uint96 r2) public {
        vm.assume(a > 0 && b > 0 && r1 > 0 && r2 > 0);
        vm.deal(alice, a);
        vm.deal(bob, b);
        vm.deal(funder, uint256(r1) + r2);
        _stake(alice, a);
        _reward(r1);
        _stake(bob, b);
        _reward(r2);
        uint256 ea = staking.earned(alice);
        uint256 eb = staking.earned(bob);
        assertLe(ea + eb, uint256(r1) + r2);
        assertGe(ea + eb + 3, uint256(r1) + r2);
        assertEq(address(staking).balance, uint256(a) + b + r1 + r2);
        // Proportionality of the second reward (within rounding).
        uint256 ebExpected = uint256(r2) * b / (uint256(a) + b);
        assertApproxEqAbs(eb, ebExpected, 2);
    }
}

/// @notice Why economy contracts call void precompile functions with `callNoReturn`.
contract PrecompilesCallTest is Test {
    function callNoReturn(address target, bytes memory data) external {
        Precompiles.callNoReturn(target, data);
    }

    function highLevelSetStatus(address target) external {
        IAdapterRegistry(target).setStatus(1, IAdapterRegistry.Status.Revoked);
    }

    function test_codelessTargets() public {
        // A precompile has no code: a high-level call to a function without return values is
        // refused by Solidity's extcodesize check, the low-level call goes through.
        address codeless = address(0x0A03);
        assertEq(codeless.code.length, 0);
        vm.expectRevert();
        this.highLevelSetStatus(codeless);
        this.callNoReturn(codeless, abi.encodeCall(IAdapterRegistry.setStatus, (1, IAdapterRegistry.Status.Revoked)));
    }

    function test_revertDataBubblesUp() public {
        Reverting r = new Reverting();
        vm.expectRevert(abi.encodeWithSelector(IAdapterRegistry.UnknownAdapter.selector, 7));
        this.callNoReturn(address(r), "");
    }
}

contract Reverting {
    fallback() external {
        revert IAdapterRegistry.UnknownAdapter(7);
    }
}
