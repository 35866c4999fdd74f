// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {LibZip} from "solady/utils/LibZip.sol";
import {L1Block} from "./L1Block.sol";

/// @custom:predeploy 0x420000000000000000000000000000000000000F
/// @title GasPriceOracle
/// @notice Off-chain fee estimation for the L1 data fee and the operator fee, with the OP Stack's
///         Bedrock / Ecotone / Fjord / Isthmus semantics. It holds no fee parameters itself: it
///         reads them from the L1Block predeploy. The node (op-revm) charges the same fees
///         natively; this contract only lets wallets and tools estimate them.
///
/// Storage layout (identical to OP's GasPriceOracle up to Isthmus):
///   slot 0, byte 0 (lowest): isEcotone (bool)
///   slot 0, byte 1:          isFjord   (bool)
///   slot 0, byte 2:          isIsthmus (bool)
/// A genesis that starts at Isthmus sets slot 0 to 0x010101 (all three true).
///
/// Fjord/Isthmus L1 fee of an unsigned RLP-encoded transaction `data`:
///   flzSize       = len(FastLZ(data)) + 68                  (68: an estimate of the signature)
///   estimatedSize = max(100 * 1e6, -42_585_600 + 836_500 * flzSize)   (bytes, scaled by 1e6)
///   l1Fee         = estimatedSize * (baseFeeScalar * l1BaseFee * 16 + blobBaseFeeScalar * blobBaseFee) / 1e12
/// Isthmus operator fee: min(gasUsed * operatorFeeScalar, 2^256-1) / 1e6 + operatorFeeConstant
/// (saturating at 2^256-1).
contract GasPriceOracle {
    /// @notice Number of decimals used in the scalars.
    uint256 public constant DECIMALS = 6;

    /// @notice The L1Block predeploy that holds the fee parameters.
    address internal constant L1_BLOCK_ATTRIBUTES = 0x4200000000000000000000000000000000000015;

    /// @notice Absolute value of the Fjord linear regression intercept (-42_585_600), scaled by 1e6.
    uint256 private constant COST_INTERCEPT_ABS = 42_585_600;

    /// @notice Fjord linear regression coefficient for the FastLZ size, scaled by 1e6.
    uint256 private constant COST_FASTLZ_COEF = 836_500;

    /// @notice Minimum estimated transaction size in bytes (Fjord).
    uint256 private constant MIN_TRANSACTION_SIZE = 100;

    /// @notice True once the Ecotone fee formula is active.
    bool public isEcotone;

    /// @notice True once the Fjord fee formula is active.
    bool public isFjord;

    /// @notice True once the Isthmus operator fee is active.
    bool public isIsthmus;

    /// @notice Semantic version.
    function version() public pure returns (string memory) {
        return "1.0.0";
    }

    /// @notice Activates Ecotone. Only the depositor account, once.
    function setEcotone() external {
        require(
            msg.sender == _l1Block().DEPOSITOR_ACCOUNT(),
            "GasPriceOracle: only the depositor account can set isEcotone flag"
        );
        require(isEcotone == false, "GasPriceOracle: Ecotone already active");
        isEcotone = true;
    }

    /// @notice Activates Fjord. Only the depositor account, once, after Ecotone.
    function setFjord() external {
        require(
            msg.sender == _l1Block().DEPOSITOR_ACCOUNT(),
            "GasPriceOracle: only the depositor account can set isFjord flag"
        );
        require(isEcotone, "GasPriceOracle: Fjord can only be activated after Ecotone");
        require(isFjord == false, "GasPriceOracle: Fjord already active");
        isFjord = true;
    }

    /// @notice Activates Isthmus. Only the depositor account, once, after Fjord.
    function setIsthmus() external {
        require(
            msg.sender == _l1Block().DEPOSITOR_ACCOUNT(),
            "GasPriceOracle: only the depositor account can set isIsthmus flag"
        );
        require(isFjord, "GasPriceOracle: Isthmus can only be activated after Fjord");
        require(isIsthmus == false, "GasPriceOracle: Isthmus already active");
        isIsthmus = true;
    }

    /// @notice The L1 data fee for an unsigned, fully RLP-encoded transaction.
    function getL1Fee(bytes memory _data) external view returns (uint256) {
        if (isFjord) {
            return _fjordL1Cost(LibZip.flzCompress(_data).length + 68);
        } else if (isEcotone) {
            return _getL1FeeEcotone(_data);
        }
        return _getL1FeeBedrock(_data);
    }

    /// @notice An upper bound of the L1 data fee for an unsigned transaction of the given size,
    ///         without compressing it (Fjord and later).
    function getL1FeeUpperBound(uint256 _unsignedTxSize) external view returns (uint256) {
        require(isFjord, "GasPriceOracle: getL1FeeUpperBound only supports Fjord");
        // 68 bytes for the signature; txSize / 255 + 16 is FastLZ's practical worst-case expansion.
        uint256 txSize = _unsignedTxSize + 68;
        uint256 flzUpperBound = txSize + txSize / 255 + 16;
        return _fjordL1Cost(flzUpperBound);
    }

    /// @notice The operator fee for the given gas used (Isthmus); zero before Isthmus.
    function getOperatorFee(uint256 _gasUsed) external view returns (uint256) {
        if (!isIsthmus) return 0;
        L1Block l1 = _l1Block();
        return _saturatingAdd(_saturatingMul(_gasUsed, l1.operatorFeeScalar()) / 1e6, l1.operatorFeeConstant());
    }

    /// @notice The current L2 gas price (the block's base fee).
    function gasPrice() public view returns (uint256) {
        return block.basefee;
    }

    /// @notice The current L2 base fee.
    function baseFee() public view returns (uint256) {
        return block.basefee;
    }

    /// @custom:legacy
    /// @notice The pre-Ecotone fee overhead.
    function overhead() public view returns (uint256) {
        require(!isEcotone, "GasPriceOracle: overhead() is deprecated");
        return _l1Block().l1FeeOverhead();
    }

    /// @custom:legacy
    /// @notice The pre-Ecotone fee scalar.
    function scalar() public view returns (uint256) {
        require(!isEcotone, "GasPriceOracle: scalar() is deprecated");
        return _l1Block().l1FeeScalar();
    }

    /// @notice The latest known L1 base fee.
    function l1BaseFee() public view returns (uint256) {
        return _l1Block().basefee();
    }

    /// @notice The latest known L1 blob base fee.
    function blobBaseFee() public view returns (uint256) {
        return _l1Block().blobBaseFee();
    }

    /// @notice The L1 base fee scalar.
    function baseFeeScalar() public view returns (uint32) {
        return _l1Block().baseFeeScalar();
    }

    /// @notice The L1 blob base fee scalar.
    function blobBaseFeeScalar() public view returns (uint32) {
        return _l1Block().blobBaseFeeScalar();
    }

    /// @custom:legacy
    /// @notice Number of decimals used in the scalars.
    function decimals() public pure returns (uint256) {
        return DECIMALS;
    }

    /// @notice The L1 gas used by an unsigned transaction. From Fjord on this is an estimate from
    ///         the FastLZ-compressed size, at 16 gas per byte.
    function getL1GasUsed(bytes memory _data) public view returns (uint256) {
        if (isFjord) {
            return _fjordLinearRegression(LibZip.flzCompress(_data).length + 68) * 16 / 1e6;
        }
        uint256 l1GasUsed = _getCalldataGas(_data);
        if (isEcotone) {
            return l1GasUsed;
        }
        return l1GasUsed + _l1Block().l1FeeOverhead();
    }

    function _l1Block() internal pure returns (L1Block) {
        return L1Block(L1_BLOCK_ATTRIBUTES);
    }

    /// @dev Bedrock: (calldataGas + overhead) * l1BaseFee * scalar / 1e6.
    function _getL1FeeBedrock(bytes memory _data) internal view returns (uint256) {
        L1Block l1 = _l1Block();
        uint256 l1GasUsed = _getCalldataGas(_data) + l1.l1FeeOverhead();
        return l1GasUsed * l1.basefee() * l1.l1FeeScalar() / (10 ** DECIMALS);
    }

    /// @dev Ecotone: calldataGas * (16 * baseFeeScalar * l1BaseFee + blobBaseFeeScalar * blobBaseFee) / (16 * 1e6).
    function _getL1FeeEcotone(bytes memory _data) internal view returns (uint256) {
        uint256 l1GasUsed = _getCalldataGas(_data);
        uint256 scaledBaseFee = uint256(baseFeeScalar()) * 16 * l1BaseFee();
        uint256 scaledBlobBaseFee = uint256(blobBaseFeeScalar()) * blobBaseFee();
        return l1GasUsed * (scaledBaseFee + scaledBlobBaseFee) / (16 * 10 ** DECIMALS);
    }

    /// @dev Calldata gas of the unsigned transaction plus 68 non-zero bytes for the signature.
    function _getCalldataGas(bytes memory _data) internal pure returns (uint256 total) {
        uint256 length = _data.length;
        for (uint256 i = 0; i < length; i++) {
            total += _data[i] == 0 ? 4 : 16;
        }
        total += 68 * 16;
    }

    /// @dev Fjord L1 cost from a FastLZ size (signature padding already included).
    function _fjordL1Cost(uint256 _fastLzSize) internal view returns (uint256) {
        uint256 estimatedSize = _fjordLinearRegression(_fastLzSize);
        uint256 feeScaled = uint256(baseFeeScalar()) * 16 * l1BaseFee() + uint256(blobBaseFeeScalar()) * blobBaseFee();
        return estimatedSize * feeScaled / (10 ** (DECIMALS * 2));
    }

    /// @dev Estimated Brotli-compressed size (scaled by 1e6) from the FastLZ size:
    ///      max(MIN_TRANSACTION_SIZE * 1e6, -42_585_600 + COST_FASTLZ_COEF * _fastLzSize),
    ///      computed in unsigned arithmetic (the intercept is negative).
    function _fjordLinearRegression(uint256 _fastLzSize) internal pure returns (uint256) {
        uint256 scaled = COST_FASTLZ_COEF * _fastLzSize;
        uint256 minSize = MIN_TRANSACTION_SIZE * 1e6;
        if (scaled < minSize + COST_INTERCEPT_ABS) {
            return minSize;
        }
        return scaled - COST_INTERCEPT_ABS;
    }

    function _saturatingMul(uint256 _a, uint256 _b) internal pure returns (uint256) {
        unchecked {
            if (_a == 0) return 0;
            uint256 c = _a * _b;
            return c / _a == _b ? c : type(uint256).max;
        }
    }

    function _saturatingAdd(uint256 _a, uint256 _b) internal pure returns (uint256) {
        unchecked {
            uint256 c = _a + _b;
            return c >= _a ? c : type(uint256).max;
        }
    }
}
