// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IInfluenceAttribution} from "../../src/interfaces/IInfluenceAttribution.sol";
import {ITokenAttribution} from "../../src/interfaces/ITokenAttribution.sol";
import {DatanetRegistry} from "../../src/L2/economy/DatanetRegistry.sol";
import {Governed} from "../../src/L2/economy/Governed.sol";
import {Precompiles} from "../../src/L2/economy/Precompiles.sol";
import {EconomySetup} from "./EconomySetup.sol";

contract DatanetRegistryTest is EconomySetup {
    // ----------------------------------------------------------------- create

    function test_createInfluenceDatanet() public {
        vm.expectEmit(address(registry));
        emit DatanetRegistry.DatanetCreated(1, curator, DatanetRegistry.Kind.Influence, 1, DIM, STAKE, "ipfs://datanet");
        uint64 id = _influenceDatanet();
        assertEq(id, 1);
        assertEq(registry.datanetCount(), 1);
        DatanetRegistry.Datanet memory d = registry.getDatanet(id);
        assertEq(d.owner, curator);
        assertEq(uint8(d.kind), uint8(DatanetRegistry.Kind.Influence));
        assertEq(d.dim, DIM);
        assertEq(d.precompileId, 1);
        assertEq(d.stake, STAKE);
        assertEq(d.uri, "ipfs://datanet");
        // The registry owns the precompile datanet.
        (address owner, uint16 dim,,) = influence.datanetInfo(1);
        assertEq(owner, address(registry));
        assertEq(dim, DIM);
    }

    function test_createTokenDatanet() public {
        _influenceDatanet();
        uint64 id = _tokenDatanet();
        assertEq(id, 2);
        (DatanetRegistry.Kind kind, uint64 pid) = registry.attributionIndex(id);
        assertEq(uint8(kind), uint8(DatanetRegistry.Kind.Token));
        assertEq(pid, 1); // first token datanet in its precompile
        (address owner,,) = tokenAttr.datanetInfo(1);
        assertEq(owner, address(registry));
    }

    function test_createRejectsBadDimensions() public {
        vm.prank(curator);
        vm.expectRevert(abi.encodeWithSelector(IInfluenceAttribution.InvalidDimension.selector, 63));
        registry.createDatanet(DatanetRegistry.Kind.Influence, 63, STAKE, "");
        vm.prank(curator);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.InvalidDimension.selector, 64));
        registry.createDatanet(DatanetRegistry.Kind.Token, 64, STAKE, "");
    }

    function test_curatorSettings() public {
        uint64 id = _influenceDatanet();
        vm.startPrank(curator);
        registry.setDatanetStake(id, 2 ether);
        registry.setDatanetURI(id, "ipfs://v2");
        registry.transferDatanet(id, alice);
        vm.stopPrank();
        DatanetRegistry.Datanet memory d = registry.getDatanet(id);
        assertEq(d.stake, 2 ether);
        assertEq(d.uri, "ipfs://v2");
        assertEq(d.owner, alice);

        vm.startPrank(curator);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.NotCurator.selector, id, curator));
        registry.setDatanetStake(id, 0);
        vm.stopPrank();
        vm.prank(alice);
        vm.expectRevert(DatanetRegistry.ZeroAddress.selector);
        registry.transferDatanet(id, address(0));
    }

    function test_unknownDatanetReverts() public {
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.UnknownDatanet.selector, 7));
        registry.getDatanet(7);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.UnknownDatanet.selector, 7));
        registry.contributeSketch{value: STAKE}(7, _sketch(1));
    }

    // ------------------------------------------------------------- contribute

    function _scoreShares(uint64 precompileId) internal view returns (IInfluenceAttribution.Share[] memory shares) {
        uint64[] memory ids = new uint64[](1);
        ids[0] = precompileId;
        (shares,) = influence.score(ids, _sketch(9), 0, 0);
    }

    function test_contributeSketchCommitsAndAcceptRegisters() public {
        uint64 id = _influenceDatanet();
        vm.expectEmit(address(registry));
        emit DatanetRegistry.Contributed(1, id, alice, STAKE, keccak256(_sketch(1)));
        uint256 c = _submitSketch(alice, id, 1);
        assertEq(c, 1);
        _submitSketch(bob, id, 2);
        DatanetRegistry.Contribution memory k = registry.getContribution(2);
        assertEq(k.contributor, bob);
        assertEq(uint8(k.status), uint8(DatanetRegistry.Status.Pending));
        assertEq(k.datanetId, id);
        assertEq(k.stake, STAKE);
        assertEq(k.dataHash, keccak256(_sketch(2)));
        assertEq(address(registry).balance, 2 * STAKE);
        // Nothing in the index before a curator accepts.
        (,, uint32 points,) = influence.datanetInfo(1);
        assertEq(points, 0);

        vm.expectEmit(address(registry));
        emit DatanetRegistry.ContributionAccepted(2, id, 0, 1);
        vm.prank(curator);
        registry.acceptSketch(2, _sketch(2));
        vm.prank(curator);
        registry.acceptSketch(1, _sketch(1));
        k = registry.getContribution(1);
        assertEq(k.firstIndex, 1);
        assertEq(k.count, 1);
        uint32 contributors;
        (,, points, contributors) = influence.datanetInfo(1);
        assertEq(points, 2);
        assertEq(contributors, 2);
    }

    function test_contributeDocuments() public {
        uint64 id = _tokenDatanet();
        _contributeDocs(alice, id, 2);
        uint256 c = _contributeDocs(bob, id, 3);
        DatanetRegistry.Contribution memory k = registry.getContribution(c);
        assertEq(k.firstIndex, 2);
        assertEq(k.count, 3);
        (, uint32 docs, uint64 tokens) = tokenAttr.datanetInfo(1);
        assertEq(docs, 5);
        assertEq(tokens, 15);
    }

    function test_contributeWrongStakeKindOrLength() public {
        uint64 inf = _influenceDatanet();
        uint64 tok = _tokenDatanet();
        bytes memory sk = _sketch(1);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.WrongStake.selector, STAKE, STAKE - 1));
        registry.contributeSketch{value: STAKE - 1}(inf, sk);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.WrongKind.selector, tok, DatanetRegistry.Kind.Token));
        registry.contributeSketch{value: STAKE}(tok, sk);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.WrongKind.selector, inf, DatanetRegistry.Kind.Influence));
        registry.contributeDocuments{value: STAKE}(inf, new uint32[](0), "");
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.DataLength.selector, DIM, 3));
        registry.contributeSketch{value: STAKE}(inf, hex"010203");
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.DataLength.selector, 0, 0));
        registry.contributeDocuments{value: STAKE}(tok, new uint32[](0), "");
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.DataLength.selector, 12, 8));
        registry.contributeDocuments{value: STAKE}(tok, _docLengths(1), new bytes(8));
        vm.stopPrank();
        assertEq(registry.contributionCount(), 0);
        assertEq(address(registry).balance, 0);
    }

    function test_acceptNeedsTheCommittedDataAndPrecompileErrorsBubbleUp() public {
        uint64 inf = _influenceDatanet();
        uint64 tok = _tokenDatanet();
        uint256 a = _submitSketch(alice, inf, 1);
        uint256 d = _submitDocs(bob, tok, 1);
        vm.startPrank(curator);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.DataMismatch.selector, a));
        registry.acceptSketch(a, _sketch(2));
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.DataMismatch.selector, d));
        registry.acceptDocuments(d, _docLengths(1), _tokens(3, 2));
        // Right data, wrong kind of accept: the hashes differ, so the data never matches.
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.DataMismatch.selector, a));
        registry.acceptDocuments(a, _docLengths(1), _tokens(3, 1));
        vm.stopPrank();
        // The precompile's own limits (a zero-length document) bubble up at accept.
        uint32[] memory lengths = new uint32[](2);
        lengths[0] = 0;
        lengths[1] = 3;
        vm.prank(bob);
        uint256 z = registry.contributeDocuments{value: STAKE}(tok, lengths, _tokens(3, 1));
        vm.prank(curator);
        vm.expectRevert();
        registry.acceptDocuments(z, lengths, _tokens(3, 1));
        assertEq(uint8(registry.getContribution(z).status), uint8(DatanetRegistry.Status.Pending));
    }

    function test_zeroStakeDatanet() public {
        vm.prank(curator);
        uint64 id = registry.createDatanet(DatanetRegistry.Kind.Influence, DIM, 0, "");
        vm.prank(alice);
        uint256 c = registry.contributeSketch(id, _sketch(1));
        vm.prank(curator);
        registry.reject(c);
        vm.prank(alice);
        registry.withdrawStake(c); // nothing to send, still closes the contribution
        assertEq(uint8(registry.getContribution(c).status), uint8(DatanetRegistry.Status.Withdrawn));
    }

    // ---------------------------------------------------------------- curation

    function test_acceptAndReject() public {
        uint64 id = _influenceDatanet();
        uint256 a = _submitSketch(alice, id, 1);
        uint256 b = _submitSketch(bob, id, 2);

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.NotCurator.selector, id, alice));
        registry.acceptSketch(a, _sketch(1));

        vm.prank(curator);
        registry.acceptSketch(a, _sketch(1));
        vm.expectEmit(address(registry));
        emit DatanetRegistry.ContributionRejected(b, id);
        vm.prank(curator);
        registry.reject(b);

        vm.startPrank(curator);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, a, DatanetRegistry.Status.Accepted)
        );
        registry.reject(a);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, b, DatanetRegistry.Status.Rejected)
        );
        registry.acceptSketch(b, _sketch(2));
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.UnknownContribution.selector, 9));
        registry.acceptSketch(9, _sketch(1));
        vm.stopPrank();
    }

    /// Review finding 2 (related): a contribution the curator never accepted took 2,222 bps of a
    /// settlement. Pending data is not in the index, so it earns nothing until accepted.
    function test_pendingDataEarnsNothingUntilAccepted() public {
        uint64 id = _influenceDatanet();
        _contributeSketch(alice, id, 1);
        uint256 pending = _submitSketch(bob, id, 2);
        IInfluenceAttribution.Share[] memory shares = _scoreShares(1);
        assertEq(shares.length, 1);
        assertEq(shares[0].contributor, alice);
        assertEq(shares[0].bps, 10_000);
        vm.prank(curator);
        registry.acceptSketch(pending, _sketch(2));
        shares = _scoreShares(1);
        assertEq(shares.length, 2, "accepted data earns");
    }

    function test_rejectedStakeWithdrawableAtOnce() public {
        uint64 id = _influenceDatanet();
        uint256 c = _submitSketch(alice, id, 1);
        vm.prank(curator);
        registry.reject(c);
        uint256 before = alice.balance;
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.NotContributor.selector, c, bob));
        registry.withdrawStake(c);
        vm.expectEmit(address(registry));
        emit DatanetRegistry.StakeWithdrawn(c, alice, STAKE);
        vm.prank(alice);
        registry.withdrawStake(c);
        assertEq(alice.balance, before + STAKE);
        // Never twice.
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, c, DatanetRegistry.Status.Withdrawn)
        );
        registry.withdrawStake(c);
    }

    // ------------------------------------------------------------------ unbond

    function test_unbondThenWithdrawAfterDelay() public {
        uint64 id = _influenceDatanet();
        uint256 c = _contributeSketch(alice, id, 1);

        // Accepted stake cannot be withdrawn without unbonding.
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, c, DatanetRegistry.Status.Accepted)
        );
        registry.withdrawStake(c);

        uint64 unlockAt = uint64(block.timestamp) + UNBONDING;
        vm.expectEmit(address(registry));
        emit DatanetRegistry.UnbondRequested(c, alice, unlockAt);
        vm.prank(alice);
        registry.requestUnbond(c);
        // The data stops earning as soon as its stake stops backing it.
        assertTrue(influence.excluded(1, 0));
        assertEq(_scoreShares(1).length, 0);

        vm.warp(unlockAt - 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.StillUnbonding.selector, c, unlockAt));
        registry.withdrawStake(c);

        vm.warp(unlockAt);
        uint256 before = alice.balance;
        vm.prank(alice);
        registry.withdrawStake(c);
        assertEq(alice.balance, before + STAKE);
        assertEq(address(registry).balance, 0);
    }

    /// Review finding 2: unbonding straight from Pending let bad data escape the curator.
    function test_pendingCannotUnbond() public {
        uint64 id = _influenceDatanet();
        uint256 c = _submitSketch(alice, id, 1);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, c, DatanetRegistry.Status.Pending)
        );
        registry.requestUnbond(c);
        vm.prank(curator);
        registry.acceptSketch(c, _sketch(1));
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.NotContributor.selector, c, bob));
        registry.requestUnbond(c);
        vm.prank(alice);
        registry.requestUnbond(c);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, c, DatanetRegistry.Status.Unbonding)
        );
        registry.requestUnbond(c);
    }

    function test_slashAndFreezeExcludeTheDataInThePrecompile() public {
        uint64 id = _influenceDatanet();
        _contributeSketch(alice, id, 1);
        uint256 b = _contributeSketch(bob, id, 2);
        uint256 c = _contributeSketch(carol, id, 3);
        vm.prank(curator);
        vm.expectEmit(Precompiles.INFLUENCE);
        emit IInfluenceAttribution.PointsExcluded(1, 1, 1);
        registry.freeze(b);
        assertTrue(influence.excluded(1, 1));
        assertFalse(influence.excluded(1, 0));
        vm.prank(gov);
        registry.slash(c);
        assertTrue(influence.excluded(1, 2));
        // Slashing frozen data does not exclude it twice; accepted data keeps earning.
        vm.prank(gov);
        registry.slash(b);
        IInfluenceAttribution.Share[] memory shares = _scoreShares(1);
        assertEq(shares.length, 1);
        assertEq(shares[0].contributor, alice);
        assertEq(shares[0].bps, 10_000);

        uint64 t = _tokenDatanet();
        _contributeDocs(alice, t, 2);
        uint256 d = _contributeDocs(bob, t, 3);
        vm.prank(gov);
        vm.expectEmit(Precompiles.TOKEN_ATTRIBUTION);
        emit ITokenAttribution.DocumentsExcluded(1, 2, 3);
        registry.slash(d);
        assertTrue(tokenAttr.excluded(1, 4));
        assertFalse(tokenAttr.excluded(1, 1));
    }

    // ----------------------------------------------------------------- freezing

    /// Review finding 2: a slash needs a governance vote (10 days with the deploy defaults) but
    /// unbonding took 7, so a contributor always withdrew first and its data kept earning. A
    /// freeze by the curator holds the stake past the vote and takes the data out at once.
    function test_freezeMakesTheSlashReachableBeforeUnbondingEnds() public {
        uint64 id = _influenceDatanet();
        uint256 c = _contributeSketch(alice, id, 1);
        _contributeSketch(bob, id, 2);
        vm.prank(alice);
        registry.requestUnbond(c); // the bad contributor runs as soon as it is found out

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.NotCuratorOrGovernance.selector, c, alice));
        registry.freeze(c);
        uint64 frozenUntil = uint64(block.timestamp) + registry.freezePeriod();
        vm.expectEmit(address(registry));
        emit DatanetRegistry.ContributionFrozen(c, curator, frozenUntil);
        vm.prank(curator);
        registry.freeze(c);
        assertGt(registry.freezePeriod(), 10 days, "longer than a governance vote");

        vm.warp(block.timestamp + UNBONDING);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.Frozen.selector, c, frozenUntil));
        registry.withdrawStake(c);

        vm.warp(block.timestamp + 3 days); // the vote and the timelock are done
        vm.prank(gov);
        registry.slash(c);
        vm.prank(gov);
        registry.setPayoutBlocked(alice, true); // the same proposal can block payouts too
        assertEq(registry.slashedAccrued(), STAKE);
        IInfluenceAttribution.Share[] memory shares = _scoreShares(1);
        assertEq(shares.length, 1);
        assertEq(shares[0].contributor, bob);
    }

    function test_freezeExpiresOrGovernanceReleasesIt() public {
        uint64 id = _influenceDatanet();
        uint256 a = _contributeSketch(alice, id, 1);
        uint256 p = _submitSketch(bob, id, 2);
        vm.startPrank(curator);
        registry.freeze(a);
        registry.freeze(p);
        // Frozen pending data never enters the index; the curator may still reject it.
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.Frozen.selector, p, block.timestamp + 21 days));
        registry.acceptSketch(p, _sketch(2));
        registry.reject(p);
        vm.stopPrank();
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.Frozen.selector, p, block.timestamp + 21 days));
        registry.withdrawStake(p);

        vm.prank(alice);
        registry.requestUnbond(a);
        vm.warp(block.timestamp + 21 days);
        vm.prank(alice);
        registry.withdrawStake(a); // the freeze ran out without a slash
        vm.prank(gov);
        registry.unfreeze(p);
        vm.prank(bob);
        registry.withdrawStake(p);
        assertEq(address(registry).balance, 0);
        vm.prank(gov);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, p, DatanetRegistry.Status.Withdrawn)
        );
        registry.unfreeze(p);
    }

    // ----------------------------------------------------------------- slashing

    function test_slashSendsStakeToTreasury() public {
        uint64 id = _influenceDatanet();
        uint256 a = _submitSketch(alice, id, 1); // pending
        uint256 b = _contributeSketch(bob, id, 2); // unbonding
        uint256 c = _submitSketch(carol, id, 3); // rejected, not withdrawn
        vm.prank(bob);
        registry.requestUnbond(b);
        vm.prank(curator);
        registry.reject(c);

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        registry.slash(a);

        vm.expectEmit(address(registry));
        emit DatanetRegistry.ContributionSlashed(a, alice, STAKE);
        vm.startPrank(gov);
        registry.slash(a);
        registry.slash(b);
        registry.slash(c);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, a, DatanetRegistry.Status.Slashed)
        );
        registry.slash(a);
        vm.stopPrank();
        assertEq(registry.slashedAccrued(), 3 * STAKE);

        // Slashed stake can no longer be withdrawn.
        vm.warp(block.timestamp + UNBONDING);
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, b, DatanetRegistry.Status.Slashed)
        );
        registry.withdrawStake(b);

        // Anyone sweeps it to the treasury.
        vm.expectEmit(address(registry));
        emit DatanetRegistry.SlashedSwept(treasury, 3 * STAKE);
        registry.sweepSlashed();
        assertEq(treasury.balance, 1_000_000 ether + 3 * STAKE);
        assertEq(address(registry).balance, 0);
        vm.expectRevert(DatanetRegistry.NothingToSweep.selector);
        registry.sweepSlashed();
    }

    function test_withdrawnStakeCannotBeSlashed() public {
        uint64 id = _influenceDatanet();
        uint256 c = _submitSketch(alice, id, 1);
        vm.prank(curator);
        registry.reject(c);
        vm.prank(alice);
        registry.withdrawStake(c);
        vm.prank(gov);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, c, DatanetRegistry.Status.Withdrawn)
        );
        registry.slash(c);
        vm.prank(gov);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.UnknownContribution.selector, 5));
        registry.slash(5);
    }

    // --------------------------------------------------------------- governance

    function test_governanceParameters() public {
        vm.startPrank(gov);
        registry.setPayoutBlocked(alice, true);
        assertTrue(registry.isPayoutBlocked(alice));
        registry.setPayoutBlocked(alice, false);
        assertFalse(registry.isPayoutBlocked(alice));
        registry.setUnbondingPeriod(14 days);
        assertEq(registry.unbondingPeriod(), 14 days);
        registry.setFreezePeriod(30 days);
        assertEq(registry.freezePeriod(), 30 days);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.UnbondingTooLong.selector, 91 days, 90 days));
        registry.setFreezePeriod(91 days);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.UnbondingTooLong.selector, 91 days, 90 days));
        registry.setUnbondingPeriod(91 days);
        registry.setTreasury(bob);
        assertEq(registry.treasury(), bob);
        vm.expectRevert(DatanetRegistry.ZeroAddress.selector);
        registry.setTreasury(address(0));
        vm.expectRevert(Governed.RenounceDisabled.selector);
        registry.renounceOwnership();
        vm.stopPrank();

        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        registry.setPayoutBlocked(alice, true);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        registry.setUnbondingPeriod(1);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        registry.setTreasury(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        registry.setFreezePeriod(1);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        registry.unfreeze(1);
        vm.stopPrank();
    }

    function test_newUnbondingPeriodAppliesToLaterRequests() public {
        uint64 id = _influenceDatanet();
        uint256 c = _contributeSketch(alice, id, 1);
        vm.prank(alice);
        registry.requestUnbond(c);
        vm.prank(gov);
        registry.setUnbondingPeriod(30 days);
        assertEq(registry.getContribution(c).unlockAt, block.timestamp + UNBONDING);
    }

    function test_ownershipTwoStep() public {
        vm.prank(gov);
        registry.transferOwnership(alice);
        assertEq(registry.owner(), gov);
        vm.prank(alice);
        registry.acceptOwnership();
        assertEq(registry.owner(), alice);
    }

    function testFuzz_stakeConserved(uint8 n, uint256 seed) public {
        n = uint8(bound(n, 1, 20));
        uint64 id = _influenceDatanet();
        address[3] memory who = [alice, bob, carol];
        uint256 held;
        uint256 slashed;
        for (uint256 i; i < n; ++i) {
            uint256 c = _submitSketch(who[i % 3], id, i);
            held += STAKE;
            uint256 action = uint256(keccak256(abi.encode(seed, i))) % 4;
            if (action == 1) {
                vm.prank(curator);
                registry.reject(c);
                vm.prank(who[i % 3]);
                registry.withdrawStake(c);
                held -= STAKE;
            } else if (action == 2) {
                vm.prank(gov);
                registry.slash(c);
                slashed += STAKE;
            } else if (action == 3) {
                vm.prank(curator);
                registry.acceptSketch(c, _sketch(i));
            }
        }
        // Held stake (including slashed stake not yet swept) is all here, to the wei.
        assertEq(address(registry).balance, held);
        assertEq(registry.slashedAccrued(), slashed);
    }
}
