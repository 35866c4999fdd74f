// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IAdapterRegistry
/// @notice LoRA adapter registry precompile at 0x0000000000000000000000000000000000000A03.
///         Adapters are registered by their owner, versioned (a new version links to its parent,
///         keeps its base model, and only the parent's owner may create it), and move through
///         Active <-> Deprecated -> Revoked (Revoked is final). See docs/PRECOMPILES.md.
interface IAdapterRegistry {
    /// @notice Lifecycle of an adapter.
    enum Status {
        Active,
        Deprecated,
        Revoked
    }

    /// @notice What a registration supplies. rank 1..=1024, alpha 1..=65536, targetModules a
    ///         non-zero mask of bits 0..8 (q,k,v,o,gate,up,down,embed_tokens,lm_head),
    ///         trainingDatanets strictly increasing (at most 64, each existing), uri 1..=256 bytes
    ///         of printable ASCII, baseModelId and weightsHash non-zero.
    struct AdapterParams {
        bytes32 baseModelId;
        bytes32 weightsHash;
        uint16 rank;
        uint32 alpha;
        uint32 targetModules;
        uint64[] trainingDatanets;
        string uri;
    }

    /// @notice A registered adapter. parent = 0: a root (version 1).
    struct Adapter {
        uint64 id;
        address owner;
        AdapterParams params;
        uint64 parent;
        uint32 version;
        Status status;
    }

    /// @notice An adapter (or a new version: parent != 0) was registered.
    event AdapterRegistered(
        uint64 indexed id, address indexed owner, bytes32 indexed baseModelId, uint64 parent, uint32 version
    );
    /// @notice An adapter's status changed.
    event AdapterStatusChanged(uint64 indexed id, Status status);

    /// @notice Calldata that does not decode (includes an out-of-range Status).
    error MalformedInput();
    /// @notice A selector this precompile does not know.
    error UnknownSelector(bytes4 selector);
    /// @notice baseModelId is zero.
    error ZeroBaseModel();
    /// @notice weightsHash is zero.
    error ZeroWeightsHash();
    /// @notice rank outside 1..=1024.
    error InvalidRank(uint16 rank);
    /// @notice alpha outside 1..=65536.
    error InvalidAlpha(uint32 alpha);
    /// @notice targetModules empty or with undefined bits.
    error InvalidTargetModules(uint32 targetModules);
    /// @notice More than 64 training datanets.
    error TooManyDatanets(uint256 got);
    /// @notice trainingDatanets not strictly increasing.
    error UnsortedDatanets();
    /// @notice A training datanet that does not exist.
    error UnknownDatanet(uint64 datanetId);
    /// @notice uri empty or longer than 256 bytes.
    error InvalidUriLength(uint256 got);
    /// @notice uri byte at `index` is not printable ASCII.
    error InvalidUriByte(uint256 index);
    /// @notice No adapter with this id.
    error UnknownAdapter(uint64 id);
    /// @notice The caller does not own the adapter.
    error NotOwner(uint64 id, address caller);
    /// @notice New version of a revoked adapter.
    error AdapterRevoked(uint64 id);
    /// @notice A new version must keep its parent's base model.
    error BaseModelMismatch(bytes32 expected);
    /// @notice A status change the lifecycle forbids (including to the current status).
    error InvalidTransition(Status from, Status to);
    /// @notice Id or version counter exhausted.
    error Overflow();
    /// @notice A state-changing call under STATICCALL.
    error StaticCallWrite();

    /// @notice Registers a root adapter (version 1) owned by the caller.
    function registerAdapter(AdapterParams calldata params) external returns (uint64 id);

    /// @notice Registers a new version of `parentId`; only its owner; same base model.
    function newVersion(uint64 parentId, AdapterParams calldata params) external returns (uint64 id);

    /// @notice Changes an adapter's status; only its owner.
    function setStatus(uint64 id, Status status) external;

    /// @notice The adapter with this id (reverts UnknownAdapter).
    function getAdapter(uint64 id) external view returns (Adapter memory);

    /// @notice Ids owned by `owner`, in registration order, from `offset`, at most `limit` (<= 1000).
    function adaptersByOwner(address owner, uint32 offset, uint32 limit) external view returns (uint64[] memory ids);

    /// @notice Ids for `baseModelId`, in registration order, from `offset`, at most `limit` (<= 1000).
    function adaptersByBaseModel(bytes32 baseModelId, uint32 offset, uint32 limit)
        external
        view
        returns (uint64[] memory ids);

    /// @notice The lineage of `id`: its root first, `id` last.
    function versions(uint64 id) external view returns (uint64[] memory ids);

    /// @notice Number of registered adapters (ids are 1..=count).
    function adapterCount() external view returns (uint64);
}
