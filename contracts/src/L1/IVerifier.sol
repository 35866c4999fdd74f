// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IVerifier
/// @notice Checks an output root before the SettlementInbox records it. Pluggable: the prover
///         stub's ECDSA attestation now (AttestationVerifier), a validity proof later.
interface IVerifier {
    /// @notice Whether `_proof` shows that `_outputRoot` is the output root of L2 block
    ///         `_l2BlockNumber`, proposed as output `_outputIndex`. Called by the
    ///         SettlementInbox, so `msg.sender` is the inbox.
    function verify(bytes32 _outputRoot, uint256 _l2BlockNumber, uint256 _outputIndex, bytes calldata _proof)
        external
        view
        returns (bool);
}
