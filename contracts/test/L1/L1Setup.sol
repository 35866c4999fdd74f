// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {OpenToken} from "../../src/L1/OpenToken.sol";
import {OpenPortal} from "../../src/L1/OpenPortal.sol";
import {SettlementInbox} from "../../src/L1/SettlementInbox.sol";
import {AttestationVerifier} from "../../src/L1/AttestationVerifier.sol";
import {IVerifier} from "../../src/L1/IVerifier.sol";
import {Types, Hashing} from "../../src/L1/libraries/Types.sol";

/// @notice Helpers shared by the L1 tests: signatures, output roots and one-leaf storage tries.
library L1TestLib {
    /// @notice The one node of a storage trie that holds only sentMessages[_withdrawalHash] = 1:
    ///         a leaf with the whole 64-nibble secure key (flag 0x20, even) and value RLP(1) = 0x01.
    ///         rlp([0x20 ‖ key (33 bytes), 0x01]) = 0xe3 ‖ 0xa1 ‖ 0x20 ‖ key ‖ 0x01.
    function singleLeaf(bytes32 _withdrawalHash) internal pure returns (bytes memory node_) {
        bytes32 slot = keccak256(abi.encode(_withdrawalHash, uint256(0)));
        node_ = abi.encodePacked(hex"e3a120", keccak256(abi.encode(slot)), hex"01");
    }

    /// @notice Storage root and proof of the one-leaf trie of `_withdrawalHash`.
    function singleLeafProof(bytes32 _withdrawalHash) internal pure returns (bytes32 root_, bytes[] memory proof_) {
        proof_ = new bytes[](1);
        proof_[0] = singleLeaf(_withdrawalHash);
        root_ = keccak256(proof_[0]);
    }

    function outputRootProof(bytes32 _stateRoot, bytes32 _storageRoot, bytes32 _blockHash)
        internal
        pure
        returns (Types.OutputRootProof memory p_)
    {
        p_ = Types.OutputRootProof({
            version: bytes32(0),
            stateRoot: _stateRoot,
            messagePasserStorageRoot: _storageRoot,
            latestBlockhash: _blockHash
        });
    }
}

/// @notice Deploys OPEN, the attestation verifier, the inbox and the portal.
abstract contract L1Setup is Test {
    uint256 internal constant CHALLENGE_WINDOW = 1 hours;
    uint256 internal constant PROOF_MATURITY = 30 minutes;
    uint64 internal constant MAX_DEPOSIT_GAS = 20_000_000;

    address internal owner = makeAddr("owner");
    address internal batcher = makeAddr("batcher");
    address internal proposer = makeAddr("proposer");
    address internal guardian = makeAddr("guardian");
    address internal holder = makeAddr("holder");
    address internal alice = makeAddr("alice");
    uint256 internal proverKey = 0xA11CE5;
    address internal prover;

    OpenToken internal token;
    AttestationVerifier internal verifier;
    SettlementInbox internal inbox;
    OpenPortal internal portal;

    function setUp() public virtual {
        prover = vm.addr(proverKey);
        token = new OpenToken(holder);
        verifier = new AttestationVerifier(prover);
        inbox = new SettlementInbox(owner, batcher, proposer, guardian, verifier, CHALLENGE_WINDOW, 0);
        portal = new OpenPortal(token, inbox, PROOF_MATURITY, MAX_DEPOSIT_GAS);
        vm.prank(holder);
        assertTrue(token.transfer(alice, 1_000_000 ether));
    }

    /// @notice The prover's attestation of `_outputRoot` at `_l2BlockNumber` for `_inbox`, at
    ///         the index its next output takes (0 for an address without code).
    function _attest(uint256 _key, address _inbox, bytes32 _outputRoot, uint256 _l2BlockNumber)
        internal
        view
        returns (bytes memory)
    {
        uint256 index = _inbox.code.length == 0 ? 0 : SettlementInbox(_inbox).nextOutputIndex();
        return _attestAt(_key, _inbox, index, _outputRoot, _l2BlockNumber);
    }

    /// @notice The prover's attestation for output `_index` of `_inbox`.
    function _attestAt(uint256 _key, address _inbox, uint256 _index, bytes32 _outputRoot, uint256 _l2BlockNumber)
        internal
        view
        returns (bytes memory)
    {
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(
            keccak256(abi.encode(block.chainid, _inbox, _index, _outputRoot, _l2BlockNumber))
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @notice Proposes `_outputRoot` for the next L2 block `_l2BlockNumber`; returns its index.
    function _propose(bytes32 _outputRoot, uint256 _l2BlockNumber) internal returns (uint256 index_) {
        index_ = inbox.nextOutputIndex();
        bytes memory sig = _attest(proverKey, address(inbox), _outputRoot, _l2BlockNumber);
        vm.prank(proposer);
        inbox.proposeOutput(_outputRoot, _l2BlockNumber, bytes32(0), 0, sig);
    }

    /// @notice `_from` (an EOA: msg.sender == tx.origin) locks `_amount` OPEN for `_to` on L2.
    function _depositOpen(address _from, address _to, uint256 _amount) internal {
        vm.startPrank(_from, _from);
        token.approve(address(portal), _amount);
        portal.depositOpen(_to, _amount, 100_000, "");
        vm.stopPrank();
    }
}
