// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IInfluenceAttribution} from "../../interfaces/IInfluenceAttribution.sol";
import {ITokenAttribution} from "../../interfaces/ITokenAttribution.sol";
import {Governed} from "./Governed.sol";
import {Precompiles} from "./Precompiles.sol";

/// @title DatanetRegistry
/// @notice Datanets and staked data contributions.
///
///         A datanet is one attribution index in a precompile, created and owned there by this
///         contract: an influence datanet (`Kind.Influence`, int8 gradient sketches of dimension
///         `dim` in the influence precompile at 0x…0A01) or a token datanet (`Kind.Token`, token
///         documents in the token-attribution precompile at 0x…0A02). Registry datanet ids are
///         this contract's own (1, 2, 3…); `precompileId` is the id in the precompile. Its owner
///         here (the curator) sets the stake each contribution must lock, in native OPEN.
///
///         Contributing sends exactly the datanet's stake and commits to the data (its hash;
///         the data itself is in the transaction's calldata for the curator to review). Only
///         data a curator accepts earns: `acceptSketch` / `acceptDocuments` take the committed
///         data and register it in the precompile on the contributor's behalf (`addPoints` /
///         `addDocuments` with the contributor's address), so attribution credits the
///         contributor directly. One contribution is one sketch (influence) or one batch of
///         documents (token).
///
///         Lifecycle of a contribution and its stake (pull pattern, one contribution per call,
///         no loop over contributors anywhere):
///
///         Pending --acceptSketch/acceptDocuments (curator)--> Accepted   (registered: earns)
///         Pending --reject (curator)--> Rejected   (stake refundable at once: withdrawStake)
///         Accepted --requestUnbond (contributor)--> Unbonding  (excluded: stops earning)
///         Unbonding --withdrawStake after `unbondingPeriod`--> Withdrawn
///         Pending | Accepted | Rejected | Unbonding --slash (governance)--> Slashed
///                                                   (stake to the treasury, `sweepSlashed`)
///
///         A pending contribution cannot be unbonded: the curator decides it first. Data leaves
///         attribution for good when its stake stops backing it: on `requestUnbond`, `freeze`
///         and `slash` the contribution's points or documents are excluded in the precompile
///         (`excludePoints` / `excludeDocuments`; registered data is write-once). Slashing is
///         always reachable although governance takes longer than unbonding: the curator or
///         governance can `freeze` a contribution at once, which holds its stake for
///         `freezePeriod` (longer than a governance vote) whatever its unbonding says;
///         governance then slashes or `unfreeze`s it. Governance can also block a contributor's
///         payouts (`setPayoutBlocked`): InferencePayments sends a blocked contributor's
///         attributed share to the treasury instead.
contract DatanetRegistry is Governed, ReentrancyGuardTransient {
    /// @notice Which attribution precompile a datanet lives in.
    enum Kind {
        Influence,
        Token
    }

    /// @notice Where a contribution's stake is.
    enum Status {
        None,
        Pending,
        Accepted,
        Rejected,
        Unbonding,
        Withdrawn,
        Slashed
    }

    struct Datanet {
        address owner; // the curator
        Kind kind;
        uint16 dim; // sketch dimension (influence), 0 for token datanets
        uint64 precompileId;
        uint128 stake; // native OPEN per contribution
        string uri; // metadata
    }

    struct Contribution {
        address contributor;
        Status status;
        bool excluded; // its data no longer earns (or never was registered and never will be)
        uint64 datanetId;
        uint128 stake;
        uint64 unlockAt; // Unbonding: when the stake may be withdrawn
        uint64 frozenUntil; // the stake is held until then (freeze)
        uint32 firstIndex; // first point index / first document index in the precompile (Accepted)
        uint32 count; // points / documents registered (Accepted)
        bytes32 dataHash; // commitment to the data (keccak256 of the sketch, or of abi.encode(docLengths, tokens))
    }

    /// @notice Upper bound on `unbondingPeriod` and `freezePeriod`.
    uint64 public constant MAX_UNBONDING_PERIOD = 90 days;
    /// @notice `freezePeriod` at deployment: longer than a governance vote and its timelock.
    uint64 public constant DEFAULT_FREEZE_PERIOD = 21 days;

    /// @notice Seconds between `requestUnbond` and `withdrawStake` (governance).
    uint64 public unbondingPeriod;
    /// @notice Seconds a `freeze` holds a contribution's stake (governance).
    uint64 public freezePeriod;
    /// @notice Where slashed stake goes (governance).
    address public treasury;
    /// @notice Slashed stake not yet sent to the treasury.
    uint256 public slashedAccrued;
    /// @notice Number of datanets (ids 1..datanetCount).
    uint64 public datanetCount;
    /// @notice Number of contributions (ids 1..contributionCount).
    uint256 public contributionCount;

    mapping(uint64 datanetId => Datanet) internal _datanets;
    mapping(uint256 contributionId => Contribution) internal _contributions;
    /// @notice Contributors whose attributed fees go to the treasury (governance).
    mapping(address contributor => bool) public isPayoutBlocked;

    event DatanetCreated(
        uint64 indexed datanetId,
        address indexed owner,
        Kind kind,
        uint64 precompileId,
        uint16 dim,
        uint128 stake,
        string uri
    );
    event DatanetStakeUpdated(uint64 indexed datanetId, uint128 stake);
    event DatanetURIUpdated(uint64 indexed datanetId, string uri);
    event DatanetOwnerUpdated(uint64 indexed datanetId, address indexed previousOwner, address indexed newOwner);
    event Contributed(
        uint256 indexed contributionId, uint64 indexed datanetId, address indexed contributor, uint128 stake, bytes32 dataHash
    );
    event ContributionAccepted(
        uint256 indexed contributionId, uint64 indexed datanetId, uint32 firstIndex, uint32 count
    );
    event ContributionFrozen(uint256 indexed contributionId, address indexed by, uint64 frozenUntil);
    event ContributionUnfrozen(uint256 indexed contributionId);
    event FreezePeriodUpdated(uint64 previousPeriod, uint64 newPeriod);
    event ContributionRejected(uint256 indexed contributionId, uint64 indexed datanetId);
    event UnbondRequested(uint256 indexed contributionId, address indexed contributor, uint64 unlockAt);
    event StakeWithdrawn(uint256 indexed contributionId, address indexed contributor, uint256 amount);
    event ContributionSlashed(uint256 indexed contributionId, address indexed contributor, uint256 amount);
    event PayoutBlockedUpdated(address indexed contributor, bool blocked);
    event UnbondingPeriodUpdated(uint64 previousPeriod, uint64 newPeriod);
    event TreasuryUpdated(address indexed previousTreasury, address indexed newTreasury);
    event SlashedSwept(address indexed treasury, uint256 amount);

    error UnknownDatanet(uint64 datanetId);
    error NotCurator(uint64 datanetId, address caller);
    error WrongKind(uint64 datanetId, Kind kind);
    error InvalidDimension(uint16 dim);
    error WrongStake(uint256 expected, uint256 got);
    error UnknownContribution(uint256 contributionId);
    error NotContributor(uint256 contributionId, address caller);
    error InvalidStatus(uint256 contributionId, Status status);
    error StillUnbonding(uint256 contributionId, uint64 unlockAt);
    error Frozen(uint256 contributionId, uint64 frozenUntil);
    error NotCuratorOrGovernance(uint256 contributionId, address caller);
    error DataMismatch(uint256 contributionId);
    error DataLength(uint256 expected, uint256 got);
    error UnbondingTooLong(uint64 period, uint64 max);
    error ZeroAddress();
    error NothingToSweep();
    error TransferFailed();

    /// @param governance The owner (the timelock).
    /// @param treasury_ Receiver of slashed stake.
    /// @param unbondingPeriod_ Seconds from `requestUnbond` to `withdrawStake` (e.g. 7 days).
    constructor(address governance, address treasury_, uint64 unbondingPeriod_) Governed(governance) {
        _setTreasury(treasury_);
        _setUnbondingPeriod(unbondingPeriod_);
        _setFreezePeriod(DEFAULT_FREEZE_PERIOD);
    }

    // ---------------------------------------------------------------- datanets

    /// @notice Creates a datanet owned (curated) by the caller and its index in the precompile.
    /// @param kind Influence (sketches, dimension `dim` in 64..=1024, checked by the precompile)
    ///        or Token (`dim` must be 0).
    /// @param stake Native OPEN each contribution locks (may be 0).
    function createDatanet(Kind kind, uint16 dim, uint128 stake, string calldata uri)
        external
        returns (uint64 datanetId)
    {
        uint64 precompileId;
        if (kind == Kind.Influence) {
            precompileId = IInfluenceAttribution(Precompiles.INFLUENCE).createDatanet(dim);
        } else {
            if (dim != 0) revert InvalidDimension(dim);
            precompileId = ITokenAttribution(Precompiles.TOKEN_ATTRIBUTION).createDatanet();
        }
        datanetId = ++datanetCount;
        _datanets[datanetId] =
            Datanet({owner: msg.sender, kind: kind, dim: dim, precompileId: precompileId, stake: stake, uri: uri});
        emit DatanetCreated(datanetId, msg.sender, kind, precompileId, dim, stake, uri);
    }

    /// @notice Changes the stake of future contributions (curator).
    function setDatanetStake(uint64 datanetId, uint128 stake) external {
        _curated(datanetId).stake = stake;
        emit DatanetStakeUpdated(datanetId, stake);
    }

    /// @notice Changes the metadata URI (curator).
    function setDatanetURI(uint64 datanetId, string calldata uri) external {
        _curated(datanetId).uri = uri;
        emit DatanetURIUpdated(datanetId, uri);
    }

    /// @notice Hands the datanet to a new curator (curator).
    function transferDatanet(uint64 datanetId, address newOwner) external {
        if (newOwner == address(0)) revert ZeroAddress();
        Datanet storage d = _curated(datanetId);
        emit DatanetOwnerUpdated(datanetId, d.owner, newOwner);
        d.owner = newOwner;
    }

    // ------------------------------------------------------------ contributing

    /// @notice Contributes one data point to an influence datanet: locks the datanet's stake
    ///         (`msg.value`, exactly) and commits to `sketch` (int8, `dim` bytes). It earns once
    ///         the curator accepts it (`acceptSketch`).
    function contributeSketch(uint64 datanetId, bytes calldata sketch)
        external
        payable
        nonReentrant
        returns (uint256 contributionId)
    {
        Datanet storage d = _contributable(datanetId, Kind.Influence);
        if (sketch.length != d.dim) revert DataLength(d.dim, sketch.length);
        contributionId = _record(datanetId, keccak256(sketch));
    }

    /// @notice Contributes documents to a token datanet: locks the datanet's stake (`msg.value`,
    ///         exactly) and commits to the documents (lengths `docLengths`, uint32 token ids
    ///         packed big-endian in `tokens`). They earn once the curator accepts them
    ///         (`acceptDocuments`).
    function contributeDocuments(uint64 datanetId, uint32[] calldata docLengths, bytes calldata tokens)
        external
        payable
        nonReentrant
        returns (uint256 contributionId)
    {
        _contributable(datanetId, Kind.Token);
        uint256 total;
        for (uint256 i; i < docLengths.length; ++i) {
            total += docLengths[i];
        }
        if (docLengths.length == 0 || tokens.length != total * 4) revert DataLength(total * 4, tokens.length);
        contributionId = _record(datanetId, keccak256(abi.encode(docLengths, tokens)));
    }

    // ---------------------------------------------------------------- curation

    /// @notice Accepts a pending influence contribution (curator of its datanet): `sketch` must
    ///         be the committed one; it is registered in the precompile for the contributor and
    ///         earns from now on. The precompile's errors bubble up (then `reject` it).
    function acceptSketch(uint256 contributionId, bytes calldata sketch) external nonReentrant {
        Contribution storage c = _pendingForCurator(contributionId);
        // Frozen data never enters attribution; the curator may still reject it.
        if (c.excluded) revert Frozen(contributionId, c.frozenUntil);
        if (keccak256(sketch) != c.dataHash) revert DataMismatch(contributionId);
        Datanet storage d = _datanets[c.datanetId];
        if (d.kind != Kind.Influence) revert WrongKind(c.datanetId, d.kind);
        address[] memory contributors = new address[](1);
        contributors[0] = c.contributor;
        uint32 firstIndex = IInfluenceAttribution(Precompiles.INFLUENCE).addPoints(d.precompileId, contributors, sketch);
        _accepted(contributionId, c, firstIndex, 1);
    }

    /// @notice Accepts a pending token contribution (curator of its datanet) with the committed
    ///         documents, registered in the precompile for the contributor.
    function acceptDocuments(uint256 contributionId, uint32[] calldata docLengths, bytes calldata tokens)
        external
        nonReentrant
    {
        Contribution storage c = _pendingForCurator(contributionId);
        // Frozen data never enters attribution; the curator may still reject it.
        if (c.excluded) revert Frozen(contributionId, c.frozenUntil);
        if (keccak256(abi.encode(docLengths, tokens)) != c.dataHash) revert DataMismatch(contributionId);
        Datanet storage d = _datanets[c.datanetId];
        if (d.kind != Kind.Token) revert WrongKind(c.datanetId, d.kind);
        uint256 n = docLengths.length;
        address[] memory contributors = new address[](n);
        for (uint256 i; i < n; ++i) {
            contributors[i] = c.contributor;
        }
        uint32 firstDoc = ITokenAttribution(Precompiles.TOKEN_ATTRIBUTION)
            .addDocuments(d.precompileId, contributors, docLengths, tokens);
        // n <= 2^32 - 1: the precompile numbers documents with uint32.
        // forge-lint: disable-next-line(unsafe-typecast)
        _accepted(contributionId, c, firstDoc, uint32(n));
    }

    /// @notice Rejects a pending contribution (curator); its stake becomes withdrawable at once.
    ///         Its data was never registered, so it never earned.
    function reject(uint256 contributionId) external {
        Contribution storage c = _pendingForCurator(contributionId);
        c.status = Status.Rejected;
        c.excluded = true;
        emit ContributionRejected(contributionId, c.datanetId);
    }

    /// @notice Holds a contribution's stake for `freezePeriod` and takes its data out of
    ///         attribution (curator of its datanet, or governance), so that governance can slash
    ///         it although a vote takes longer than unbonding. Allowed while the stake is here
    ///         (pending, accepted, rejected, unbonding); freezing again extends the hold.
    function freeze(uint256 contributionId) external {
        Contribution storage c = _contributions[contributionId];
        Status s = c.status;
        if (s == Status.None) revert UnknownContribution(contributionId);
        if (msg.sender != owner() && msg.sender != _datanets[c.datanetId].owner) {
            revert NotCuratorOrGovernance(contributionId, msg.sender);
        }
        if (s == Status.Withdrawn || s == Status.Slashed) revert InvalidStatus(contributionId, s);
        _exclude(c);
        uint64 until = uint64(block.timestamp) + freezePeriod;
        c.frozenUntil = until;
        emit ContributionFrozen(contributionId, msg.sender, until);
    }

    // ------------------------------------------------------------------- stake

    /// @notice Starts unbonding an accepted contribution's stake (contributor): its data stops
    ///         earning now, the stake can be withdrawn `unbondingPeriod` seconds later (unless
    ///         frozen) and slashed until then. A pending contribution waits for its curator.
    function requestUnbond(uint256 contributionId) external {
        Contribution storage c = _ownContribution(contributionId);
        if (c.status != Status.Accepted) revert InvalidStatus(contributionId, c.status);
        _exclude(c);
        uint64 unlockAt = uint64(block.timestamp) + unbondingPeriod;
        c.status = Status.Unbonding;
        c.unlockAt = unlockAt;
        emit UnbondRequested(contributionId, msg.sender, unlockAt);
    }

    /// @notice Sends a contribution's stake back to its contributor (contributor): a rejected
    ///         contribution at once, an unbonding one once `unlockAt` has passed; neither while
    ///         frozen.
    function withdrawStake(uint256 contributionId) external nonReentrant {
        Contribution storage c = _ownContribution(contributionId);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < c.frozenUntil) revert Frozen(contributionId, c.frozenUntil);
        Status s = c.status;
        if (s == Status.Unbonding) {
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp < c.unlockAt) revert StillUnbonding(contributionId, c.unlockAt);
        } else if (s != Status.Rejected) {
            revert InvalidStatus(contributionId, s);
        }
        c.status = Status.Withdrawn;
        uint256 amount = c.stake;
        emit StakeWithdrawn(contributionId, msg.sender, amount);
        _send(msg.sender, amount);
    }

    // -------------------------------------------------------------- governance

    /// @notice Slashes a contribution's stake for bad data (governance): the stake is owed to the
    ///         treasury (`sweepSlashed`). Any contribution whose stake is still here may be
    ///         slashed: pending, accepted, rejected-but-not-withdrawn or unbonding. To stop the
    ///         contributor's fees as well, combine with `setPayoutBlocked` in the same proposal.
    function slash(uint256 contributionId) external onlyOwner {
        Contribution storage c = _contributions[contributionId];
        Status s = c.status;
        if (s == Status.None) revert UnknownContribution(contributionId);
        if (s == Status.Withdrawn || s == Status.Slashed) revert InvalidStatus(contributionId, s);
        _exclude(c);
        c.status = Status.Slashed;
        c.frozenUntil = 0;
        uint256 amount = c.stake;
        slashedAccrued += amount;
        emit ContributionSlashed(contributionId, c.contributor, amount);
    }

    /// @notice Releases a frozen contribution's stake hold (governance). Its data stays out of
    ///         attribution (exclusion in the precompile is final).
    function unfreeze(uint256 contributionId) external onlyOwner {
        Contribution storage c = _contributions[contributionId];
        if (c.frozenUntil == 0) revert InvalidStatus(contributionId, c.status);
        c.frozenUntil = 0;
        emit ContributionUnfrozen(contributionId);
    }

    /// @notice Sets how long future `freeze`s hold a stake (governance); at most
    ///         `MAX_UNBONDING_PERIOD`, and it should exceed the governance latency.
    function setFreezePeriod(uint64 period) external onlyOwner {
        _setFreezePeriod(period);
    }

    /// @notice Blocks (or unblocks) a contributor's attributed fees (governance).
    function setPayoutBlocked(address contributor, bool blocked) external onlyOwner {
        isPayoutBlocked[contributor] = blocked;
        emit PayoutBlockedUpdated(contributor, blocked);
    }

    /// @notice Sets the unbonding period of future `requestUnbond`s (governance).
    function setUnbondingPeriod(uint64 period) external onlyOwner {
        _setUnbondingPeriod(period);
    }

    /// @notice Sets the receiver of slashed stake (governance).
    function setTreasury(address newTreasury) external onlyOwner {
        _setTreasury(newTreasury);
    }

    /// @notice Sends all slashed stake to the treasury (anyone).
    function sweepSlashed() external nonReentrant {
        uint256 amount = slashedAccrued;
        if (amount == 0) revert NothingToSweep();
        slashedAccrued = 0;
        address to = treasury;
        emit SlashedSwept(to, amount);
        _send(to, amount);
    }

    // ------------------------------------------------------------------- views

    /// @notice A datanet (reverts `UnknownDatanet`).
    function getDatanet(uint64 datanetId) external view returns (Datanet memory) {
        return _datanet(datanetId);
    }

    /// @notice A datanet's kind and id in its precompile (reverts `UnknownDatanet`).
    function attributionIndex(uint64 datanetId) external view returns (Kind kind, uint64 precompileId) {
        Datanet storage d = _datanet(datanetId);
        return (d.kind, d.precompileId);
    }

    /// @notice A contribution (reverts `UnknownContribution`).
    function getContribution(uint256 contributionId) external view returns (Contribution memory) {
        Contribution storage c = _contributions[contributionId];
        if (c.status == Status.None) revert UnknownContribution(contributionId);
        return c;
    }

    // --------------------------------------------------------------- internals

    function _datanet(uint64 datanetId) internal view returns (Datanet storage d) {
        d = _datanets[datanetId];
        if (d.owner == address(0)) revert UnknownDatanet(datanetId);
    }

    function _curated(uint64 datanetId) internal view returns (Datanet storage d) {
        d = _datanet(datanetId);
        if (d.owner != msg.sender) revert NotCurator(datanetId, msg.sender);
    }

    function _contributable(uint64 datanetId, Kind kind) internal view returns (Datanet storage d) {
        d = _datanet(datanetId);
        if (d.kind != kind) revert WrongKind(datanetId, d.kind);
        if (msg.value != d.stake) revert WrongStake(d.stake, msg.value);
    }

    /// @dev Stops a contribution's points or documents from earning in every later attribution
    ///      (the precompile keeps them stored: registered data is write-once). Data never
    ///      registered (pending, rejected) is only marked, so it can never be accepted later.
    function _exclude(Contribution storage c) internal {
        if (c.excluded) return;
        c.excluded = true;
        if (c.status != Status.Accepted && c.status != Status.Unbonding) return;
        Datanet storage d = _datanets[c.datanetId];
        if (d.kind == Kind.Influence) {
            IInfluenceAttribution(Precompiles.INFLUENCE).excludePoints(d.precompileId, c.firstIndex, c.count);
        } else {
            ITokenAttribution(Precompiles.TOKEN_ATTRIBUTION).excludeDocuments(d.precompileId, c.firstIndex, c.count);
        }
    }

    function _record(uint64 datanetId, bytes32 dataHash) internal returns (uint256 contributionId) {
        contributionId = ++contributionCount;
        // msg.value == the datanet's uint128 stake (checked in _contributable).
        uint128 stake = uint128(msg.value);
        _contributions[contributionId] = Contribution({
            contributor: msg.sender,
            status: Status.Pending,
            excluded: false,
            datanetId: datanetId,
            stake: stake,
            unlockAt: 0,
            frozenUntil: 0,
            firstIndex: 0,
            count: 0,
            dataHash: dataHash
        });
        emit Contributed(contributionId, datanetId, msg.sender, stake, dataHash);
    }

    function _accepted(uint256 contributionId, Contribution storage c, uint32 firstIndex, uint32 count) internal {
        c.status = Status.Accepted;
        c.firstIndex = firstIndex;
        c.count = count;
        emit ContributionAccepted(contributionId, c.datanetId, firstIndex, count);
    }

    function _pendingForCurator(uint256 contributionId) internal view returns (Contribution storage c) {
        c = _contributions[contributionId];
        if (c.status == Status.None) revert UnknownContribution(contributionId);
        if (_datanets[c.datanetId].owner != msg.sender) revert NotCurator(c.datanetId, msg.sender);
        if (c.status != Status.Pending) revert InvalidStatus(contributionId, c.status);
    }

    function _ownContribution(uint256 contributionId) internal view returns (Contribution storage c) {
        c = _contributions[contributionId];
        if (c.status == Status.None) revert UnknownContribution(contributionId);
        if (c.contributor != msg.sender) revert NotContributor(contributionId, msg.sender);
    }

    function _setUnbondingPeriod(uint64 period) internal {
        if (period > MAX_UNBONDING_PERIOD) revert UnbondingTooLong(period, MAX_UNBONDING_PERIOD);
        emit UnbondingPeriodUpdated(unbondingPeriod, period);
        unbondingPeriod = period;
    }

    function _setFreezePeriod(uint64 period) internal {
        if (period > MAX_UNBONDING_PERIOD) revert UnbondingTooLong(period, MAX_UNBONDING_PERIOD);
        emit FreezePeriodUpdated(freezePeriod, period);
        freezePeriod = period;
    }

    function _setTreasury(address newTreasury) internal {
        if (newTreasury == address(0)) revert ZeroAddress();
        emit TreasuryUpdated(treasury, newTreasury);
        treasury = newTreasury;
    }

    function _send(address to, uint256 amount) internal {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
