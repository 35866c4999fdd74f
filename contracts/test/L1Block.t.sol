// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {L1Block} from "../src/L2/L1Block.sol";

/// @notice The node (op-revm and our genesis/derivation code) reads and writes L1Block's storage
///         slots directly, so these tests pin the raw layout with vm.load, not only the getters.
contract L1BlockTest is Test {
    address internal constant PREDEPLOY = 0x4200000000000000000000000000000000000015;
    address internal constant DEPOSITOR = 0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001;

    L1Block internal l1Block;

    function setUp() public {
        // Place the runtime code at the predeploy address, as the genesis does.
        vm.etch(PREDEPLOY, address(new L1Block()).code);
        l1Block = L1Block(PREDEPLOY);
    }

    function _slot(uint256 _i) internal view returns (uint256) {
        return uint256(vm.load(PREDEPLOY, bytes32(_i)));
    }

    function _ecotoneCalldata(
        uint32 _baseFeeScalar,
        uint32 _blobBaseFeeScalar,
        uint64 _sequenceNumber,
        uint64 _timestamp,
        uint64 _number,
        uint256 _basefee,
        uint256 _blobBaseFee,
        bytes32 _hash,
        bytes32 _batcherHash
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(
            bytes4(0x440a5e20),
            _baseFeeScalar,
            _blobBaseFeeScalar,
            _sequenceNumber,
            _timestamp,
            _number,
            _basefee,
            _blobBaseFee,
            _hash,
            _batcherHash
        );
    }

    function test_selectorsAndConstants() public view {
        assertEq(L1Block.setL1BlockValuesEcotone.selector, bytes4(0x440a5e20));
        assertEq(L1Block.setL1BlockValuesIsthmus.selector, bytes4(0x098999be));
        assertEq(L1Block.NotDepositor.selector, bytes4(0x3cc50b45));
        assertEq(l1Block.DEPOSITOR_ACCOUNT(), DEPOSITOR);
        assertFalse(l1Block.isCustomGasToken());
        (address token, uint8 decimals) = l1Block.gasPayingToken();
        assertEq(token, 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE);
        assertEq(decimals, 18);
        assertEq(l1Block.gasPayingTokenSymbol(), "OPEN");
    }

    /// @dev A hand-written Ecotone calldata vector and the raw slot words it must produce.
    function test_ecotone_knownVector_rawSlots() public {
        bytes memory data = hex"440a5e20" // selector
            hex"00000558" // baseFeeScalar = 1368
            hex"000c5fc5" // blobBaseFeeScalar = 810949
            hex"0000000000000003" // sequenceNumber = 3
            hex"0000000065f23e01" // timestamp = 1710374401
            hex"000000000125c1c2" // number = 19251650
            hex"000000000000000000000000000000000000000000000000000000003b9aca00" // basefee = 1 gwei
            hex"0000000000000000000000000000000000000000000000000000000000000007" // blobBaseFee = 7
            hex"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // hash
            hex"0000000000000000000000006887246668a3b87f54deb3b94ba47a6f63f32985"; // batcherHash
        assertEq(data.length, 164);

        vm.prank(DEPOSITOR);
        (bool ok,) = PREDEPLOY.call(data);
        assertTrue(ok);

        // slot 0: timestamp (bytes 8..16 from the low end) | number (bytes 0..8)
        assertEq(_slot(0), 0x0000000000000000000000000000000065f23e01000000000125c1c2);
        assertEq(_slot(1), 1 gwei);
        assertEq(bytes32(_slot(2)), bytes32(0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa));
        // slot 3: baseFeeScalar (bytes 12..16) | blobBaseFeeScalar (bytes 8..12) | sequenceNumber (bytes 0..8)
        assertEq(_slot(3), 0x0000000000000000000000000000000000000558000c5fc50000000000000003);
        assertEq(_slot(4), 0x0000000000000000000000006887246668a3b87f54deb3b94ba47a6f63f32985);
        assertEq(_slot(5), 0);
        assertEq(_slot(6), 0);
        assertEq(_slot(7), 7);
        assertEq(_slot(8), 0);

        assertEq(l1Block.number(), 19251650);
        assertEq(l1Block.timestamp(), 1710374401);
        assertEq(l1Block.basefee(), 1 gwei);
        assertEq(l1Block.sequenceNumber(), 3);
        assertEq(l1Block.baseFeeScalar(), 1368);
        assertEq(l1Block.blobBaseFeeScalar(), 810949);
        assertEq(l1Block.blobBaseFee(), 7);
        assertEq(l1Block.batcherHash(), bytes32(uint256(uint160(0x6887246668a3b87F54DeB3b94Ba47a6f63F32985))));
    }

    /// @dev The Isthmus vector: the Ecotone fields plus operatorFeeScalar and operatorFeeConstant.
    function test_isthmus_knownVector_rawSlots() public {
        // forgefmt: disable-start
        bytes memory data = hex"098999be" // selector
            hex"00000558" // baseFeeScalar = 1368
            hex"000c5fc5" // blobBaseFeeScalar = 810949
            hex"0000000000000003" // sequenceNumber = 3
            hex"0000000065f23e01" // timestamp = 1710374401
            hex"000000000125c1c2" // number = 19251650
            hex"000000000000000000000000000000000000000000000000000000003b9aca00" // basefee = 1 gwei
            hex"0000000000000000000000000000000000000000000000000000000000000007" // blobBaseFee = 7
            hex"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" // hash
            hex"0000000000000000000000006887246668a3b87f54deb3b94ba47a6f63f32985" // batcherHash
            hex"0000abcd" // operatorFeeScalar = 43981
            hex"0000000000001234"; // operatorFeeConstant = 4660
        // forgefmt: disable-end
        assertEq(data.length, 176);

        vm.prank(DEPOSITOR);
        (bool ok,) = PREDEPLOY.call(data);
        assertTrue(ok);

        assertEq(_slot(0), 0x0000000000000000000000000000000065f23e01000000000125c1c2);
        assertEq(_slot(3), 0x0000000000000000000000000000000000000558000c5fc50000000000000003);
        assertEq(_slot(7), 7);
        // slot 8: operatorFeeScalar (bytes 8..12 from the low end) | operatorFeeConstant (bytes 0..8)
        assertEq(_slot(8), 0x00000000000000000000000000000000000000000000abcd0000000000001234);
        assertEq(l1Block.operatorFeeScalar(), 0xabcd);
        assertEq(l1Block.operatorFeeConstant(), 0x1234);
    }

    function test_ecotone_onlyDepositor() public {
        bytes memory data = _ecotoneCalldata(1, 2, 3, 4, 5, 6, 7, bytes32(uint256(8)), bytes32(uint256(9)));
        (bool ok, bytes memory ret) = PREDEPLOY.call(data);
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(L1Block.NotDepositor.selector));
        assertEq(_slot(0), 0);
        assertEq(_slot(3), 0);
    }

    function test_isthmus_onlyDepositor() public {
        bytes memory data = abi.encodePacked(
            bytes4(0x098999be),
            _ecotoneBody(1, 2, 3, 4, 5, 6, 7, bytes32(uint256(8)), bytes32(uint256(9))),
            uint32(10),
            uint64(11)
        );
        vm.prank(address(0xbad));
        (bool ok, bytes memory ret) = PREDEPLOY.call(data);
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(L1Block.NotDepositor.selector));
        assertEq(_slot(8), 0);
    }

    function test_legacySetter_onlyDepositor() public {
        vm.expectRevert(L1Block.NotDepositor.selector);
        l1Block.setL1BlockValues(1, 2, 3, bytes32(uint256(4)), 5, bytes32(uint256(6)), 7, 8);

        vm.prank(DEPOSITOR);
        l1Block.setL1BlockValues(1, 2, 3, bytes32(uint256(4)), 5, bytes32(uint256(6)), 7, 8);
        assertEq(_slot(0), (uint256(2) << 64) | 1);
        assertEq(_slot(5), 7);
        assertEq(_slot(6), 8);
    }

    /// @dev The packed setters leave the legacy slots 5 and 6 alone.
    function test_ecotone_keepsLegacySlots() public {
        vm.prank(DEPOSITOR);
        l1Block.setL1BlockValues(1, 2, 3, bytes32(uint256(4)), 5, bytes32(uint256(6)), 188, 684000);
        vm.prank(DEPOSITOR);
        (bool ok,) = PREDEPLOY.call(_ecotoneCalldata(1, 2, 3, 4, 5, 6, 7, bytes32(uint256(8)), bytes32(uint256(9))));
        assertTrue(ok);
        assertEq(l1Block.l1FeeOverhead(), 188);
        assertEq(l1Block.l1FeeScalar(), 684000);
    }

    function _ecotoneBody(
        uint32 _baseFeeScalar,
        uint32 _blobBaseFeeScalar,
        uint64 _sequenceNumber,
        uint64 _timestamp,
        uint64 _number,
        uint256 _basefee,
        uint256 _blobBaseFee,
        bytes32 _hash,
        bytes32 _batcherHash
    ) internal pure returns (bytes memory) {
        return abi.encodePacked(
            _baseFeeScalar,
            _blobBaseFeeScalar,
            _sequenceNumber,
            _timestamp,
            _number,
            _basefee,
            _blobBaseFee,
            _hash,
            _batcherHash
        );
    }

    function testFuzz_ecotone_rawSlots(
        uint32 _baseFeeScalar,
        uint32 _blobBaseFeeScalar,
        uint64 _sequenceNumber,
        uint64 _timestamp,
        uint64 _number,
        uint256 _basefee,
        uint256 _blobBaseFee,
        bytes32 _hash,
        bytes32 _batcherHash
    ) public {
        bytes memory data = _ecotoneCalldata(
            _baseFeeScalar,
            _blobBaseFeeScalar,
            _sequenceNumber,
            _timestamp,
            _number,
            _basefee,
            _blobBaseFee,
            _hash,
            _batcherHash
        );
        vm.prank(DEPOSITOR);
        (bool ok,) = PREDEPLOY.call(data);
        assertTrue(ok);

        assertEq(_slot(0), (uint256(_timestamp) << 64) | uint256(_number));
        assertEq(_slot(1), _basefee);
        assertEq(bytes32(_slot(2)), _hash);
        assertEq(
            _slot(3), (uint256(_baseFeeScalar) << 96) | (uint256(_blobBaseFeeScalar) << 64) | uint256(_sequenceNumber)
        );
        assertEq(bytes32(_slot(4)), _batcherHash);
        assertEq(_slot(7), _blobBaseFee);

        assertEq(l1Block.number(), _number);
        assertEq(l1Block.timestamp(), _timestamp);
        assertEq(l1Block.basefee(), _basefee);
        assertEq(l1Block.hash(), _hash);
        assertEq(l1Block.sequenceNumber(), _sequenceNumber);
        assertEq(l1Block.blobBaseFeeScalar(), _blobBaseFeeScalar);
        assertEq(l1Block.baseFeeScalar(), _baseFeeScalar);
        assertEq(l1Block.batcherHash(), _batcherHash);
        assertEq(l1Block.blobBaseFee(), _blobBaseFee);
    }

    function testFuzz_isthmus_rawSlots(
        uint32 _baseFeeScalar,
        uint32 _blobBaseFeeScalar,
        uint64 _sequenceNumber,
        uint64 _timestamp,
        uint64 _number,
        uint256 _basefee,
        bytes32 _hash,
        uint32 _operatorFeeScalar,
        uint64 _operatorFeeConstant
    ) public {
        bytes memory data = abi.encodePacked(
            bytes4(0x098999be),
            _ecotoneBody(
                _baseFeeScalar, _blobBaseFeeScalar, _sequenceNumber, _timestamp, _number, _basefee, 1, _hash, _hash
            ),
            _operatorFeeScalar,
            _operatorFeeConstant
        );
        assertEq(data.length, 176);
        vm.prank(DEPOSITOR);
        (bool ok,) = PREDEPLOY.call(data);
        assertTrue(ok);

        assertEq(_slot(0), (uint256(_timestamp) << 64) | uint256(_number));
        assertEq(
            _slot(3), (uint256(_baseFeeScalar) << 96) | (uint256(_blobBaseFeeScalar) << 64) | uint256(_sequenceNumber)
        );
        assertEq(_slot(8), (uint256(_operatorFeeScalar) << 64) | uint256(_operatorFeeConstant));
        assertEq(l1Block.operatorFeeScalar(), _operatorFeeScalar);
        assertEq(l1Block.operatorFeeConstant(), _operatorFeeConstant);
        assertEq(l1Block.baseFeeScalar(), _baseFeeScalar);
        assertEq(l1Block.number(), _number);
    }

    function testFuzz_onlyDepositor(address _caller) public {
        vm.assume(_caller != DEPOSITOR);
        bytes memory data = _ecotoneCalldata(1, 2, 3, 4, 5, 6, 7, bytes32(uint256(8)), bytes32(uint256(9)));
        vm.prank(_caller);
        (bool ok, bytes memory ret) = PREDEPLOY.call(data);
        assertFalse(ok);
        assertEq(ret, abi.encodeWithSelector(L1Block.NotDepositor.selector));
    }
}
