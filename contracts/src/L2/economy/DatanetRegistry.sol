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
///         Contributing sends exactly the datanet's stake and registers the data in the
///         precompile on the contributor's behalf (`addPoints` / `addDocuments` with the
///         contributor's address), so attribution credits the contributor directly. One
///         contribution is one sketch (influence) or one batch of documents (token).
///
///         Lifecycle of a contribution and its stake (pull pattern, one contribution per call,
///         no loop over contributors anywhere):
///
///         Pending --accept (curator)--> Accepted
///         Pending --reject (curator)--> Rejected   (stake refundable at once: withdrawStake)
///         Pending | Accepted --requestUnbond (contributor)--> Unbonding
///         Unbonding --withdrawStake after `unbondingPeriod`--> Withdrawn
///         Pending | Accepted | Rejected | Unbonding --slash (governance)--> Slashed
///                                                   (stake to the treasury, `sweepSlashed`)
///
///         Registered data is write-once in the precompiles, but rejection and slashing exclude
///         the contribution's points or documents there (`excludePoints` / `excludeDocuments`):
///         they stop earning in every later attribution. A withdrawal after unbonding does not
///         (the data was accepted; the stake only bonded it). Governance can also block a
///         contributor's payouts (`setPayoutBlocked`): InferencePayments sends a blocked
///         contributor's attributed share to the treasury instead.
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
        uint64 datanetId;
        uint128 stake;
        uint64 unlockAt; // Unbonding: when the stake may be withdrawn
        uint32 firstIndex; // first point index / first document index in the precompile
        uint32 count; // points / documents registered
    }

    /// @notice Upper bound on `unbondingPeriod`.
    uint64 public constant MAX_UNBONDING_PERIOD = 90 days;

    /// @notice Seconds between `requestUnbond` and `withdrawStake` (governance).
    uint64 public unbondingPeriod;
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
        uint256 indexed contributionId,
        uint64 indexed datanetId,
        address indexed contributor,
        uint128 stake,
        uint32 firstIndex,
        uint32 count
    );
    event ContributionAccepted(uint256 indexed contributionId, uint64 indexed datanetId);
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
    ///         (`msg.value`, exactly) and registers `sketch` (int8, `dim` bytes) in the influence
    ///         precompile for the caller. The precompile's errors (e.g. `BatchLength`) bubble up.
    function contributeSketch(uint64 datanetId, bytes calldata sketch)
        external
        payable
        nonReentrant
        returns (uint256 contributionId)
    {
        Datanet storage d = _contributable(datanetId, Kind.Influence);
        address[] memory contributors = new address[](1);
        contributors[0] = msg.sender;
        uint32 firstIndex = IInfluenceAttribution(Precompiles.INFLUENCE).addPoints(d.precompileId, contributors, sketch);
        contributionId = _record(datanetId, firstIndex, 1);
    }

    /// @notice Contributes documents to a token datanet: locks the datanet's stake (`msg.value`,
    ///         exactly) and registers the documents (lengths `docLengths`, uint32 token ids packed
    ///         big-endian in `tokens`) in the token-attribution precompile, all for the caller.
    function contributeDocuments(uint64 datanetId, uint32[] calldata docLengths, bytes calldata tokens)
        external
        payable
        nonReentrant
        returns (uint256 contributionId)
    {
        Datanet storage d = _contributable(datanetId, Kind.Token);
        uint256 n = docLengths.length;
        address[] memory contributors = new address[](n);
        for (uint256 i; i < n; ++i) {
            contributors[i] = msg.sender;
        }
        uint32 firstDoc = ITokenAttribution(Precompiles.TOKEN_ATTRIBUTION)
            .addDocuments(d.precompileId, contributors, docLengths, tokens);
        // n <= 2^32 - 1: the precompile numbers documents with uint32.
        // forge-lint: disable-next-line(unsafe-typecast)
        contributionId = _record(datanetId, firstDoc, uint32(n));
    }

    // ---------------------------------------------------------------- curation

    /// @notice Accepts a pending contribution (curator of its datanet).
    function accept(uint256 contributionId) external {
        Contribution storage c = _pendingForCurator(contributionId);
        c.status = Status.Accepted;
        emit ContributionAccepted(contributionId, c.datanetId);
    }

    /// @notice Rejects a pending contribution (curator); its stake becomes withdrawable at once.
    function reject(uint256 contributionId) external {
        Contribution storage c = _pendingForCurator(contributionId);
        c.status = Status.Rejected;
        _exclude(c);
        emit ContributionRejected(contributionId, c.datanetId);
    }

    // ------------------------------------------------------------------- stake

    /// @notice Starts unbonding a pending or accepted contribution's stake (contributor). It
    ///         can be withdrawn `unbondingPeriod` seconds later and slashed until then.
    function requestUnbond(uint256 contributionId) external {
        Contribution storage c = _ownContribution(contributionId);
        if (c.status != Status.Pending && c.status != Status.Accepted) {
            revert InvalidStatus(contributionId, c.status);
        }
        uint64 unlockAt = uint64(block.timestamp) + unbondingPeriod;
        c.status = Status.Unbonding;
        c.unlockAt = unlockAt;
        emit UnbondRequested(contributionId, msg.sender, unlockAt);
    }

    /// @notice Sends a contribution's stake back to its contributor (contributor): a rejected
    ///         contribution at once, an unbonding one once `unlockAt` has passed.
    function withdrawStake(uint256 contributionId) external nonReentrant {
        Contribution storage c = _ownContribution(contributionId);
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
        if (s != Status.Rejected) _exclude(c);
        c.status = Status.Slashed;
        uint256 amount = c.stake;
        slashedAccrued += amount;
        emit ContributionSlashed(contributionId, c.contributor, amount);
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
    ///      (the precompile keeps them stored: registered data is write-once).
    function _exclude(Contribution storage c) internal {
        Datanet storage d = _datanets[c.datanetId];
        if (d.kind == Kind.Influence) {
            IInfluenceAttribution(Precompiles.INFLUENCE).excludePoints(d.precompileId, c.firstIndex, c.count);
        } else {
            ITokenAttribution(Precompiles.TOKEN_ATTRIBUTION).excludeDocuments(d.precompileId, c.firstIndex, c.count);
        }
    }

    function _record(uint64 datanetId, uint32 firstIndex, uint32 count) internal returns (uint256 contributionId) {
        contributionId = ++contributionCount;
        // msg.value == the datanet's uint128 stake (checked in _contributable).
        uint128 stake = uint128(msg.value);
        _contributions[contributionId] = Contribution({
            contributor: msg.sender,
            status: Status.Pending,
            datanetId: datanetId,
            stake: stake,
            unlockAt: 0,
            firstIndex: firstIndex,
            count: count
        });
        emit Contributed(contributionId, datanetId, msg.sender, stake, firstIndex, count);
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
