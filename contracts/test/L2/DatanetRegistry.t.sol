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

    function test_contributeSketch() public {
        uint64 id = _influenceDatanet();
        vm.expectEmit(address(registry));
        emit DatanetRegistry.Contributed(1, id, alice, STAKE, 0, 1);
        uint256 c = _contributeSketch(alice, id, 1);
        assertEq(c, 1);
        _contributeSketch(bob, id, 2);
        DatanetRegistry.Contribution memory k = registry.getContribution(2);
        assertEq(k.contributor, bob);
        assertEq(uint8(k.status), uint8(DatanetRegistry.Status.Pending));
        assertEq(k.datanetId, id);
        assertEq(k.stake, STAKE);
        assertEq(k.firstIndex, 1);
        assertEq(k.count, 1);
        assertEq(address(registry).balance, 2 * STAKE);
        (,, uint32 points, uint32 contributors) = influence.datanetInfo(1);
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

    function test_contributeWrongStakeOrKind() public {
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
        vm.stopPrank();
    }

    function test_contributePrecompileErrorsBubbleUp() public {
        uint64 inf = _influenceDatanet();
        uint64 tok = _tokenDatanet();
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IInfluenceAttribution.BatchLength.selector, 1, DIM, 3));
        registry.contributeSketch{value: STAKE}(inf, hex"010203");
        vm.expectRevert(ITokenAttribution.NoDocuments.selector);
        registry.contributeDocuments{value: STAKE}(tok, new uint32[](0), "");
        vm.stopPrank();
        assertEq(registry.contributionCount(), 0);
        assertEq(address(registry).balance, 0);
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
        uint256 a = _contributeSketch(alice, id, 1);
        uint256 b = _contributeSketch(bob, id, 2);

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.NotCurator.selector, id, alice));
        registry.accept(a);

        vm.expectEmit(address(registry));
        emit DatanetRegistry.ContributionAccepted(a, id);
        vm.prank(curator);
        registry.accept(a);
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
        registry.accept(b);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.UnknownContribution.selector, 9));
        registry.accept(9);
        vm.stopPrank();
    }

    function test_rejectedStakeWithdrawableAtOnce() public {
        uint64 id = _influenceDatanet();
        uint256 c = _contributeSketch(alice, id, 1);
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
        vm.prank(curator);
        registry.accept(c);

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

    function test_pendingCanUnbondButCuratorCannotDecideAfterwards() public {
        uint64 id = _influenceDatanet();
        uint256 c = _contributeSketch(alice, id, 1);
        vm.prank(alice);
        registry.requestUnbond(c);
        vm.prank(curator);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, c, DatanetRegistry.Status.Unbonding)
        );
        registry.accept(c);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(DatanetRegistry.InvalidStatus.selector, c, DatanetRegistry.Status.Unbonding)
        );
        registry.requestUnbond(c);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.NotContributor.selector, c, bob));
        registry.requestUnbond(c);
    }

    function test_rejectAndSlashExcludeTheDataInThePrecompile() public {
        uint64 id = _influenceDatanet();
        uint256 a = _contributeSketch(alice, id, 1);
        uint256 b = _contributeSketch(bob, id, 2);
        uint256 c = _contributeSketch(carol, id, 3);
        vm.prank(curator);
        vm.expectEmit(Precompiles.INFLUENCE);
        emit IInfluenceAttribution.PointsExcluded(1, 1, 1);
        registry.reject(b);
        assertTrue(influence.excluded(1, 1));
        assertFalse(influence.excluded(1, 0));
        vm.prank(gov);
        registry.slash(c);
        assertTrue(influence.excluded(1, 2));
        // Slashing a rejected contribution does not exclude it twice; accepted data keeps earning.
        vm.prank(gov);
        registry.slash(b);
        assertFalse(influence.excluded(1, 0));
        uint64[] memory ids = new uint64[](1);
        ids[0] = 1;
        (IInfluenceAttribution.Share[] memory shares,) = influence.score(ids, _sketch(9), 0, 0);
        assertEq(shares.length, 1);
        assertEq(shares[0].contributor, alice);
        assertEq(shares[0].bps, 10_000);
        a;

        uint64 t = _tokenDatanet();
        _contributeDocs(alice, t, 2);
        uint256 d = _contributeDocs(bob, t, 3);
        vm.prank(curator);
        vm.expectEmit(Precompiles.TOKEN_ATTRIBUTION);
        emit ITokenAttribution.DocumentsExcluded(1, 2, 3);
        registry.reject(d);
        assertTrue(tokenAttr.excluded(1, 4));
        assertFalse(tokenAttr.excluded(1, 1));
    }

    // ----------------------------------------------------------------- slashing

    function test_slashSendsStakeToTreasury() public {
        uint64 id = _influenceDatanet();
        uint256 a = _contributeSketch(alice, id, 1); // pending
        uint256 b = _contributeSketch(bob, id, 2); // unbonding
        uint256 c = _contributeSketch(carol, id, 3); // rejected, not withdrawn
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
        uint256 c = _contributeSketch(alice, id, 1);
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
            uint256 c = _contributeSketch(who[i % 3], id, i);
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
                registry.accept(c);
            }
        }
        // Held stake (including slashed stake not yet swept) is all here, to the wei.
        assertEq(address(registry).balance, held);
        assertEq(registry.slashedAccrued(), slashed);
    }
}
