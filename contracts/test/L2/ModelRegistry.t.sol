// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IAdapterRegistry} from "../../src/interfaces/IAdapterRegistry.sol";
import {DatanetRegistry} from "../../src/L2/economy/DatanetRegistry.sol";
import {ModelRegistry} from "../../src/L2/economy/ModelRegistry.sol";
import {EconomySetup} from "./EconomySetup.sol";

contract ModelRegistryTest is EconomySetup {
    uint64 internal inf1;
    uint64 internal tok1;
    uint64 internal inf2;

    function setUp() public override {
        super.setUp();
        inf1 = _influenceDatanet(); // registry 1 -> influence 1
        tok1 = _tokenDatanet(); // registry 2 -> token 1
        inf2 = _influenceDatanet(); // registry 3 -> influence 2
    }

    function test_registerInfluenceModel() public {
        uint64[] memory ds = _ids(inf1, inf2);
        vm.expectEmit(address(models));
        emit ModelRegistry.ModelRegistered(1, modelOwner, 1, DatanetRegistry.Kind.Influence, PRICE, ds);
        uint64 id = _influenceModel(ds);
        assertEq(id, 1);
        ModelRegistry.Model memory m = models.getModel(id);
        assertEq(m.owner, modelOwner);
        assertEq(m.settler, modelOwner);
        assertEq(m.adapterId, 1);
        assertEq(m.price, PRICE);
        assertEq(m.datanets.length, 2);
        assertEq(m.attributionDatanets[0], 1);
        assertEq(m.attributionDatanets[1], 2); // inf2 is influence precompile datanet 2
        assertEq(models.modelOfAdapter(1), 1);
        assertTrue(models.isPayable(id));

        // The adapter lives in the precompile, owned by the registry, with the precompile ids.
        IAdapterRegistry.Adapter memory a = adapters.getAdapter(1);
        assertEq(a.owner, address(models));
        assertEq(a.params.baseModelId, keccak256("llama-3-8b"));
        assertEq(a.params.trainingDatanets.length, 2);
        assertEq(a.params.trainingDatanets[1], 2);
        assertEq(a.version, 1);
    }

    function test_registerTokenModel() public {
        uint64 id = _tokenModel(_ids(tok1));
        (
            address owner,
            address settler,
            DatanetRegistry.Kind method,
            ModelRegistry.AttributionConfig memory cfg,
            uint64[] memory ids
        ) = models.settlementInfo(id);
        assertEq(owner, modelOwner);
        assertEq(settler, modelOwner);
        assertEq(uint8(method), uint8(DatanetRegistry.Kind.Token));
        assertEq(cfg.minSpan, 2);
        assertEq(ids.length, 1);
        assertEq(ids[0], 1);
    }

    function test_registerRejectsBadDatanets() public {
        ModelRegistry.AdapterSpec memory spec = _spec();
        ModelRegistry.AttributionConfig memory cfg = _influenceConfig();
        vm.startPrank(modelOwner);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.DatanetCount.selector, 0));
        models.registerModel(spec, new uint64[](0), DatanetRegistry.Kind.Influence, PRICE, cfg);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.DatanetCount.selector, 65));
        models.registerModel(spec, new uint64[](65), DatanetRegistry.Kind.Influence, PRICE, cfg);
        vm.expectRevert(ModelRegistry.UnsortedDatanets.selector);
        models.registerModel(spec, _ids(inf2, inf1), DatanetRegistry.Kind.Influence, PRICE, cfg);
        vm.expectRevert(ModelRegistry.UnsortedDatanets.selector);
        models.registerModel(spec, _ids(inf1, inf1), DatanetRegistry.Kind.Influence, PRICE, cfg);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.DatanetKind.selector, tok1, DatanetRegistry.Kind.Token));
        models.registerModel(spec, _ids(inf1, tok1), DatanetRegistry.Kind.Influence, PRICE, cfg);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.UnknownDatanet.selector, 9));
        models.registerModel(spec, _ids(9), DatanetRegistry.Kind.Influence, PRICE, cfg);
        vm.stopPrank();
    }

    function test_registerRejectsBadConfig() public {
        ModelRegistry.AdapterSpec memory spec = _spec();
        ModelRegistry.AttributionConfig[6] memory bad = [
            ModelRegistry.AttributionConfig(0, 0, 0), // influence topK 0
            ModelRegistry.AttributionConfig(257, 0, 0), // above MAX_TOP_K
            ModelRegistry.AttributionConfig(8, 1, 0), // token field set
            ModelRegistry.AttributionConfig(1, 0, 0), // token with topK
            ModelRegistry.AttributionConfig(0, 0, 10), // token minSpan 0
            ModelRegistry.AttributionConfig(0, 1, (1 << 20) + 1) // maxOccurrences too high
        ];
        vm.startPrank(modelOwner);
        for (uint256 i; i < 3; ++i) {
            vm.expectRevert(ModelRegistry.InvalidConfig.selector);
            models.registerModel(spec, _ids(inf1), DatanetRegistry.Kind.Influence, PRICE, bad[i]);
        }
        for (uint256 i = 3; i < 6; ++i) {
            vm.expectRevert(ModelRegistry.InvalidConfig.selector);
            models.registerModel(spec, _ids(tok1), DatanetRegistry.Kind.Token, PRICE, bad[i]);
        }
        vm.stopPrank();
    }

    function test_adapterErrorsBubbleUp() public {
        ModelRegistry.AdapterSpec memory spec = _spec();
        spec.rank = 0;
        vm.prank(modelOwner);
        vm.expectRevert(abi.encodeWithSelector(IAdapterRegistry.InvalidRank.selector, 0));
        models.registerModel(spec, _ids(inf1), DatanetRegistry.Kind.Influence, PRICE, _influenceConfig());
    }

    function test_newVersion() public {
        uint64 id = _influenceModel(_ids(inf1));
        ModelRegistry.AdapterSpec memory spec = _spec();
        spec.weightsHash = keccak256("weights-v2");

        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.NotModelOwner.selector, id, alice));
        models.newModelVersion(id, spec, _ids(inf1, inf2));

        vm.expectEmit(address(models));
        emit ModelRegistry.ModelVersioned(id, 1, 2, _ids(inf1, inf2));
        vm.prank(modelOwner);
        uint64 adapterId = models.newModelVersion(id, spec, _ids(inf1, inf2));
        assertEq(adapterId, 2);
        ModelRegistry.Model memory m = models.getModel(id);
        assertEq(m.adapterId, 2);
        assertEq(m.datanets.length, 2);
        assertEq(adapters.getAdapter(2).parent, 1);
        assertEq(adapters.getAdapter(2).version, 2);
        assertEq(models.modelOfAdapter(2), id);

        // The method is fixed: token datanets are refused.
        vm.prank(modelOwner);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.DatanetKind.selector, tok1, DatanetRegistry.Kind.Token));
        models.newModelVersion(id, spec, _ids(tok1));
    }

    function test_statusLifecycle() public {
        uint64 id = _influenceModel(_ids(inf1));
        vm.prank(modelOwner);
        models.setModelStatus(id, IAdapterRegistry.Status.Deprecated);
        assertFalse(models.isPayable(id));
        assertEq(uint8(adapters.getAdapter(1).status), uint8(IAdapterRegistry.Status.Deprecated));
        vm.prank(modelOwner);
        models.setModelStatus(id, IAdapterRegistry.Status.Active);
        assertTrue(models.isPayable(id));
        vm.prank(modelOwner);
        models.setModelStatus(id, IAdapterRegistry.Status.Revoked);
        assertFalse(models.isPayable(id));
        // Revoked is final (the precompile's error bubbles up).
        vm.prank(modelOwner);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAdapterRegistry.InvalidTransition.selector,
                IAdapterRegistry.Status.Revoked,
                IAdapterRegistry.Status.Active
            )
        );
        models.setModelStatus(id, IAdapterRegistry.Status.Active);
        vm.prank(modelOwner);
        vm.expectRevert(abi.encodeWithSelector(IAdapterRegistry.AdapterRevoked.selector, 1));
        models.newModelVersion(id, _spec(), _ids(inf1));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.NotModelOwner.selector, id, alice));
        models.setModelStatus(id, IAdapterRegistry.Status.Deprecated);
    }

    function test_ownerSettings() public {
        uint64 id = _influenceModel(_ids(inf1));
        vm.startPrank(modelOwner);
        models.setPrice(id, 3 ether);
        models.setSettler(id, carol);
        models.setAttributionConfig(id, ModelRegistry.AttributionConfig(8, 0, 0));
        vm.expectRevert(ModelRegistry.InvalidConfig.selector);
        models.setAttributionConfig(id, ModelRegistry.AttributionConfig(0, 2, 8));
        vm.expectRevert(ModelRegistry.ZeroAddress.selector);
        models.setSettler(id, address(0));
        models.transferModel(id, alice);
        vm.stopPrank();
        ModelRegistry.Model memory m = models.getModel(id);
        assertEq(m.price, 3 ether);
        assertEq(m.settler, alice, "settlement goes with the model");
        assertEq(m.config.topK, 8);
        assertEq(m.owner, alice);
        (uint128 price, bool open) = models.priceOf(id);
        assertEq(price, 3 ether);
        assertTrue(open);

        vm.prank(modelOwner);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.NotModelOwner.selector, id, modelOwner));
        models.setPrice(id, 0);
    }

    function test_governanceSuspends() public {
        uint64 id = _influenceModel(_ids(inf1));
        vm.prank(modelOwner);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, modelOwner));
        models.setSuspended(id, true);
        vm.prank(gov);
        models.setSuspended(id, true);
        assertFalse(models.isPayable(id));
        vm.prank(gov);
        models.setSuspended(id, false);
        assertTrue(models.isPayable(id));
        vm.prank(gov);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.UnknownModel.selector, 5));
        models.setSuspended(5, true);
    }

    function test_unknownModel() public {
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.UnknownModel.selector, 1));
        models.getModel(1);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.UnknownModel.selector, 1));
        models.settlementInfo(1);
    }
}
