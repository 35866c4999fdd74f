// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IInfluenceAttribution} from "../../../src/interfaces/IInfluenceAttribution.sol";
import {MockShares} from "./MockShares.sol";

/// @title MockInfluenceAttribution
/// @notice Test stand-in for the influence precompile (0x…0A01), installed with `vm.etch` (so it
///         has no constructor state). Datanets, ownership, dimensions and the errors of the real
///         one are kept; scoring is simplified: every point of the queried datanets scores 1
///         (ties: datanet id ascending, then index, so `topK` keeps the first points), unless the
///         query sketch is all zeros (every score 0: empty result). Shares are normalized with
///         the real rule. Tests can force the next results with `setShares` (until `clearShares`).
contract MockInfluenceAttribution is IInfluenceAttribution {
    struct Net {
        address owner;
        uint16 dim;
        address[] points; // contributor of each point
    }

    uint64 public count;
    mapping(uint64 => Net) internal nets;
    /// @notice Points excluded by `excludePoints`, by datanet and index.
    mapping(uint64 => mapping(uint256 => bool)) public excluded;
    mapping(uint64 => uint64) internal rangeCount;
    Share[] internal forced;
    bool public forcing;

    // ------------------------------------------------------------ test controls

    function setShares(Share[] calldata shares) external {
        delete forced;
        for (uint256 i; i < shares.length; ++i) {
            forced.push(shares[i]);
        }
        forcing = true;
    }

    function clearShares() external {
        delete forced;
        forcing = false;
    }

    // ---------------------------------------------------------------- interface

    function createDatanet(uint16 dim) external returns (uint64 datanetId) {
        if (dim < 64 || dim > 1024) revert InvalidDimension(dim);
        datanetId = ++count;
        nets[datanetId].owner = msg.sender;
        nets[datanetId].dim = dim;
        emit DatanetCreated(datanetId, msg.sender, dim);
    }

    function addPoints(uint64 datanetId, address[] calldata contributors, bytes calldata sketches)
        external
        returns (uint32 firstIndex)
    {
        Net storage n = _net(datanetId);
        if (n.owner != msg.sender) revert NotDatanetOwner(datanetId, msg.sender);
        uint256 expected = contributors.length * n.dim;
        if (sketches.length != expected) revert BatchLength(contributors.length, expected, sketches.length);
        firstIndex = uint32(n.points.length);
        for (uint256 i; i < contributors.length; ++i) {
            n.points.push(contributors[i]);
        }
        emit PointsAdded(datanetId, firstIndex, uint32(contributors.length));
    }

    function excludePoints(uint64 datanetId, uint32 firstIndex, uint32 n) external returns (uint64 ranges) {
        Net storage net = _net(datanetId);
        if (net.owner != msg.sender) revert NotDatanetOwner(datanetId, msg.sender);
        if (n == 0 || uint256(firstIndex) + n > net.points.length) revert InvalidRange(firstIndex, n);
        for (uint256 i = firstIndex; i < uint256(firstIndex) + n; ++i) {
            excluded[datanetId][i] = true;
        }
        emit PointsExcluded(datanetId, firstIndex, n);
        ranges = ++rangeCount[datanetId];
    }

    function score(uint64[] calldata datanetIds, bytes calldata querySketch, uint32 topK, uint8 topPoints)
        public
        view
        returns (Share[] memory shares, ScoredPoint[] memory top)
    {
        topPoints;
        if (datanetIds.length == 0 || datanetIds.length > 64) revert DatanetCount(datanetIds.length);
        uint256 total;
        for (uint256 i; i < datanetIds.length; ++i) {
            for (uint256 j; j < i; ++j) {
                if (datanetIds[j] == datanetIds[i]) revert DuplicateDatanet(datanetIds[i]);
            }
            Net storage n = _net(datanetIds[i]);
            if (n.dim != querySketch.length) revert DimensionMismatch(datanetIds[i], n.dim, querySketch.length);
            total += n.points.length;
        }
        top = new ScoredPoint[](0);
        if (forcing) return (forced, top);
        if (MockShares.allZero(querySketch)) return (new Share[](0), top);

        uint64[] memory ids = _sorted(datanetIds);
        uint256 keep = topK == 0 || topK > total ? total : topK;
        address[] memory owners = new address[](keep);
        uint256 k;
        for (uint256 i; i < ids.length && k < keep; ++i) {
            address[] storage pts = nets[ids[i]].points;
            for (uint256 j; j < pts.length && k < keep; ++j) {
                if (!excluded[ids[i]][j]) owners[k++] = pts[j];
            }
        }
        assembly ("memory-safe") {
            mstore(owners, k)
        }
        (address[] memory who, uint16[] memory bps) = MockShares.fromUnits(owners);
        shares = new Share[](who.length);
        for (uint256 i; i < who.length; ++i) {
            shares[i] = Share(who[i], bps[i]);
        }
    }

    function recordScore(uint64[] calldata datanetIds, bytes calldata querySketch, uint32 topK, uint8 topPoints)
        external
        returns (Share[] memory shares, ScoredPoint[] memory top)
    {
        (shares, top) = score(datanetIds, querySketch, topK, topPoints);
        emit InfluenceScored(msg.sender, keccak256(msg.data), shares);
    }

    function datanetInfo(uint64 datanetId)
        external
        view
        returns (address owner, uint16 dim, uint32 points, uint32 contributors)
    {
        Net storage n = _net(datanetId);
        return (n.owner, n.dim, uint32(n.points.length), uint32(MockShares.fromUnitsCount(n.points)));
    }

    function _net(uint64 id) internal view returns (Net storage n) {
        n = nets[id];
        if (n.owner == address(0)) revert UnknownDatanet(id);
    }

    function _sorted(uint64[] calldata a) internal pure returns (uint64[] memory s) {
        s = a;
        for (uint256 i = 1; i < s.length; ++i) {
            uint64 v = s[i];
            uint256 j = i;
            while (j > 0 && s[j - 1] > v) {
                s[j] = s[j - 1];
                --j;
            }
            s[j] = v;
        }
    }
}
