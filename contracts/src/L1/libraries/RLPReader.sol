// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title RLPReader
/// @notice A small, strict reader of RLP-encoded data in memory, enough to walk Merkle-Patricia
///         trie proofs. Written for this project after the design of the OP Stack's RLPReader
///         (itself adapted from Hamdi Allam's Solidity-RLP). It never copies a list; items are
///         (pointer, length) views into the input, which must stay alive while they are used.
///
///         Strictness: only canonical headers are accepted (a single byte below 0x80 must not be
///         wrapped in a string header, long-form lengths must be above 55 and carry no leading
///         zero byte), and an item's declared length may never run past its enclosing item.
library RLPReader {
    /// @notice A view of one RLP item: `ptr` is the memory address of its first (prefix) byte,
    ///         `len` its full encoded length (prefix plus payload).
    struct Item {
        uint256 ptr;
        uint256 len;
    }

    /// @notice Most items a list may hold. Trie nodes have at most 17 (a branch node).
    uint256 internal constant MAX_LIST_ITEMS = 17;

    error RLPEmptyItem();
    error RLPInvalidHeader();
    error RLPLengthMismatch();
    error RLPNotAList();
    error RLPNotAString();
    error RLPTooManyItems();

    /// @notice A view of the whole of `_in` as one item.
    function toItem(bytes memory _in) internal pure returns (Item memory item_) {
        if (_in.length == 0) revert RLPEmptyItem();
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := add(_in, 32)
        }
        item_ = Item(ptr, _in.length);
    }

    /// @notice Decodes an item's header.
    /// @return offset_ Bytes from the item's start to its payload.
    /// @return length_ Payload length.
    /// @return isList_ Whether the item is a list (else a string).
    function header(Item memory _item) internal pure returns (uint256 offset_, uint256 length_, bool isList_) {
        uint256 len = _item.len;
        if (len == 0) revert RLPEmptyItem();
        uint256 ptr = _item.ptr;
        uint256 prefix;
        assembly ("memory-safe") {
            prefix := byte(0, mload(ptr))
        }

        if (prefix < 0x80) {
            // A single byte is its own encoding.
            return (0, 1, false);
        } else if (prefix < 0xb8) {
            // Short string: 0-55 bytes.
            offset_ = 1;
            length_ = prefix - 0x80;
            if (length_ == 1) {
                uint256 first;
                assembly ("memory-safe") {
                    first := byte(0, mload(add(ptr, 1)))
                }
                // Only possible to read past the item if len == 1, rejected below.
                if (len > 1 && first < 0x80) revert RLPInvalidHeader();
            }
        } else if (prefix < 0xc0) {
            // Long string: the next (prefix - 0xb7) bytes are its length.
            (offset_, length_) = _longLength(ptr, prefix - 0xb7, len);
        } else if (prefix < 0xf8) {
            // Short list: payload of 0-55 bytes.
            offset_ = 1;
            length_ = prefix - 0xc0;
            isList_ = true;
        } else {
            // Long list.
            (offset_, length_) = _longLength(ptr, prefix - 0xf7, len);
            isList_ = true;
        }

        // length_ < 2^64 (at most 8 length bytes), so this cannot overflow.
        if (offset_ + length_ > len) revert RLPLengthMismatch();
    }

    /// @notice The items of a list. The list must span the whole item.
    function readList(Item memory _item) internal pure returns (Item[] memory items_) {
        (uint256 offset, uint256 length, bool isList) = header(_item);
        if (!isList) revert RLPNotAList();
        if (offset + length != _item.len) revert RLPLengthMismatch();

        items_ = new Item[](MAX_LIST_ITEMS);
        uint256 count;
        uint256 ptr = _item.ptr + offset;
        uint256 end = ptr + length;
        while (ptr < end) {
            if (count == MAX_LIST_ITEMS) revert RLPTooManyItems();
            (uint256 o, uint256 l,) = header(Item(ptr, end - ptr));
            items_[count] = Item(ptr, o + l);
            unchecked {
                ++count;
                ptr += o + l;
            }
        }
        assembly ("memory-safe") {
            mstore(items_, count)
        }
    }

    /// @notice The items of the list encoded in `_in`.
    function readList(bytes memory _in) internal pure returns (Item[] memory items_) {
        items_ = readList(toItem(_in));
    }

    /// @notice The payload of a string item, copied. The string must span the whole item.
    function readBytes(Item memory _item) internal pure returns (bytes memory out_) {
        (uint256 offset, uint256 length, bool isList) = header(_item);
        if (isList) revert RLPNotAString();
        if (offset + length != _item.len) revert RLPLengthMismatch();
        out_ = copy(_item.ptr + offset, length);
    }

    /// @notice The payload of the string encoded in `_in`.
    function readBytes(bytes memory _in) internal pure returns (bytes memory out_) {
        out_ = readBytes(toItem(_in));
    }

    /// @notice keccak256 of the item's full encoding (prefix included).
    function hashRaw(Item memory _item) internal pure returns (bytes32 hash_) {
        uint256 ptr = _item.ptr;
        uint256 len = _item.len;
        assembly ("memory-safe") {
            hash_ := keccak256(ptr, len)
        }
    }

    /// @notice Copies `_length` bytes starting at memory address `_src` into a new bytes array.
    function copy(uint256 _src, uint256 _length) internal pure returns (bytes memory out_) {
        out_ = new bytes(_length);
        assembly ("memory-safe") {
            mcopy(add(out_, 32), _src, _length)
        }
    }

    /// @dev Reads a long-form length: `_lenOfLen` (1-8) big-endian bytes after the prefix.
    function _longLength(uint256 _ptr, uint256 _lenOfLen, uint256 _itemLen)
        private
        pure
        returns (uint256 offset_, uint256 length_)
    {
        if (_itemLen <= _lenOfLen) revert RLPLengthMismatch();
        uint256 word;
        assembly ("memory-safe") {
            word := mload(add(_ptr, 1))
        }
        // No leading zero byte, and a long form only for lengths that need it.
        if (word >> 248 == 0) revert RLPInvalidHeader();
        length_ = word >> (256 - 8 * _lenOfLen);
        if (length_ < 56) revert RLPInvalidHeader();
        offset_ = 1 + _lenOfLen;
    }
}
