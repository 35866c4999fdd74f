// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {RLPReader} from "./RLPReader.sol";

/// @title MerkleTrie
/// @notice Verifies inclusion proofs of Ethereum's hexary Merkle-Patricia trie, as returned by
///         `eth_getProof` (`accountProof` / `storageProof[].proof`): the RLP-encoded nodes on the
///         path from the root down to the value, root first. Written for this project after the
///         design of the OP Stack's MerkleTrie; MIT.
///
///         Each node is referenced by its parent as the trie does it: by keccak256 when its
///         encoding is 32 bytes or longer (and always for the root), embedded in the parent when
///         it is shorter. A proof lists the nodes referenced by hash, root first, as geth's and
///         the L2 node's eth_getProof do; embedded nodes are read where they sit in their parent,
///         and may also be listed as elements of their own (alloy-trie / anvil, OP's tooling).
///         A proof must end at the node that holds the value; extra nodes, empty values, unknown
///         or non-canonical path prefixes and any mismatch between the key and a node's path
///         make the proof invalid (the functions revert).
library MerkleTrie {
    /// @notice Items of a branch node: 16 children and a value.
    uint256 internal constant BRANCH_NODE_LENGTH = 17;

    /// @notice Items of a leaf or extension node: compact-encoded path and value / child.
    uint256 internal constant LEAF_OR_EXTENSION_NODE_LENGTH = 2;

    error MerkleTrieEmptyKey();
    error MerkleTrieInvalidNodeHash(uint256 index);
    error MerkleTrieInvalidNode(uint256 index);
    error MerkleTrieInvalidPrefix(uint256 index);
    error MerkleTrieKeyMismatch(uint256 index);
    error MerkleTrieMissingChild(uint256 index);
    error MerkleTrieEmptyValue();
    error MerkleTrieExtraProofNodes();
    error MerkleTrieProofTooShort();

    /// @notice Whether `_proof` shows that `_key` maps to `_value` in the trie with root `_root`.
    ///         Reverts if the proof is malformed or does not lead to `_key`.
    function verifyInclusionProof(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool valid_)
    {
        valid_ = keccak256(get(_key, _proof, _root)) == keccak256(_value);
    }

    /// @notice The value stored under `_key` in the trie with root `_root`, read through `_proof`.
    function get(bytes memory _key, bytes[] memory _proof, bytes32 _root) internal pure returns (bytes memory value_) {
        if (_key.length == 0) revert MerkleTrieEmptyKey();
        uint256 keyNibbles = _key.length * 2;
        uint256 keyIndex;
        uint256 next; // index of the next proof element

        // The node to visit: by hash (the next proof element must hash to `ref`), or embedded in
        // its parent (`embedded`, a view into the parent's encoding, not a proof element).
        bytes32 ref = _root;
        RLPReader.Item memory embedded;

        while (true) {
            RLPReader.Item[] memory items;
            if (embedded.len == 0) {
                if (next == _proof.length) revert MerkleTrieProofTooShort();
                bytes memory node = _proof[next];
                // Only the root may be shorter than 32 bytes and still be referenced by hash.
                if (keccak256(node) != ref || (next != 0 && node.length < 32)) revert MerkleTrieInvalidNodeHash(next);
                items = RLPReader.readList(node);
                unchecked {
                    ++next;
                }
            } else {
                // Some provers (alloy-trie's proof retainer, so anvil; OP's tooling) also list an
                // embedded node as a proof element of its own: skip it if it is exactly that.
                // Unambiguous, as a node referenced by hash is never shorter than 32 bytes.
                if (next < _proof.length) {
                    bytes memory node = _proof[next];
                    if (node.length == embedded.len && keccak256(node) == RLPReader.hashRaw(embedded)) {
                        unchecked {
                            ++next;
                        }
                    }
                }
                items = RLPReader.readList(embedded);
            }

            if (items.length == BRANCH_NODE_LENGTH) {
                if (keyIndex == keyNibbles) {
                    // The key ends here: the value is the branch's 17th item.
                    return _readValue(items[16], next, _proof.length);
                }
                (ref, embedded) = _childRef(items[_nibble(_key, keyIndex)], next);
                unchecked {
                    ++keyIndex;
                }
            } else if (items.length == LEAF_OR_EXTENSION_NODE_LENGTH) {
                bool isLeaf;
                (keyIndex, isLeaf) = _matchPath(items[0], _key, keyIndex, next);
                if (isLeaf) {
                    // Leaf: the rest of the key must be exactly its path.
                    if (keyIndex != keyNibbles) revert MerkleTrieKeyMismatch(next);
                    return _readValue(items[1], next, _proof.length);
                }
                // Extension: the child follows.
                (ref, embedded) = _childRef(items[1], next);
            } else {
                revert MerkleTrieInvalidNode(next);
            }
        }
    }

    /// @dev Matches the compact-encoded path of a leaf or extension node (`_pathItem`) against
    ///      `_key` from nibble `_keyIndex`; returns the key index after the path and whether the
    ///      node is a leaf. Path flag nibble: 0 extension/even, 1 extension/odd, 2 leaf/even,
    ///      3 leaf/odd; an even path pads the flag with a zero nibble.
    function _matchPath(RLPReader.Item memory _pathItem, bytes memory _key, uint256 _keyIndex, uint256 _index)
        private
        pure
        returns (uint256 keyIndex_, bool isLeaf_)
    {
        bytes memory path = RLPReader.readBytes(_pathItem);
        if (path.length == 0) revert MerkleTrieInvalidPrefix(_index);
        uint256 first = uint8(path[0]);
        uint256 flag = first >> 4;
        if (flag > 3 || (flag & 1 == 0 && first & 0x0f != 0)) revert MerkleTrieInvalidPrefix(_index);
        isLeaf_ = flag >= 2;
        uint256 skip = 2 - (flag & 1); // nibbles before the path proper
        uint256 pathNibbles = path.length * 2 - skip;
        // An extension shares at least one nibble (else it would not exist).
        if (!isLeaf_ && pathNibbles == 0) revert MerkleTrieInvalidPrefix(_index);

        if (_keyIndex + pathNibbles > _key.length * 2) revert MerkleTrieKeyMismatch(_index);
        for (uint256 j; j < pathNibbles; ++j) {
            if (_nibble(path, skip + j) != _nibble(_key, _keyIndex + j)) revert MerkleTrieKeyMismatch(_index);
        }
        keyIndex_ = _keyIndex + pathNibbles;
    }

    /// @dev The value item of the node just visited; every proof element must have been used
    ///      (`_used` of `_proofLength`). An empty value means "absent" in Ethereum's tries, so it
    ///      never proves inclusion.
    function _readValue(RLPReader.Item memory _item, uint256 _used, uint256 _proofLength)
        private
        pure
        returns (bytes memory value_)
    {
        if (_used != _proofLength) revert MerkleTrieExtraProofNodes();
        value_ = RLPReader.readBytes(_item);
        if (value_.length == 0) revert MerkleTrieEmptyValue();
    }

    /// @dev How a branch or extension item references its child: a 32-byte string is the
    ///      child's hash (`ref_`); a list shorter than 32 bytes is the child itself, embedded
    ///      (`embedded_`, as eth_getProof leaves such nodes out of the proof).
    function _childRef(RLPReader.Item memory _item, uint256 _index)
        private
        pure
        returns (bytes32 ref_, RLPReader.Item memory embedded_)
    {
        (, uint256 length, bool isList) = RLPReader.header(_item);
        if (isList) {
            if (_item.len >= 32) revert MerkleTrieInvalidNode(_index);
            return (bytes32(0), _item);
        }
        // An empty string is an absent child: the key is not in the trie.
        if (length == 0) revert MerkleTrieMissingChild(_index);
        bytes memory hash = RLPReader.readBytes(_item);
        if (hash.length != 32) revert MerkleTrieInvalidNode(_index);
        // casting to bytes32 is safe: the length is exactly 32.
        // forge-lint: disable-next-line(unsafe-typecast)
        ref_ = bytes32(hash);
    }

    /// @dev The `_n`-th nibble (high nibble first) of `_b`. The caller keeps `_n` in range.
    function _nibble(bytes memory _b, uint256 _n) private pure returns (uint256 nibble_) {
        assembly ("memory-safe") {
            let byt := byte(0, mload(add(add(_b, 32), shr(1, _n))))
            nibble_ := and(shr(mul(4, iszero(and(_n, 1))), byt), 0x0f)
        }
    }
}

/// @title SecureMerkleTrie
/// @notice MerkleTrie for Ethereum's "secure" tries (state and storage tries), whose keys are the
///         keccak256 of the logical key.
library SecureMerkleTrie {
    /// @notice Whether `_proof` shows that keccak256(`_key`) maps to `_value` under `_root`.
    function verifyInclusionProof(bytes memory _key, bytes memory _value, bytes[] memory _proof, bytes32 _root)
        internal
        pure
        returns (bool valid_)
    {
        valid_ = MerkleTrie.verifyInclusionProof(abi.encodePacked(keccak256(_key)), _value, _proof, _root);
    }

    /// @notice The value stored under keccak256(`_key`) in the trie with root `_root`.
    function get(bytes memory _key, bytes[] memory _proof, bytes32 _root) internal pure returns (bytes memory value_) {
        value_ = MerkleTrie.get(abi.encodePacked(keccak256(_key)), _proof, _root);
    }
}
