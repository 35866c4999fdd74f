// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ITokenAttribution} from "../../../src/interfaces/ITokenAttribution.sol";
import {MockShares} from "./MockShares.sol";

/// @title MockTokenAttribution
/// @notice Test stand-in for the token-attribution precompile (0x…0A02), installed with
///         `vm.etch`. Datanets, ownership, document layout checks and the argument errors of the
///         real one are kept; matching is simplified: every registered document of the queried
///         datanets earns one unit for its contributor (normalized with the real rule), unless
///         the output tokens are all zero (nothing matches: empty result). Tests can force the
///         next results with `setShares` (until `clearShares`).
contract MockTokenAttribution is ITokenAttribution {
    struct Net {
        address owner;
        uint64 tokens;
        address[] docs; // contributor of each document
    }

    uint64 public count;
    mapping(uint64 => Net) internal nets;
    /// @notice Documents excluded by `excludeDocuments`, by datanet and document.
    mapping(uint64 => mapping(uint256 => bool)) public excluded;
    mapping(uint64 => uint64) internal rangeCount;
    Share[] internal forced;
    bool public forcing;

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

    function createDatanet() external returns (uint64 datanetId) {
        datanetId = ++count;
        nets[datanetId].owner = msg.sender;
        emit DatanetCreated(datanetId, msg.sender);
    }

    function addDocuments(
        uint64 datanetId,
        address[] calldata contributors,
        uint32[] calldata docLengths,
        bytes calldata tokens
    ) external returns (uint32 firstDoc) {
        Net storage n = _net(datanetId);
        if (n.owner != msg.sender) revert NotDatanetOwner(datanetId, msg.sender);
        if (tokens.length % 4 != 0) revert TokenBytesLength(tokens.length);
        if (docLengths.length == 0) revert NoDocuments();
        uint256 sum;
        for (uint256 i; i < docLengths.length; ++i) {
            if (docLengths[i] == 0) revert EmptyDocument(i);
            sum += docLengths[i];
        }
        if (contributors.length != docLengths.length || sum != tokens.length / 4) {
            revert DocumentLayout(docLengths.length, sum, tokens.length / 4);
        }
        firstDoc = uint32(n.docs.length);
        for (uint256 i; i < contributors.length; ++i) {
            n.docs.push(contributors[i]);
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        n.tokens += uint64(sum);
        // forge-lint: disable-next-line(unsafe-typecast)
        emit DocumentsAdded(datanetId, firstDoc, uint32(docLengths.length), uint64(sum));
    }

    function excludeDocuments(uint64 datanetId, uint32 firstDoc, uint32 n) external returns (uint64 ranges) {
        Net storage net = _net(datanetId);
        if (net.owner != msg.sender) revert NotDatanetOwner(datanetId, msg.sender);
        if (n == 0 || uint256(firstDoc) + n > net.docs.length) revert InvalidRange(firstDoc, n);
        for (uint256 i = firstDoc; i < uint256(firstDoc) + n; ++i) {
            excluded[datanetId][i] = true;
        }
        emit DocumentsExcluded(datanetId, firstDoc, n);
        ranges = ++rangeCount[datanetId];
    }

    function attribute(uint64[] calldata datanetIds, bytes calldata outputTokens, uint32 minSpan, uint64 maxOccurrences)
        public
        view
        returns (Share[] memory shares, Span[] memory spans)
    {
        if (datanetIds.length == 0 || datanetIds.length > 64) revert DatanetCount(datanetIds.length);
        if (outputTokens.length % 4 != 0) revert TokenBytesLength(outputTokens.length);
        uint256 m = outputTokens.length / 4;
        if (m == 0 || m > 16_384) revert OutputLength(m);
        if (minSpan == 0) revert InvalidMinSpan();
        if (maxOccurrences == 0 || maxOccurrences > (1 << 20)) revert InvalidMaxOccurrences(maxOccurrences);
        uint256 total;
        for (uint256 i; i < datanetIds.length; ++i) {
            for (uint256 j; j < i; ++j) {
                if (datanetIds[j] == datanetIds[i]) revert DuplicateDatanet(datanetIds[i]);
            }
            total += _net(datanetIds[i]).docs.length;
        }
        spans = new Span[](0);
        if (forcing) return (forced, spans);
        if (MockShares.allZero(outputTokens)) return (new Share[](0), spans);

        address[] memory owners = _owners(datanetIds, total);
        (address[] memory who, uint16[] memory bps) = MockShares.fromUnits(owners);
        shares = new Share[](who.length);
        for (uint256 i; i < who.length; ++i) {
            shares[i] = Share(who[i], bps[i]);
        }
    }

    function recordAttribution(
        uint64[] calldata datanetIds,
        bytes calldata outputTokens,
        uint32 minSpan,
        uint64 maxOccurrences
    ) external returns (Share[] memory shares, Span[] memory spans) {
        (shares, spans) = attribute(datanetIds, outputTokens, minSpan, maxOccurrences);
        emit TokensAttributed(msg.sender, keccak256(outputTokens), shares);
    }

    function datanetInfo(uint64 datanetId) external view returns (address owner, uint32 documents, uint64 tokens) {
        Net storage n = _net(datanetId);
        return (n.owner, uint32(n.docs.length), n.tokens);
    }

    /// @dev Contributors of every document not excluded (one entry per document).
    function _owners(uint64[] calldata datanetIds, uint256 total) internal view returns (address[] memory owners) {
        owners = new address[](total);
        uint256 k;
        for (uint256 i; i < datanetIds.length; ++i) {
            address[] storage docs = nets[datanetIds[i]].docs;
            for (uint256 j; j < docs.length; ++j) {
                if (!excluded[datanetIds[i]][j]) owners[k++] = docs[j];
            }
        }
        assembly ("memory-safe") {
            mstore(owners, k)
        }
    }

    function _net(uint64 id) internal view returns (Net storage n) {
        n = nets[id];
        if (n.owner == address(0)) revert UnknownDatanet(id);
    }
}
