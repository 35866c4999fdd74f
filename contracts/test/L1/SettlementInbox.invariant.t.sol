// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SettlementInbox} from "../../src/L1/SettlementInbox.sol";
import {AttestationVerifier} from "../../src/L1/AttestationVerifier.sol";

/// @dev Proposes, deletes, lets time pass, and has strangers try the privileged entry points;
///      remembers every output it has seen finalized.
contract InboxHandler is Test {
    SettlementInbox internal inbox;
    address internal proposer;
    address internal guardian;
    address internal batcher;
    uint256 internal proverKey;

    bytes32[] public finalizedRoots; // finalizedRoots[i]: root of output i once seen finalized
    uint256 public unauthorizedSuccesses;
    uint256 public batches;

    constructor(SettlementInbox _inbox, address _proposer, address _guardian, address _batcher, uint256 _proverKey) {
        inbox = _inbox;
        proposer = _proposer;
        guardian = _guardian;
        batcher = _batcher;
        proverKey = _proverKey;
    }

    function finalizedCount() external view returns (uint256) {
        return finalizedRoots.length;
    }

    function _sign(bytes32 _root, uint256 _block) internal view returns (bytes memory) {
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(
            keccak256(abi.encode(block.chainid, address(inbox), inbox.nextOutputIndex(), _root, _block))
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(proverKey, digest);
        return abi.encodePacked(r, s, v);
    }

    function _record() internal {
        uint256 n = inbox.nextOutputIndex();
        for (uint256 i = finalizedRoots.length; i < n && inbox.isFinalized(i); ++i) {
            finalizedRoots.push(inbox.getOutput(i).outputRoot);
        }
    }

    function propose(bytes32 _root, uint256 _step) external {
        if (_root == bytes32(0)) _root = keccak256("zero");
        // A root the guardian deleted is refused for good (tested in SettlementInbox.t.sol).
        if (inbox.deletedOutputRoots(_root)) _root = keccak256(abi.encode(_root, inbox.nextOutputIndex()));
        uint256 l2Block = inbox.latestBlockNumber() + bound(_step, 1, 100);
        bytes memory sig = _sign(_root, l2Block);
        vm.prank(proposer);
        inbox.proposeOutput(_root, l2Block, bytes32(0), 0, sig);
        _record();
    }

    function challenge(uint256 _index) external {
        uint256 n = inbox.nextOutputIndex();
        if (n == 0) return;
        _index = bound(_index, 0, n - 1);
        vm.prank(guardian);
        try inbox.deleteOutputs(_index) {} catch {}
        _record();
    }

    function wait(uint256 _seconds) external {
        vm.warp(block.timestamp + bound(_seconds, 0, 2 hours));
        _record();
    }

    function submit(bytes calldata _data) external {
        vm.prank(batcher, batcher);
        inbox.submitBatch(_data);
        batches += 1;
    }

    function stranger(address _who, bytes32 _root) external {
        if (_who == proposer || _who == guardian || _who == batcher || _who == inbox.owner()) return;
        uint256 l2Block = inbox.latestBlockNumber() + 1;
        bytes memory sig = _sign(_root, l2Block);
        vm.startPrank(_who, _who);
        try inbox.proposeOutput(_root, l2Block, bytes32(0), 0, sig) {
            unauthorizedSuccesses += 1;
        } catch {}
        try inbox.submitBatch(hex"00") {
            unauthorizedSuccesses += 1;
        } catch {}
        if (inbox.nextOutputIndex() > 0) {
            try inbox.deleteOutputs(0) {
                unauthorizedSuccesses += 1;
            } catch {}
        }
        try inbox.setBatcher(_who) {
            unauthorizedSuccesses += 1;
        } catch {}
        vm.stopPrank();
    }
}

/// forge-config: default.invariant.fail-on-revert = true
/// forge-config: default.invariant.runs = 32
/// forge-config: default.invariant.depth = 64
contract SettlementInboxInvariantTest is Test {
    SettlementInbox internal inbox;
    InboxHandler internal handler;

    function setUp() public {
        uint256 proverKey = 0xA11CE5;
        address proposer = makeAddr("proposer");
        address guardian = makeAddr("guardian");
        address batcher = makeAddr("batcher");
        AttestationVerifier verifier = new AttestationVerifier(vm.addr(proverKey));
        inbox = new SettlementInbox(address(this), batcher, proposer, guardian, verifier, 1 hours, 0);
        handler = new InboxHandler(inbox, proposer, guardian, batcher, proverKey);
        targetContract(address(handler));
    }

    /// @notice A finalized output never changes and never stops being finalized.
    function invariant_finalizedOutputsNeverChange() public view {
        uint256 n = handler.finalizedCount();
        assertGe(inbox.nextOutputIndex(), n);
        for (uint256 i; i < n; ++i) {
            assertTrue(inbox.isFinalized(i));
            assertEq(inbox.getOutput(i).outputRoot, handler.finalizedRoots(i));
        }
    }

    /// @notice Outputs cover strictly increasing L2 blocks, proposed in time order.
    function invariant_outputsOrdered() public view {
        uint256 n = inbox.nextOutputIndex();
        for (uint256 i = 1; i < n; ++i) {
            SettlementInbox.OutputProposal memory a = inbox.getOutput(i - 1);
            SettlementInbox.OutputProposal memory b = inbox.getOutput(i);
            assertLt(a.l2BlockNumber, b.l2BlockNumber);
            assertLe(a.timestamp, b.timestamp);
        }
    }

    /// @notice Only the batcher, proposer, guardian and owner can do what their role allows.
    function invariant_unauthorizedRefused() public view {
        assertEq(handler.unauthorizedSuccesses(), 0);
        assertEq(inbox.batchCount(), handler.batches());
    }
}
