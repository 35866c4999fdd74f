// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IVerifier} from "./IVerifier.sol";

/// @title SettlementInbox
/// @notice Where the L2 chain settles on L1.
///
///         Batches. Only the batcher may post them, as calldata (`submitBatch`) or as EIP-4844
///         blobs (`submitBlobBatch`). Each batch gets the next batch index and an event that names
///         what derivation needs: for calldata the keccak256 and length of the bytes (the bytes
///         themselves are the `data` argument of the transaction's `submitBatch` call, which must
///         come straight from the batcher's EOA), for blobs their versioned hashes. Every batch is
///         also folded into `batchAccumulator`, an on-chain commitment to the whole sequence.
///
///         Outputs. Only the proposer may propose an output root, for an L2 block above the
///         previous output's (so outputs cover consecutive block ranges), and only with a proof
///         the verifier accepts. An output is finalized `challengeWindow` seconds after it was
///         proposed; until then the guardian may delete it (and every later output). A finalized
///         output can never change: the window is immutable, outputs are append-only, and only
///         non-finalized outputs can be deleted. A deleted root is never accepted again (a
///         withdrawal proven against it stays dead); after a mistaken deletion the proposer goes
///         on with a later L2 block, whose root differs. The verifier sees the index the output
///         will take, so an attestation holds for one place in the sequence only.
///
///         Roles. The owner (two-step ownership transfer; renouncing is disabled) sets the
///         batcher, proposer, guardian and verifier. The guardian also pauses and unpauses the
///         OpenPortal.
contract SettlementInbox is Ownable2Step {
    /// @notice A recorded output root.
    /// @custom:field outputRoot    Version-0 output root.
    /// @custom:field timestamp     L1 timestamp of the proposal; finalized at timestamp + challengeWindow.
    /// @custom:field l2BlockNumber L2 block the output root is for.
    struct OutputProposal {
        bytes32 outputRoot;
        uint128 timestamp;
        uint128 l2BlockNumber;
    }

    /// @notice Batch kinds folded into `batchAccumulator`.
    uint8 internal constant BATCH_KIND_CALLDATA = 0;
    uint8 internal constant BATCH_KIND_BLOBS = 1;

    /// @notice Seconds between an output's proposal and its finalization.
    uint256 public immutable challengeWindow;

    /// @notice L2 block the chain starts from (its state is trusted, e.g. genesis). The first
    ///         output must be for a later block.
    uint256 public immutable startingBlockNumber;

    /// @notice The only address that may submit batches.
    address public batcher;

    /// @notice The only address that may propose outputs.
    address public proposer;

    /// @notice May delete non-finalized outputs and pause the OpenPortal.
    address public guardian;

    /// @notice Checks every proposed output.
    IVerifier public verifier;
    /// @notice Output roots the guardian deleted: never accepted again, so a withdrawal proven
    ///         against one cannot revive with its old proof and maturity clock.
    mapping(bytes32 outputRoot => bool deleted) public deletedOutputRoots;

    /// @notice Number of batches submitted (the index of the next batch).
    uint256 public batchCount;

    /// @notice keccak256(abi.encode(previous accumulator, batch index, L1 block number, kind,
    ///         commitment)) over all batches, where kind is 0 (calldata, commitment = keccak256 of
    ///         the data) or 1 (blobs, commitment = keccak256 of the packed versioned hashes).
    bytes32 public batchAccumulator;

    /// @notice The outputs, in proposal order.
    OutputProposal[] internal _outputs;

    /// @notice A calldata batch was submitted.
    /// @param batchIndex    Index of the batch (counting calldata and blob batches together).
    /// @param l1BlockNumber L1 block that holds it.
    /// @param dataHash      keccak256 of the batch data.
    /// @param dataLength    Length of the batch data in bytes.
    event BatchSubmitted(
        uint256 indexed batchIndex, uint256 indexed l1BlockNumber, bytes32 dataHash, uint256 dataLength
    );

    /// @notice A blob batch was submitted.
    /// @param batchIndex    Index of the batch (counting calldata and blob batches together).
    /// @param l1BlockNumber L1 block that holds it.
    /// @param blobHashes    Versioned hashes of the transaction's blobs, in order.
    event BlobBatchSubmitted(uint256 indexed batchIndex, uint256 indexed l1BlockNumber, bytes32[] blobHashes);

    /// @notice An output was recorded (the OP Stack's L2OutputOracle event).
    event OutputProposed(
        bytes32 indexed outputRoot, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, uint256 l1Timestamp
    );

    /// @notice Outputs from `newNextOutputIndex` to `prevNextOutputIndex - 1` were deleted.
    event OutputsDeleted(uint256 indexed prevNextOutputIndex, uint256 indexed newNextOutputIndex);

    event BatcherUpdated(address indexed previousBatcher, address indexed newBatcher);
    event ProposerUpdated(address indexed previousProposer, address indexed newProposer);
    event GuardianUpdated(address indexed previousGuardian, address indexed newGuardian);
    event VerifierUpdated(address indexed previousVerifier, address indexed newVerifier);

    error NotBatcher();
    error NotProposer();
    error NotGuardian();
    error BatcherNotEOA();
    error NoBlobs();
    error MissingBlob(uint256 index);
    error ZeroOutputRoot();
    error BlockNumberNotIncreasing(uint256 l2BlockNumber, uint256 latestBlockNumber);
    error BlockNumberTooLarge();
    error L1BlockHashMismatch();
    error InvalidProof();
    error OutputNotFound(uint256 index);
    error OutputFinalized(uint256 index);
    error OutputRootDeleted(bytes32 outputRoot);
    error ZeroVerifier();
    error RenounceDisabled();

    /// @param _owner               Owner (sets the roles).
    /// @param _batcher             Batch submitter.
    /// @param _proposer            Output proposer.
    /// @param _guardian            Guardian.
    /// @param _verifier            Output verifier.
    /// @param _challengeWindow     Seconds from proposal to finalization.
    /// @param _startingBlockNumber L2 block the chain starts from.
    constructor(
        address _owner,
        address _batcher,
        address _proposer,
        address _guardian,
        IVerifier _verifier,
        uint256 _challengeWindow,
        uint256 _startingBlockNumber
    ) Ownable(_owner) {
        if (_startingBlockNumber > type(uint128).max) revert BlockNumberTooLarge();
        challengeWindow = _challengeWindow;
        startingBlockNumber = _startingBlockNumber;
        _setBatcher(_batcher);
        _setProposer(_proposer);
        _setGuardian(_guardian);
        _setVerifier(_verifier);
    }

    // ---------------------------------------------------------------------------------------
    // Batches
    // ---------------------------------------------------------------------------------------

    /// @notice Posts a batch as calldata. Only the batcher, calling directly from its EOA (so
    ///         that the transaction's input is this call and derivation can read `_data` there).
    /// @param _data Batch data (derivation decides what it means; garbage is skipped there).
    function submitBatch(bytes calldata _data) external {
        if (msg.sender != batcher) revert NotBatcher();
        if (msg.sender != tx.origin) revert BatcherNotEOA();
        bytes32 dataHash = keccak256(_data);
        uint256 index = _recordBatch(BATCH_KIND_CALLDATA, dataHash);
        emit BatchSubmitted(index, block.number, dataHash, _data.length);
    }

    /// @notice Posts a batch carried by this transaction's first `_numBlobs` blobs. Only the batcher.
    /// @param _numBlobs Number of blobs; each must exist (non-zero `blobhash`).
    function submitBlobBatch(uint256 _numBlobs) external {
        if (msg.sender != batcher) revert NotBatcher();
        if (_numBlobs == 0) revert NoBlobs();
        bytes32[] memory hashes = new bytes32[](_numBlobs);
        for (uint256 i; i < _numBlobs; ++i) {
            bytes32 h = blobhash(i);
            if (h == bytes32(0)) revert MissingBlob(i);
            hashes[i] = h;
        }
        uint256 index = _recordBatch(BATCH_KIND_BLOBS, keccak256(abi.encodePacked(hashes)));
        emit BlobBatchSubmitted(index, block.number, hashes);
    }

    function _recordBatch(uint8 _kind, bytes32 _commitment) internal returns (uint256 index_) {
        index_ = batchCount;
        batchCount = index_ + 1;
        batchAccumulator = keccak256(abi.encode(batchAccumulator, index_, block.number, _kind, _commitment));
    }

    // ---------------------------------------------------------------------------------------
    // Outputs
    // ---------------------------------------------------------------------------------------

    /// @notice Records the output root of L2 block `_l2BlockNumber`. Only the proposer.
    /// @param _outputRoot    Version-0 output root.
    /// @param _l2BlockNumber L2 block; above the latest output's (or the starting block).
    /// @param _l1BlockHash   If non-zero, the proposal only lands while `_l1BlockNumber` has this
    ///                       hash (the OP Stack's guard against proposing on a reorged-out L1).
    /// @param _l1BlockNumber L1 block whose hash is checked (one of the last 256).
    /// @param _proof         Proof for the verifier (for AttestationVerifier: the signature).
    function proposeOutput(
        bytes32 _outputRoot,
        uint256 _l2BlockNumber,
        bytes32 _l1BlockHash,
        uint256 _l1BlockNumber,
        bytes calldata _proof
    ) external {
        if (msg.sender != proposer) revert NotProposer();
        if (_outputRoot == bytes32(0)) revert ZeroOutputRoot();
        uint256 latest = latestBlockNumber();
        if (_l2BlockNumber <= latest) revert BlockNumberNotIncreasing(_l2BlockNumber, latest);
        if (_l2BlockNumber > type(uint128).max) revert BlockNumberTooLarge();
        if (_l1BlockHash != bytes32(0) && blockhash(_l1BlockNumber) != _l1BlockHash) revert L1BlockHashMismatch();
        if (deletedOutputRoots[_outputRoot]) revert OutputRootDeleted(_outputRoot);
        uint256 index = _outputs.length;
        if (!verifier.verify(_outputRoot, _l2BlockNumber, index, _proof)) revert InvalidProof();

        _outputs.push(
            OutputProposal({
                outputRoot: _outputRoot,
                timestamp: uint128(block.timestamp),
                // casting to uint128 is safe: checked against type(uint128).max above.
                // forge-lint: disable-next-line(unsafe-typecast)
                l2BlockNumber: uint128(_l2BlockNumber)
            })
        );
        emit OutputProposed(_outputRoot, index, _l2BlockNumber, block.timestamp);
    }

    /// @notice Deletes output `_index` and all later ones. Only the guardian, and only while
    ///         output `_index` is not finalized (later ones are younger, so neither are they).
    function deleteOutputs(uint256 _index) external {
        if (msg.sender != guardian) revert NotGuardian();
        uint256 count = _outputs.length;
        if (_index >= count) revert OutputNotFound(_index);
        if (isFinalized(_index)) revert OutputFinalized(_index);
        for (uint256 i = count; i > _index; --i) {
            deletedOutputRoots[_outputs[i - 1].outputRoot] = true;
            _outputs.pop();
        }
        emit OutputsDeleted(count, _index);
    }

    /// @notice Whether output `_index` exists and its challenge window has passed.
    function isFinalized(uint256 _index) public view returns (bool) {
        if (_index >= _outputs.length) return false;
        // The window is hours or days; a validator's few seconds of timestamp leeway do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        return block.timestamp >= uint256(_outputs[_index].timestamp) + challengeWindow;
    }

    /// @notice Output `_index`; reverts if there is none.
    function getOutput(uint256 _index) external view returns (OutputProposal memory) {
        if (_index >= _outputs.length) revert OutputNotFound(_index);
        return _outputs[_index];
    }

    /// @notice Number of outputs (the index of the next one).
    function nextOutputIndex() external view returns (uint256) {
        return _outputs.length;
    }

    /// @notice Index of the newest output; reverts if there is none.
    function latestOutputIndex() external view returns (uint256) {
        uint256 count = _outputs.length;
        if (count == 0) revert OutputNotFound(0);
        return count - 1;
    }

    /// @notice L2 block of the newest output, or the starting block if there is none.
    function latestBlockNumber() public view returns (uint256) {
        uint256 count = _outputs.length;
        return count == 0 ? startingBlockNumber : _outputs[count - 1].l2BlockNumber;
    }

    /// @notice Index of the first output whose L2 block is at or above `_l2BlockNumber`: the
    ///         output to prove a withdrawal from that block against. Reverts if there is none.
    function getOutputIndexAfter(uint256 _l2BlockNumber) external view returns (uint256) {
        uint256 lo;
        uint256 hi = _outputs.length;
        if (hi == 0 || _outputs[hi - 1].l2BlockNumber < _l2BlockNumber) revert OutputNotFound(hi);
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_outputs[mid].l2BlockNumber < _l2BlockNumber) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    // ---------------------------------------------------------------------------------------
    // Roles
    // ---------------------------------------------------------------------------------------

    /// @notice Sets the batcher. Only the owner.
    function setBatcher(address _batcher) external onlyOwner {
        _setBatcher(_batcher);
    }

    /// @notice Sets the proposer. Only the owner.
    function setProposer(address _proposer) external onlyOwner {
        _setProposer(_proposer);
    }

    /// @notice Sets the guardian. Only the owner.
    function setGuardian(address _guardian) external onlyOwner {
        _setGuardian(_guardian);
    }

    /// @notice Sets the verifier. Only the owner. Recorded outputs stay as they are.
    function setVerifier(IVerifier _verifier) external onlyOwner {
        _setVerifier(_verifier);
    }

    /// @notice Disabled: without an owner no role could ever change again (a leaked batcher or
    ///         proposer key could not be replaced). Transfer ownership instead.
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    function _setBatcher(address _batcher) internal {
        emit BatcherUpdated(batcher, _batcher);
        batcher = _batcher;
    }

    function _setProposer(address _proposer) internal {
        emit ProposerUpdated(proposer, _proposer);
        proposer = _proposer;
    }

    function _setGuardian(address _guardian) internal {
        emit GuardianUpdated(guardian, _guardian);
        guardian = _guardian;
    }

    function _setVerifier(IVerifier _verifier) internal {
        if (address(_verifier) == address(0)) revert ZeroVerifier();
        emit VerifierUpdated(address(verifier), address(_verifier));
        verifier = _verifier;
    }
}
