// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IVerifier} from "./IVerifier.sol";

/// @title AttestationVerifier
/// @notice Accepts an output root when the prover stub's key has signed it. The prover stub
///         derives the chain from L1, re-executes it and signs what it computed:
///
///           attestation = keccak256(abi.encode(uint256 chainId, address inbox, uint256 outputIndex,
///                                              bytes32 outputRoot, uint256 l2BlockNumber))
///           proof       = 65-byte ECDSA signature (r ‖ s ‖ v, low s) over the EIP-191 message
///                         "\x19Ethereum Signed Message:\n32" ‖ attestation
///
///         (alloy: `signer.sign_message(attestation.as_slice())`; ethers/viem: `signMessage` of the
///         raw 32 bytes). `chainId` is the L1 chain id (`block.chainid` here) and `inbox` the
///         SettlementInbox that asks, i.e. `msg.sender` of `verify`; together they pin the
///         signature to one deployment, so it cannot be replayed on another chain or inbox;
///         `outputIndex` (the index the inbox records the output at) pins it to one place in the
///         output sequence, so it cannot be proposed at another index after a deletion. The
///         inbox itself refuses a root the guardian deleted.
///         The signer is fixed: to rotate the key, deploy a new verifier and have the inbox's
///         owner switch to it (`SettlementInbox.setVerifier`).
contract AttestationVerifier is IVerifier {
    /// @notice The prover stub's signing address.
    address public immutable signer;

    error ZeroSigner();

    constructor(address _signer) {
        if (_signer == address(0)) revert ZeroSigner();
        signer = _signer;
    }

    /// @notice The 32 bytes the prover signs (before the EIP-191 prefix) for `_inbox`.
    function attestation(address _inbox, uint256 _outputIndex, bytes32 _outputRoot, uint256 _l2BlockNumber)
        public
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, _inbox, _outputIndex, _outputRoot, _l2BlockNumber));
    }

    /// @inheritdoc IVerifier
    /// @dev The inbox is `msg.sender`: off-chain, call with `from` set to the inbox.
    function verify(bytes32 _outputRoot, uint256 _l2BlockNumber, uint256 _outputIndex, bytes calldata _proof)
        external
        view
        returns (bool)
    {
        bytes32 digest =
            MessageHashUtils.toEthSignedMessageHash(attestation(msg.sender, _outputIndex, _outputRoot, _l2BlockNumber));
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, _proof);
        return err == ECDSA.RecoverError.NoError && recovered == signer;
    }
}
