// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Types, Hashing} from "../../src/L1/libraries/Types.sol";
import {MptVectors} from "../vectors/MptVectors.sol";
import {L1Setup, L1TestLib} from "./L1Setup.sol";

/// @notice Gas of the main entry points: each test makes exactly one call, prepared in setUp
///         (`bash scripts/gas.sh` records them); the logged `gas` is the call's own
///         execution gas (no intrinsic 21000, no calldata), measured with gasleft().
abstract contract L1GasBase is L1Setup {
    bytes internal batch1k;
    bytes internal batch100k;
    bytes32 internal root;
    bytes internal sig;
    Types.OutputRootProof internal orp;
    MptVectors.WithdrawalVector internal v;
    uint256 internal index;

    function setUp() public virtual override {
        super.setUp();
        batch1k = new bytes(1_000);
        batch100k = new bytes(100_000);
        root = keccak256("output");
        sig = _attest(proverKey, address(inbox), root, 1);

        vm.startPrank(alice, alice);
        token.approve(address(portal), type(uint256).max);
        portal.depositOpen(alice, 100 ether, 100_000, "");
        vm.stopPrank();

        orp = L1TestLib.outputRootProof(MptVectors.STATE_ROOT, MptVectors.STORAGE_ROOT, MptVectors.BLOCK_HASH);
        index = _propose(Hashing.hashOutputRootProof(orp), 1);
        // Proof of 3 nodes (branch > branch > leaf); 0.4 OPEN and a call with 12 bytes of data.
        v = MptVectors.withdrawal(4);
        vm.roll(block.number + 1);
    }

    /// @dev Logged and recorded in snapshots/L1Gas.json, which CI checks (foundry.toml
    ///      `gas_snapshot_check`), so a change of any figure fails until the snapshot and the
    ///      tables in docs/PERFORMANCE.md and README.md are updated with it.
    function _report(string memory _name, uint256 _gas) internal {
        emit log_named_uint(_name, _gas);
        vm.snapshotValue("L1Gas", _name, _gas);
    }
}

contract L1GasTest is L1GasBase {
    function test_gas_depositTransaction() public {
        vm.prank(alice, alice);
        uint256 g = gasleft();
        portal.depositTransaction(alice, 0, 100_000, false, "");
        _report("depositTransaction", g - gasleft());
    }

    /// @dev The work of the deposit path alone (metering included, nothing burnt): at an L1
    ///      base fee of 1,000 gwei the price of 100,000 L2 gas at 1 gwei is 100 L1 gas, less than
    ///      the work, which counts towards it.
    function test_gas_depositTransaction_work() public {
        vm.fee(1_000 gwei);
        vm.prank(alice, alice);
        uint256 g = gasleft();
        portal.depositTransaction(alice, 0, 100_000, false, "");
        _report("depositTransaction work (no burn)", g - gasleft());
    }

    /// @dev OP's benchmark call (contracts-bedrock GasBenchMark_OptimismPortal,
    ///      test_depositTransaction_benchmark): 50,000 L2 gas and 34 bytes of data at the minimum
    ///      base fee, no value (OP's sends 100 wei of ETH).
    function test_gas_depositTransaction_opBenchmark() public {
        uint256 g = gasleft();
        portal.depositTransaction(
            address(1), 0, 50_000, false, hex"0000111122223333444455556666777788889999aaaabbbbccccddddeeeeffff0000"
        );
        _report("depositTransaction (OP's benchmark call)", g - gasleft());
    }

    function test_gas_depositOpen_work() public {
        vm.fee(1_000 gwei);
        vm.prank(alice, alice);
        uint256 g = gasleft();
        portal.depositOpen(alice, 1 ether, 100_000, "");
        _report("depositOpen work (no burn)", g - gasleft());
    }

    function test_gas_depositOpen() public {
        vm.prank(alice, alice);
        uint256 g = gasleft();
        portal.depositOpen(alice, 1 ether, 100_000, "");
        _report("depositOpen", g - gasleft());
    }

    function test_gas_depositERC20Transaction() public {
        vm.prank(alice, alice);
        uint256 g = gasleft();
        portal.depositERC20Transaction(alice, 1 ether, 1 ether, 100_000, false, "");
        _report("depositERC20Transaction", g - gasleft());
    }

    function test_gas_proveWithdrawalTransaction() public {
        Types.WithdrawalTransaction memory w = v.withdrawal;
        bytes[] memory proof = v.proof;
        Types.OutputRootProof memory p = orp;
        uint256 g = gasleft();
        portal.proveWithdrawalTransaction(w, index, p, proof);
        _report("proveWithdrawalTransaction", g - gasleft());
    }

    function test_gas_submitBatch_1k() public {
        bytes memory data = batch1k;
        vm.prank(batcher, batcher);
        uint256 g = gasleft();
        inbox.submitBatch(data);
        _report("submitBatch 1 KB", g - gasleft());
    }

    function test_gas_submitBatch_100k() public {
        bytes memory data = batch100k;
        vm.prank(batcher, batcher);
        uint256 g = gasleft();
        inbox.submitBatch(data);
        _report("submitBatch 100 KB", g - gasleft());
    }

    function test_gas_submitBlobBatch_3() public {
        bytes32[] memory hashes = new bytes32[](3);
        for (uint256 i; i < 3; ++i) {
            hashes[i] = bytes32((uint256(1) << 248) | (i + 1));
        }
        vm.blobhashes(hashes);
        vm.prank(batcher);
        uint256 g = gasleft();
        inbox.submitBlobBatch(3);
        _report("submitBlobBatch 3 blobs", g - gasleft());
    }

    function test_gas_proposeOutput() public {
        bytes32 r = keccak256("next");
        bytes memory s = _attest(proverKey, address(inbox), r, 2);
        vm.prank(proposer);
        uint256 g = gasleft();
        inbox.proposeOutput(r, 2, bytes32(0), 0, s);
        _report("proposeOutput", g - gasleft());
    }
}

/// @notice Finalization gas with the withdrawal proven in setUp (so its slots start cold).
contract L1GasFinalizeTest is L1GasBase {
    function setUp() public override {
        super.setUp();
        portal.proveWithdrawalTransaction(v.withdrawal, index, orp, v.proof);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);
    }

    function test_gas_finalizeWithdrawalTransaction() public {
        Types.WithdrawalTransaction memory w = v.withdrawal;
        uint256 g = gasleft();
        portal.finalizeWithdrawalTransaction(w);
        _report("finalizeWithdrawalTransaction", g - gasleft());
    }
}
