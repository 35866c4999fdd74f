// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IAdapterRegistry} from "../../interfaces/IAdapterRegistry.sol";
import {DatanetRegistry} from "./DatanetRegistry.sol";
import {Governed} from "./Governed.sol";
import {Precompiles} from "./Precompiles.sol";

/// @title ModelRegistry
/// @notice Models: a model is a LoRA adapter in the adapter-registry precompile (0x…0A03) plus
///         the datanets it was trained on, an attribution method and an inference price.
///
///         `registerModel` calls the precompile's `registerAdapter`, so the adapter is owned in
///         the precompile by this contract (the precompile records its caller) and the model's
///         owner is recorded here; new versions (`newModelVersion` -> `newVersion`) and status
///         changes (`setModelStatus` -> `setStatus`) go through this contract as well. The
///         adapter's `trainingDatanets` are the model's datanets translated to their ids in the
///         attribution precompile of the model's method (all of one kind, strictly increasing,
///         1..=64), and the same ids are what InferencePayments sends to that precompile when it
///         settles an inference.
///
///         The model owner sets the price (native OPEN per inference, exact payment), the
///         settler (the operator account that may settle paid inferences; the owner by
///         default, and the new owner after `transferModel`) and the attribution parameters. Governance (the owner of this contract) can
///         suspend a model, which stops new payments.
contract ModelRegistry is Governed {
    /// @notice Adapter fields of a model (the adapter's `trainingDatanets` come from the
    ///         model's datanets). See IAdapterRegistry.AdapterParams for the rules.
    struct AdapterSpec {
        bytes32 baseModelId;
        bytes32 weightsHash;
        uint16 rank;
        uint32 alpha;
        uint32 targetModules;
        string uri;
    }

    /// @notice Attribution parameters. Influence: `topK` points kept per query, 1..=MAX_TOP_K
    ///         (so a settlement credits at most MAX_TOP_K contributors); minSpan and
    ///         maxOccurrences must be 0. Token: `minSpan` >= 1 and `maxOccurrences` in
    ///         1..=2^20; topK must be 0.
    struct AttributionConfig {
        uint32 topK;
        uint32 minSpan;
        uint64 maxOccurrences;
    }

    struct Model {
        address owner;
        DatanetRegistry.Kind method;
        IAdapterRegistry.Status status; // mirror of the adapter's status (only we can change it)
        bool suspended; // by governance
        uint64 adapterId; // current version
        address settler;
        uint128 price;
        AttributionConfig config;
        uint64[] datanets; // registry ids, strictly increasing
        uint64[] attributionDatanets; // the same datanets' precompile ids
    }

    /// @notice Most datanets one model may name (the adapter registry's limit).
    uint256 public constant MAX_DATANETS = 64;
    /// @notice Largest influence `topK`: the bound on contributors credited per settlement.
    uint32 public constant MAX_TOP_K = 256;
    /// @notice Largest token `maxOccurrences` (the precompile's limit).
    uint64 public constant MAX_OCCURRENCES = 1 << 20;

    DatanetRegistry public immutable datanetRegistry;

    /// @notice Number of models (ids 1..modelCount).
    uint64 public modelCount;
    mapping(uint64 modelId => Model) internal _models;
    /// @notice The model of an adapter id (0: none).
    mapping(uint64 adapterId => uint64) public modelOfAdapter;

    event ModelRegistered(
        uint64 indexed modelId,
        address indexed owner,
        uint64 indexed adapterId,
        DatanetRegistry.Kind method,
        uint128 price,
        uint64[] datanets
    );
    event ModelVersioned(
        uint64 indexed modelId, uint64 indexed previousAdapterId, uint64 indexed adapterId, uint64[] datanets
    );
    event ModelStatusUpdated(uint64 indexed modelId, IAdapterRegistry.Status status);
    event ModelPriceUpdated(uint64 indexed modelId, uint128 price);
    event ModelSettlerUpdated(uint64 indexed modelId, address indexed settler);
    event ModelConfigUpdated(uint64 indexed modelId, AttributionConfig config);
    event ModelOwnerUpdated(uint64 indexed modelId, address indexed previousOwner, address indexed newOwner);
    event ModelSuspended(uint64 indexed modelId, bool suspended);

    error UnknownModel(uint64 modelId);
    error NotModelOwner(uint64 modelId, address caller);
    error DatanetCount(uint256 got);
    error UnsortedDatanets();
    error DatanetKind(uint64 datanetId, DatanetRegistry.Kind kind);
    error InvalidConfig();
    error ZeroAddress();

    constructor(address governance, DatanetRegistry datanetRegistry_) Governed(governance) {
        if (address(datanetRegistry_) == address(0)) revert ZeroAddress();
        datanetRegistry = datanetRegistry_;
    }

    // ------------------------------------------------------------ registration

    /// @notice Registers a model owned by the caller: registers its adapter in the precompile
    ///         (whose errors bubble up) with `datanets` as training datanets.
    /// @param datanets Registry datanet ids, strictly increasing, 1..=64, all of kind `method`.
    function registerModel(
        AdapterSpec calldata spec,
        uint64[] calldata datanets,
        DatanetRegistry.Kind method,
        uint128 price,
        AttributionConfig calldata config
    ) external returns (uint64 modelId) {
        _checkConfig(method, config);
        uint64[] memory ids = _attributionIds(datanets, method);
        uint64 adapterId = IAdapterRegistry(Precompiles.ADAPTER_REGISTRY).registerAdapter(_params(spec, ids));

        modelId = ++modelCount;
        Model storage m = _models[modelId];
        m.owner = msg.sender;
        m.method = method;
        m.adapterId = adapterId;
        m.settler = msg.sender;
        m.price = price;
        m.config = config;
        m.datanets = datanets;
        m.attributionDatanets = ids;
        modelOfAdapter[adapterId] = modelId;
        emit ModelRegistered(modelId, msg.sender, adapterId, method, price, datanets);
    }

    /// @notice Registers a new version of the model's adapter (model owner) and makes it the
    ///         model's current adapter, with possibly new training datanets (same method).
    function newModelVersion(uint64 modelId, AdapterSpec calldata spec, uint64[] calldata datanets)
        external
        returns (uint64 adapterId)
    {
        Model storage m = _owned(modelId);
        uint64[] memory ids = _attributionIds(datanets, m.method);
        uint64 previous = m.adapterId;
        adapterId = IAdapterRegistry(Precompiles.ADAPTER_REGISTRY).newVersion(previous, _params(spec, ids));
        m.adapterId = adapterId;
        m.status = IAdapterRegistry.Status.Active;
        m.datanets = datanets;
        m.attributionDatanets = ids;
        modelOfAdapter[adapterId] = modelId;
        emit ModelVersioned(modelId, previous, adapterId, datanets);
    }

    /// @notice Changes the status of the model's current adapter in the precompile (model
    ///         owner). Only an Active model can be paid for.
    function setModelStatus(uint64 modelId, IAdapterRegistry.Status status) external {
        Model storage m = _owned(modelId);
        Precompiles.callNoReturn(
            Precompiles.ADAPTER_REGISTRY, abi.encodeCall(IAdapterRegistry.setStatus, (m.adapterId, status))
        );
        m.status = status;
        emit ModelStatusUpdated(modelId, status);
    }

    // ------------------------------------------------------- owner's settings

    /// @notice Sets the price of future inferences, in native OPEN (model owner).
    function setPrice(uint64 modelId, uint128 price) external {
        _owned(modelId).price = price;
        emit ModelPriceUpdated(modelId, price);
    }

    /// @notice Sets the account that may settle the model's inferences (model owner).
    function setSettler(uint64 modelId, address settler) external {
        if (settler == address(0)) revert ZeroAddress();
        _owned(modelId).settler = settler;
        emit ModelSettlerUpdated(modelId, settler);
    }

    /// @notice Sets the attribution parameters (model owner).
    function setAttributionConfig(uint64 modelId, AttributionConfig calldata config) external {
        Model storage m = _owned(modelId);
        _checkConfig(m.method, config);
        m.config = config;
        emit ModelConfigUpdated(modelId, config);
    }

    /// @notice Hands the model (its fees, settings and settlement) to a new owner (model owner).
    ///         The settler becomes the new owner: the seller's operator must not keep settling
    ///         (and choosing the attribution input of) inferences the buyer is paid for.
    function transferModel(uint64 modelId, address newOwner) external {
        if (newOwner == address(0)) revert ZeroAddress();
        Model storage m = _owned(modelId);
        emit ModelOwnerUpdated(modelId, m.owner, newOwner);
        m.owner = newOwner;
        m.settler = newOwner;
        emit ModelSettlerUpdated(modelId, newOwner);
    }

    // -------------------------------------------------------------- governance

    /// @notice Suspends (or resumes) payments for a model (governance).
    function setSuspended(uint64 modelId, bool suspended) external onlyOwner {
        _model(modelId).suspended = suspended;
        emit ModelSuspended(modelId, suspended);
    }

    // ------------------------------------------------------------------- views

    /// @notice A model (reverts `UnknownModel`).
    function getModel(uint64 modelId) external view returns (Model memory) {
        return _model(modelId);
    }

    /// @notice Whether the model can be paid for now: Active and not suspended.
    function isPayable(uint64 modelId) public view returns (bool) {
        Model storage m = _model(modelId);
        return m.status == IAdapterRegistry.Status.Active && !m.suspended;
    }

    /// @notice The model's price, and whether it can be paid for (reverts `UnknownModel`).
    function priceOf(uint64 modelId) external view returns (uint128 price, bool payable_) {
        Model storage m = _model(modelId);
        return (m.price, m.status == IAdapterRegistry.Status.Active && !m.suspended);
    }

    /// @notice What settling an inference of the model needs (reverts `UnknownModel`).
    function settlementInfo(uint64 modelId)
        external
        view
        returns (
            address owner,
            address settler,
            DatanetRegistry.Kind method,
            AttributionConfig memory config,
            uint64[] memory attributionDatanets
        )
    {
        Model storage m = _model(modelId);
        return (m.owner, m.settler, m.method, m.config, m.attributionDatanets);
    }

    // --------------------------------------------------------------- internals

    function _model(uint64 modelId) internal view returns (Model storage m) {
        m = _models[modelId];
        if (m.owner == address(0)) revert UnknownModel(modelId);
    }

    function _owned(uint64 modelId) internal view returns (Model storage m) {
        m = _model(modelId);
        if (m.owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
    }

    function _checkConfig(DatanetRegistry.Kind method, AttributionConfig calldata c) internal pure {
        if (method == DatanetRegistry.Kind.Influence) {
            if (c.topK == 0 || c.topK > MAX_TOP_K || c.minSpan != 0 || c.maxOccurrences != 0) revert InvalidConfig();
        } else {
            if (c.topK != 0 || c.minSpan == 0 || c.maxOccurrences == 0 || c.maxOccurrences > MAX_OCCURRENCES) {
                revert InvalidConfig();
            }
        }
    }

    /// @dev Registry ids (strictly increasing, all of `method`'s kind) -> precompile ids. The
    ///      registry creates precompile datanets in the order of its own ids, so the result is
    ///      strictly increasing too, as the adapter registry requires.
    function _attributionIds(uint64[] calldata datanets, DatanetRegistry.Kind method)
        internal
        view
        returns (uint64[] memory ids)
    {
        uint256 n = datanets.length;
        if (n == 0 || n > MAX_DATANETS) revert DatanetCount(n);
        ids = new uint64[](n);
        for (uint256 i; i < n; ++i) {
            if (i > 0 && datanets[i] <= datanets[i - 1]) revert UnsortedDatanets();
            (DatanetRegistry.Kind kind, uint64 pid) = datanetRegistry.attributionIndex(datanets[i]);
            if (kind != method) revert DatanetKind(datanets[i], kind);
            ids[i] = pid;
        }
    }

    function _params(AdapterSpec calldata spec, uint64[] memory ids)
        internal
        pure
        returns (IAdapterRegistry.AdapterParams memory)
    {
        return IAdapterRegistry.AdapterParams({
            baseModelId: spec.baseModelId,
            weightsHash: spec.weightsHash,
            rank: spec.rank,
            alpha: spec.alpha,
            targetModules: spec.targetModules,
            trainingDatanets: ids,
            uri: spec.uri
        });
    }
}
