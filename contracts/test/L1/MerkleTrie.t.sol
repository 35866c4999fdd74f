// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {RLPReader} from "../../src/L1/libraries/RLPReader.sol";
import {MerkleTrie, SecureMerkleTrie} from "../../src/L1/libraries/MerkleTrie.sol";
import {Hashing} from "../../src/L1/libraries/Types.sol";
import {L2ToL1MessagePasser} from "../../src/L2/L2ToL1MessagePasser.sol";
import {MptVectors} from "../vectors/MptVectors.sol";
import {L1TestLib} from "./L1Setup.sol";

/// @dev External entry points, so that tests can catch the libraries' reverts.
contract TrieHarness {
    function get(bytes memory _key, bytes[] memory _proof, bytes32 _root) external pure returns (bytes memory) {
        return MerkleTrie.get(_key, _proof, _root);
    }

    function verifySecure(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        external
        pure
        returns (bool)
    {
        return SecureMerkleTrie.verifyInclusionProof(_key, _value, _proof, _root);
    }

    function readBytes(bytes memory _in) external pure returns (bytes memory) {
        return RLPReader.readBytes(_in);
    }

    function readListLength(bytes memory _in) external pure returns (uint256) {
        return RLPReader.readList(_in).length;
    }

    function readListItem(bytes memory _in, uint256 _i) external pure returns (bytes memory) {
        return RLPReader.readBytes(RLPReader.readList(_in)[_i]);
    }
}

contract MerkleTrieTest is Test {
    TrieHarness internal h;

    function setUp() public {
        h = new TrieHarness();
    }

    function _storageKey(bytes32 _withdrawalHash) internal pure returns (bytes memory) {
        return abi.encode(keccak256(abi.encode(_withdrawalHash, uint256(0))));
    }

    /// @dev Whether the proof is rejected: the call reverts or the value differs.
    function _rejected(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        internal
        view
        returns (bool)
    {
        try h.get(_key, _proof, _root) returns (bytes memory got) {
            return keccak256(got) != keccak256(_value);
        } catch {
            return true;
        }
    }

    function _copy(bytes[] memory _proof) internal pure returns (bytes[] memory out_) {
        out_ = new bytes[](_proof.length);
        for (uint256 i; i < _proof.length; ++i) {
            out_[i] = bytes.concat(_proof[i]);
        }
    }

    // -------------------------------------------------------------------------------------
    // Plain tries (ethereum/tests "puppy" and "dogs"): branch values, extensions, embedded nodes
    // -------------------------------------------------------------------------------------

    function test_trieVectors_compactProofs() public view {
        for (uint256 i; i < MptVectors.TRIE_VECTORS; ++i) {
            MptVectors.TrieVector memory v = MptVectors.trieVector(i);
            assertEq(h.get(v.key, v.proof, v.root), v.value, v.name);
        }
    }

    function test_trieVectors_fullProofs() public view {
        for (uint256 i; i < MptVectors.TRIE_VECTORS; ++i) {
            MptVectors.TrieVector memory v = MptVectors.trieVector(i);
            assertEq(h.get(v.key, v.proofFull, v.root), v.value, v.name);
        }
    }

    function test_trieVectors_wrongKeyRejected() public view {
        for (uint256 i; i < MptVectors.TRIE_VECTORS; ++i) {
            MptVectors.TrieVector memory v = MptVectors.trieVector(i);
            assertTrue(_rejected(bytes.concat(v.key, "x"), v.value, v.proof, v.root), v.name);
            bytes memory shorter = new bytes(v.key.length - 1);
            for (uint256 j; j < shorter.length; ++j) {
                shorter[j] = v.key[j];
            }
            if (shorter.length > 0) assertTrue(_rejected(shorter, v.value, v.proof, v.root), v.name);
        }
    }

    // -------------------------------------------------------------------------------------
    // The message passer's storage trie from anvil
    // -------------------------------------------------------------------------------------

    function test_withdrawalVectors_verify() public view {
        for (uint256 i; i < MptVectors.WITHDRAWALS; ++i) {
            MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(i);
            assertEq(Hashing.hashWithdrawal(v.withdrawal), v.withdrawalHash);
            bytes memory key = _storageKey(v.withdrawalHash);
            assertTrue(h.verifySecure(key, hex"01", v.proof, MptVectors.STORAGE_ROOT));
            assertTrue(h.verifySecure(key, hex"01", v.proofCompact, MptVectors.STORAGE_ROOT));
            assertFalse(h.verifySecure(key, hex"02", v.proof, MptVectors.STORAGE_ROOT));
        }
    }

    /// @dev The first two withdrawals' leaves are embedded in a branch (the generator searched
    ///      for it): the compact proof has no leaf element, the anvil proof lists it.
    function test_withdrawalVectors_embeddedLeaf() public pure {
        for (uint256 i; i < 2; ++i) {
            MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(i);
            assertEq(v.proof.length, v.proofCompact.length + 1);
            assertLt(v.proof[v.proof.length - 1].length, 32);
        }
    }

    /// @dev The vectors' hashes are what the L2 predeploy computes and stores for the same calls.
    function test_withdrawalVectors_matchPasser() public {
        address passerAddr = 0x4200000000000000000000000000000000000016;
        vm.etch(passerAddr, address(new L2ToL1MessagePasser()).code);
        L2ToL1MessagePasser passer = L2ToL1MessagePasser(payable(passerAddr));
        for (uint256 i; i < MptVectors.WITHDRAWALS; ++i) {
            MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(i);
            assertEq(passer.messageNonce(), v.withdrawal.nonce);
            vm.deal(v.withdrawal.sender, v.withdrawal.value);
            vm.prank(v.withdrawal.sender);
            passer.initiateWithdrawal{value: v.withdrawal.value}(
                v.withdrawal.target, v.withdrawal.gasLimit, v.withdrawal.data
            );
            assertTrue(passer.sentMessages(v.withdrawalHash));
            assertEq(uint256(vm.load(passerAddr, keccak256(abi.encode(v.withdrawalHash, uint256(0))))), 1);
        }
    }

    /// @dev Withdrawals 0 and 1 are embedded siblings in one branch node, so the compact proof
    ///      of one (root, extension, branch) is the compact proof of the other too. The anvil
    ///      proof of one ends with its own leaf, which is an extra node for the other.
    function test_withdrawalVectors_embeddedSiblings() public {
        MptVectors.WithdrawalVector memory a = MptVectors.withdrawal(0);
        MptVectors.WithdrawalVector memory b = MptVectors.withdrawal(1);
        assertTrue(h.verifySecure(_storageKey(b.withdrawalHash), hex"01", a.proofCompact, MptVectors.STORAGE_ROOT));
        vm.expectRevert(MerkleTrie.MerkleTrieExtraProofNodes.selector);
        h.verifySecure(_storageKey(b.withdrawalHash), hex"01", a.proof, MptVectors.STORAGE_ROOT);
        // A withdrawal elsewhere in the trie is not proved by either.
        MptVectors.WithdrawalVector memory c = MptVectors.withdrawal(4);
        bytes memory cKey = abi.encodePacked(keccak256(_storageKey(c.withdrawalHash)));
        assertTrue(_rejected(cKey, hex"01", a.proofCompact, MptVectors.STORAGE_ROOT));
        assertTrue(_rejected(cKey, hex"01", a.proof, MptVectors.STORAGE_ROOT));
    }

    function test_truncatedProofRejected() public {
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(5);
        bytes[] memory shorter = new bytes[](v.proof.length - 1);
        for (uint256 i; i < shorter.length; ++i) {
            shorter[i] = v.proof[i];
        }
        vm.expectRevert(MerkleTrie.MerkleTrieProofTooShort.selector);
        h.verifySecure(_storageKey(v.withdrawalHash), hex"01", shorter, MptVectors.STORAGE_ROOT);

        vm.expectRevert(MerkleTrie.MerkleTrieProofTooShort.selector);
        h.verifySecure(_storageKey(v.withdrawalHash), hex"01", new bytes[](0), MptVectors.STORAGE_ROOT);
    }

    function test_extraNodeRejected() public {
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(5);
        bytes[] memory longer = new bytes[](v.proof.length + 1);
        for (uint256 i; i < v.proof.length; ++i) {
            longer[i] = v.proof[i];
        }
        longer[v.proof.length] = v.proof[v.proof.length - 1];
        vm.expectRevert(MerkleTrie.MerkleTrieExtraProofNodes.selector);
        h.verifySecure(_storageKey(v.withdrawalHash), hex"01", longer, MptVectors.STORAGE_ROOT);
    }

    function test_wrongRootRejected() public {
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(3);
        vm.expectRevert(abi.encodeWithSelector(MerkleTrie.MerkleTrieInvalidNodeHash.selector, 0));
        h.verifySecure(_storageKey(v.withdrawalHash), hex"01", v.proof, keccak256("other root"));
    }

    function test_emptyKeyRejected() public {
        vm.expectRevert(MerkleTrie.MerkleTrieEmptyKey.selector);
        h.get("", new bytes[](1), bytes32(0));
    }

    /// @dev A node that is short enough to be embedded may not be referenced by hash.
    function test_shortNodeByHashRejected() public {
        // Root: extension (path nibble 1) -> hash of a short leaf.
        bytes memory leaf = hex"c52083616263"; // ["0x20", "abc"]: leaf, empty path (even), value "abc"
        bytes memory root = abi.encodePacked(hex"e2", hex"11", hex"a0", keccak256(leaf)); // ["0x11", hash]
        bytes[] memory proof = new bytes[](2);
        proof[0] = root;
        proof[1] = leaf;
        vm.expectRevert(abi.encodeWithSelector(MerkleTrie.MerkleTrieInvalidNodeHash.selector, 1));
        h.get(hex"10", proof, keccak256(root));
    }

    /// @dev One-leaf tries built in Solidity (used by the portal's fuzz and invariant tests).
    function testFuzz_singleLeaf_verifies(bytes32 _withdrawalHash, bytes32 _other) public view {
        vm.assume(_other != _withdrawalHash);
        (bytes32 root, bytes[] memory proof) = L1TestLib.singleLeafProof(_withdrawalHash);
        assertTrue(h.verifySecure(_storageKey(_withdrawalHash), hex"01", proof, root));
        assertTrue(_rejected(abi.encodePacked(keccak256(_storageKey(_other))), hex"01", proof, root));
    }

    // -------------------------------------------------------------------------------------
    // Tampering: any changed byte of any proof element is rejected
    // -------------------------------------------------------------------------------------

    /// forge-config: default.fuzz.runs = 2048
    function testFuzz_tamperedProofRejected(uint256 _which, uint256 _node, uint256 _pos, uint8 _xor, bool _full)
        public
        view
    {
        _xor = uint8(bound(_xor, 1, 255));
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(bound(_which, 0, MptVectors.WITHDRAWALS - 1));
        bytes[] memory proof = _copy(_full ? v.proof : v.proofCompact);
        _node = bound(_node, 0, proof.length - 1);
        _pos = bound(_pos, 0, proof[_node].length - 1);
        proof[_node][_pos] = bytes1(uint8(proof[_node][_pos]) ^ _xor);
        assertTrue(
            _rejected(
                abi.encodePacked(keccak256(_storageKey(v.withdrawalHash))), hex"01", proof, MptVectors.STORAGE_ROOT
            )
        );
    }

    /// forge-config: default.fuzz.runs = 2048
    function testFuzz_tamperedTrieVectorRejected(uint256 _which, uint256 _node, uint256 _pos, uint8 _xor, bool _full)
        public
        view
    {
        _xor = uint8(bound(_xor, 1, 255));
        MptVectors.TrieVector memory v = MptVectors.trieVector(bound(_which, 0, MptVectors.TRIE_VECTORS - 1));
        bytes[] memory proof = _copy(_full ? v.proofFull : v.proof);
        _node = bound(_node, 0, proof.length - 1);
        _pos = bound(_pos, 0, proof[_node].length - 1);
        proof[_node][_pos] = bytes1(uint8(proof[_node][_pos]) ^ _xor);
        assertTrue(_rejected(v.key, v.value, proof, v.root));
    }

    /// @dev Random keys are not in the anvil trie: no proof of another key proves them.
    function testFuzz_absentKeyRejected(bytes32 _slot, uint256 _which) public view {
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(bound(_which, 0, MptVectors.WITHDRAWALS - 1));
        vm.assume(keccak256(abi.encode(_slot)) != keccak256(_storageKey(v.withdrawalHash)));
        assertTrue(_rejected(abi.encodePacked(keccak256(abi.encode(_slot))), hex"01", v.proof, MptVectors.STORAGE_ROOT));
    }

    /// @dev Random proofs never prove anything.
    function testFuzz_garbageProofRejected(bytes memory _a, bytes memory _b, bytes32 _key) public view {
        bytes[] memory proof = new bytes[](2);
        proof[0] = _a;
        proof[1] = _b;
        assertTrue(_rejected(abi.encode(_key), hex"01", proof, keccak256(_a) ^ bytes32(uint256(1))));
    }

    // -------------------------------------------------------------------------------------
    // RLP
    // -------------------------------------------------------------------------------------

    function test_rlp_strings() public view {
        assertEq(h.readBytes(hex"00"), hex"00");
        assertEq(h.readBytes(hex"7f"), hex"7f");
        assertEq(h.readBytes(hex"80"), hex"");
        assertEq(h.readBytes(hex"8180"), hex"80");
        assertEq(h.readBytes(hex"83646f67"), bytes("dog"));
        bytes memory long = new bytes(56);
        long[55] = 0x42;
        assertEq(h.readBytes(bytes.concat(hex"b838", long)), long);
    }

    function test_rlp_lists() public view {
        assertEq(h.readListLength(hex"c0"), 0);
        assertEq(h.readListLength(hex"c88363617483646f67"), 2);
        assertEq(h.readListItem(hex"c88363617483646f67", 1), bytes("dog"));
    }

    function test_rlp_nonCanonicalRejected() public {
        vm.expectRevert(RLPReader.RLPInvalidHeader.selector);
        h.readBytes(hex"8100"); // one byte < 0x80 must be its own encoding
        vm.expectRevert(RLPReader.RLPInvalidHeader.selector);
        h.readBytes(hex"b80100"); // long form for a short string
        vm.expectRevert(RLPReader.RLPInvalidHeader.selector);
        h.readBytes(hex"b9003800"); // leading zero in the length
        vm.expectRevert(RLPReader.RLPInvalidHeader.selector);
        h.readListLength(hex"f80100"); // long form for a short list
    }

    function test_rlp_lengthMismatchRejected() public {
        vm.expectRevert(RLPReader.RLPLengthMismatch.selector);
        h.readBytes(hex"83646f"); // says 3 bytes, has 2
        vm.expectRevert(RLPReader.RLPLengthMismatch.selector);
        h.readBytes(hex"83646f6767"); // trailing byte
        vm.expectRevert(RLPReader.RLPLengthMismatch.selector);
        h.readListLength(hex"c3836461"); // list runs past its end
        vm.expectRevert(RLPReader.RLPLengthMismatch.selector);
        h.readListLength(hex"c28363"); // item runs past the list
        vm.expectRevert(RLPReader.RLPLengthMismatch.selector);
        h.readBytes(hex"b8"); // length byte missing
        vm.expectRevert(RLPReader.RLPLengthMismatch.selector);
        h.readBytes(hex"bfffffffffffffffff"); // 2^64-1 bytes announced
    }

    function test_rlp_typeAndSizeChecks() public {
        vm.expectRevert(RLPReader.RLPEmptyItem.selector);
        h.readBytes("");
        vm.expectRevert(RLPReader.RLPNotAString.selector);
        h.readBytes(hex"c0");
        vm.expectRevert(RLPReader.RLPNotAList.selector);
        h.readListLength(hex"80");
        // 18 items: more than a trie node can have.
        bytes memory many = new bytes(19);
        many[0] = 0xd2;
        vm.expectRevert(RLPReader.RLPTooManyItems.selector);
        h.readListLength(many);
    }

    function testFuzz_rlp_neverReadsPastInput(bytes memory _in) public view {
        try h.readListLength(_in) returns (uint256 n) {
            assertLe(n, RLPReader.MAX_LIST_ITEMS);
        } catch {}
        try h.readBytes(_in) returns (bytes memory out) {
            assertLe(out.length, _in.length);
        } catch {}
    }
}
