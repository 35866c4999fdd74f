// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Types
/// @notice Structs shared by the L1 settlement contracts, field for field the OP Stack's.
library Types {
    /// @notice A withdrawal started on L2 by `L2ToL1MessagePasser.initiateWithdrawal`.
    /// @custom:field nonce    Versioned nonce (MESSAGE_VERSION << 240 | msgNonce).
    /// @custom:field sender   L2 caller of initiateWithdrawal.
    /// @custom:field target   Address called on L1.
    /// @custom:field value    OPEN (wei) released to `target` on L1.
    /// @custom:field gasLimit Minimum gas for the L1 call.
    /// @custom:field data     Calldata of the L1 call.
    struct WithdrawalTransaction {
        uint256 nonce;
        address sender;
        address target;
        uint256 value;
        uint256 gasLimit;
        bytes data;
    }

    /// @notice The preimage of a version-0 output root.
    /// @custom:field version                  Output root version, bytes32(0).
    /// @custom:field stateRoot                L2 state root.
    /// @custom:field messagePasserStorageRoot Storage root of L2ToL1MessagePasser (0x4200…0016).
    /// @custom:field latestBlockhash          Hash of the L2 block.
    struct OutputRootProof {
        bytes32 version;
        bytes32 stateRoot;
        bytes32 messagePasserStorageRoot;
        bytes32 latestBlockhash;
    }
}

/// @title Hashing
/// @notice The hashes L1 and L2 must agree on.
library Hashing {
    /// @notice keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)): the key of
    ///         `L2ToL1MessagePasser.sentMessages` (OP's Hashing.hashWithdrawal).
    function hashWithdrawal(Types.WithdrawalTransaction memory _tx) internal pure returns (bytes32) {
        return keccak256(abi.encode(_tx.nonce, _tx.sender, _tx.target, _tx.value, _tx.gasLimit, _tx.data));
    }

    /// @notice keccak256(abi.encode(version, stateRoot, messagePasserStorageRoot, latestBlockhash)),
    ///         the output root (OP's Hashing.hashOutputRootProof; protocol/src/output_root.rs).
    function hashOutputRootProof(Types.OutputRootProof memory _proof) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(_proof.version, _proof.stateRoot, _proof.messagePasserStorageRoot, _proof.latestBlockhash)
        );
    }
}
