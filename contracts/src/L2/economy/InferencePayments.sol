// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IInfluenceAttribution} from "../../interfaces/IInfluenceAttribution.sol";
import {ITokenAttribution} from "../../interfaces/ITokenAttribution.sol";
import {DatanetRegistry} from "./DatanetRegistry.sol";
import {ModelRegistry} from "./ModelRegistry.sol";
import {OpenStaking} from "./OpenStaking.sol";
import {Governed} from "./Governed.sol";
import {Precompiles} from "./Precompiles.sol";

/// @title InferencePayments
/// @notice Inference fees, split by Proof of Attribution.
///
///         1. `payInference(modelId, requestRef)`: the user pays the model's price (exactly, in
///            native OPEN), held in escrow as inference `id`.
///         2. `settle(id, attributionInput)`: the model's settler (its operator, who ran the
///            inference) submits the attribution input: for an influence model the query's
///            int8 gradient sketch, for a token model the output tokens (uint32 big-endian). The
///            contract calls the model's attribution precompile (`recordScore` on 0x…0A01 or
///            `recordAttribution` on 0x…0A02, which also log the shares) over the model's
///            datanets, and splits the fee:
///              contributors  fee * split.contributors / 10000, divided by the attribution's
///                            basis points (each `pool * bps / 10000`)
///              model owner   fee * split.modelOwner / 10000
///              stakers       fee * split.stakers / 10000, sent to OpenStaking (`notifyReward`)
///              treasury      everything else: its own share, all rounding dust, the shares of
///                            payout-blocked contributors, shares beyond the contributor bound,
///                            the contributors' pool when the attribution is empty, and the
///                            stakers' share when nothing is staked.
///            So the credits always add up to exactly the fee paid, to the wei.
///         3. Every credit goes to a claimable balance (pull payments, `claim`), with a
///            `Credited` event; the stakers' share is claimed in OpenStaking.
///         If an inference is not settled within `settlementWindow`, its payer can `refund` it.
///
///         Bound on contributors: the precompile returns shares sorted by bps descending; at
///         most MAX_CREDITED_CONTRIBUTORS (256) of them are credited in one settlement (one
///         claimable write and one event each, about 30k gas at worst: 7.8M gas for 256
///         first-time contributors). Influence models never exceed it (their `topK` is at most
///         256, and each kept point has one contributor). A token attribution could name more; the rest (the smallest shares) go
///         to the treasury and `SharesTruncated` says so.
///
///         Trust: the attribution input is supplied by the model's settler; the contract cannot
///         check that it matches the inference that was served (verifiable inference is out of
///         scope). The split itself is enforced here.
contract InferencePayments is Governed, ReentrancyGuardTransient {
    /// @notice The fee split, in basis points; the four must add up to 10,000.
    struct FeeSplit {
        uint16 contributors;
        uint16 modelOwner;
        uint16 stakers;
        uint16 treasury;
    }

    enum State {
        None,
        Pending,
        Settled,
        Refunded
    }

    /// @notice Who a credit is for.
    enum Role {
        Contributor,
        ModelOwner,
        Stakers,
        Treasury
    }

    struct Inference {
        address payer;
        State state;
        uint64 deadline; // after it, an unsettled inference can be refunded
        uint64 modelId;
        uint128 fee;
    }

    uint256 public constant BPS = 10_000;
    /// @notice Most contributors credited by one settlement.
    uint256 public constant MAX_CREDITED_CONTRIBUTORS = 256;
    /// @notice Bounds of `settlementWindow`.
    uint64 public constant MIN_SETTLEMENT_WINDOW = 1 minutes;
    uint64 public constant MAX_SETTLEMENT_WINDOW = 30 days;

    ModelRegistry public immutable models;
    DatanetRegistry public immutable datanets;

    /// @notice Receives stakers' shares (governance).
    OpenStaking public staking;
    /// @notice The protocol treasury (governance).
    address public treasury;
    /// @notice Seconds the settler has to settle a paid inference (governance).
    uint64 public settlementWindow;
    FeeSplit internal _split;

    /// @notice Number of inferences paid (ids 1..inferenceCount).
    uint256 public inferenceCount;
    mapping(uint256 id => Inference) internal _inferences;
    /// @notice Native OPEN each account can claim.
    mapping(address account => uint256) public claimable;

    event InferencePaid(
        uint256 indexed id,
        uint64 indexed modelId,
        address indexed payer,
        uint256 fee,
        uint64 deadline,
        bytes32 requestRef
    );
    event InferenceSettled(
        uint256 indexed id, uint64 indexed modelId, address indexed settler, uint256 fee, uint256 contributorsCredited
    );
    event InferenceRefunded(uint256 indexed id, address indexed payer, uint256 fee);
    /// @notice `amount` credited to `account` for inference `id` (Stakers: sent to OpenStaking).
    event Credited(uint256 indexed id, address indexed account, Role indexed role, uint256 amount);
    /// @notice A payout-blocked contributor's share went to the treasury.
    event ShareForfeited(uint256 indexed id, address indexed contributor, uint256 amount);
    /// @notice The attribution named `total` contributors; only the first `credited` were credited.
    event SharesTruncated(uint256 indexed id, uint256 total, uint256 credited);
    event Claimed(address indexed account, address indexed to, uint256 amount);
    event FeeSplitUpdated(FeeSplit split);
    event TreasuryUpdated(address indexed previousTreasury, address indexed newTreasury);
    event StakingUpdated(address indexed previousStaking, address indexed newStaking);
    event SettlementWindowUpdated(uint64 previousWindow, uint64 newWindow);

    error InvalidFeeSplit(uint256 sum);
    error ModelNotPayable(uint64 modelId);
    error WrongPayment(uint256 expected, uint256 got);
    error UnknownInference(uint256 id);
    error NotPending(uint256 id, State state);
    error NotSettler(uint256 id, address caller);
    error NotPayer(uint256 id, address caller);
    error SettlementOpen(uint256 id, uint64 deadline);
    error InvalidAttribution(uint256 bpsSum);
    error NothingToClaim();
    error InvalidSettlementWindow(uint64 window);
    error ZeroAddress();
    error TransferFailed();

    constructor(
        address governance,
        ModelRegistry models_,
        OpenStaking staking_,
        address treasury_,
        FeeSplit memory split_,
        uint64 settlementWindow_
    ) Governed(governance) {
        if (address(models_) == address(0)) revert ZeroAddress();
        models = models_;
        datanets = models_.datanetRegistry();
        _setStaking(staking_);
        _setTreasury(treasury_);
        _setFeeSplit(split_);
        _setSettlementWindow(settlementWindow_);
    }

    // ---------------------------------------------------------------- payments

    /// @notice Pays for one inference of `modelId`: `msg.value` must equal its price.
    /// @param requestRef An opaque reference for the operator (e.g. a hash of the request).
    function payInference(uint64 modelId, bytes32 requestRef) external payable nonReentrant returns (uint256 id) {
        (uint128 price, bool open) = models.priceOf(modelId);
        if (!open) revert ModelNotPayable(modelId);
        if (msg.value != price) revert WrongPayment(price, msg.value);
        id = ++inferenceCount;
        uint64 deadline = uint64(block.timestamp) + settlementWindow;
        _inferences[id] =
            Inference({payer: msg.sender, state: State.Pending, deadline: deadline, modelId: modelId, fee: price});
        emit InferencePaid(id, modelId, msg.sender, price, deadline, requestRef);
    }

    /// @notice Settles a paid inference (the model's settler or owner): attributes
    ///         `attributionInput` through the model's precompile and credits the fee's split.
    function settle(uint256 id, bytes calldata attributionInput) external nonReentrant {
        Inference storage inf = _pending(id);
        uint64 modelId = inf.modelId;
        (
            address modelOwner,
            address settler,
            DatanetRegistry.Kind method,
            ModelRegistry.AttributionConfig memory cfg,
            uint64[] memory ids
        ) = models.settlementInfo(modelId);
        if (msg.sender != settler && msg.sender != modelOwner) revert NotSettler(id, msg.sender);
        inf.state = State.Settled;

        (address[] memory contributors, uint16[] memory bps) = _attribute(method, cfg, ids, attributionInput);
        uint256 fee = inf.fee;
        uint256 credited = _distribute(id, fee, modelOwner, contributors, bps);
        emit InferenceSettled(id, modelId, msg.sender, fee, credited);
    }

    /// @notice Returns an unsettled inference's fee to its payer once its deadline has passed.
    function refund(uint256 id) external nonReentrant {
        Inference storage inf = _pending(id);
        if (msg.sender != inf.payer) revert NotPayer(id, msg.sender);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp <= inf.deadline) revert SettlementOpen(id, inf.deadline);
        inf.state = State.Refunded;
        uint256 fee = inf.fee;
        emit InferenceRefunded(id, msg.sender, fee);
        _send(msg.sender, fee);
    }

    // ------------------------------------------------------------------ claims

    /// @notice Sends the caller everything credited to it.
    function claim() external nonReentrant returns (uint256 amount) {
        amount = _claim(msg.sender, msg.sender);
    }

    /// @notice Sends everything credited to the caller to `to`.
    function claimTo(address to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        amount = _claim(msg.sender, to);
    }

    /// @notice Sends `account` everything credited to it (anyone may trigger it, e.g. for the
    ///         treasury; the OPEN always goes to `account` itself).
    function claimFor(address account) external nonReentrant returns (uint256 amount) {
        amount = _claim(account, account);
    }

    // -------------------------------------------------------------- governance

    /// @notice Sets the fee split (governance); the four parts must add up to 10,000.
    function setFeeSplit(FeeSplit calldata split) external onlyOwner {
        _setFeeSplit(split);
    }

    /// @notice Sets the treasury (governance). Balances already credited stay with the old one.
    function setTreasury(address newTreasury) external onlyOwner {
        _setTreasury(newTreasury);
    }

    /// @notice Sets the staking contract that receives the stakers' share (governance).
    function setStaking(OpenStaking newStaking) external onlyOwner {
        _setStaking(newStaking);
    }

    /// @notice Sets the settlement window of future payments (governance).
    function setSettlementWindow(uint64 window) external onlyOwner {
        _setSettlementWindow(window);
    }

    // ------------------------------------------------------------------- views

    /// @notice The current fee split.
    function feeSplit() external view returns (FeeSplit memory) {
        return _split;
    }

    /// @notice An inference (reverts `UnknownInference`).
    function getInference(uint256 id) external view returns (Inference memory) {
        Inference storage inf = _inferences[id];
        if (inf.state == State.None) revert UnknownInference(id);
        return inf;
    }

    /// @notice How `fee` splits before attribution: the contributors' pool, the model owner's,
    ///         the stakers' and the treasury's parts (treasury = fee minus the other three).
    function previewSplit(uint256 fee)
        public
        view
        returns (uint256 pool, uint256 ownerPart, uint256 stakersPart, uint256 treasuryPart)
    {
        FeeSplit memory s = _split;
        pool = fee * s.contributors / BPS;
        ownerPart = fee * s.modelOwner / BPS;
        stakersPart = fee * s.stakers / BPS;
        treasuryPart = fee - pool - ownerPart - stakersPart;
    }

    // --------------------------------------------------------------- internals

    function _pending(uint256 id) internal view returns (Inference storage inf) {
        inf = _inferences[id];
        if (inf.state == State.None) revert UnknownInference(id);
        if (inf.state != State.Pending) revert NotPending(id, inf.state);
    }

    /// @dev Calls the attribution precompile and returns its shares as two arrays.
    function _attribute(
        DatanetRegistry.Kind method,
        ModelRegistry.AttributionConfig memory cfg,
        uint64[] memory ids,
        bytes calldata input
    ) internal returns (address[] memory contributors, uint16[] memory bps) {
        if (method == DatanetRegistry.Kind.Influence) {
            (IInfluenceAttribution.Share[] memory shares,) =
                IInfluenceAttribution(Precompiles.INFLUENCE).recordScore(ids, input, cfg.topK, 0);
            uint256 n = shares.length;
            contributors = new address[](n);
            bps = new uint16[](n);
            for (uint256 i; i < n; ++i) {
                (contributors[i], bps[i]) = (shares[i].contributor, shares[i].bps);
            }
        } else {
            (ITokenAttribution.Share[] memory shares,) = ITokenAttribution(Precompiles.TOKEN_ATTRIBUTION)
                .recordAttribution(ids, input, cfg.minSpan, cfg.maxOccurrences);
            uint256 n = shares.length;
            contributors = new address[](n);
            bps = new uint16[](n);
            for (uint256 i; i < n; ++i) {
                (contributors[i], bps[i]) = (shares[i].contributor, shares[i].bps);
            }
        }
    }

    /// @dev Credits the split of `fee`; returns how many contributors were credited. The sum of
    ///      all credits is exactly `fee`: the treasury gets `fee` minus everything else.
    function _distribute(
        uint256 id,
        uint256 fee,
        address modelOwner,
        address[] memory contributors,
        uint16[] memory bps
    ) internal returns (uint256 credited) {
        (uint256 pool, uint256 ownerPart, uint256 stakersPart,) = previewSplit(fee);
        uint256 paid; // to contributors
        (paid, credited) = _creditContributors(id, pool, contributors, bps);

        if (ownerPart != 0) _credit(id, modelOwner, Role.ModelOwner, ownerPart);

        uint256 toStakers;
        OpenStaking s = staking;
        if (stakersPart != 0 && s.totalStaked() != 0) {
            toStakers = stakersPart;
            emit Credited(id, address(s), Role.Stakers, stakersPart);
            s.notifyReward{value: stakersPart}();
        }

        uint256 toTreasury = fee - paid - ownerPart - toStakers;
        if (toTreasury != 0) _credit(id, treasury, Role.Treasury, toTreasury);
    }

    /// @dev Credits each contributor `pool * bps / 10000` (at most MAX_CREDITED_CONTRIBUTORS of
    ///      them); returns the total credited and how many were. Blocked contributors' shares
    ///      are left to the treasury.
    function _creditContributors(uint256 id, uint256 pool, address[] memory contributors, uint16[] memory bps)
        internal
        returns (uint256 paid, uint256 credited)
    {
        uint256 n = contributors.length;
        if (n > MAX_CREDITED_CONTRIBUTORS) {
            emit SharesTruncated(id, n, MAX_CREDITED_CONTRIBUTORS);
            n = MAX_CREDITED_CONTRIBUTORS;
        }
        uint256 bpsSum;
        for (uint256 i; i < n; ++i) {
            uint256 b = bps[i];
            bpsSum += b;
            uint256 amount = pool * b / BPS;
            if (amount == 0) continue;
            address c = contributors[i];
            if (c == address(0) || datanets.isPayoutBlocked(c)) {
                emit ShareForfeited(id, c, amount);
                continue;
            }
            paid += amount;
            ++credited;
            _credit(id, c, Role.Contributor, amount);
        }
        // The precompiles return at most 10,000 bps in total; anything else is a broken result.
        if (bpsSum > BPS) revert InvalidAttribution(bpsSum);
    }

    function _credit(uint256 id, address account, Role role, uint256 amount) internal {
        claimable[account] += amount;
        emit Credited(id, account, role, amount);
    }

    function _claim(address account, address to) internal returns (uint256 amount) {
        amount = claimable[account];
        if (amount == 0) revert NothingToClaim();
        claimable[account] = 0;
        emit Claimed(account, to, amount);
        _send(to, amount);
    }

    function _setFeeSplit(FeeSplit memory s) internal {
        uint256 sum = uint256(s.contributors) + s.modelOwner + s.stakers + s.treasury;
        if (sum != BPS) revert InvalidFeeSplit(sum);
        _split = s;
        emit FeeSplitUpdated(s);
    }

    function _setTreasury(address newTreasury) internal {
        if (newTreasury == address(0)) revert ZeroAddress();
        emit TreasuryUpdated(treasury, newTreasury);
        treasury = newTreasury;
    }

    function _setStaking(OpenStaking newStaking) internal {
        if (address(newStaking) == address(0)) revert ZeroAddress();
        emit StakingUpdated(address(staking), address(newStaking));
        staking = newStaking;
    }

    function _setSettlementWindow(uint64 window) internal {
        if (window < MIN_SETTLEMENT_WINDOW || window > MAX_SETTLEMENT_WINDOW) revert InvalidSettlementWindow(window);
        emit SettlementWindowUpdated(settlementWindow, window);
        settlementWindow = window;
    }

    function _send(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
