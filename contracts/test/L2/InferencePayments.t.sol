// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IAdapterRegistry} from "../../src/interfaces/IAdapterRegistry.sol";
import {IInfluenceAttribution} from "../../src/interfaces/IInfluenceAttribution.sol";
import {ITokenAttribution} from "../../src/interfaces/ITokenAttribution.sol";
import {InferencePayments} from "../../src/L2/economy/InferencePayments.sol";
import {OpenStaking} from "../../src/L2/economy/OpenStaking.sol";
import {EconomySetup} from "./EconomySetup.sol";

/// @dev Receives a claim and tries to claim again from inside the transfer.
contract ReentrantClaimer {
    InferencePayments internal p;

    constructor(InferencePayments p_) {
        p = p_;
    }

    function doClaim() external {
        p.claim();
    }

    receive() external payable {
        p.claim();
    }
}

contract InferencePaymentsTest is EconomySetup {
    uint64 internal infNet;
    uint64 internal tokNet;
    uint64 internal infModel;
    uint64 internal tokModel;

    function setUp() public override {
        super.setUp();
        infNet = _influenceDatanet();
        tokNet = _tokenDatanet();
        // alice: 2 points, bob: 1 point, carol: 1 point -> 5000 / 2500 / 2500 bps.
        _contributeSketch(alice, infNet, 1);
        _contributeSketch(bob, infNet, 2);
        _contributeSketch(alice, infNet, 3);
        _contributeSketch(carol, infNet, 4);
        // alice 1 document, bob 2 documents -> 3333 / 6667 bps (largest remainder to bob).
        _contributeDocs(alice, tokNet, 1);
        _contributeDocs(bob, tokNet, 2);
        infModel = _influenceModel(_ids(infNet));
        tokModel = _tokenModel(_ids(tokNet));
    }

    // ------------------------------------------------------------------ paying

    function test_payInference() public {
        uint64 deadline = uint64(block.timestamp) + WINDOW;
        vm.expectEmit(address(payments));
        emit InferencePayments.InferencePaid(1, infModel, user, PRICE, deadline, keccak256("request"));
        uint256 id = _pay(infModel);
        assertEq(id, 1);
        InferencePayments.Inference memory inf = payments.getInference(id);
        assertEq(inf.payer, user);
        assertEq(uint8(inf.state), uint8(InferencePayments.State.Pending));
        assertEq(inf.fee, PRICE);
        assertEq(inf.modelId, infModel);
        assertEq(inf.deadline, deadline);
        assertEq(address(payments).balance, PRICE);
    }

    function test_payRequiresExactPriceAndPayableModel() public {
        vm.startPrank(user);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.WrongPayment.selector, PRICE, PRICE + 1));
        payments.payInference{value: PRICE + 1}(infModel, 0);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.WrongPayment.selector, PRICE, 0));
        payments.payInference(infModel, 0);
        vm.stopPrank();

        vm.prank(gov);
        models.setSuspended(infModel, true);
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.ModelNotPayable.selector, infModel));
        payments.payInference{value: PRICE}(infModel, 0);

        vm.prank(modelOwner);
        models.setModelStatus(tokModel, IAdapterRegistry.Status.Deprecated);
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.ModelNotPayable.selector, tokModel));
        payments.payInference{value: PRICE}(tokModel, 0);
    }

    // ---------------------------------------------------------------- settling

    function test_settleInfluenceSplitsExactly() public {
        _stake(carol, 5 ether);
        uint256 id = _pay(infModel);
        // fee 10 OPEN: contributors 5 (alice 2.5, bob 1.25, carol 1.25), owner 3, stakers 1, treasury 1.
        vm.expectEmit(address(payments));
        emit InferencePayments.Credited(id, alice, InferencePayments.Role.Contributor, 2.5 ether);
        vm.expectEmit(address(payments));
        emit InferencePayments.Credited(id, bob, InferencePayments.Role.Contributor, 1.25 ether);
        vm.expectEmit(address(payments));
        emit InferencePayments.Credited(id, carol, InferencePayments.Role.Contributor, 1.25 ether);
        vm.expectEmit(address(payments));
        emit InferencePayments.Credited(id, modelOwner, InferencePayments.Role.ModelOwner, 3 ether);
        vm.expectEmit(address(payments));
        emit InferencePayments.Credited(id, address(staking), InferencePayments.Role.Stakers, 1 ether);
        vm.expectEmit(address(payments));
        emit InferencePayments.Credited(id, treasury, InferencePayments.Role.Treasury, 1 ether);
        vm.expectEmit(address(payments));
        emit InferencePayments.InferenceSettled(id, infModel, modelOwner, PRICE, 3);
        _settleInfluence(id);

        assertEq(payments.claimable(alice), 2.5 ether);
        assertEq(payments.claimable(bob), 1.25 ether);
        assertEq(payments.claimable(carol), 1.25 ether);
        assertEq(payments.claimable(modelOwner), 3 ether);
        assertEq(payments.claimable(treasury), 1 ether);
        assertEq(staking.earned(carol), 1 ether);
        assertEq(address(payments).balance, 9 ether);
        assertEq(uint8(payments.getInference(id).state), uint8(InferencePayments.State.Settled));
    }

    function test_settleTokenModel() public {
        uint256 id = _pay(tokModel);
        vm.expectEmit(address(tokenAttr));
        ITokenAttribution.Share[] memory expected = new ITokenAttribution.Share[](2);
        expected[0] = ITokenAttribution.Share(bob, 6667);
        expected[1] = ITokenAttribution.Share(alice, 3333);
        emit ITokenAttribution.TokensAttributed(address(payments), keccak256(_tokens(4, 1)), expected);
        vm.prank(modelOwner);
        payments.settle(id, _tokens(4, 1));
        // pool 5 OPEN: bob 6667 bps, alice 3333 bps; nobody staked -> stakers' 1 OPEN to the treasury.
        assertEq(payments.claimable(bob), 3.3335 ether);
        assertEq(payments.claimable(alice), 1.6665 ether);
        assertEq(payments.claimable(modelOwner), 3 ether);
        assertEq(payments.claimable(treasury), 2 ether);
    }

    function test_settleOnlyBySettlerOrOwner() public {
        uint256 id = _pay(infModel);
        bytes memory q = _sketch(9);
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.NotSettler.selector, id, user));
        payments.settle(id, q);
        vm.prank(modelOwner);
        models.setSettler(infModel, carol);
        vm.prank(carol);
        payments.settle(id, q);
        vm.prank(carol);
        vm.expectRevert(
            abi.encodeWithSelector(InferencePayments.NotPending.selector, id, InferencePayments.State.Settled)
        );
        payments.settle(id, q);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.UnknownInference.selector, 42));
        payments.settle(42, q);
    }

    /// Review finding 4: after `transferModel` the seller (and its settler) could still settle
    /// the buyer's inferences with any input, e.g. an all-zero sketch that sends the
    /// contributors' pool to the treasury.
    function test_transferModelHandsOverSettlement() public {
        vm.prank(modelOwner);
        models.setSettler(infModel, carol);
        uint256 id = _pay(infModel);
        vm.prank(modelOwner);
        address dave = makeAddr("dave");
        models.transferModel(infModel, dave);
        for (uint256 i = 0; i < 2; i++) {
            address seller = i == 0 ? modelOwner : carol;
            vm.prank(seller);
            vm.expectRevert(abi.encodeWithSelector(InferencePayments.NotSettler.selector, id, seller));
            payments.settle(id, new bytes(DIM));
        }
        vm.prank(dave);
        payments.settle(id, _sketch(9));
        assertEq(payments.claimable(dave), 3 ether, "the buyer's share");
        assertGt(payments.claimable(alice), 0, "contributors are paid");
    }

    function test_settlePrecompileErrorsBubbleUp() public {
        uint256 id = _pay(infModel);
        vm.prank(modelOwner);
        vm.expectRevert(abi.encodeWithSelector(IInfluenceAttribution.DimensionMismatch.selector, 1, DIM, 3));
        payments.settle(id, hex"010203");
        assertEq(uint8(payments.getInference(id).state), uint8(InferencePayments.State.Pending));
    }

    function test_emptyAttributionPoolGoesToTreasury() public {
        uint256 id = _pay(infModel);
        vm.prank(modelOwner);
        payments.settle(id, new bytes(DIM)); // all-zero sketch: every score 0
        assertEq(payments.claimable(alice), 0);
        assertEq(payments.claimable(modelOwner), 3 ether);
        assertEq(payments.claimable(treasury), 7 ether); // 5 pool + 1 stakers (none) + 1 own
    }

    function test_blockedContributorForfeits() public {
        vm.prank(gov);
        registry.setPayoutBlocked(bob, true);
        uint256 id = _pay(infModel);
        vm.expectEmit(address(payments));
        emit InferencePayments.ShareForfeited(id, bob, 1.25 ether);
        _settleInfluence(id);
        assertEq(payments.claimable(bob), 0);
        assertEq(payments.claimable(treasury), 1 ether + 1 ether + 1.25 ether);
    }

    function test_dustGoesToTreasury() public {
        vm.prank(modelOwner);
        models.setPrice(infModel, 7);
        vm.prank(user);
        uint256 id = payments.payInference{value: 7}(infModel, 0);
        _settleInfluence(id);
        // pool = 3, owner = 2, stakers = 0, alice 3*5000/1e4 = 1, bob/carol 0 -> treasury 7-1-2 = 4.
        assertEq(payments.claimable(alice), 1);
        assertEq(payments.claimable(bob), 0);
        assertEq(payments.claimable(modelOwner), 2);
        assertEq(payments.claimable(treasury), 4);
    }

    function test_freeModel() public {
        vm.prank(modelOwner);
        models.setPrice(infModel, 0);
        vm.prank(user);
        uint256 id = payments.payInference(infModel, 0);
        _settleInfluence(id);
        assertEq(address(payments).balance, 0);
        assertEq(payments.claimable(treasury), 0);
    }

    function test_truncatesBeyondTheBound() public {
        uint256 n = 300;
        address[] memory who = new address[](n);
        uint16[] memory bps = new uint16[](n);
        for (uint256 i; i < n; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            who[i] = address(uint160(0x10000 + i));
            bps[i] = i < 100 ? 34 : 33; // 100*34 + 200*33 = 10,000
        }
        _forceInfluenceShares(who, bps);
        uint256 id = _pay(infModel);
        vm.expectEmit(address(payments));
        emit InferencePayments.SharesTruncated(id, 300, 256);
        _settleInfluence(id);
        uint256 pool = 5 ether;
        uint256 paid;
        for (uint256 i; i < 256; ++i) {
            assertEq(payments.claimable(who[i]), pool * bps[i] / 10_000);
            paid += pool * bps[i] / 10_000;
        }
        for (uint256 i = 256; i < n; ++i) {
            assertEq(payments.claimable(who[i]), 0);
        }
        assertEq(payments.claimable(treasury), PRICE - paid - 3 ether);
    }

    function test_brokenAttributionReverts() public {
        address[] memory who = new address[](2);
        uint16[] memory bps = new uint16[](2);
        (who[0], who[1], bps[0], bps[1]) = (alice, bob, 9000, 2000);
        _forceInfluenceShares(who, bps);
        uint256 id = _pay(infModel);
        vm.prank(modelOwner);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.InvalidAttribution.selector, 11_000));
        payments.settle(id, _sketch(1));
    }

    function test_zeroAddressShareForfeited() public {
        address[] memory who = new address[](1);
        uint16[] memory bps = new uint16[](1);
        (who[0], bps[0]) = (address(0), 10_000);
        _forceInfluenceShares(who, bps);
        uint256 id = _pay(infModel);
        _settleInfluence(id);
        assertEq(payments.claimable(address(0)), 0);
        assertEq(payments.claimable(treasury), 7 ether);
    }

    // ----------------------------------------------------------------- refunds

    function test_refundAfterDeadline() public {
        uint256 id = _pay(infModel);
        uint64 deadline = payments.getInference(id).deadline;
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.SettlementOpen.selector, id, deadline));
        payments.refund(id);
        vm.warp(deadline + 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.NotPayer.selector, id, alice));
        payments.refund(id);
        uint256 before = user.balance;
        vm.expectEmit(address(payments));
        emit InferencePayments.InferenceRefunded(id, user, PRICE);
        vm.prank(user);
        payments.refund(id);
        assertEq(user.balance, before + PRICE);
        // Neither settled nor refunded twice.
        vm.prank(modelOwner);
        vm.expectRevert(
            abi.encodeWithSelector(InferencePayments.NotPending.selector, id, InferencePayments.State.Refunded)
        );
        payments.settle(id, _sketch(1));
        vm.prank(user);
        vm.expectRevert(
            abi.encodeWithSelector(InferencePayments.NotPending.selector, id, InferencePayments.State.Refunded)
        );
        payments.refund(id);
    }

    function test_lateSettlementBeforeRefundStillWorks() public {
        uint256 id = _pay(infModel);
        vm.warp(block.timestamp + WINDOW + 1);
        _settleInfluence(id);
        vm.prank(user);
        vm.expectRevert(
            abi.encodeWithSelector(InferencePayments.NotPending.selector, id, InferencePayments.State.Settled)
        );
        payments.refund(id);
    }

    // ------------------------------------------------------------------ claims

    function test_claimOnce() public {
        _settleInfluence(_pay(infModel));
        uint256 before = alice.balance;
        vm.expectEmit(address(payments));
        emit InferencePayments.Claimed(alice, alice, 2.5 ether);
        vm.prank(alice);
        assertEq(payments.claim(), 2.5 ether);
        assertEq(alice.balance, before + 2.5 ether);
        vm.prank(alice);
        vm.expectRevert(InferencePayments.NothingToClaim.selector);
        payments.claim();
    }

    function test_claimToAndClaimFor() public {
        _settleInfluence(_pay(infModel));
        address sink = makeAddr("sink");
        vm.prank(bob);
        payments.claimTo(sink);
        assertEq(sink.balance, 1.25 ether);
        vm.prank(bob);
        vm.expectRevert(InferencePayments.ZeroAddress.selector);
        payments.claimTo(address(0));
        // Anyone pushes the treasury's balance to the treasury.
        uint256 before = treasury.balance;
        vm.prank(user);
        payments.claimFor(treasury);
        assertEq(treasury.balance, before + 2 ether);
        assertEq(address(payments).balance, 10 ether - 1.25 ether - 2 ether);
    }

    function test_reentrantClaimFails() public {
        ReentrantClaimer r = new ReentrantClaimer(payments);
        address[] memory who = new address[](1);
        uint16[] memory bps = new uint16[](1);
        (who[0], bps[0]) = (address(r), 10_000);
        _forceInfluenceShares(who, bps);
        _settleInfluence(_pay(infModel));
        assertEq(payments.claimable(address(r)), 5 ether);
        vm.expectRevert(InferencePayments.TransferFailed.selector);
        r.doClaim();
        assertEq(payments.claimable(address(r)), 5 ether);
    }

    // -------------------------------------------------------------- governance

    function test_governanceParameters() public {
        InferencePayments.FeeSplit memory s = InferencePayments.FeeSplit(6000, 2000, 1500, 500);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        payments.setFeeSplit(s);
        vm.expectEmit(address(payments));
        emit InferencePayments.FeeSplitUpdated(s);
        vm.startPrank(gov);
        payments.setFeeSplit(s);
        payments.setTreasury(carol);
        payments.setSettlementWindow(2 hours);
        OpenStaking s2 = new OpenStaking(gov, 1 days);
        payments.setStaking(s2);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.InvalidSettlementWindow.selector, 59));
        payments.setSettlementWindow(59);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.InvalidSettlementWindow.selector, 31 days));
        payments.setSettlementWindow(31 days);
        vm.expectRevert(InferencePayments.ZeroAddress.selector);
        payments.setTreasury(address(0));
        vm.expectRevert(InferencePayments.ZeroAddress.selector);
        payments.setStaking(OpenStaking(address(0)));
        vm.stopPrank();
        InferencePayments.FeeSplit memory got = payments.feeSplit();
        assertEq(got.contributors, 6000);
        assertEq(got.treasury, 500);
        assertEq(payments.treasury(), carol);
        assertEq(payments.settlementWindow(), 2 hours);
        assertEq(address(payments.staking()), address(s2));
    }

    function test_constructorRefusesBadSplit() public {
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.InvalidFeeSplit.selector, 9_999));
        new InferencePayments(gov, models, staking, treasury, InferencePayments.FeeSplit(5000, 3000, 1000, 999), WINDOW);
    }

    // -------------------------------------------------------------------- fuzz

    /// Fee splits not summing to 10,000 are refused.
    function testFuzz_badSplitRefused(uint16 a, uint16 b, uint16 c, uint16 d) public {
        uint256 sum = uint256(a) + b + c + d;
        vm.assume(sum != 10_000);
        vm.prank(gov);
        vm.expectRevert(abi.encodeWithSelector(InferencePayments.InvalidFeeSplit.selector, sum));
        payments.setFeeSplit(InferencePayments.FeeSplit(a, b, c, d));
    }

    /// Whatever the fee, the split, the attribution (up to 300 contributors, some blocked, some
    /// repeated as model owner or treasury) and whether anyone stakes, the credits add up to
    /// the fee paid, to the wei, and the contract holds exactly what is claimable.
    function testFuzz_splitSumsToFee(uint128 fee, uint16 c, uint16 o, uint16 st, uint16 n, uint256 seed, bool staked)
        public
    {
        fee = uint128(bound(fee, 0, 1e30));
        c = uint16(bound(c, 0, 10_000));
        o = uint16(bound(o, 0, 10_000 - c));
        st = uint16(bound(st, 0, 10_000 - c - o));
        vm.prank(gov);
        payments.setFeeSplit(InferencePayments.FeeSplit(c, o, st, 10_000 - c - o - st));

        n = uint16(bound(n, 0, 300));
        (address[] memory who, uint16[] memory bps) = _randomShares(n, seed);
        _forceInfluenceShares(who, bps);
        if (n > 2) {
            vm.prank(gov);
            registry.setPayoutBlocked(who[n / 2], true);
        }
        if (staked) _stake(carol, 1 ether);

        vm.prank(modelOwner);
        models.setPrice(infModel, fee);
        vm.deal(user, fee);
        vm.prank(user);
        uint256 id = payments.payInference{value: fee}(infModel, 0);

        uint256 stakingBefore = address(staking).balance;
        vm.prank(modelOwner);
        payments.settle(id, _sketch(1));

        uint256 credited = address(staking).balance - stakingBefore;
        credited += payments.claimable(modelOwner) + payments.claimable(treasury);
        for (uint256 i; i < n; ++i) {
            if (who[i] != modelOwner && who[i] != treasury) credited += payments.claimable(who[i]);
        }
        assertEq(credited, fee);
        assertEq(address(payments).balance, credited - (address(staking).balance - stakingBefore));
    }

    /// Shares as the precompile returns them: n distinct contributors, bps summing to 10,000,
    /// sorted descending. Two of them may collide with the model owner / treasury.
    function _randomShares(uint256 n, uint256 seed) internal view returns (address[] memory who, uint16[] memory bps) {
        who = new address[](n);
        bps = new uint16[](n);
        if (n == 0) return (who, bps);
        uint256 left = 10_000;
        for (uint256 i; i < n; ++i) {
            who[i] = address(uint160(uint256(keccak256(abi.encode(seed, i))) | (1 << 100)));
            uint256 remaining = n - i - 1;
            // leave at least 1 bps for each remaining contributor
            uint256 maxHere = left - remaining;
            uint256 b = i == n - 1 ? left : 1 + uint256(keccak256(abi.encode(seed, i, "b"))) % maxHere;
            // forge-lint: disable-next-line(unsafe-typecast)
            bps[i] = uint16(b);
            left -= b;
        }
        if (n > 3) who[1] = modelOwner;
        if (n > 4) who[3] = treasury;
        // sort descending (the precompile's order) so truncation drops the smallest
        for (uint256 i = 1; i < n; ++i) {
            (address wa, uint16 ba) = (who[i], bps[i]);
            uint256 j = i;
            while (j > 0 && bps[j - 1] < ba) {
                (who[j], bps[j]) = (who[j - 1], bps[j - 1]);
                --j;
            }
            (who[j], bps[j]) = (wa, ba);
        }
    }
}
