// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {OpenToken} from "../../src/L1/OpenToken.sol";

contract OpenTokenTest is Test {
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    OpenToken internal token;
    address internal holder = makeAddr("holder");

    function setUp() public {
        token = new OpenToken(holder);
    }

    function test_metadataAndSupply() public view {
        assertEq(token.name(), "OpenLedger");
        assertEq(token.symbol(), "OPEN");
        assertEq(token.decimals(), 18);
        assertEq(token.totalSupply(), 1_000_000_000 ether);
        assertEq(token.TOTAL_SUPPLY(), 1_000_000_000 ether);
        assertEq(token.balanceOf(holder), 1_000_000_000 ether);
    }

    function test_zeroHolderRejected() public {
        vm.expectRevert(OpenToken.ZeroHolder.selector);
        new OpenToken(address(0));
    }

    /// @dev There is no way to mint or burn: the bytecode exposes neither.
    function test_noMintOrBurn() public {
        (bool ok,) = address(token).call(abi.encodeWithSignature("mint(address,uint256)", holder, 1));
        assertFalse(ok);
        (ok,) = address(token).call(abi.encodeWithSignature("burn(uint256)", 1));
        assertFalse(ok);
        assertEq(token.totalSupply(), 1_000_000_000 ether);
    }

    function testFuzz_transfersConserveSupply(address _to, uint256 _amount) public {
        vm.assume(_to != address(0));
        _amount = bound(_amount, 0, token.TOTAL_SUPPLY());
        vm.prank(holder);
        assertTrue(token.transfer(_to, _amount));
        if (_to != holder) {
            assertEq(token.balanceOf(_to), _amount);
            assertEq(token.balanceOf(holder), token.TOTAL_SUPPLY() - _amount);
        }
        assertEq(token.totalSupply(), token.TOTAL_SUPPLY());
    }

    function _permitDigest(address _owner, address _spender, uint256 _value, uint256 _nonce, uint256 _deadline)
        internal
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, _owner, _spender, _value, _nonce, _deadline));
        return keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
    }

    function test_permit() public {
        (address owner, uint256 key) = makeAddrAndKey("permit-owner");
        address spender = makeAddr("spender");
        vm.prank(holder);
        assertTrue(token.transfer(owner, 10 ether));

        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _permitDigest(owner, spender, 3 ether, 0, deadline));
        token.permit(owner, spender, 3 ether, deadline, v, r, s);
        assertEq(token.allowance(owner, spender), 3 ether);
        assertEq(token.nonces(owner), 1);

        vm.prank(spender);
        assertTrue(token.transferFrom(owner, spender, 3 ether));
        assertEq(token.balanceOf(spender), 3 ether);

        // Replay fails: the nonce moved on.
        vm.expectRevert();
        token.permit(owner, spender, 3 ether, deadline, v, r, s);
    }

    function test_permit_expiredOrWrongSigner() public {
        (address owner, uint256 key) = makeAddrAndKey("permit-owner");
        address spender = makeAddr("spender");
        uint256 deadline = block.timestamp + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _permitDigest(owner, spender, 1 ether, 0, deadline));

        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(owner, spender, 1 ether, deadline, v, r, s);

        vm.warp(deadline);
        vm.expectRevert();
        token.permit(holder, spender, 1 ether, deadline, v, r, s);
    }

    function test_transferBeyondBalanceRejected() public {
        address nobody = makeAddr("nobody");
        vm.prank(nobody);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, nobody, 0, 1));
        // forge-lint: disable-next-line(erc20-unchecked-transfer)
        token.transfer(holder, 1);
    }
}
