// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {AttestationVerifier} from "../../src/L1/AttestationVerifier.sol";

contract AttestationVerifierTest is Test {
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    uint256 internal proverKey = 0xA11CE5;
    AttestationVerifier internal verifier;
    address internal inbox = makeAddr("inbox");

    function setUp() public {
        verifier = new AttestationVerifier(vm.addr(proverKey));
    }

    function _sign(uint256 _key, uint256 _chainId, address _inbox, bytes32 _root, uint256 _block)
        internal
        pure
        returns (bytes memory)
    {
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(keccak256(abi.encode(_chainId, _inbox, _root, _block)));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_key, digest);
        return abi.encodePacked(r, s, v);
    }

    function test_signer() public view {
        assertEq(verifier.signer(), vm.addr(proverKey));
    }

    function test_zeroSignerRejected() public {
        vm.expectRevert(AttestationVerifier.ZeroSigner.selector);
        new AttestationVerifier(address(0));
    }

    /// @dev Fixed vector (chain id 1, inbox 0x…1234, root 0x11…11, block 7, key 0xA11CE5) for the
    ///      prover stub to check its encoding against. Computed outside Solidity with Foundry's
    ///      cast: `cast keccak $(cast abi-encode "f(uint256,address,bytes32,uint256)" 1 0x…1234
    ///      0x11…11 7)`, then `cast wallet sign --private-key 0x…a11ce5 <attestation>` (EIP-191 over
    ///      the 32 bytes; RFC 6979 nonces, so alloy's signer gives the same bytes).
    function test_attestation_knownVector() public {
        vm.chainId(1);
        address knownInbox = address(0x1234);
        bytes32 root = 0x1111111111111111111111111111111111111111111111111111111111111111;
        bytes32 a = verifier.attestation(knownInbox, root, 7);
        assertEq(a, 0xcd7405ce86ce45a210b35480c273ba9c758d6d0a8b56577d5ddc2085e7fb2835);
        assertEq(vm.addr(proverKey), 0x9950bc7D7d0bAF695CA9927361739B16b7BC48d3);
        bytes memory castSig =
            hex"aa5999d42abd9d7140569338eb9e1347d00763c736dbb0edf105ec8bbfa25b731d5ae70fe92ffad1d6ba7dc12dad388f010ae1fe37f198a74bc82a133972dc461b";
        assertEq(_sign(proverKey, 1, knownInbox, root, 7), castSig);
        vm.prank(knownInbox);
        assertTrue(verifier.verify(root, 7, castSig));
    }

    function testFuzz_acceptsProverSignature(bytes32 _root, uint256 _block) public {
        bytes memory sig = _sign(proverKey, block.chainid, inbox, _root, _block);
        vm.prank(inbox);
        assertTrue(verifier.verify(_root, _block, sig));
    }

    function testFuzz_rejectsOtherSigner(uint256 _key, bytes32 _root, uint256 _block) public {
        _key = bound(_key, 1, SECP256K1_N - 1);
        vm.assume(_key != proverKey);
        bytes memory sig = _sign(_key, block.chainid, inbox, _root, _block);
        vm.prank(inbox);
        assertFalse(verifier.verify(_root, _block, sig));
    }

    function testFuzz_rejectsOtherStatement(bytes32 _root, uint256 _block, bytes32 _otherRoot, uint256 _otherBlock)
        public
    {
        vm.assume(_root != _otherRoot && _block != _otherBlock);
        bytes memory sig = _sign(proverKey, block.chainid, inbox, _root, _block);
        vm.startPrank(inbox);
        assertFalse(verifier.verify(_otherRoot, _block, sig));
        assertFalse(verifier.verify(_root, _otherBlock, sig));
        vm.stopPrank();
    }

    function test_rejectsOtherInboxOrChain() public {
        bytes32 root = keccak256("root");
        bytes memory sig = _sign(proverKey, block.chainid, inbox, root, 10);
        // Another caller is another inbox.
        vm.prank(makeAddr("other inbox"));
        assertFalse(verifier.verify(root, 10, sig));
        // Signed for another chain.
        bytes memory otherChain = _sign(proverKey, block.chainid + 1, inbox, root, 10);
        vm.prank(inbox);
        assertFalse(verifier.verify(root, 10, otherChain));
    }

    function test_rejectsMalformedSignatures() public {
        bytes32 root = keccak256("root");
        bytes memory sig = _sign(proverKey, block.chainid, inbox, root, 10);
        vm.startPrank(inbox);
        assertFalse(verifier.verify(root, 10, ""));
        assertFalse(verifier.verify(root, 10, new bytes(65)));
        // 64-byte (EIP-2098) form is not accepted.
        bytes memory short = new bytes(64);
        for (uint256 i; i < 64; ++i) {
            short[i] = sig[i];
        }
        assertFalse(verifier.verify(root, 10, short));
        // High-s twin of a valid signature (malleability) is refused.
        bytes32 r;
        bytes32 sv;
        assembly {
            r := mload(add(sig, 32))
            sv := mload(add(sig, 64))
        }
        uint8 v = uint8(sig[64]);
        bytes memory twin = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(sv)), v == 27 ? uint8(28) : uint8(27));
        assertFalse(verifier.verify(root, 10, twin));
        assertTrue(verifier.verify(root, 10, sig));
        vm.stopPrank();
    }
}
