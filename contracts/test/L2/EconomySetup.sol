// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {IAdapterRegistry} from "../../src/interfaces/IAdapterRegistry.sol";
import {IInfluenceAttribution} from "../../src/interfaces/IInfluenceAttribution.sol";
import {ITokenAttribution} from "../../src/interfaces/ITokenAttribution.sol";
import {Precompiles} from "../../src/L2/economy/Precompiles.sol";
import {DatanetRegistry} from "../../src/L2/economy/DatanetRegistry.sol";
import {ModelRegistry} from "../../src/L2/economy/ModelRegistry.sol";
import {InferencePayments} from "../../src/L2/economy/InferencePayments.sol";
import {OpenStaking} from "../../src/L2/economy/OpenStaking.sol";
import {MockInfluenceAttribution} from "./mocks/MockInfluenceAttribution.sol";
import {MockTokenAttribution} from "./mocks/MockTokenAttribution.sol";
import {MockAdapterRegistry} from "./mocks/MockAdapterRegistry.sol";

/// @notice Installs the precompile mocks at 0x…0A01/0A02/0A03 with `vm.etch`.
abstract contract PrecompileMocks is Test {
    MockInfluenceAttribution internal influence = MockInfluenceAttribution(Precompiles.INFLUENCE);
    MockTokenAttribution internal tokenAttr = MockTokenAttribution(Precompiles.TOKEN_ATTRIBUTION);
    MockAdapterRegistry internal adapters = MockAdapterRegistry(Precompiles.ADAPTER_REGISTRY);

    function _installPrecompileMocks() internal {
        vm.etch(Precompiles.INFLUENCE, address(new MockInfluenceAttribution()).code);
        vm.etch(Precompiles.TOKEN_ATTRIBUTION, address(new MockTokenAttribution()).code);
        vm.etch(Precompiles.ADAPTER_REGISTRY, address(new MockAdapterRegistry()).code);
        vm.label(Precompiles.INFLUENCE, "InfluencePrecompile");
        vm.label(Precompiles.TOKEN_ATTRIBUTION, "TokenAttributionPrecompile");
        vm.label(Precompiles.ADAPTER_REGISTRY, "AdapterRegistryPrecompile");
    }
}

/// @notice The four economy contracts, owned by a plain `gov` account (the governance flow test
///         uses the real governor and timelock instead), with helpers.
abstract contract EconomySetup is PrecompileMocks {
    uint16 internal constant DIM = 64;
    uint128 internal constant STAKE = 1 ether;
    uint128 internal constant PRICE = 10 ether;
    uint64 internal constant UNBONDING = 7 days;
    uint64 internal constant WINDOW = 1 days;

    address internal gov = makeAddr("gov");
    address internal treasury = makeAddr("treasury");
    address internal curator = makeAddr("curator");
    address internal modelOwner = makeAddr("modelOwner");
    address internal user = makeAddr("user");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");

    DatanetRegistry internal registry;
    ModelRegistry internal models;
    OpenStaking internal staking;
    InferencePayments internal payments;

    function setUp() public virtual {
        _installPrecompileMocks();
        registry = new DatanetRegistry(gov, treasury, UNBONDING);
        staking = new OpenStaking(gov, UNBONDING);
        models = new ModelRegistry(gov, registry);
        payments = new InferencePayments(gov, models, staking, treasury, _defaultSplit(), WINDOW);
        address[8] memory funded = [curator, modelOwner, user, alice, bob, carol, gov, treasury];
        for (uint256 i; i < funded.length; ++i) {
            vm.deal(funded[i], 1_000_000 ether);
        }
    }

    function _defaultSplit() internal pure returns (InferencePayments.FeeSplit memory) {
        return InferencePayments.FeeSplit({contributors: 5000, modelOwner: 3000, stakers: 1000, treasury: 1000});
    }

    // ------------------------------------------------------------------ helpers

    function _sketch(uint256 seed) internal pure returns (bytes memory s) {
        s = new bytes(DIM);
        for (uint256 i; i < DIM; ++i) {
            s[i] = bytes1(uint8(uint256(keccak256(abi.encode(seed, i)))));
        }
        s[0] = 0x01; // never all zero
    }

    function _tokens(uint256 n, uint256 seed) internal pure returns (bytes memory t) {
        t = new bytes(4 * n);
        for (uint256 i; i < n; ++i) {
            bytes4 v = bytes4(uint32(uint256(keccak256(abi.encode(seed, i)))) | 1);
            for (uint256 j; j < 4; ++j) {
                t[4 * i + j] = v[j];
            }
        }
    }

    function _influenceDatanet() internal returns (uint64 id) {
        vm.prank(curator);
        id = registry.createDatanet(DatanetRegistry.Kind.Influence, DIM, STAKE, "ipfs://datanet");
    }

    function _tokenDatanet() internal returns (uint64 id) {
        vm.prank(curator);
        id = registry.createDatanet(DatanetRegistry.Kind.Token, 0, STAKE, "ipfs://corpus");
    }

    /// @dev A pending contribution (committed, not earning).
    function _submitSketch(address who, uint64 datanetId, uint256 seed) internal returns (uint256 id) {
        vm.prank(who);
        id = registry.contributeSketch{value: STAKE}(datanetId, _sketch(seed));
    }

    /// @dev A contribution the curator accepted (registered in the precompile: it earns).
    function _contributeSketch(address who, uint64 datanetId, uint256 seed) internal returns (uint256 id) {
        id = _submitSketch(who, datanetId, seed);
        vm.prank(registry.getDatanet(datanetId).owner);
        registry.acceptSketch(id, _sketch(seed));
    }

    function _docLengths(uint256 docs) internal pure returns (uint32[] memory lengths) {
        lengths = new uint32[](docs);
        for (uint256 i; i < docs; ++i) {
            lengths[i] = 3;
        }
    }

    /// @dev Pending documents.
    function _submitDocs(address who, uint64 datanetId, uint256 docs) internal returns (uint256 id) {
        vm.prank(who);
        id = registry.contributeDocuments{value: STAKE}(datanetId, _docLengths(docs), _tokens(3 * docs, docs));
    }

    /// @dev Accepted documents.
    function _contributeDocs(address who, uint64 datanetId, uint256 docs) internal returns (uint256 id) {
        id = _submitDocs(who, datanetId, docs);
        vm.prank(registry.getDatanet(datanetId).owner);
        registry.acceptDocuments(id, _docLengths(docs), _tokens(3 * docs, docs));
    }

    function _spec() internal pure returns (ModelRegistry.AdapterSpec memory) {
        return ModelRegistry.AdapterSpec({
            baseModelId: keccak256("llama-3-8b"),
            weightsHash: keccak256("weights-v1"),
            rank: 16,
            alpha: 32,
            targetModules: 0x0f,
            uri: "ipfs://adapter"
        });
    }

    function _influenceConfig() internal pure returns (ModelRegistry.AttributionConfig memory) {
        return ModelRegistry.AttributionConfig({topK: 64, minSpan: 0, maxOccurrences: 0});
    }

    function _tokenConfig() internal pure returns (ModelRegistry.AttributionConfig memory) {
        return ModelRegistry.AttributionConfig({topK: 0, minSpan: 2, maxOccurrences: 1000});
    }

    function _ids(uint64 a) internal pure returns (uint64[] memory ids) {
        ids = new uint64[](1);
        ids[0] = a;
    }

    function _ids(uint64 a, uint64 b) internal pure returns (uint64[] memory ids) {
        ids = new uint64[](2);
        ids[0] = a;
        ids[1] = b;
    }

    function _influenceModel(uint64[] memory datanets) internal returns (uint64 id) {
        vm.prank(modelOwner);
        id = models.registerModel(_spec(), datanets, DatanetRegistry.Kind.Influence, PRICE, _influenceConfig());
    }

    function _tokenModel(uint64[] memory datanets) internal returns (uint64 id) {
        vm.prank(modelOwner);
        id = models.registerModel(_spec(), datanets, DatanetRegistry.Kind.Token, PRICE, _tokenConfig());
    }

    function _pay(uint64 modelId) internal returns (uint256 id) {
        vm.prank(user);
        id = payments.payInference{value: PRICE}(modelId, keccak256("request"));
    }

    function _settleInfluence(uint256 id) internal {
        vm.prank(modelOwner);
        payments.settle(id, _sketch(99));
    }

    function _forceInfluenceShares(address[] memory who, uint16[] memory bps) internal {
        IInfluenceAttribution.Share[] memory s = new IInfluenceAttribution.Share[](who.length);
        for (uint256 i; i < who.length; ++i) {
            s[i] = IInfluenceAttribution.Share(who[i], bps[i]);
        }
        influence.setShares(s);
    }

    function _forceTokenShares(address[] memory who, uint16[] memory bps) internal {
        ITokenAttribution.Share[] memory s = new ITokenAttribution.Share[](who.length);
        for (uint256 i; i < who.length; ++i) {
            s[i] = ITokenAttribution.Share(who[i], bps[i]);
        }
        tokenAttr.setShares(s);
    }

    function _stake(address who, uint256 amount) internal {
        vm.prank(who);
        staking.stake{value: amount}();
    }
}
