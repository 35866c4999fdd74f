// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {WOPEN} from "../../src/L2/economy/WOPEN.sol";

contract RejectingReceiver {
    WOPEN internal w;

    constructor(WOPEN w_) payable {
        w = w_;
    }

    function wrapAndUnwrap() external {
        w.deposit{value: 1 ether}();
        w.withdraw(1 ether);
    }
}

contract ReenteringReceiver {
    WOPEN internal w;
    bool internal entered;

    constructor(WOPEN w_) payable {
        w = w_;
    }

    function run() external {
        w.deposit{value: 2 ether}();
        w.withdraw(1 ether);
    }

    receive() external payable {
        if (!entered) {
            entered = true;
            w.withdraw(1 ether); // reverts: reentrancy guard
        }
    }
}

contract WOPENTest is Test {
    WOPEN internal w;
    address internal alice;
    uint256 internal aliceKey;
    address internal bob = makeAddr("bob");

    function setUp() public {
        w = new WOPEN();
        (alice, aliceKey) = makeAddrAndKey("alice");
        vm.deal(alice, 100 ether);
        vm.deal(bob, 100 ether);
    }

    function test_metadata() public view {
        assertEq(w.name(), "Wrapped OPEN");
        assertEq(w.symbol(), "WOPEN");
        assertEq(w.decimals(), 18);
        assertEq(w.CLOCK_MODE(), "mode=timestamp");
        assertEq(w.clock(), uint48(block.timestamp));
    }

    function test_depositAndWithdraw() public {
        vm.expectEmit(address(w));
        emit WOPEN.Deposit(alice, 3 ether);
        vm.prank(alice);
        w.deposit{value: 3 ether}();
        assertEq(w.balanceOf(alice), 3 ether);
        assertEq(w.totalSupply(), 3 ether);
        assertEq(address(w).balance, 3 ether);

        vm.expectEmit(address(w));
        emit WOPEN.Withdrawal(alice, 1 ether);
        vm.prank(alice);
        w.withdraw(1 ether);
        assertEq(w.balanceOf(alice), 2 ether);
        assertEq(alice.balance, 98 ether);
        assertEq(address(w).balance, 2 ether);
    }

    function test_receiveWraps() public {
        vm.prank(alice);
        (bool ok,) = address(w).call{value: 1 ether}("");
        assertTrue(ok);
        assertEq(w.balanceOf(alice), 1 ether);
    }

    function test_zeroAmountsRevert() public {
        vm.prank(alice);
        vm.expectRevert(WOPEN.ZeroAmount.selector);
        w.deposit();
        vm.prank(alice);
        vm.expectRevert(WOPEN.ZeroAmount.selector);
        w.withdraw(0);
    }

    function test_withdrawMoreThanBalanceReverts() public {
        vm.prank(alice);
        w.deposit{value: 1 ether}();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, 1 ether, 2 ether));
        w.withdraw(2 ether);
    }

    function test_withdrawToRejectingContractReverts() public {
        RejectingReceiver r = new RejectingReceiver{value: 1 ether}(w);
        vm.expectRevert(WOPEN.TransferFailed.selector);
        r.wrapAndUnwrap();
    }

    function test_withdrawReentrancyBlocked() public {
        ReenteringReceiver r = new ReenteringReceiver{value: 2 ether}(w);
        vm.expectRevert(WOPEN.TransferFailed.selector);
        r.run();
    }

    function test_votesFollowDelegationAndTimestamps() public {
        vm.warp(1_000);
        vm.prank(alice);
        w.deposit{value: 10 ether}();
        assertEq(w.getVotes(alice), 0); // not delegated yet
        vm.prank(alice);
        w.delegate(alice);
        assertEq(w.getVotes(alice), 10 ether);

        vm.warp(2_000);
        vm.prank(alice);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        w.transfer(bob, 4 ether);
        vm.prank(bob);
        w.delegate(bob);
        vm.warp(3_000);
        assertEq(w.getPastVotes(alice, 1_500), 10 ether);
        assertEq(w.getPastVotes(alice, 2_500), 6 ether);
        assertEq(w.getPastVotes(bob, 2_500), 4 ether);
        assertEq(w.getPastTotalSupply(2_500), 10 ether);

        // Unwrapping burns votes.
        vm.prank(bob);
        w.withdraw(4 ether);
        assertEq(w.getVotes(bob), 0);
    }

    function test_permit() public {
        vm.prank(alice);
        w.deposit{value: 5 ether}();
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                alice,
                bob,
                2 ether,
                w.nonces(alice),
                deadline
            )
        );
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(aliceKey, keccak256(abi.encodePacked("\x19\x01", w.DOMAIN_SEPARATOR(), structHash)));
        w.permit(alice, bob, 2 ether, deadline, v, r, s);
        assertEq(w.allowance(alice, bob), 2 ether);
        assertEq(w.nonces(alice), 1);
        vm.prank(bob);
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        w.transferFrom(alice, bob, 2 ether);
        assertEq(w.balanceOf(bob), 2 ether);
    }

    function testFuzz_wrapUnwrapConserves(uint96 a, uint96 b) public {
        vm.assume(a > 0 && b > 0 && b <= a);
        vm.deal(alice, a);
        vm.prank(alice);
        w.deposit{value: a}();
        vm.prank(alice);
        w.withdraw(b);
        assertEq(address(w).balance, w.totalSupply());
        assertEq(alice.balance + w.balanceOf(alice), a);
    }
}
