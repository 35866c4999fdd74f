// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {L2ToL1MessagePasser} from "../src/L2/L2ToL1MessagePasser.sol";

contract L2ToL1MessagePasserTest is Test {
    address payable internal constant PREDEPLOY = payable(0x4200000000000000000000000000000000000016);

    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );
    event WithdrawerBalanceBurnt(uint256 indexed amount);

    L2ToL1MessagePasser internal passer;

    function setUp() public {
        vm.etch(PREDEPLOY, address(new L2ToL1MessagePasser()).code);
        passer = L2ToL1MessagePasser(PREDEPLOY);
    }

    /// @dev slot of sentMessages[_hash]: keccak256(abi.encode(_hash, uint256(0))).
    function _sentSlot(bytes32 _hash) internal pure returns (bytes32) {
        return keccak256(abi.encode(_hash, uint256(0)));
    }

    function test_initialNonce() public view {
        assertEq(passer.MESSAGE_VERSION(), 1);
        assertEq(passer.messageNonce(), 1 << 240);
        assertEq(vm.load(PREDEPLOY, bytes32(uint256(1))), bytes32(0));
    }

    /// @dev The expected hash was computed outside Solidity (node + js-sha3) over the ABI
    ///      encoding of (nonce = 1 << 240, sender = 0xbeef, target = 0xcafe, value = 1 ether,
    ///      gasLimit = 100000, data = 0xdeadbeef): 256 bytes = 6 head words, bytes offset 0xc0,
    ///      length 4, data padded to 32 bytes.
    function test_initiateWithdrawal_knownHash() public {
        bytes32 expected = 0x687cf6d064a90aa8c5efa711a63c2c237560c476382292a60ce63cf707c1c9e8;
        address sender = address(0xbeef);
        vm.deal(sender, 1 ether);

        vm.expectEmit(true, true, true, true, PREDEPLOY);
        emit MessagePassed(1 << 240, sender, address(0xcafe), 1 ether, 100_000, hex"deadbeef", expected);
        vm.prank(sender);
        passer.initiateWithdrawal{value: 1 ether}(address(0xcafe), 100_000, hex"deadbeef");

        assertTrue(passer.sentMessages(expected));
        assertEq(uint256(vm.load(PREDEPLOY, _sentSlot(expected))), 1);
        assertEq(passer.messageNonce(), (1 << 240) | 1);
        assertEq(uint256(vm.load(PREDEPLOY, bytes32(uint256(1)))), 1); // msgNonce, unversioned
        assertEq(PREDEPLOY.balance, 1 ether);
    }

    /// @dev A plain transfer starts a withdrawal to the sender with gas limit 100000 and no data.
    ///      Expected hash computed outside Solidity like above, for (1 << 240, 0xbeef, 0xbeef, 5,
    ///      100000, "").
    function test_receive_initiatesWithdrawal() public {
        bytes32 expected = 0x2101d89833341b0b06df4d49c53d4b92fad051655451f65d3c3c71c8fb41acd6;
        address sender = address(0xbeef);
        vm.deal(sender, 5);

        vm.expectEmit(true, true, true, true, PREDEPLOY);
        emit MessagePassed(1 << 240, sender, sender, 5, 100_000, "", expected);
        vm.prank(sender);
        (bool ok,) = PREDEPLOY.call{value: 5}("");
        assertTrue(ok);
        assertTrue(passer.sentMessages(expected));
    }

    function test_burn() public {
        vm.deal(address(this), 3 ether);
        passer.initiateWithdrawal{value: 1 ether}(address(1), 21_000, "");
        passer.initiateWithdrawal{value: 2 ether}(address(2), 21_000, "");
        assertEq(PREDEPLOY.balance, 3 ether);

        address burner = vm.computeCreateAddress(PREDEPLOY, vm.getNonce(PREDEPLOY));
        vm.expectEmit(true, true, true, true, PREDEPLOY);
        emit WithdrawerBalanceBurnt(3 ether);
        passer.burn();

        assertEq(PREDEPLOY.balance, 0);
        assertEq(burner.balance, 0);
        // Burning does not forget the withdrawals.
        assertEq(passer.messageNonce(), (1 << 240) | 2);
    }

    function testFuzz_initiateWithdrawal(
        address _sender,
        address _target,
        uint256 _gasLimit,
        uint128 _value,
        bytes calldata _data,
        uint16 _prior
    ) public {
        vm.assume(_sender != PREDEPLOY);
        vm.assume(_target != address(0) || _value == 0); // refused: test_valueToZeroAddressRefused
        // Start from an arbitrary nonce, as a long-running chain would.
        vm.store(PREDEPLOY, bytes32(uint256(1)), bytes32(uint256(_prior)));
        uint256 nonce = (uint256(1) << 240) | _prior;
        assertEq(passer.messageNonce(), nonce);

        bytes32 expected = keccak256(abi.encode(nonce, _sender, _target, uint256(_value), _gasLimit, _data));
        vm.deal(_sender, _value);
        vm.expectEmit(true, true, true, true, PREDEPLOY);
        emit MessagePassed(nonce, _sender, _target, _value, _gasLimit, _data, expected);
        vm.prank(_sender);
        passer.initiateWithdrawal{value: _value}(_target, _gasLimit, _data);

        assertTrue(passer.sentMessages(expected));
        assertEq(uint256(vm.load(PREDEPLOY, _sentSlot(expected))), 1);
        assertEq(passer.messageNonce(), nonce + 1);
    }

    /// Review finding 5: value sent to address(0) could never be released on L1.
    function test_valueToZeroAddressRefused() public {
        vm.deal(address(this), 1 ether);
        uint256 nonce = passer.messageNonce();
        vm.expectRevert(L2ToL1MessagePasser.ValueToZeroAddress.selector);
        passer.initiateWithdrawal{value: 1}(address(0), 100_000, "");
        assertEq(passer.messageNonce(), nonce);
        // A message without value to address(0) is still a message.
        passer.initiateWithdrawal(address(0), 100_000, hex"01");
        assertEq(passer.messageNonce(), nonce + 1);
    }
}
