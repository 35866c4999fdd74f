// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @custom:predeploy 0x4200000000000000000000000000000000000015
/// @title L1Block
/// @notice The latest L1 block attributes known to the L2 chain. The protocol's L1-attributes
///         deposit (sent by DEPOSITOR_ACCOUNT as the first transaction of every L2 block) writes
///         them; anyone can read them. Modelled on the OP Stack predeploy of the same name, with
///         the same storage layout, because the node's EVM (op-revm) reads these slots directly
///         to compute the L1 data fee and the operator fee.
///
/// Storage layout (slot: [byte offset from the low end] field), identical to OP's Isthmus L1Block:
///   slot 0: [0..8) number (uint64)            [8..16) timestamp (uint64)
///   slot 1: basefee (uint256)
///   slot 2: hash (bytes32)
///   slot 3: [0..8) sequenceNumber (uint64)    [8..12) blobBaseFeeScalar (uint32)   [12..16) baseFeeScalar (uint32)
///   slot 4: batcherHash (bytes32)
///   slot 5: l1FeeOverhead (uint256, legacy)
///   slot 6: l1FeeScalar (uint256, legacy)
///   slot 7: blobBaseFee (uint256)
///   slot 8: [0..8) operatorFeeConstant (uint64) [8..12) operatorFeeScalar (uint32)
///
/// Calldata of setL1BlockValuesEcotone(), 164 bytes, packed big-endian (no ABI encoding):
///   offset   size  field
///   0        4     selector 0x440a5e20
///   4        4     baseFeeScalar      (uint32)
///   8        4     blobBaseFeeScalar  (uint32)
///   12       8     sequenceNumber     (uint64)
///   20       8     timestamp          (uint64)
///   28       8     number             (uint64)
///   36       32    basefee            (uint256)
///   68       32    blobBaseFee        (uint256)
///   100      32    hash               (bytes32)
///   132      32    batcherHash        (bytes32)
///
/// Calldata of setL1BlockValuesIsthmus(), 176 bytes: the same first 164 bytes with selector
/// 0x098999be, then
///   164      4     operatorFeeScalar   (uint32)
///   168      8     operatorFeeConstant (uint64)
///
/// Because the packed big-endian fields are in the reverse order of Solidity's low-to-high
/// packing, bytes [4, 20) loaded as one 128-bit word are exactly slot 3, bytes [20, 36) exactly
/// slot 0, and bytes [164, 176) as one 96-bit word exactly slot 8.
contract L1Block {
    /// @notice Thrown when a setter is called by anyone but DEPOSITOR_ACCOUNT (selector 0x3cc50b45).
    error NotDepositor();

    /// @notice The ETH-style sentinel that OP uses for "the gas token is the chain's native coin".
    address internal constant NATIVE_TOKEN = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;

    /// @notice The latest L1 block number known by the L2 system.
    uint64 public number;

    /// @notice The latest L1 timestamp known by the L2 system.
    uint64 public timestamp;

    /// @notice The latest L1 base fee.
    uint256 public basefee;

    /// @notice The latest L1 block hash.
    bytes32 public hash;

    /// @notice The number of L2 blocks since the start of the epoch (the L1 origin).
    uint64 public sequenceNumber;

    /// @notice The scalar applied to the L1 blob base fee portion of the L1 data fee.
    uint32 public blobBaseFeeScalar;

    /// @notice The scalar applied to the L1 base fee portion of the L1 data fee.
    uint32 public baseFeeScalar;

    /// @notice The versioned hash that authenticates the batcher.
    bytes32 public batcherHash;

    /// @notice Pre-Ecotone fee overhead. Kept for the layout; not written by the current setters.
    /// @custom:legacy
    uint256 public l1FeeOverhead;

    /// @notice Pre-Ecotone fee scalar. Kept for the layout; not written by the current setters.
    /// @custom:legacy
    uint256 public l1FeeScalar;

    /// @notice The latest L1 blob base fee.
    uint256 public blobBaseFee;

    /// @notice The constant part of the operator fee (Isthmus).
    uint64 public operatorFeeConstant;

    /// @notice The scalar part of the operator fee (Isthmus), with 6 decimals.
    uint32 public operatorFeeScalar;

    /// @notice Address of the special depositor account (the sender of L1-attributes deposits).
    function DEPOSITOR_ACCOUNT() public pure returns (address addr_) {
        addr_ = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;
    }

    /// @notice Semantic version.
    function version() public pure returns (string memory) {
        return "1.0.0";
    }

    /// @notice The gas paying token: the chain's native coin (OPEN, 18 decimals), reported with
    ///         the same sentinel address OP uses for a native gas token.
    function gasPayingToken() public pure returns (address addr_, uint8 decimals_) {
        addr_ = NATIVE_TOKEN;
        decimals_ = 18;
    }

    /// @notice Name of the gas paying token.
    function gasPayingTokenName() public pure returns (string memory name_) {
        name_ = "Open";
    }

    /// @notice Symbol of the gas paying token.
    function gasPayingTokenSymbol() public pure returns (string memory symbol_) {
        symbol_ = "OPEN";
    }

    /// @notice Always false: gas is paid in the chain's native coin, not in an ERC-20.
    function isCustomGasToken() public pure returns (bool) {
        return false;
    }

    /// @custom:legacy
    /// @notice Bedrock-style ABI-encoded setter, kept for tooling compatibility.
    function setL1BlockValues(
        uint64 _number,
        uint64 _timestamp,
        uint256 _basefee,
        bytes32 _hash,
        uint64 _sequenceNumber,
        bytes32 _batcherHash,
        uint256 _l1FeeOverhead,
        uint256 _l1FeeScalar
    ) external {
        if (msg.sender != DEPOSITOR_ACCOUNT()) revert NotDepositor();
        number = _number;
        timestamp = _timestamp;
        basefee = _basefee;
        hash = _hash;
        sequenceNumber = _sequenceNumber;
        batcherHash = _batcherHash;
        l1FeeOverhead = _l1FeeOverhead;
        l1FeeScalar = _l1FeeScalar;
    }

    /// @notice Sets the L1 block values from packed calldata (Ecotone format, see the header).
    function setL1BlockValuesEcotone() external {
        _setL1BlockValuesEcotone();
    }

    /// @notice Sets the L1 block values and the operator fee parameters from packed calldata
    ///         (Isthmus format, see the header).
    function setL1BlockValuesIsthmus() external {
        _setL1BlockValuesEcotone();
        assembly {
            // operatorFeeScalar (uint32) | operatorFeeConstant (uint64): the 12 bytes at 164.
            sstore(operatorFeeConstant.slot, shr(160, calldataload(164)))
        }
    }

    function _setL1BlockValuesEcotone() internal {
        address depositor = DEPOSITOR_ACCOUNT();
        assembly {
            if xor(caller(), depositor) {
                mstore(0x00, 0x3cc50b45) // NotDepositor()
                revert(0x1c, 0x04)
            }
            // baseFeeScalar (uint32) | blobBaseFeeScalar (uint32) | sequenceNumber (uint64)
            sstore(sequenceNumber.slot, shr(128, calldataload(4)))
            // timestamp (uint64) | number (uint64)
            sstore(number.slot, shr(128, calldataload(20)))
            sstore(basefee.slot, calldataload(36))
            sstore(blobBaseFee.slot, calldataload(68))
            sstore(hash.slot, calldataload(100))
            sstore(batcherHash.slot, calldataload(132))
        }
    }
}
