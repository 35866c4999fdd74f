// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title ITokenAttribution
/// @notice Proof-of-Attribution token attribution precompile (Infini-gram style) at
///         0x0000000000000000000000000000000000000A02. Contributors register token documents
///         to a datanet; an output token sequence is matched against suffix arrays of the
///         corpora for maximal spans (never crossing a document boundary). Each kept span of
///         length L earns L units split evenly between the distinct contributors whose documents
///         hold it; shares are normalized to basis points summing to exactly 10,000. Token ids
///         are uint32, packed big-endian, 4 bytes each, in `bytes` arguments. See
///         docs/PRECOMPILES.md.
interface ITokenAttribution {
    /// @notice A contributor's share of an attribution, in basis points.
    struct Share {
        address contributor;
        uint16 bps;
    }

    /// @notice A kept maximal span of the output. holders = 0: more occurrences than
    ///         maxOccurrences, credited to nobody.
    struct Span {
        uint32 start;
        uint32 length;
        uint64 occurrences;
        uint32 holders;
    }

    /// @notice A token datanet was created; the caller owns it.
    event DatanetCreated(uint64 indexed datanetId, address indexed owner);
    /// @notice Documents firstDoc..firstDoc+count-1 were added.
    event DocumentsAdded(uint64 indexed datanetId, uint32 firstDoc, uint32 count, uint64 tokens);
    /// @notice Documents firstDoc..firstDoc+count-1 no longer earn credit (a curator rejected
    ///         them, or governance slashed them); they stay stored and matched.
    event DocumentsExcluded(uint64 indexed datanetId, uint32 firstDoc, uint32 count);
    /// @notice Emitted by recordAttribution: the shares of one query.
    event TokensAttributed(address indexed caller, bytes32 indexed outputHash, Share[] shares);

    /// @notice Calldata that does not decode.
    error MalformedInput();
    /// @notice A selector this precompile does not know.
    error UnknownSelector(bytes4 selector);
    /// @notice A `bytes` token argument whose length is not a multiple of 4.
    error TokenBytesLength(uint256 got);
    /// @notice docLengths do not add up to the tokens given, or contributors/docLengths differ.
    ///         Fields: docLengths.length, the sum of docLengths, the number of tokens given
    ///         (bytes / 4).
    error DocumentLayout(uint256 documents, uint256 tokensExpected, uint256 tokensGiven);
    /// @notice A registration with no document.
    error NoDocuments();
    /// @notice Document `index` of the batch is empty.
    error EmptyDocument(uint256 index);
    /// @notice The batch is too large for one index segment.
    error BatchTooLarge();
    /// @notice No datanet with this id.
    error UnknownDatanet(uint64 datanetId);
    /// @notice Only the datanet's owner may add documents.
    error NotDatanetOwner(uint64 datanetId, address caller);
    /// @notice A query naming no datanet, or more than 64 (the per-query limit); `got` is the
    ///         number named.
    error DatanetCount(uint256 got);
    /// @notice A datanet named twice in one query.
    error DuplicateDatanet(uint64 datanetId);
    /// @notice Output empty or longer than 16,384 tokens.
    error OutputLength(uint256 got);
    /// @notice minSpan of 0.
    error InvalidMinSpan();
    /// @notice maxOccurrences of 0 or above 2^20.
    error InvalidMaxOccurrences(uint64 got);
    /// @notice A state-changing call under STATICCALL.
    error StaticCallWrite();
    /// @notice An empty range, or one past the datanet's last document.
    error InvalidRange(uint32 first, uint32 count);

    /// @notice Creates a token datanet owned by the caller.
    function createDatanet() external returns (uint64 datanetId);

    /// @notice Adds documents: document i belongs to contributors[i] and has docLengths[i]
    ///         tokens; `tokens` holds all of them back to back (4 bytes each, big-endian).
    function addDocuments(
        uint64 datanetId,
        address[] calldata contributors,
        uint32[] calldata docLengths,
        bytes calldata tokens
    ) external returns (uint32 firstDoc);

    /// @notice Excludes documents firstDoc..firstDoc+count-1 from every later attribution:
    ///         spans found in them credit nobody for them (matching, and so gas, is unchanged).
    ///         Only the datanet's owner. There is no way back. Returns the
    ///         datanet's number of excluded ranges (see IInfluenceAttribution.excludePoints).
    function excludeDocuments(uint64 datanetId, uint32 firstDoc, uint32 count) external returns (uint64 ranges);

    /// @notice Attributes `outputTokens` to the contributors of `datanetIds`. Spans shorter than
    ///         minSpan earn nothing; spans with more than maxOccurrences occurrences credit nobody.
    function attribute(uint64[] calldata datanetIds, bytes calldata outputTokens, uint32 minSpan, uint64 maxOccurrences)
        external
        view
        returns (Share[] memory shares, Span[] memory spans);

    /// @notice Same as attribute, and emits TokensAttributed with outputHash = keccak256(outputTokens).
    function recordAttribution(
        uint64[] calldata datanetIds,
        bytes calldata outputTokens,
        uint32 minSpan,
        uint64 maxOccurrences
    ) external returns (Share[] memory shares, Span[] memory spans);

    /// @notice A datanet's owner and size.
    function datanetInfo(uint64 datanetId) external view returns (address owner, uint32 documents, uint64 tokens);
}
