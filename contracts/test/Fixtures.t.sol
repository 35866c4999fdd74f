// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {TestToken} from "../src/fixtures/TestToken.sol";
import {StorageHeavy} from "../src/fixtures/StorageHeavy.sol";
import {Reverter} from "../src/fixtures/Reverter.sol";
import {Deploy} from "../script/Deploy.s.sol";

contract FixturesTest is Test {
    event Ping(address indexed from, uint256 value);
    event Filled(uint256 indexed start, uint256 n);

    function test_testToken() public {
        TestToken token = new TestToken(1000 ether);
        assertEq(token.name(), "Test Token");
        assertEq(token.symbol(), "TT");
        assertEq(token.decimals(), 18);
        assertEq(token.totalSupply(), 1000 ether);
        assertEq(token.balanceOf(address(this)), 1000 ether);
        assertTrue(token.transfer(address(0xbeef), 1 ether));
        assertEq(token.balanceOf(address(0xbeef)), 1 ether);
    }

    function test_storageHeavy_fillClear() public {
        StorageHeavy s = new StorageHeavy();
        vm.expectEmit(true, true, true, true, address(s));
        emit Filled(10, 50);
        s.fill(10, 50);
        assertEq(s.count(), 50);
        for (uint256 i = 10; i < 60; i++) {
            assertEq(s.get(i), s.value(i));
            assertTrue(s.get(i) != 0);
        }
        assertEq(s.get(9), 0);
        assertEq(s.get(60), 0);

        s.fill(40, 40); // overlaps 40..59
        assertEq(s.count(), 70);

        s.clear(0, 45);
        assertEq(s.count(), 35);
        assertEq(s.get(44), 0);
        assertEq(s.get(45), s.value(45));
        s.clear(0, 100);
        assertEq(s.count(), 0);
    }

    function testFuzz_storageHeavy(uint128 _start, uint8 _n) public {
        StorageHeavy s = new StorageHeavy();
        s.fill(_start, _n);
        assertEq(s.count(), _n);
        if (_n > 0) assertEq(s.get(uint256(_start) + _n - 1), s.value(uint256(_start) + _n - 1));
        s.clear(_start, _n);
        assertEq(s.count(), 0);
    }

    function test_reverter() public {
        Reverter r = new Reverter();

        vm.expectRevert(bytes("Reverter: nope"));
        r.revertString();

        vm.expectRevert(abi.encodeWithSelector(Reverter.Nope.selector, 7, address(this)));
        r.revertCustom(7);

        vm.deal(address(this), 1 ether);
        vm.expectEmit(true, true, true, true, address(r));
        emit Ping(address(this), 5);
        r.ping{value: 5}();

        assertEq(r.number(), 0);
        r.increment();
        r.increment();
        assertEq(r.number(), 2);
        r.setNumber(41);
        r.increment();
        assertEq(r.number(), 42);
    }

    function test_deployScript() public {
        (TestToken token, Reverter reverter) = new Deploy().run();
        assertGt(address(token).code.length, 0);
        assertEq(token.symbol(), "TT");
        assertEq(reverter.number(), 1);
    }
}
