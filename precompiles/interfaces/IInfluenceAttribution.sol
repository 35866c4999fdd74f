// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IInfluenceAttribution
/// @notice Proof-of-Attribution influence scoring precompile at
///         0x0000000000000000000000000000000000000A01. Data points are (contributor, int8
///         gradient sketch) pairs in a datanet of fixed dimension; a query sketch is scored
///         against every point with exact integer dot products, negatives clipped, optionally only
///         the top-k points kept, aggregated per contributor and normalized to basis points that
///         sum to exactly 10,000 (largest remainder, ties to the lower address). All scores zero
///         means empty results. See docs/PRECOMPILES.md.
interface IInfluenceAttribution {
    /// @notice A contributor's share of an attribution, in basis points.
    struct Share {
        address contributor;
        uint16 bps;
    }

    /// @notice A data point with its clipped score (> 0).
    struct ScoredPoint {
        uint64 datanetId;
        uint32 index;
        address contributor;
        uint64 score;
    }

    /// @notice A datanet was created; the caller owns it.
    event DatanetCreated(uint64 indexed datanetId, address indexed owner, uint16 dim);
    /// @notice Points firstIndex..firstIndex+count-1 were added.
    event PointsAdded(uint64 indexed datanetId, uint32 firstIndex, uint32 count);
    /// @notice Points firstIndex..firstIndex+count-1 no longer count (a curator rejected them,
    ///         or governance slashed them); they stay stored.
    event PointsExcluded(uint64 indexed datanetId, uint32 firstIndex, uint32 count);
    /// @notice Emitted by recordScore: the shares of one query.
    event InfluenceScored(address indexed caller, bytes32 indexed queryHash, Share[] shares);

    /// @notice Calldata that does not decode (bad selector length or ABI encoding).
    error MalformedInput();
    /// @notice A selector this precompile does not know.
    error UnknownSelector(bytes4 selector);
    /// @notice Dimension outside 64..=1024.
    error InvalidDimension(uint256 got);
    /// @notice A single sketch whose length is not the datanet's dimension. Not raised through
    ///         this ABI: `addPoints` reports a wrong length as `BatchLength`, `score` as
    ///         `DimensionMismatch`. Kept so the error table stays stable.
    error SketchLength(uint256 expected, uint256 got);
    /// @notice `addPoints`: sketches.length != contributors.length * dim (fields: the number of
    ///         contributors, contributors.length * dim, sketches.length), including a sketch of
    ///         the wrong length for one contributor; an empty batch is BatchLength(0, 0, 0).
    error BatchLength(uint256 contributors, uint256 expected, uint256 got);
    /// @notice The datanet would exceed 2^32 - 1 points.
    error DatanetFull(uint64 datanetId);
    /// @notice No datanet with this id.
    error UnknownDatanet(uint64 datanetId);
    /// @notice Only the datanet's owner may add points.
    error NotDatanetOwner(uint64 datanetId, address caller);
    /// @notice A query naming no datanet, or more than 64 (the per-query limit); `got` is the
    ///         number named.
    error DatanetCount(uint256 got);
    /// @notice A datanet named twice in one query.
    error DuplicateDatanet(uint64 datanetId);
    /// @notice Query sketch length differs from a datanet's dimension.
    error DimensionMismatch(uint64 datanetId, uint256 dim, uint256 query);
    /// @notice A state-changing call under STATICCALL.
    error StaticCallWrite();
    /// @notice An empty range, or one past the datanet's last point.
    error InvalidRange(uint32 first, uint32 count);

    /// @notice Creates a datanet of sketch dimension `dim`, owned by the caller.
    function createDatanet(uint16 dim) external returns (uint64 datanetId);

    /// @notice Adds one point per contributor; `sketches` holds their int8 sketches back to back
    ///         (contributors.length * dim bytes, two's complement). Only the datanet's owner.
    function addPoints(uint64 datanetId, address[] calldata contributors, bytes calldata sketches)
        external
        returns (uint32 firstIndex);

    /// @notice Excludes points firstIndex..firstIndex+count-1 from every later query: they
    ///         score 0, as if absent (still scanned and charged). Only the datanet's owner.
    ///         Excluding a point twice is allowed; there is no way back. Returns
    ///         the datanet's number of excluded ranges (a return value also spares callers
    ///         Solidity's code-size check, which an address without code would fail).
    function excludePoints(uint64 datanetId, uint32 firstIndex, uint32 count) external returns (uint64 ranges);

    /// @notice Scores `querySketch` against every point of `datanetIds` (1 to 64 distinct
    ///         datanets of one dimension). `topK` = 0 keeps every point; `topPoints` bounds the
    ///         returned points: values above 16 are taken as 16 (no revert; the gas is charged
    ///         for at most 16 too). Shares are sorted by bps descending, then address ascending.
    function score(uint64[] calldata datanetIds, bytes calldata querySketch, uint32 topK, uint8 topPoints)
        external
        view
        returns (Share[] memory shares, ScoredPoint[] memory top);

    /// @notice Same as score, and emits InfluenceScored with queryHash = keccak256 of the whole
    ///         calldata (selector included: keccak256(abi.encodeCall(recordScore, (datanetIds,
    ///         querySketch, topK, topPoints)))), so queries that differ in any argument differ.
    function recordScore(uint64[] calldata datanetIds, bytes calldata querySketch, uint32 topK, uint8 topPoints)
        external
        returns (Share[] memory shares, ScoredPoint[] memory top);

    /// @notice A datanet's owner, dimension and size.
    function datanetInfo(uint64 datanetId)
        external
        view
        returns (address owner, uint16 dim, uint32 points, uint32 contributors);
}
