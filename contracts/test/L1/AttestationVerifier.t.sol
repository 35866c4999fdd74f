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

    /// Output index the statements below are signed for.
    uint256 internal constant INDEX = 3;

    function _sign(uint256 _key, uint256 _chainId, address _inbox, bytes32 _root, uint256 _block)
        internal
        pure
        returns (bytes memory)
    {
        return _signAt(_key, _chainId, _inbox, INDEX, _root, _block);
    }

    function _signAt(uint256 _key, uint256 _chainId, address _inbox, uint256 _index, bytes32 _root, uint256 _block)
        internal
        pure
        returns (bytes memory)
    {
        bytes32 digest =
            MessageHashUtils.toEthSignedMessageHash(keccak256(abi.encode(_chainId, _inbox, _index, _root, _block)));
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

    /// @dev Fixed vector (chain id 1, inbox 0x…1234, output index 3, root 0x11…11, block 7, key
    ///      0xA11CE5) for the prover stub to check its encoding against. Computed outside Solidity
    ///      with Foundry's cast: `cast keccak $(cast abi-encode
    ///      "f(uint256,address,uint256,bytes32,uint256)" 1 0x…1234 3 0x11…11 7)`, then `cast wallet sign --private-key 0x…a11ce5 <attestation>` (EIP-191 over
    ///      the 32 bytes; RFC 6979 nonces, so alloy's signer gives the same bytes).
    function test_attestation_knownVector() public {
        vm.chainId(1);
        address knownInbox = address(0x1234);
        bytes32 root = 0x1111111111111111111111111111111111111111111111111111111111111111;
        bytes32 a = verifier.attestation(knownInbox, 3, root, 7);
        assertEq(a, 0xc7350b1dc64e3622dcf1a45453f00c6245674845e267b548669e46c83d5088c0);
        assertEq(vm.addr(proverKey), 0x9950bc7D7d0bAF695CA9927361739B16b7BC48d3);
        bytes memory castSig =
            hex"522d584f8184bdaf16be1540f52d5b5d6185225eadd350a645ce8f54cda8d8037b81a668f9e838859f51f7c022413b9ebbc164f0805fc0903701db9514b8b5a31c";
        assertEq(_sign(proverKey, 1, knownInbox, root, 7), castSig);
        vm.prank(knownInbox);
        assertTrue(verifier.verify(root, 7, INDEX, castSig));
    }

    function testFuzz_acceptsProverSignature(bytes32 _root, uint256 _block) public {
        bytes memory sig = _sign(proverKey, block.chainid, inbox, _root, _block);
        vm.prank(inbox);
        assertTrue(verifier.verify(_root, _block, INDEX, sig));
    }

    function testFuzz_rejectsOtherSigner(uint256 _key, bytes32 _root, uint256 _block) public {
        _key = bound(_key, 1, SECP256K1_N - 1);
        vm.assume(_key != proverKey);
        bytes memory sig = _sign(_key, block.chainid, inbox, _root, _block);
        vm.prank(inbox);
        assertFalse(verifier.verify(_root, _block, INDEX, sig));
    }

    function testFuzz_rejectsOtherStatement(bytes32 _root, uint256 _block, bytes32 _otherRoot, uint256 _otherBlock)
        public
    {
        vm.assume(_root != _otherRoot && _block != _otherBlock);
        bytes memory sig = _sign(proverKey, block.chainid, inbox, _root, _block);
        vm.startPrank(inbox);
        assertFalse(verifier.verify(_otherRoot, _block, INDEX, sig));
        assertFalse(verifier.verify(_root, _otherBlock, INDEX, sig));
        vm.stopPrank();
    }

    /// Review finding 3: the statement names the output index, so a signature for one place in
    /// the output sequence is no proof for another.
    function testFuzz_rejectsOtherIndex(bytes32 _root, uint256 _block, uint256 _other) public {
        vm.assume(_other != INDEX);
        bytes memory sig = _sign(proverKey, block.chainid, inbox, _root, _block);
        vm.startPrank(inbox);
        assertTrue(verifier.verify(_root, _block, INDEX, sig));
        assertFalse(verifier.verify(_root, _block, _other, sig));
        assertTrue(verifier.verify(_root, _block, _other, _signAt(proverKey, block.chainid, inbox, _other, _root, _block)));
        vm.stopPrank();
    }

    function test_rejectsOtherInboxOrChain() public {
        bytes32 root = keccak256("root");
        bytes memory sig = _sign(proverKey, block.chainid, inbox, root, 10);
        // Another caller is another inbox.
        vm.prank(makeAddr("other inbox"));
        assertFalse(verifier.verify(root, 10, INDEX, sig));
        // Signed for another chain.
        bytes memory otherChain = _sign(proverKey, block.chainid + 1, inbox, root, 10);
        vm.prank(inbox);
        assertFalse(verifier.verify(root, 10, INDEX, otherChain));
    }

    function test_rejectsMalformedSignatures() public {
        bytes32 root = keccak256("root");
        bytes memory sig = _sign(proverKey, block.chainid, inbox, root, 10);
        vm.startPrank(inbox);
        assertFalse(verifier.verify(root, 10, INDEX, ""));
        assertFalse(verifier.verify(root, 10, INDEX, new bytes(65)));
        // 64-byte (EIP-2098) form is not accepted.
        bytes memory short = new bytes(64);
        for (uint256 i; i < 64; ++i) {
            short[i] = sig[i];
        }
        assertFalse(verifier.verify(root, 10, INDEX, short));
        // High-s twin of a valid signature (malleability) is refused.
        bytes32 r;
        bytes32 sv;
        assembly {
            r := mload(add(sig, 32))
            sv := mload(add(sig, 64))
        }
        uint8 v = uint8(sig[64]);
        bytes memory twin = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(sv)), v == 27 ? uint8(28) : uint8(27));
        assertFalse(verifier.verify(root, 10, INDEX, twin));
        assertTrue(verifier.verify(root, 10, INDEX, sig));
        vm.stopPrank();
    }
}
