// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SettlementInbox} from "./SettlementInbox.sol";
import {Types, Hashing} from "./libraries/Types.sol";
import {SecureMerkleTrie} from "./libraries/MerkleTrie.sol";
import {SafeCall} from "./libraries/SafeCall.sol";
import {AddressAliasHelper} from "./libraries/AddressAliasHelper.sol";

/// @title OpenPortal
/// @notice The L1 end of the bridge, modelled on the OP Stack's OptimismPortal with a custom gas
///         token: the L2's native currency is OPEN, so value crosses as L1 OPEN (an ERC-20)
///         locked here, never as ETH.
///
///         Deposits. Every deposit emits OP's `TransactionDeposited(from, to, 0, opaqueData)`,
///         opaqueData = abi.encodePacked(uint256 mint, uint256 value, uint64 gasLimit,
///         bool isCreation, bytes data), which the rollup node turns into a deposit transaction
///         (type 0x7E) that first mints `mint` native OPEN to `from` on L2, then sends `value`
///         from `from` to `to` with `data`.
///         - `depositERC20Transaction(to, mint, value, gasLimit, isCreation, data)` (the name and
///           arguments of OP's custom-gas-token portal) pulls `mint` L1 OPEN from the caller
///           (`transferFrom`, approve or permit first) and locks it here: L2 mint == OPEN locked.
///         - `depositOpen(to, amount, gasLimit, data)` is the common case: mint = value = amount,
///           a call (never a creation), so `to` receives `amount` on L2.
///         - `depositTransaction(to, value, gasLimit, isCreation, data)` keeps OP's signature for
///           messages that carry no new OPEN: mint = 0, `value` comes out of `from`'s existing L2
///           balance. It refuses ETH (`msg.value` must be 0); there is no ETH on L2.
///         `from` is the caller, or its alias (+0x1111…1111) when the caller is a contract
///         (`msg.sender != tx.origin`), as in OP: a contract's minted OPEN lands at its alias.
///         Each deposit's gas limit is at least 21000 + 16 per data byte, the data at most
///         120,000 bytes, and the deposits of one L1 block together buy at most
///         `maxDepositGasPerL1Block` L2 gas, so they always fit in the L2 block that includes them
///         (a hard cap in place of OP's ResourceMetering; it does not charge for the gas).
///
///         Withdrawals. A withdrawal started on L2 (`L2ToL1MessagePasser.initiateWithdrawal`) is
///         proved against an output root recorded in the SettlementInbox, with a Merkle-Patricia
///         proof that `sentMessages[withdrawalHash] == true` in the message passer's storage,
///         and finalized once that output is finalized and `proofMaturityDelay` has passed since
///         the proof. Finalizing releases `value` L1 OPEN to `target` (even if the call then
///         fails, as in OP's custom-gas-token portal) and, if there is calldata, calls `target`
///         with at least `gasLimit` gas while `l2Sender()` names the L2 sender. A withdrawal
///         finalizes at most once. OPEN leaves only through withdrawals, and never more than
///         `totalLocked`, so the portal holds at least every L2 mint minus every withdrawal.
///
///         Pause. The inbox's guardian may pause the portal; paused, it refuses deposits,
///         proofs and finalizations.
contract OpenPortal {
    using SafeERC20 for IERC20;

    /// @notice A proven withdrawal.
    /// @custom:field outputRoot    Output root it was proven against.
    /// @custom:field timestamp     L1 timestamp of the proof.
    /// @custom:field l2OutputIndex Index of that output in the inbox.
    struct ProvenWithdrawal {
        bytes32 outputRoot;
        uint128 timestamp;
        uint128 l2OutputIndex;
    }

    /// @notice L2 gas bought by the deposits of the current L1 block.
    struct DepositGas {
        uint64 l1BlockNumber;
        uint64 used;
    }

    /// @notice `l2Sender` outside a withdrawal's call.
    address internal constant DEFAULT_L2_SENDER = 0x000000000000000000000000000000000000dEaD;

    /// @notice `tx.origin` of gas estimations: a failing withdrawal call reverts the whole
    ///         finalization for it, so that estimates include the call's gas (as in OP).
    address internal constant ESTIMATION_ADDRESS = address(1);

    /// @notice Version of the TransactionDeposited event.
    uint256 internal constant DEPOSIT_VERSION = 0;

    /// @notice Largest deposit calldata (OP's limit).
    uint256 public constant MAX_DEPOSIT_DATA_SIZE = 120_000;

    /// @notice OPEN on L1.
    IERC20 public immutable openToken;

    /// @notice The output roots withdrawals are proved against, and the guardian.
    SettlementInbox public immutable inbox;

    /// @notice Seconds between a withdrawal's proof and its finalization (besides the output's
    ///         own challenge window); time for the guardian to react to a bad proof.
    uint256 public immutable proofMaturityDelay;

    /// @notice Most L2 gas the deposits of one L1 block may buy together (and so one deposit).
    uint64 public immutable maxDepositGasPerL1Block;

    /// @notice The L2 sender of the withdrawal being finalized, else 0x…dEaD. Doubles as a
    ///         reentrancy guard for finalizeWithdrawalTransaction.
    address public l2Sender;

    /// @notice Whether the guardian has paused the portal.
    bool public paused;

    /// @notice OPEN locked against L2 supply: minted by deposits minus released by withdrawals
    ///         (OPEN sent here by plain transfers is not counted and stays here).
    uint256 public totalLocked;

    /// @notice L2 gas bought by deposits in the current L1 block.
    DepositGas public depositGas;

    /// @notice Withdrawals that have been finalized.
    mapping(bytes32 => bool) public finalizedWithdrawals;

    /// @notice Withdrawals that have been proven, by withdrawal hash.
    mapping(bytes32 => ProvenWithdrawal) public provenWithdrawals;

    /// @notice OP's deposit event; see the contract notice for `opaqueData`.
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);

    /// @notice A withdrawal was proven.
    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);

    /// @notice A withdrawal was finalized; `success` tells whether its call succeeded.
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);

    event Paused(address indexed guardian);
    event Unpaused(address indexed guardian);

    error ZeroAddress();
    error NotGuardian();
    error PortalPaused();
    error NoValue();
    error BadTarget();
    error CreationTargetNotZero();
    error GasLimitTooSmall();
    error DataTooLarge();
    error DepositGasLimitExceeded();
    error InvalidOutputRootVersion();
    error InvalidOutputRootProof();
    error InvalidWithdrawalProof();
    error AlreadyProven();
    error NotProven();
    error AlreadyFinalized();
    error OutputChanged();
    error OutputNotFinalized();
    error ProofNotMature();
    error NonReentrant();
    error GasEstimation();

    modifier whenNotPaused() {
        if (paused) revert PortalPaused();
        _;
    }

    /// @param _openToken               OPEN on L1.
    /// @param _inbox                   The settlement inbox.
    /// @param _proofMaturityDelay      Seconds between proof and finalization of a withdrawal.
    /// @param _maxDepositGasPerL1Block L2 gas the deposits of one L1 block may buy (OP: 20M);
    ///                                 keep it below the L2 block gas limit.
    constructor(
        IERC20 _openToken,
        SettlementInbox _inbox,
        uint256 _proofMaturityDelay,
        uint64 _maxDepositGasPerL1Block
    ) {
        if (address(_openToken) == address(0) || address(_inbox) == address(0)) {
            revert ZeroAddress();
        }
        openToken = _openToken;
        inbox = _inbox;
        proofMaturityDelay = _proofMaturityDelay;
        maxDepositGasPerL1Block = _maxDepositGasPerL1Block;
        l2Sender = DEFAULT_L2_SENDER;
    }

    // ---------------------------------------------------------------------------------------
    // Pause
    // ---------------------------------------------------------------------------------------

    /// @notice The guardian: the inbox's.
    function guardian() public view returns (address) {
        return inbox.guardian();
    }

    /// @notice Pauses deposits and withdrawals. Only the guardian.
    function pause() external {
        if (msg.sender != guardian()) revert NotGuardian();
        paused = true;
        emit Paused(msg.sender);
    }

    /// @notice Unpauses. Only the guardian.
    function unpause() external {
        if (msg.sender != guardian()) revert NotGuardian();
        paused = false;
        emit Unpaused(msg.sender);
    }

    // ---------------------------------------------------------------------------------------
    // Deposits
    // ---------------------------------------------------------------------------------------

    /// @notice Minimum gas limit of a deposit with `_byteCount` bytes of data (OP's rule).
    function minimumGasLimit(uint64 _byteCount) public pure returns (uint64) {
        return _byteCount * 16 + 21000;
    }

    /// @notice OP's deposit without new OPEN: mint = 0, and `_value` is paid on L2 out of
    ///         `from`'s L2 balance. Payable only to keep OP's ABI: any ETH is refused.
    /// @param _to         L2 recipient (address(0) for a creation).
    /// @param _value      OPEN (wei) sent from `from` to `_to` on L2.
    /// @param _gasLimit   L2 gas limit.
    /// @param _isCreation Whether the L2 transaction creates a contract.
    /// @param _data       L2 calldata or initcode.
    function depositTransaction(address _to, uint256 _value, uint64 _gasLimit, bool _isCreation, bytes calldata _data)
        external
        payable
        whenNotPaused
    {
        if (msg.value != 0) revert NoValue();
        _deposit(_to, 0, _value, _gasLimit, _isCreation, _data);
    }

    /// @notice Locks `_mint` L1 OPEN (pulled from the caller) and deposits a transaction whose
    ///         L2 mint is exactly `_mint` (OP's custom-gas-token entry point).
    /// @param _to         L2 recipient (address(0) for a creation).
    /// @param _mint       OPEN (wei) locked here and minted to `from` on L2.
    /// @param _value      OPEN (wei) sent from `from` to `_to` on L2 (usually `_mint`).
    /// @param _gasLimit   L2 gas limit.
    /// @param _isCreation Whether the L2 transaction creates a contract.
    /// @param _data       L2 calldata or initcode.
    function depositERC20Transaction(
        address _to,
        uint256 _mint,
        uint256 _value,
        uint64 _gasLimit,
        bool _isCreation,
        bytes calldata _data
    ) external whenNotPaused {
        _lock(_mint);
        _deposit(_to, _mint, _value, _gasLimit, _isCreation, _data);
    }

    /// @notice Locks `_amount` L1 OPEN (pulled from the caller) and sends the same amount to
    ///         `_to` on L2, calling it with `_data`: mint = value = `_amount`.
    function depositOpen(address _to, uint256 _amount, uint64 _gasLimit, bytes calldata _data) external whenNotPaused {
        _lock(_amount);
        _deposit(_to, _amount, _amount, _gasLimit, false, _data);
    }

    function _lock(uint256 _amount) internal {
        if (_amount == 0) return;
        totalLocked += _amount;
        openToken.safeTransferFrom(msg.sender, address(this), _amount);
    }

    function _deposit(
        address _to,
        uint256 _mint,
        uint256 _value,
        uint64 _gasLimit,
        bool _isCreation,
        bytes calldata _data
    ) internal {
        if (_isCreation && _to != address(0)) revert CreationTargetNotZero();
        if (_data.length > MAX_DEPOSIT_DATA_SIZE) revert DataTooLarge();
        if (_gasLimit < minimumGasLimit(uint64(_data.length))) revert GasLimitTooSmall();
        _meterDepositGas(_gasLimit);

        address from = msg.sender;
        if (msg.sender != tx.origin) from = AddressAliasHelper.applyL1ToL2Alias(msg.sender);

        emit TransactionDeposited(
            from, _to, DEPOSIT_VERSION, abi.encodePacked(_mint, _value, _gasLimit, _isCreation, _data)
        );
    }

    function _meterDepositGas(uint64 _gasLimit) internal {
        DepositGas memory g = depositGas;
        uint256 used = (g.l1BlockNumber == block.number ? uint256(g.used) : 0) + _gasLimit;
        if (used > maxDepositGasPerL1Block) revert DepositGasLimitExceeded();
        // casting to uint64 is safe: used <= maxDepositGasPerL1Block, a uint64.
        // forge-lint: disable-next-line(unsafe-typecast)
        depositGas = DepositGas({l1BlockNumber: uint64(block.number), used: uint64(used)});
    }

    // ---------------------------------------------------------------------------------------
    // Withdrawals
    // ---------------------------------------------------------------------------------------

    /// @notice Proves that withdrawal `_tx` was started on L2, against output `_l2OutputIndex`.
    ///         A withdrawal is proven once, unless the output it was proven against has since been
    ///         deleted or replaced; then it may be proven again.
    /// @param _tx              The withdrawal.
    /// @param _l2OutputIndex   Index of the output in the inbox.
    /// @param _outputRootProof Preimage of that output root.
    /// @param _withdrawalProof Storage proof of `sentMessages[hash]` (eth_getProof's
    ///                         `storageProof[0].proof` for the message passer at that block).
    function proveWithdrawalTransaction(
        Types.WithdrawalTransaction calldata _tx,
        uint256 _l2OutputIndex,
        Types.OutputRootProof calldata _outputRootProof,
        bytes[] calldata _withdrawalProof
    ) external whenNotPaused {
        // The portal never calls itself or moves OPEN by calling the token.
        if (_tx.target == address(this) || _tx.target == address(openToken)) revert BadTarget();

        bytes32 outputRoot = inbox.getOutput(_l2OutputIndex).outputRoot;
        if (_outputRootProof.version != bytes32(0)) revert InvalidOutputRootVersion();
        if (Hashing.hashOutputRootProof(_outputRootProof) != outputRoot) revert InvalidOutputRootProof();

        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        if (proven.timestamp != 0 && _outputUnchanged(proven)) revert AlreadyProven();

        // sentMessages is slot 0 of L2ToL1MessagePasser; `true` is stored as 1, RLP 0x01.
        bytes32 storageKey = keccak256(abi.encode(withdrawalHash, uint256(0)));
        if (!SecureMerkleTrie.verifyInclusionProof(
                abi.encode(storageKey), hex"01", _withdrawalProof, _outputRootProof.messagePasserStorageRoot
            )) revert InvalidWithdrawalProof();

        provenWithdrawals[withdrawalHash] = ProvenWithdrawal({
            outputRoot: outputRoot,
            timestamp: uint128(block.timestamp),
            // casting to uint128 is safe: the inbox holds the output, so the index is far smaller.
            // forge-lint: disable-next-line(unsafe-typecast)
            l2OutputIndex: uint128(_l2OutputIndex)
        });
        emit WithdrawalProven(withdrawalHash, _tx.sender, _tx.target);
    }

    /// @notice Finalizes proven withdrawal `_tx`: releases its OPEN to the target and makes its
    ///         call. Anyone may call it.
    function finalizeWithdrawalTransaction(Types.WithdrawalTransaction calldata _tx) external whenNotPaused {
        if (l2Sender != DEFAULT_L2_SENDER) revert NonReentrant();

        bytes32 withdrawalHash = Hashing.hashWithdrawal(_tx);
        checkWithdrawal(withdrawalHash);
        finalizedWithdrawals[withdrawalHash] = true;

        if (_tx.value != 0) {
            // Checked: never release more than was locked, whatever L2 claims.
            totalLocked -= _tx.value;
            openToken.safeTransfer(_tx.target, _tx.value);
        }

        bool success = true;
        if (_tx.data.length != 0) {
            l2Sender = _tx.sender;
            success = SafeCall.callWithMinGas(_tx.target, _tx.gasLimit, 0, _tx.data);
            l2Sender = DEFAULT_L2_SENDER;
        }

        emit WithdrawalFinalized(withdrawalHash, success);

        if (!success && tx.origin == ESTIMATION_ADDRESS) revert GasEstimation();
    }

    /// @notice Reverts unless the withdrawal with hash `_withdrawalHash` can be finalized now.
    function checkWithdrawal(bytes32 _withdrawalHash) public view {
        if (finalizedWithdrawals[_withdrawalHash]) revert AlreadyFinalized();
        ProvenWithdrawal memory proven = provenWithdrawals[_withdrawalHash];
        if (proven.timestamp == 0) revert NotProven();
        // Delays are hours or days; a validator's few seconds of timestamp leeway do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < uint256(proven.timestamp) + proofMaturityDelay) revert ProofNotMature();
        if (!_outputUnchanged(proven)) revert OutputChanged();
        if (!inbox.isFinalized(proven.l2OutputIndex)) revert OutputNotFinalized();
    }

    /// @dev Whether the inbox still holds the output a withdrawal was proven against.
    function _outputUnchanged(ProvenWithdrawal memory _proven) internal view returns (bool) {
        if (_proven.l2OutputIndex >= inbox.nextOutputIndex()) return false;
        return inbox.getOutput(_proven.l2OutputIndex).outputRoot == _proven.outputRoot;
    }
}
