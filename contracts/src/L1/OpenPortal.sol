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
///         `from` is the caller, or its alias (+0x1111…1111) when the caller is a contract, as
///         in OP (`EOA.isSenderEOA`): a contract's minted OPEN lands at its alias. An EOA with
///         an EIP-7702 delegation (code `0xef0100 ‖ delegate`, 23 bytes) that deposits through
///         another account's transaction is not aliased: its key controls the same address
///         on L2.
///         Each deposit's gas limit is at least 21000 + 16 per data byte, the data at most
///         120,000 bytes, and the deposits of one L1 block together buy at most
///         `maxDepositGasPerL1Block` L2 gas, so they always fit in the L2 block that includes them.
///
///         Deposit pricing. A deposit's L2 execution is not paid for on L2 (deposit transactions
///         have no gas price), so it is paid here, with OP's ResourceMetering market: deposit gas
///         has a base fee (wei per L2 gas, at least 1 gwei) that moves like EIP-1559 from one L1
///         block to the next, towards a target of `maxDepositGasPerL1Block / 10` per L1 block
///         (x2.125 after a full block, x7/8 per L1 block without deposits), and a deposit
///         burns `gasLimit * baseFee / max(block.basefee, 1 gwei)` L1 gas (OP's Burn.gas), less
///         the gas its own work already used. Filling the whole budget of a block thus costs
///         the budget times the base fee, and every full block more than doubles the base fee,
///         so the deposit path (the rollup's forced-inclusion path) cannot be censored by buying
///         up the budget for free.
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

    /// @notice State of the deposit gas market (OP's ResourceMetering.ResourceParams, same layout).
    /// @custom:field prevBaseFee   Base fee of deposit gas (wei per L2 gas) in block `prevBlockNum`.
    /// @custom:field prevBoughtGas L2 gas bought by the deposits of block `prevBlockNum`.
    /// @custom:field prevBlockNum  Last L1 block with a deposit (or the deployment's).
    struct ResourceParams {
        uint128 prevBaseFee;
        uint64 prevBoughtGas;
        uint64 prevBlockNum;
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

    /// @notice The deposit gas market's target per L1 block is `maxDepositGasPerL1Block` divided
    ///         by this (OP's default elasticityMultiplier).
    uint256 public constant ELASTICITY_MULTIPLIER = 10;

    /// @notice Bounds the base fee's change per L1 block (OP's default
    ///         baseFeeMaxChangeDenominator): `fee * (bought - target) / (target * 8)`.
    uint256 public constant BASE_FEE_MAX_CHANGE_DENOMINATOR = 8;

    /// @notice Lowest base fee of deposit gas, wei per L2 gas (OP's default minimumBaseFee).
    uint256 public constant MINIMUM_BASE_FEE = 1 gwei;

    /// @notice Highest base fee of deposit gas (OP's default maximumBaseFee).
    uint256 public constant MAXIMUM_BASE_FEE = type(uint128).max;

    /// @notice Floor of the L1 base fee when converting a deposit's price into L1 gas to burn
    ///         (OP's: avoids dividing by zero and excessive burns when L1 gas is very cheap).
    uint256 internal constant MIN_L1_BASE_FEE = 1 gwei;

    /// @notice `(1 - 1 / BASE_FEE_MAX_CHANGE_DENOMINATOR)` in 128-bit fixed point: the base fee's
    ///         factor per empty L1 block.
    uint256 internal constant EMPTY_BLOCK_FACTOR_Q128 = (1 << 128) - (1 << 128) / BASE_FEE_MAX_CHANGE_DENOMINATOR;

    /// @notice OPEN on L1.
    IERC20 public immutable openToken;

    /// @notice The output roots withdrawals are proved against, and the guardian.
    SettlementInbox public immutable inbox;

    /// @notice Seconds between a withdrawal's proof and its finalization (besides the output's
    ///         own challenge window); time for the guardian to react to a bad proof.
    uint256 public immutable proofMaturityDelay;

    /// @notice Most L2 gas the deposits of one L1 block may buy together (and so one deposit);
    ///         OP's maxResourceLimit. A tenth of it is the deposit gas market's target.
    uint64 public immutable maxDepositGasPerL1Block;

    /// @notice The L2 sender of the withdrawal being finalized, else 0x…dEaD. Doubles as a
    ///         reentrancy guard for finalizeWithdrawalTransaction.
    address public l2Sender;

    /// @notice Whether the guardian has paused the portal.
    bool public paused;

    /// @notice OPEN locked against L2 supply: the L2 genesis allocation plus what deposits mint,
    ///         minus what withdrawals release (OPEN sent here by plain transfers is not counted
    ///         and stays here). Invariant across the layers: L2 OPEN supply <= totalLocked.
    uint256 public totalLocked;

    /// @notice The deposit gas market: base fee and gas bought in the last L1 block with deposits.
    ResourceParams public params;

    /// @notice Withdrawals that have been finalized.
    mapping(bytes32 => bool) public finalizedWithdrawals;

    /// @notice Withdrawals that have been proven, by withdrawal hash.
    mapping(bytes32 => ProvenWithdrawal) public provenWithdrawals;

    /// @notice OPEN locked for the L2 genesis allocation (`lockGenesisSupply`, once): the L2
    ///         genesis may allocate at most this much, so no L2 OPEN exists without L1 OPEN here.
    uint256 public genesisSupply;

    /// @notice OP's deposit event; see the contract notice for `opaqueData`.
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);

    /// @notice A withdrawal was proven.
    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);

    /// @notice A withdrawal was finalized; `success` tells whether its call succeeded.
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);

    event GenesisSupplyLocked(address indexed from, uint256 amount);
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
    error InvalidResourceConfig();
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
    error NotInboxOwner();
    error GenesisSupplyAlreadyLocked();

    modifier whenNotPaused() {
        if (paused) revert PortalPaused();
        _;
    }

    /// @notice Charges a deposit for the `_gasLimit` L2 gas it buys (OP's `metered`): the gas the
    ///         entry point uses counts towards the charge, and whatever is missing is burnt.
    modifier metered(uint64 _gasLimit) {
        uint256 initialGas = gasleft();
        _;
        _metered(_gasLimit, initialGas);
    }

    /// @param _openToken               OPEN on L1.
    /// @param _inbox                   The settlement inbox.
    /// @param _proofMaturityDelay      Seconds between proof and finalization of a withdrawal.
    /// @param _maxDepositGasPerL1Block L2 gas the deposits of one L1 block may buy (OP's
    ///                                 maxResourceLimit, 20M); a multiple of 10, at least 21000.
    ///                                 Keep it plus the L1-attributes deposit's 1M at most the L2
    ///                                 block gas limit.
    constructor(
        IERC20 _openToken,
        SettlementInbox _inbox,
        uint256 _proofMaturityDelay,
        uint64 _maxDepositGasPerL1Block
    ) {
        if (address(_openToken) == address(0) || address(_inbox) == address(0)) {
            revert ZeroAddress();
        }
        // OP's SystemConfig checks: a non-zero target without rounding, and room for a deposit.
        if (_maxDepositGasPerL1Block % ELASTICITY_MULTIPLIER != 0 || _maxDepositGasPerL1Block < minimumGasLimit(0)) {
            revert InvalidResourceConfig();
        }
        openToken = _openToken;
        inbox = _inbox;
        proofMaturityDelay = _proofMaturityDelay;
        maxDepositGasPerL1Block = _maxDepositGasPerL1Block;
        l2Sender = DEFAULT_L2_SENDER;
        // The market starts at the minimum base fee in the deployment's block (OP's initial state).
        // casting to uint128 is safe: MINIMUM_BASE_FEE is 1e9.
        // forge-lint: disable-next-line(unsafe-typecast)
        params.prevBaseFee = uint128(MINIMUM_BASE_FEE);
        // casting to uint64 is safe: L1 block numbers fit 64 bits.
        // forge-lint: disable-next-line(unsafe-typecast)
        params.prevBlockNum = uint64(block.number);
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
        metered(_gasLimit)
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
    ) external whenNotPaused metered(_gasLimit) {
        _lock(_mint);
        _deposit(_to, _mint, _value, _gasLimit, _isCreation, _data);
    }

    /// @notice Locks `_amount` L1 OPEN (pulled from the caller) and sends the same amount to
    ///         `_to` on L2, calling it with `_data`: mint = value = `_amount`.
    function depositOpen(address _to, uint256 _amount, uint64 _gasLimit, bytes calldata _data)
        external
        whenNotPaused
        metered(_gasLimit)
    {
        _lock(_amount);
        _deposit(_to, _amount, _amount, _gasLimit, false, _data);
    }

    /// @notice Locks `_amount` L1 OPEN (pulled from the caller) as the backing of the L2 genesis
    ///         allocation, before the L2 genesis is written (`ol-genesis` reads `genesisSupply`
    ///         at the rollup's L1 genesis block and allocates no more). Once, by the inbox's
    ///         owner (the deployer on a devnet); it mints nothing on L2 by itself.
    function lockGenesisSupply(uint256 _amount) external {
        if (msg.sender != inbox.owner()) revert NotInboxOwner();
        if (genesisSupply != 0) revert GenesisSupplyAlreadyLocked();
        if (_amount == 0) revert NoValue();
        genesisSupply = _amount;
        emit GenesisSupplyLocked(msg.sender, _amount);
        _lock(_amount);
    }

    function _lock(uint256 _amount) internal {
        if (_amount == 0) return;
        totalLocked += _amount;
        openToken.safeTransferFrom(msg.sender, address(this), _amount);
    }

    /// @dev OP's `EOA.isSenderEOA`: the transaction's signer, or an EOA whose code is an
    ///      EIP-7702 delegation designator (exactly 23 bytes starting 0xef0100).
    function _senderIsEOA() internal view returns (bool isEOA) {
        if (msg.sender == tx.origin) return true;
        address sender = msg.sender;
        if (sender.code.length != 23) return false;
        bytes3 prefix;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            extcodecopy(sender, ptr, 0, 32)
            prefix := mload(ptr)
        }
        return prefix == 0xef0100;
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

        address from = msg.sender;
        if (!_senderIsEOA()) from = AddressAliasHelper.applyL1ToL2Alias(msg.sender);

        emit TransactionDeposited(
            from, _to, DEPOSIT_VERSION, abi.encodePacked(_mint, _value, _gasLimit, _isCreation, _data)
        );
    }

    /// @notice Base fee of deposit gas (wei per L2 gas) that a deposit in the current L1 block
    ///         pays. A deposit of `gasLimit` burns `gasLimit * depositBaseFee() /
    ///         max(block.basefee, 1 gwei)` L1 gas in all (its own work included).
    function depositBaseFee() external view returns (uint256) {
        return _baseFee(params);
    }

    /// @dev OP's ResourceMetering._metered: buys `_amount` L2 gas in this L1 block at the block's
    ///      base fee and burns its price in L1 gas, less the gas used since `_initialGas`.
    ///
    ///      Why burn L1 gas rather than charge OPEN: OP's choice, and the only charge that nobody
    ///      collects. The burnt gas pays the L1 base fee, which L1 destroys, so neither the
    ///      portal, a fee recipient nor an L1 block producer gets it back; a charge in OPEN would
    ///      go somewhere (OPEN cannot be burnt) and whoever receives it could censor for free. It
    ///      needs no approval, so `depositTransaction` keeps OP's interface, and it is bounded by
    ///      L1 itself: once the base fee has more than doubled a few times, filling the budget
    ///      needs more L1 gas than an L1 block holds. The price is in ETH when the L1 base fee is
    ///      at least 1 gwei, and in L1 gas (1 L1 gas per 1 gwei of price) below that.
    function _metered(uint64 _amount, uint256 _initialGas) internal {
        ResourceParams memory p = params;
        uint256 baseFee = _baseFee(p);
        uint256 bought = (p.prevBlockNum == block.number ? uint256(p.prevBoughtGas) : 0) + _amount;
        if (bought > maxDepositGasPerL1Block) revert DepositGasLimitExceeded();
        // casting to uint128 is safe: baseFee <= MAXIMUM_BASE_FEE = type(uint128).max.
        // forge-lint: disable-next-line(unsafe-typecast)
        p.prevBaseFee = uint128(baseFee);
        // casting to uint64 is safe: bought <= maxDepositGasPerL1Block, a uint64.
        // forge-lint: disable-next-line(unsafe-typecast)
        p.prevBoughtGas = uint64(bought);
        // casting to uint64 is safe: L1 block numbers fit 64 bits.
        // forge-lint: disable-next-line(unsafe-typecast)
        p.prevBlockNum = uint64(block.number);
        params = p;

        // The price in wei, as L1 gas at the L1 base fee (at least 1 gwei, as in OP).
        uint256 l1BaseFee = block.basefee > MIN_L1_BASE_FEE ? block.basefee : MIN_L1_BASE_FEE;
        uint256 gasCost = uint256(_amount) * baseFee / l1BaseFee;
        // The entry point's own work is L1 gas paid at the same base fee: it counts (OP's
        // dynamic stipend). Only the rest is burnt.
        uint256 usedGas = _initialGas - gasleft();
        if (gasCost > usedGas) _burnGas(gasCost - usedGas);
    }

    /// @dev The base fee of deposit gas in the current L1 block, given the market's state `_p`
    ///      (OP's update): one EIP-1559 step for block `prevBlockNum`, whose deposits bought
    ///      `prevBoughtGas`, then a decay by (1 - 1/8) for each empty block since, clamped to
    ///      [MINIMUM_BASE_FEE, MAXIMUM_BASE_FEE] after each part.
    function _baseFee(ResourceParams memory _p) internal view returns (uint256 fee_) {
        fee_ = _p.prevBaseFee;
        uint256 blockDiff = block.number - _p.prevBlockNum;
        if (blockDiff == 0) return fee_;

        uint256 target = maxDepositGasPerL1Block / ELASTICITY_MULTIPLIER;
        uint256 bought = _p.prevBoughtGas;
        // fee * |bought - target| <= 2^128 * 2^64: no overflow.
        if (bought > target) {
            fee_ += fee_ * (bought - target) / (target * BASE_FEE_MAX_CHANGE_DENOMINATOR);
        } else {
            fee_ -= fee_ * (target - bought) / (target * BASE_FEE_MAX_CHANGE_DENOMINATOR);
        }
        fee_ = _clampBaseFee(fee_);
        if (blockDiff > 1) fee_ = _clampBaseFee(_decay(fee_, blockDiff - 1));
    }

    /// @dev `_fee * (1 - 1/8)^_blocks` (OP's Arithmetic.cdexp), by squaring in 128-bit fixed
    ///      point: at most 9 squarings and 9 products, each rounding down by under 2^-128.
    function _decay(uint256 _fee, uint256 _blocks) internal pure returns (uint256) {
        // (7/8)^512 * 2^128 < 1e9: below the minimum whatever the fee.
        if (_blocks >= 512) return 0;
        uint256 factor = 1 << 128;
        uint256 b = EMPTY_BLOCK_FACTOR_Q128;
        while (true) {
            if ((_blocks & 1) == 1) factor = (factor * b) >> 128;
            _blocks >>= 1;
            if (_blocks == 0) break;
            b = (b * b) >> 128;
        }
        // _fee <= MAXIMUM_BASE_FEE < 2^128 and factor < 2^128 (at least one product): no overflow.
        return (_fee * factor) >> 128;
    }

    function _clampBaseFee(uint256 _fee) internal pure returns (uint256) {
        if (_fee < MINIMUM_BASE_FEE) return MINIMUM_BASE_FEE;
        if (_fee > MAXIMUM_BASE_FEE) return MAXIMUM_BASE_FEE;
        return _fee;
    }

    /// @dev Burns `_amount` gas (OP's Burn.gas): loops until that much has been used.
    function _burnGas(uint256 _amount) internal view {
        uint256 i;
        uint256 initialGas = gasleft();
        while (initialGas - gasleft() < _amount) {
            ++i;
        }
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
