// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IAdapterRegistry} from "../../../src/interfaces/IAdapterRegistry.sol";

/// @title MockAdapterRegistry
/// @notice Test stand-in for the LoRA adapter registry precompile (0x…0A03), installed with
///         `vm.etch`. Implements the documented rules (docs/PRECOMPILES.md) except the URI byte
///         check; a training datanet "exists" if either attribution precompile (or its mock)
///         knows the id, since the real precompile's datanet namespace is not settled yet.
contract MockAdapterRegistry is IAdapterRegistry {
    uint64 internal count;
    mapping(uint64 => Adapter) internal adapters;
    mapping(address => uint64[]) internal byOwner;
    mapping(bytes32 => uint64[]) internal byBase;

    function registerAdapter(AdapterParams calldata params) external returns (uint64 id) {
        _validate(params);
        id = _store(params, 0, 1);
    }

    function newVersion(uint64 parentId, AdapterParams calldata params) external returns (uint64 id) {
        Adapter storage p = _owned(parentId);
        if (p.status == Status.Revoked) revert AdapterRevoked(parentId);
        if (p.params.baseModelId != params.baseModelId) revert BaseModelMismatch(p.params.baseModelId);
        _validate(params);
        id = _store(params, parentId, p.version + 1);
    }

    function setStatus(uint64 id, Status status) external {
        Adapter storage a = _owned(id);
        Status from = a.status;
        if (from == status || from == Status.Revoked) revert InvalidTransition(from, status);
        a.status = status;
        emit AdapterStatusChanged(id, status);
    }

    function getAdapter(uint64 id) external view returns (Adapter memory) {
        if (id == 0 || id > count) revert UnknownAdapter(id);
        return adapters[id];
    }

    function adaptersByOwner(address owner, uint32 offset, uint32 limit) external view returns (uint64[] memory) {
        return _page(byOwner[owner], offset, limit);
    }

    function adaptersByBaseModel(bytes32 baseModelId, uint32 offset, uint32 limit)
        external
        view
        returns (uint64[] memory)
    {
        return _page(byBase[baseModelId], offset, limit);
    }

    function versions(uint64 id) external view returns (uint64[] memory ids) {
        if (id == 0 || id > count) revert UnknownAdapter(id);
        uint256 n;
        for (uint64 c = id; c != 0; c = adapters[c].parent) {
            ++n;
        }
        ids = new uint64[](n);
        for (uint64 c = id; c != 0; c = adapters[c].parent) {
            ids[--n] = c;
        }
    }

    function adapterCount() external view returns (uint64) {
        return count;
    }

    function _store(AdapterParams calldata params, uint64 parent, uint32 version) internal returns (uint64 id) {
        id = ++count;
        Adapter storage a = adapters[id];
        a.id = id;
        a.owner = msg.sender;
        a.params = params;
        a.parent = parent;
        a.version = version;
        byOwner[msg.sender].push(id);
        byBase[params.baseModelId].push(id);
        emit AdapterRegistered(id, msg.sender, params.baseModelId, parent, version);
    }

    function _owned(uint64 id) internal view returns (Adapter storage a) {
        if (id == 0 || id > count) revert UnknownAdapter(id);
        a = adapters[id];
        if (a.owner != msg.sender) revert NotOwner(id, msg.sender);
    }

    function _validate(AdapterParams calldata p) internal view {
        if (p.baseModelId == 0) revert ZeroBaseModel();
        if (p.weightsHash == 0) revert ZeroWeightsHash();
        if (p.rank == 0 || p.rank > 1024) revert InvalidRank(p.rank);
        if (p.alpha == 0 || p.alpha > 65_536) revert InvalidAlpha(p.alpha);
        if (p.targetModules == 0 || p.targetModules >= (1 << 9)) revert InvalidTargetModules(p.targetModules);
        if (p.trainingDatanets.length > 64) revert TooManyDatanets(p.trainingDatanets.length);
        for (uint256 i = 1; i < p.trainingDatanets.length; ++i) {
            if (p.trainingDatanets[i] <= p.trainingDatanets[i - 1]) revert UnsortedDatanets();
        }
        for (uint256 i; i < p.trainingDatanets.length; ++i) {
            if (!_datanetExists(p.trainingDatanets[i])) revert UnknownDatanet(p.trainingDatanets[i]);
        }
        if (bytes(p.uri).length == 0 || bytes(p.uri).length > 256) revert InvalidUriLength(bytes(p.uri).length);
    }

    function _datanetExists(uint64 id) internal view returns (bool) {
        (bool a,) = address(0x0A01).staticcall(abi.encodeWithSignature("datanetInfo(uint64)", id));
        if (a) return true;
        (bool b,) = address(0x0A02).staticcall(abi.encodeWithSignature("datanetInfo(uint64)", id));
        return b;
    }

    function _page(uint64[] storage all, uint32 offset, uint32 limit) internal view returns (uint64[] memory ids) {
        uint256 start = offset > all.length ? all.length : offset;
        uint256 end = start + limit > all.length ? all.length : start + limit;
        ids = new uint64[](end - start);
        for (uint256 i = start; i < end; ++i) {
            ids[i - start] = all[i];
        }
    }
}
