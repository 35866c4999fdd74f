// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {SettlementInbox} from "../../src/L1/SettlementInbox.sol";
import {IVerifier} from "../../src/L1/IVerifier.sol";
import {AttestationVerifier} from "../../src/L1/AttestationVerifier.sol";
import {L1Setup} from "./L1Setup.sol";

contract RejectingVerifier is IVerifier {
    function verify(bytes32, uint256, uint256, bytes calldata) external pure returns (bool) {
        return false;
    }
}

/// @dev A contract the batcher might use as a wallet: its calls are not the transaction's input.
contract BatcherWallet {
    function submit(SettlementInbox _inbox, bytes calldata _data) external {
        _inbox.submitBatch(_data);
    }
}

contract SettlementInboxTest is L1Setup {
    event BatchSubmitted(
        uint256 indexed batchIndex, uint256 indexed l1BlockNumber, bytes32 dataHash, uint256 dataLength
    );
    event BlobBatchSubmitted(uint256 indexed batchIndex, uint256 indexed l1BlockNumber, bytes32[] blobHashes);
    event OutputProposed(
        bytes32 indexed outputRoot, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, uint256 l1Timestamp
    );
    event OutputsDeleted(uint256 indexed prevNextOutputIndex, uint256 indexed newNextOutputIndex);
    event BatcherUpdated(address indexed previousBatcher, address indexed newBatcher);
    event VerifierUpdated(address indexed previousVerifier, address indexed newVerifier);

    function _isRole(address _a) internal view returns (bool) {
        return _a == owner || _a == batcher || _a == proposer || _a == guardian;
    }

    // -------------------------------------------------------------------------------------
    // Construction and roles
    // -------------------------------------------------------------------------------------

    function test_constructor() public view {
        assertEq(inbox.owner(), owner);
        assertEq(inbox.batcher(), batcher);
        assertEq(inbox.proposer(), proposer);
        assertEq(inbox.guardian(), guardian);
        assertEq(address(inbox.verifier()), address(verifier));
        assertEq(inbox.challengeWindow(), CHALLENGE_WINDOW);
        assertEq(inbox.startingBlockNumber(), 0);
        assertEq(inbox.latestBlockNumber(), 0);
        assertEq(inbox.nextOutputIndex(), 0);
        assertEq(inbox.batchCount(), 0);
    }

    function test_constructor_rejectsZeroVerifier() public {
        vm.expectRevert(SettlementInbox.ZeroVerifier.selector);
        new SettlementInbox(owner, batcher, proposer, guardian, IVerifier(address(0)), 1, 0);
    }

    function test_setRoles_byOwner() public {
        address next = makeAddr("next");
        vm.startPrank(owner);
        vm.expectEmit(true, true, false, false, address(inbox));
        emit BatcherUpdated(batcher, next);
        inbox.setBatcher(next);
        inbox.setProposer(next);
        inbox.setGuardian(next);
        AttestationVerifier v2 = new AttestationVerifier(next);
        vm.expectEmit(true, true, false, false, address(inbox));
        emit VerifierUpdated(address(verifier), address(v2));
        inbox.setVerifier(v2);
        vm.expectRevert(SettlementInbox.ZeroVerifier.selector);
        inbox.setVerifier(IVerifier(address(0)));
        vm.stopPrank();
        assertEq(inbox.batcher(), next);
        assertEq(inbox.proposer(), next);
        assertEq(inbox.guardian(), next);
        assertEq(address(inbox.verifier()), address(v2));
    }

    function testFuzz_setRoles_onlyOwner(address _caller) public {
        vm.assume(_caller != owner);
        vm.startPrank(_caller);
        bytes memory err = abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, _caller);
        vm.expectRevert(err);
        inbox.setBatcher(_caller);
        vm.expectRevert(err);
        inbox.setProposer(_caller);
        vm.expectRevert(err);
        inbox.setGuardian(_caller);
        vm.expectRevert(err);
        inbox.setVerifier(IVerifier(_caller));
        vm.stopPrank();
    }

    function test_ownership_twoStep() public {
        address next = makeAddr("next owner");
        vm.prank(owner);
        inbox.transferOwnership(next);
        assertEq(inbox.owner(), owner);
        assertEq(inbox.pendingOwner(), next);
        vm.prank(owner);
        inbox.setBatcher(alice); // the old owner still rules until acceptance
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        inbox.acceptOwnership();
        vm.prank(next);
        inbox.acceptOwnership();
        assertEq(inbox.owner(), next);
        vm.prank(owner);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, owner));
        inbox.setBatcher(owner);
    }

    function test_renounceOwnership_disabled() public {
        vm.prank(owner);
        vm.expectRevert(SettlementInbox.RenounceDisabled.selector);
        inbox.renounceOwnership();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, alice));
        inbox.renounceOwnership();
        assertEq(inbox.owner(), owner);
    }

    // -------------------------------------------------------------------------------------
    // Batches
    // -------------------------------------------------------------------------------------

    function test_submitBatch() public {
        bytes memory data = hex"00deadbeef";
        vm.roll(100);
        vm.expectEmit(true, true, false, true, address(inbox));
        emit BatchSubmitted(0, 100, keccak256(data), data.length);
        vm.prank(batcher, batcher);
        inbox.submitBatch(data);

        assertEq(inbox.batchCount(), 1);
        bytes32 acc = keccak256(abi.encode(bytes32(0), uint256(0), uint256(100), uint8(0), keccak256(data)));
        assertEq(inbox.batchAccumulator(), acc);

        vm.roll(101);
        vm.expectEmit(true, true, false, true, address(inbox));
        emit BatchSubmitted(1, 101, keccak256(""), 0);
        vm.prank(batcher, batcher);
        inbox.submitBatch("");
        assertEq(inbox.batchCount(), 2);
        assertEq(
            inbox.batchAccumulator(), keccak256(abi.encode(acc, uint256(1), uint256(101), uint8(0), keccak256("")))
        );
    }

    function testFuzz_submitBatch_unauthorizedRefused(address _caller, bytes calldata _data) public {
        vm.assume(_caller != batcher);
        vm.prank(_caller, _caller);
        vm.expectRevert(SettlementInbox.NotBatcher.selector);
        inbox.submitBatch(_data);
        vm.prank(_caller, _caller);
        vm.expectRevert(SettlementInbox.NotBatcher.selector);
        inbox.submitBlobBatch(1);
        assertEq(inbox.batchCount(), 0);
    }

    function test_submitBatch_mustComeFromEOA() public {
        BatcherWallet wallet = new BatcherWallet();
        vm.prank(owner);
        inbox.setBatcher(address(wallet));
        vm.prank(alice, alice);
        vm.expectRevert(SettlementInbox.BatcherNotEOA.selector);
        wallet.submit(inbox, hex"01");
    }

    function test_submitBlobBatch() public {
        bytes32[] memory hashes = new bytes32[](3);
        hashes[0] = bytes32(uint256(0x01) << 248 | 1);
        hashes[1] = bytes32(uint256(0x01) << 248 | 2);
        hashes[2] = bytes32(uint256(0x01) << 248 | 3);
        vm.blobhashes(hashes);
        vm.roll(7);

        bytes32[] memory two = new bytes32[](2);
        two[0] = hashes[0];
        two[1] = hashes[1];
        vm.expectEmit(true, true, false, true, address(inbox));
        emit BlobBatchSubmitted(0, 7, two);
        vm.prank(batcher);
        inbox.submitBlobBatch(2);

        assertEq(inbox.batchCount(), 1);
        assertEq(
            inbox.batchAccumulator(),
            keccak256(abi.encode(bytes32(0), uint256(0), uint256(7), uint8(1), keccak256(abi.encodePacked(two))))
        );

        vm.expectEmit(true, true, false, true, address(inbox));
        emit BlobBatchSubmitted(1, 7, hashes);
        vm.prank(batcher);
        inbox.submitBlobBatch(3);
        assertEq(inbox.batchCount(), 2);
    }

    function test_submitBlobBatch_missingBlobs() public {
        vm.prank(batcher);
        vm.expectRevert(SettlementInbox.NoBlobs.selector);
        inbox.submitBlobBatch(0);

        vm.prank(batcher);
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.MissingBlob.selector, 0));
        inbox.submitBlobBatch(1);

        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = bytes32(uint256(0x01) << 248 | 9);
        vm.blobhashes(hashes);
        vm.prank(batcher);
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.MissingBlob.selector, 1));
        inbox.submitBlobBatch(2);
    }

    // -------------------------------------------------------------------------------------
    // Outputs
    // -------------------------------------------------------------------------------------

    function test_proposeOutput() public {
        bytes32 root = keccak256("output 10");
        bytes memory sig = _attest(proverKey, address(inbox), root, 10);
        vm.warp(1000);
        vm.expectEmit(true, true, true, true, address(inbox));
        emit OutputProposed(root, 0, 10, 1000);
        vm.prank(proposer);
        inbox.proposeOutput(root, 10, bytes32(0), 0, sig);

        SettlementInbox.OutputProposal memory o = inbox.getOutput(0);
        assertEq(o.outputRoot, root);
        assertEq(o.timestamp, 1000);
        assertEq(o.l2BlockNumber, 10);
        assertEq(inbox.nextOutputIndex(), 1);
        assertEq(inbox.latestOutputIndex(), 0);
        assertEq(inbox.latestBlockNumber(), 10);
    }

    function testFuzz_proposeOutput_unauthorizedRefused(address _caller) public {
        vm.assume(_caller != proposer);
        bytes32 root = keccak256("root");
        bytes memory sig = _attest(proverKey, address(inbox), root, 1);
        vm.prank(_caller);
        vm.expectRevert(SettlementInbox.NotProposer.selector);
        inbox.proposeOutput(root, 1, bytes32(0), 0, sig);
        assertEq(inbox.nextOutputIndex(), 0);
    }

    function testFuzz_proposeOutput_blocksMustIncrease(uint256 _first, uint256 _second) public {
        _first = bound(_first, 1, type(uint128).max);
        _propose(keccak256("a"), _first);
        _second = bound(_second, 0, _first);
        bytes32 root = keccak256("b");
        bytes memory sig = _attest(proverKey, address(inbox), root, _second);
        vm.prank(proposer);
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.BlockNumberNotIncreasing.selector, _second, _first));
        inbox.proposeOutput(root, _second, bytes32(0), 0, sig);
    }

    function test_proposeOutput_startingBlock() public {
        SettlementInbox later = new SettlementInbox(owner, batcher, proposer, guardian, verifier, 1, 500);
        assertEq(later.latestBlockNumber(), 500);
        bytes32 root = keccak256("root");
        bytes memory at500 = _attest(proverKey, address(later), root, 500);
        bytes memory at501 = _attest(proverKey, address(later), root, 501);
        vm.startPrank(proposer);
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.BlockNumberNotIncreasing.selector, 500, 500));
        later.proposeOutput(root, 500, bytes32(0), 0, at500);
        later.proposeOutput(root, 501, bytes32(0), 0, at501);
        vm.stopPrank();
        assertEq(later.latestBlockNumber(), 501);
    }

    function test_proposeOutput_rejections() public {
        bytes32 root = keccak256("root");
        // Signed before any expectRevert: `_attest` reads the inbox's next index.
        bytes memory zeroRoot = _attest(proverKey, address(inbox), bytes32(0), 1);
        bytes memory bySomeoneElse = _attest(0xB0B, address(inbox), root, 1);
        bytes memory forBlockOne = _attest(proverKey, address(inbox), root, 1);
        bytes memory forOtherInbox = _attest(proverKey, address(0x1234), root, 1);
        vm.startPrank(proposer);

        vm.expectRevert(SettlementInbox.ZeroOutputRoot.selector);
        inbox.proposeOutput(bytes32(0), 1, bytes32(0), 0, zeroRoot);

        // Signed by someone else.
        vm.expectRevert(SettlementInbox.InvalidProof.selector);
        inbox.proposeOutput(root, 1, bytes32(0), 0, bySomeoneElse);

        // Signed for another block or another inbox.
        vm.expectRevert(SettlementInbox.InvalidProof.selector);
        inbox.proposeOutput(root, 2, bytes32(0), 0, forBlockOne);
        vm.expectRevert(SettlementInbox.InvalidProof.selector);
        inbox.proposeOutput(root, 1, bytes32(0), 0, forOtherInbox);

        vm.expectRevert(SettlementInbox.BlockNumberTooLarge.selector);
        inbox.proposeOutput(root, uint256(type(uint128).max) + 1, bytes32(0), 0, "");
        vm.stopPrank();

        // A verifier that says no.
        RejectingVerifier no = new RejectingVerifier();
        vm.prank(owner);
        inbox.setVerifier(no);
        vm.prank(proposer);
        vm.expectRevert(SettlementInbox.InvalidProof.selector);
        inbox.proposeOutput(root, 1, bytes32(0), 0, forBlockOne);
        assertEq(inbox.nextOutputIndex(), 0);
    }

    function test_proposeOutput_l1BlockHashGuard() public {
        vm.roll(50);
        bytes32 root = keccak256("root");
        bytes memory sig = _attest(proverKey, address(inbox), root, 1);
        vm.prank(proposer);
        vm.expectRevert(SettlementInbox.L1BlockHashMismatch.selector);
        inbox.proposeOutput(root, 1, keccak256("not the hash"), 49, sig);

        vm.prank(proposer);
        inbox.proposeOutput(root, 1, blockhash(49), 49, sig);
        assertEq(inbox.nextOutputIndex(), 1);
    }

    function testFuzz_isFinalized(uint256 _wait) public {
        _wait = bound(_wait, 0, 10 * CHALLENGE_WINDOW);
        vm.warp(10_000);
        _propose(keccak256("root"), 5);
        assertFalse(inbox.isFinalized(0));
        assertFalse(inbox.isFinalized(1));
        vm.warp(10_000 + _wait);
        assertEq(inbox.isFinalized(0), _wait >= CHALLENGE_WINDOW);
    }

    function test_deleteOutputs() public {
        _propose(keccak256("a"), 1);
        _propose(keccak256("b"), 2);
        _propose(keccak256("c"), 3);

        vm.expectEmit(true, true, false, false, address(inbox));
        emit OutputsDeleted(3, 1);
        vm.prank(guardian);
        inbox.deleteOutputs(1);

        assertEq(inbox.nextOutputIndex(), 1);
        assertEq(inbox.latestBlockNumber(), 1);
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.OutputNotFound.selector, 1));
        inbox.getOutput(1);

        // The range continues after the surviving output, with a new root.
        _propose(keccak256("b'"), 2);
        assertEq(inbox.getOutput(1).outputRoot, keccak256("b'"));
    }

    /// An attestation holds for the index it was signed for only.
    function test_proposeOutput_attestationIsForOneIndex() public {
        bytes32 root = keccak256("root");
        bytes memory atOne = _attestAt(proverKey, address(inbox), 1, root, 1);
        vm.prank(proposer);
        vm.expectRevert(SettlementInbox.InvalidProof.selector);
        inbox.proposeOutput(root, 1, bytes32(0), 0, atOne);
        _propose(keccak256("first"), 1);
        vm.prank(proposer);
        inbox.proposeOutput(root, 2, bytes32(0), 0, _attestAt(proverKey, address(inbox), 1, root, 2));
        assertEq(inbox.getOutput(1).outputRoot, root);
    }

    function testFuzz_deleteOutputs_onlyGuardian(address _caller) public {
        vm.assume(_caller != guardian);
        _propose(keccak256("a"), 1);
        vm.prank(_caller);
        vm.expectRevert(SettlementInbox.NotGuardian.selector);
        inbox.deleteOutputs(0);
        assertEq(inbox.nextOutputIndex(), 1);
    }

    function test_deleteOutputs_finalizedNeverChanges() public {
        vm.warp(1);
        _propose(keccak256("a"), 1);
        vm.warp(1 + CHALLENGE_WINDOW / 2);
        _propose(keccak256("b"), 2);
        vm.warp(1 + CHALLENGE_WINDOW);
        assertTrue(inbox.isFinalized(0));
        assertFalse(inbox.isFinalized(1));

        vm.startPrank(guardian);
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.OutputFinalized.selector, 0));
        inbox.deleteOutputs(0);
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.OutputNotFound.selector, 2));
        inbox.deleteOutputs(2);
        inbox.deleteOutputs(1);
        vm.stopPrank();
        assertEq(inbox.getOutput(0).outputRoot, keccak256("a"));
        assertTrue(inbox.isFinalized(0));
    }

    function test_latestOutputIndex_emptyReverts() public {
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.OutputNotFound.selector, 0));
        inbox.latestOutputIndex();
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.OutputNotFound.selector, 0));
        inbox.getOutputIndexAfter(1);
    }

    function testFuzz_getOutputIndexAfter(uint8 _count, uint256 _seed, uint256 _query) public {
        uint256 count = bound(_count, 1, 20);
        uint256[] memory blocks = new uint256[](count);
        uint256 b;
        for (uint256 i; i < count; ++i) {
            b += 1 + uint256(keccak256(abi.encode(_seed, i))) % 50;
            blocks[i] = b;
            _propose(keccak256(abi.encode(i)), b);
        }
        _query = bound(_query, 0, b + 10);
        if (_query > b) {
            vm.expectRevert(abi.encodeWithSelector(SettlementInbox.OutputNotFound.selector, count));
            inbox.getOutputIndexAfter(_query);
            return;
        }
        uint256 expected;
        while (blocks[expected] < _query) ++expected;
        assertEq(inbox.getOutputIndexAfter(_query), expected);
    }
}
