// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {DeployL1} from "../../script/DeployL1.s.sol";

contract DeployL1Test is Test {
    /// @dev Settings come from the environment when set there, else the defaults.
    function test_deploy() public {
        DeployL1.Deployment memory d = new DeployL1().run();
        address deployer = msg.sender; // forge's default sender broadcasts
        assertEq(d.token.balanceOf(vm.envOr("OPEN_HOLDER", deployer)), d.token.TOTAL_SUPPLY());
        assertEq(d.verifier.signer(), vm.envOr("PROVER_SIGNER", deployer));
        assertEq(d.inbox.owner(), vm.envOr("L1_OWNER", deployer));
        assertEq(d.inbox.batcher(), vm.envOr("BATCHER", deployer));
        assertEq(d.inbox.proposer(), vm.envOr("PROPOSER", deployer));
        assertEq(d.inbox.guardian(), vm.envOr("GUARDIAN", deployer));
        assertEq(address(d.inbox.verifier()), address(d.verifier));
        assertEq(d.inbox.challengeWindow(), vm.envOr("CHALLENGE_WINDOW", uint256(0)));
        assertEq(d.inbox.startingBlockNumber(), vm.envOr("STARTING_BLOCK", uint256(0)));
        assertEq(address(d.portal.inbox()), address(d.inbox));
        assertEq(address(d.portal.openToken()), address(d.token));
        assertEq(d.portal.proofMaturityDelay(), vm.envOr("PROOF_MATURITY_DELAY", uint256(0)));
        assertEq(d.portal.maxDepositGasPerL1Block(), vm.envOr("MAX_DEPOSIT_GAS", uint256(20_000_000)));
    }
}
