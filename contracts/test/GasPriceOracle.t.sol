// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {LibZip} from "solady/utils/LibZip.sol";
import {L1Block} from "../src/L2/L1Block.sol";
import {GasPriceOracle} from "../src/L2/GasPriceOracle.sol";

/// @dev Exposes the internal Fjord cost function, so that op-revm's test vectors (which apply to
///      signed transactions, without GasPriceOracle's +68 bytes) can be checked directly.
contract GasPriceOracleHarness is GasPriceOracle {
    function fjordL1Cost(uint256 _fastLzSize) external view returns (uint256) {
        return _fjordL1Cost(_fastLzSize);
    }

    function fjordLinearRegression(uint256 _fastLzSize) external pure returns (uint256) {
        return _fjordLinearRegression(_fastLzSize);
    }
}

contract GasPriceOracleTest is Test {
    address internal constant L1_BLOCK = 0x4200000000000000000000000000000000000015;
    address internal constant GPO = 0x420000000000000000000000000000000000000F;
    address internal constant DEPOSITOR = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;

    GasPriceOracleHarness internal gpo;
    L1Block internal l1Block;

    /// @dev A signed EIP-1559 transaction whose FastLZ-compressed size is 202 bytes
    ///      (op-revm's `test_calculate_tx_l1_cost_fjord`).
    bytes internal constant TX_FLZ_202 = hex"02f901550a758302df1483be21b88304743f94f80e51afb613d764fa61751affd3313c190a86bb870151bd62fd12adb8"
        hex"e41ef24f3f000000000000000000000000000000000000000000000000000000000000006e0000000000000000000000"
        hex"00af88d065e77c8cc2239327c5edb3a432268e5831000000000000000000000000000000000000000000000000000000"
        hex"000003c1e500000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        hex"0000000000000000000000000000000000000000a0000000000000000000000000000000000000000000000000000000"
        hex"00000000148c89ed219d02f1a5be012c689b4f5b731827bebe000000000000000000000000c001a033fd89cb37c31b2c"
        hex"ba46b6466e040c61fc9b2a3675a7f5f493ebd5ad77c497f8a07cdf65680e238392693019b4092f610222e71b7cec0644"
        hex"9cb922b93b6a12744e";

    /// @dev The second transaction of OP mainnet block 124665056 (Fjord), FastLZ size 385
    ///      (op-revm's `calculate_tx_l1_cost_fjord`; L1 fee and gas from the block explorer).
    bytes internal constant TX_OP_MAINNET = hex"02f904940a8303fba78401d6d2798401db2b6d830493e0943e6f4f7866654c18f536170780344aa8772950b680b90424"
        hex"6a761202000000000000000000000000087000a300de7200382b55d40045000000e5d60e000000000000000000000000"
        hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        hex"000001400000000000000000000000000000000000000000000000000000000000000001000000000000000000000000"
        hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        hex"0000000000000000000000000000000000000000000000000000000000000000000003a0000000000000000000000000"
        hex"000000000000000000000000000000000000022482ad56cb000000000000000000000000000000000000000000000000"
        hex"000000000000002000000000000000000000000000000000000000000000000000000000000000020000000000000000"
        hex"000000000000000000000000000000000000000000000040000000000000000000000000000000000000000000000000"
        hex"0000000000000120000000000000000000000000dc6ff44d5d932cbd77b52e5612ba0529dc6226f10000000000000000"
        hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        hex"00000000000000600000000000000000000000000000000000000000000000000000000000000044095ea7b300000000"
        hex"000000000000000021c4928109acb0659a88ae5329b5374a3024694c0000000000000000000000000000000000000000"
        hex"000000049b9ca9a694340000000000000000000000000000000000000000000000000000000000000000000000000000"
        hex"0000000021c4928109acb0659a88ae5329b5374a3024694c000000000000000000000000000000000000000000000000"
        hex"000000000000000000000000000000000000000000000000000000000000000000000000000000600000000000000000"
        hex"000000000000000000000000000000000000000000000024b6b55f250000000000000000000000000000000000000000"
        hex"000000049b9ca9a694340000000000000000000000000000000000000000000000000000000000000000000000000000"
        hex"000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        hex"000000415ec214a3950bea839a7e6fbb0ba1540ac2076acd50820e2d5ef83d0902cdffb24a47aff7de5190290769c4f0"
        hex"a9c6fabf63012986a0d590b1b571547a8c7050ea1b000000000000000000000000000000000000000000000000000000"
        hex"00000000c080a06db770e6e25a617fe9652f0958bd9bd6e49281a53036906386ed39ec48eadf63a07f47cf51a4a40b44"
        hex"94cf26efc686709a9b03939e20ee27e59682f5faa536667e";

    function setUp() public {
        vm.etch(L1_BLOCK, address(new L1Block()).code);
        vm.etch(GPO, address(new GasPriceOracleHarness()).code);
        l1Block = L1Block(L1_BLOCK);
        gpo = GasPriceOracleHarness(GPO);
    }

    /// @dev What our genesis does: slot 0 = 0x010101 (isEcotone, isFjord, isIsthmus).
    function _activateIsthmusAtGenesis() internal {
        vm.store(GPO, bytes32(0), bytes32(uint256(0x010101)));
    }

    function _setL1Values(
        uint32 _baseFeeScalar,
        uint32 _blobBaseFeeScalar,
        uint256 _basefee,
        uint256 _blobBaseFee,
        uint32 _operatorFeeScalar,
        uint64 _operatorFeeConstant
    ) internal {
        bytes memory data = abi.encodePacked(
            bytes4(0x098999be),
            _baseFeeScalar,
            _blobBaseFeeScalar,
            uint64(0), // sequenceNumber
            uint64(1_700_000_000), // timestamp
            uint64(20_000_000), // number
            _basefee,
            _blobBaseFee,
            bytes32(uint256(1)), // hash
            bytes32(0), // batcherHash
            _operatorFeeScalar,
            _operatorFeeConstant
        );
        vm.prank(DEPOSITOR);
        (bool ok,) = L1_BLOCK.call(data);
        require(ok, "setL1BlockValuesIsthmus failed");
    }

    // ------------------------------------------------------------------ flags

    function test_flags_genesisSlotLayout() public {
        assertFalse(gpo.isEcotone());
        _activateIsthmusAtGenesis();
        assertTrue(gpo.isEcotone());
        assertTrue(gpo.isFjord());
        assertTrue(gpo.isIsthmus());

        // Byte 0 alone is isEcotone, byte 1 isFjord, byte 2 isIsthmus.
        vm.store(GPO, bytes32(0), bytes32(uint256(0x000100)));
        assertFalse(gpo.isEcotone());
        assertTrue(gpo.isFjord());
        assertFalse(gpo.isIsthmus());
    }

    function test_flags_settersInOrder() public {
        vm.expectRevert("GasPriceOracle: only the depositor account can set isEcotone flag");
        gpo.setEcotone();

        vm.startPrank(DEPOSITOR);
        vm.expectRevert("GasPriceOracle: Fjord can only be activated after Ecotone");
        gpo.setFjord();
        gpo.setEcotone();
        vm.expectRevert("GasPriceOracle: Ecotone already active");
        gpo.setEcotone();
        vm.expectRevert("GasPriceOracle: Isthmus can only be activated after Fjord");
        gpo.setIsthmus();
        gpo.setFjord();
        gpo.setIsthmus();
        vm.expectRevert("GasPriceOracle: Isthmus already active");
        gpo.setIsthmus();
        vm.stopPrank();

        assertEq(uint256(vm.load(GPO, bytes32(0))), 0x010101);
    }

    // --------------------------------------------------------------- getters

    function test_getters() public {
        _activateIsthmusAtGenesis();
        _setL1Values(1368, 810949, 12 gwei, 3, 7, 9);
        vm.fee(42);
        assertEq(gpo.baseFee(), 42);
        assertEq(gpo.gasPrice(), 42);
        assertEq(gpo.l1BaseFee(), 12 gwei);
        assertEq(gpo.blobBaseFee(), 3);
        assertEq(gpo.baseFeeScalar(), 1368);
        assertEq(gpo.blobBaseFeeScalar(), 810949);
        assertEq(gpo.decimals(), 6);
        assertEq(gpo.DECIMALS(), 6);
        vm.expectRevert("GasPriceOracle: overhead() is deprecated");
        gpo.overhead();
        vm.expectRevert("GasPriceOracle: scalar() is deprecated");
        gpo.scalar();
    }

    // ------------------------------------------------------- Fjord / Isthmus

    /// @dev op-revm vector. l1FeeScaled = 1000*1000*16 + 1000*1000 = 17e6.
    ///      FastLZ size 202 (also checked here against solady's LibZip):
    ///        estimatedSize = max(100e6, 836500*202 - 42585600) = max(100e6, 126387400) = 126387400
    ///        l1Cost = 126387400 * 17e6 / 1e12 = 2148.5858 -> 2148
    ///      FastLZ size 4 ("FACADE"): 836500*4 - 42585600 < 100e6, so 100e6 * 17e6 / 1e12 = 1700.
    function test_fjordCost_opRevmVector() public {
        _activateIsthmusAtGenesis();
        _setL1Values(1000, 1000, 1000, 1000, 0, 0);
        assertEq(LibZip.flzCompress(TX_FLZ_202).length, 202);
        assertEq(gpo.fjordLinearRegression(202), 126387400);
        assertEq(gpo.fjordL1Cost(202), 2148);
        assertEq(LibZip.flzCompress(hex"FACADE").length, 4);
        assertEq(gpo.fjordL1Cost(4), 1700);
    }

    /// @dev OP mainnet block 124665056: l1BaseFee 1055991687, baseFeeScalar 5227,
    ///      blobBaseFeeScalar 1014213, blobBaseFee 1. FastLZ size of the signed tx: 385.
    ///        estimatedSize = 836500*385 - 42585600 = 279466900
    ///        l1GasUsed     = 279466900 * 16 / 1e6 = 4471            (explorer: 4471)
    ///        feeScaled     = 5227*16*1055991687 + 1014213*1 = 88314697781397
    ///        l1Fee         = 279466900 * 88314697781397 / 1e12 = 24681034813 = 0x5bf1ab43d (explorer)
    function test_fjordCost_opMainnetVector() public {
        _activateIsthmusAtGenesis();
        _setL1Values(5227, 1014213, 1055991687, 1, 0, 0);
        assertEq(LibZip.flzCompress(TX_OP_MAINNET).length, 385);
        assertEq(gpo.fjordLinearRegression(385) * 16 / 1e6, 4471);
        assertEq(gpo.fjordL1Cost(385), 0x5bf1ab43d);
    }

    /// @dev getL1Fee takes the *unsigned* tx and adds 68 bytes to its FastLZ size:
    ///        "FACADE":   4 + 68 = 72  -> 836500*72 - 42585600 = 17642400 < 100e6 -> 100e6
    ///                    fee = 100e6 * 17e6 / 1e12 = 1700; gas = 100e6 * 16 / 1e6 = 1600
    ///        TX_FLZ_202: 202 + 68 = 270 -> 836500*270 - 42585600 = 183269400
    ///                    fee = 183269400 * 17e6 / 1e12 = 3115.57 -> 3115
    ///                    gas = 183269400 * 16 / 1e6 = 2932.31 -> 2932
    function test_getL1Fee_fjord_knownVectors() public {
        _activateIsthmusAtGenesis();
        _setL1Values(1000, 1000, 1000, 1000, 0, 0);
        assertEq(gpo.getL1Fee(hex"FACADE"), 1700);
        assertEq(gpo.getL1GasUsed(hex"FACADE"), 1600);
        assertEq(gpo.getL1Fee(TX_FLZ_202), 3115);
        assertEq(gpo.getL1GasUsed(TX_FLZ_202), 2932);
    }

    /// @dev Upper bound for a 200-byte unsigned tx with Base-like parameters:
    ///        txSize = 200 + 68 = 268; flzUpperBound = 268 + 268/255 + 16 = 268 + 1 + 16 = 285
    ///        estimatedSize = 836500*285 - 42585600 = 195816900
    ///        feeScaled = 1368*16*1e9 + 810949*1 = 21888000810949
    ///        fee = 195816900 * 21888000810949 / 1e12 = 4286040465
    function test_getL1FeeUpperBound_knownVector() public {
        _activateIsthmusAtGenesis();
        _setL1Values(1368, 810949, 1 gwei, 1, 0, 0);
        assertEq(gpo.getL1FeeUpperBound(200), 4286040465);
    }

    function test_getL1FeeUpperBound_requiresFjord() public {
        vm.store(GPO, bytes32(0), bytes32(uint256(0x01))); // Ecotone only
        vm.expectRevert("GasPriceOracle: getL1FeeUpperBound only supports Fjord");
        gpo.getL1FeeUpperBound(100);
    }

    /// @dev Isthmus operator fee = gasUsed * operatorFeeScalar / 1e6 + operatorFeeConstant.
    ///      op-revm vector: scalar 1000, constant 10, gas 1000 -> 1000*1000/1e6 + 10 = 11.
    function test_getOperatorFee_knownVector() public {
        _setL1Values(0, 0, 0, 0, 1000, 10);
        assertEq(gpo.getOperatorFee(1000), 0); // before Isthmus: always zero
        _activateIsthmusAtGenesis();
        assertEq(gpo.getOperatorFee(1000), 11);
        assertEq(gpo.getOperatorFee(0), 10);
    }

    function test_getOperatorFee_saturates() public {
        _activateIsthmusAtGenesis();
        _setL1Values(0, 0, 0, 0, type(uint32).max, type(uint64).max);
        // The product saturates at 2^256-1, is divided by 1e6, then the constant is added.
        assertEq(gpo.getOperatorFee(type(uint256).max), type(uint256).max / 1e6 + type(uint64).max);
    }

    function testFuzz_getOperatorFee(uint256 _gasUsed, uint32 _scalar, uint64 _constant) public {
        _gasUsed = bound(_gasUsed, 0, type(uint128).max);
        _activateIsthmusAtGenesis();
        _setL1Values(0, 0, 0, 0, _scalar, _constant);
        assertEq(gpo.getOperatorFee(_gasUsed), _gasUsed * _scalar / 1e6 + _constant);
    }

    /// @dev Any tx of at most 90 bytes compresses to at most 102 bytes with FastLZ, so
    ///      836500*(flz+68) - 42585600 < 100e6 and the fee is the 100-byte minimum.
    function testFuzz_getL1Fee_smallTxPaysMinimum(
        bytes calldata _data,
        uint32 _bfs,
        uint32 _bbfs,
        uint64 _l1Fee,
        uint64 _blobFee
    ) public {
        vm.assume(_data.length <= 90);
        _activateIsthmusAtGenesis();
        _setL1Values(_bfs, _bbfs, _l1Fee, _blobFee, 0, 0);
        uint256 feeScaled = uint256(_bfs) * 16 * _l1Fee + uint256(_bbfs) * _blobFee;
        assertEq(gpo.getL1Fee(_data), 100e6 * feeScaled / 1e12);
        assertEq(gpo.getL1GasUsed(_data), 1600);
    }

    /// @dev The Fjord formula, written out, for arbitrary data and parameters.
    function testFuzz_getL1Fee_fjordFormula(
        bytes calldata _data,
        uint32 _bfs,
        uint32 _bbfs,
        uint64 _l1Fee,
        uint64 _blobFee
    ) public {
        _activateIsthmusAtGenesis();
        _setL1Values(_bfs, _bbfs, _l1Fee, _blobFee, 0, 0);
        uint256 flz = LibZip.flzCompress(_data).length + 68;
        uint256 scaled = 836_500 * flz;
        uint256 estimated = scaled > 142_585_600 ? scaled - 42_585_600 : 100_000_000;
        uint256 feeScaled = uint256(_bfs) * 16 * _l1Fee + uint256(_bbfs) * _blobFee;
        assertEq(gpo.getL1Fee(_data), estimated * feeScaled / 1e12);
        assertEq(gpo.getL1GasUsed(_data), estimated * 16 / 1e6);
    }

    // ------------------------------------------------------ Ecotone / Bedrock

    /// @dev Ecotone: calldata gas of hex"0001" = 4 + 16 + 68*16 = 1108;
    ///      fee = 1108 * (1000*16*1000 + 1000*1000) / (16 * 1e6) = 1108 * 17e6 / 16e6 = 1177.25 -> 1177
    function test_getL1Fee_ecotone_knownVector() public {
        vm.store(GPO, bytes32(0), bytes32(uint256(0x01)));
        _setL1Values(1000, 1000, 1000, 1000, 0, 0);
        assertEq(gpo.getL1GasUsed(hex"0001"), 1108);
        assertEq(gpo.getL1Fee(hex"0001"), 1177);
    }

    /// @dev Bedrock: (1108 + overhead 188) * l1BaseFee 1e9 * scalar 684000 / 1e6 = 886464000000
    function test_getL1Fee_bedrock_knownVector() public {
        vm.prank(DEPOSITOR);
        l1Block.setL1BlockValues(1, 2, 1 gwei, bytes32(0), 0, bytes32(0), 188, 684000);
        assertEq(gpo.overhead(), 188);
        assertEq(gpo.scalar(), 684000);
        assertEq(gpo.getL1GasUsed(hex"0001"), 1296);
        assertEq(gpo.getL1Fee(hex"0001"), 886464000000);
    }
}
