// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {DeployL1} from "../../script/DeployL1.s.sol";

contract DeployL1Test is Test {
    /// @dev Settings come from the environment when set there, else the devnet defaults.
    function _devnetDeploy() internal {
        vm.setEnv("DEVNET", "true");
        DeployL1.Deployment memory d = new DeployL1().run();
        address deployer = msg.sender; // forge's default sender broadcasts
        assertEq(
            d.token.balanceOf(vm.envOr("OPEN_HOLDER", deployer)),
            d.token.TOTAL_SUPPLY() - vm.envOr("GENESIS_SUPPLY", uint256(100_000 ether))
        );
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
        // The devnet's L2 genesis allocation is backed by OPEN locked in the portal.
        uint256 genesisSupply = vm.envOr("GENESIS_SUPPLY", uint256(100_000 ether));
        assertEq(d.portal.genesisSupply(), genesisSupply);
        assertEq(d.portal.totalLocked(), genesisSupply);
        assertEq(d.token.balanceOf(address(d.portal)), genesisSupply);
    }

    /// Review finding 5: the devnet defaults (zero windows, every role the deployer) must not be
    /// deployable by accident. One test with `test_deploy`'s steps first: the environment is the
    /// process's, shared by tests that run in parallel.
    function test_refusesDevnetDefaultsOutsideADevnet() public {
        _devnetDeploy();
        vm.setEnv("DEVNET", "false");
        DeployL1 script = new DeployL1();
        vm.setEnv("CHALLENGE_WINDOW", "0");
        vm.setEnv("PROOF_MATURITY_DELAY", "604800");
        vm.expectRevert(abi.encodeWithSelector(DeployL1.DevnetSettingsOutsideDevnet.selector, "CHALLENGE_WINDOW"));
        script.run();
        vm.setEnv("CHALLENGE_WINDOW", "604800");
        vm.setEnv("PROOF_MATURITY_DELAY", "0");
        vm.expectRevert(
            abi.encodeWithSelector(DeployL1.DevnetSettingsOutsideDevnet.selector, "PROOF_MATURITY_DELAY")
        );
        script.run();
        // Windows set, roles not: vm.envAddress refuses the missing variable.
        vm.setEnv("PROOF_MATURITY_DELAY", "604800");
        vm.expectRevert();
        script.run();
        // Everything given: it deploys with those values.
        address[6] memory who = [address(0xA1), address(0xA2), address(0xA3), address(0xA4), address(0xA5), address(0xA6)];
        string[6] memory names = ["OPEN_HOLDER", "PROVER_SIGNER", "L1_OWNER", "BATCHER", "PROPOSER", "GUARDIAN"];
        for (uint256 i; i < 6; ++i) {
            vm.setEnv(names[i], vm.toString(who[i]));
        }
        DeployL1.Deployment memory d = script.run();
        assertEq(d.inbox.challengeWindow(), 604800);
        assertEq(d.portal.proofMaturityDelay(), 604800);
        assertEq(d.inbox.guardian(), address(0xA6));
        assertEq(d.verifier.signer(), address(0xA2));
        assertEq(d.portal.genesisSupply(), 0, "nothing locked outside a devnet unless asked");
    }
}
