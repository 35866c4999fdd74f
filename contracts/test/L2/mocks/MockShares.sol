// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice Test-only helper of the attribution mocks: aggregates weights per contributor and
///         normalizes them to basis points that sum to exactly 10,000 with the precompiles' rule
///         (floor, then the missing points one each to the largest remainders, ties to the lower
///         address; zero shares dropped; sorted by bps descending, then address ascending).
///         Quadratic, for the small inputs of tests only.
library MockShares {
    uint256 internal constant TOTAL = 10_000;

    /// @dev `owners[i]` holds one unit of weight; returns the normalized shares.
    function fromUnits(address[] memory owners) internal pure returns (address[] memory who, uint16[] memory bps) {
        uint256 n = owners.length;
        address[] memory distinct = new address[](n);
        uint256[] memory weight = new uint256[](n);
        uint256 d;
        for (uint256 i; i < n; ++i) {
            uint256 j;
            while (j < d && distinct[j] != owners[i]) ++j;
            if (j == d) distinct[d++] = owners[i];
            weight[j] += 1;
        }
        return normalize(distinct, weight, d, n);
    }

    function normalize(address[] memory distinct, uint256[] memory weight, uint256 d, uint256 total)
        internal
        pure
        returns (address[] memory who, uint16[] memory bps)
    {
        if (total == 0) return (new address[](0), new uint16[](0));
        uint256[] memory share = new uint256[](d);
        uint256[] memory rem = new uint256[](d);
        uint256 assigned;
        for (uint256 i; i < d; ++i) {
            share[i] = weight[i] * TOTAL / total;
            rem[i] = weight[i] * TOTAL % total;
            assigned += share[i];
        }
        bool[] memory bumped = new bool[](d);
        for (uint256 m = TOTAL - assigned; m > 0; --m) {
            uint256 best = type(uint256).max;
            for (uint256 i; i < d; ++i) {
                if (bumped[i]) continue;
                if (
                    best == type(uint256).max || rem[i] > rem[best]
                        || (rem[i] == rem[best] && distinct[i] < distinct[best])
                ) best = i;
            }
            bumped[best] = true;
            share[best] += 1;
        }
        uint256 k;
        for (uint256 i; i < d; ++i) {
            if (share[i] != 0) ++k;
        }
        who = new address[](k);
        bps = new uint16[](k);
        bool[] memory used = new bool[](d);
        for (uint256 o; o < k; ++o) {
            uint256 best = type(uint256).max;
            for (uint256 i; i < d; ++i) {
                if (used[i] || share[i] == 0) continue;
                if (
                    best == type(uint256).max || share[i] > share[best]
                        || (share[i] == share[best] && distinct[i] < distinct[best])
                ) best = i;
            }
            used[best] = true;
            who[o] = distinct[best];
            bps[o] = uint16(share[best]);
        }
    }

    /// @dev Number of distinct addresses in `owners`.
    function fromUnitsCount(address[] memory owners) internal pure returns (uint256 d) {
        for (uint256 i; i < owners.length; ++i) {
            uint256 j;
            while (j < i && owners[j] != owners[i]) ++j;
            if (j == i) ++d;
        }
    }

    function allZero(bytes calldata b) internal pure returns (bool) {
        for (uint256 i; i < b.length; ++i) {
            if (b[i] != 0) return false;
        }
        return true;
    }
}
