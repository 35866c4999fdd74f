// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {DeployL2Economy} from "../../script/DeployL2Economy.s.sol";

contract DeployL2EconomyTest is Test {
    /// @dev Settings come from the environment when set there, else the defaults.
    function test_deploy() public {
        DeployL2Economy.Deployment memory d = new DeployL2Economy().run();
        address tl = address(d.timelock);
        assertEq(d.timelock.getMinDelay(), vm.envOr("TIMELOCK_DELAY", uint256(2 days)));
        assertEq(d.governor.votingDelay(), vm.envOr("VOTING_DELAY", uint256(1 days)));
        assertEq(d.governor.votingPeriod(), vm.envOr("VOTING_PERIOD", uint256(7 days)));
        assertEq(d.governor.proposalThreshold(), vm.envOr("PROPOSAL_THRESHOLD", uint256(0)));
        assertEq(d.governor.quorumNumerator(), vm.envOr("QUORUM_PERCENT", uint256(4)));
        assertEq(d.payments.treasury(), vm.envOr("TREASURY", tl));
        assertEq(d.datanets.treasury(), vm.envOr("TREASURY", tl));
        assertEq(d.datanets.unbondingPeriod(), vm.envOr("DATANET_UNBONDING", uint256(7 days)));
        assertEq(d.staking.unbondingPeriod(), vm.envOr("STAKING_UNBONDING", uint256(7 days)));
        assertEq(d.payments.settlementWindow(), vm.envOr("SETTLEMENT_WINDOW", uint256(1 days)));
        assertEq(d.datanets.owner(), tl);
        assertEq(d.models.owner(), tl);
        assertEq(d.staking.owner(), tl);
        assertEq(d.payments.owner(), tl);
        assertTrue(d.timelock.hasRole(d.timelock.PROPOSER_ROLE(), address(d.governor)));
        assertFalse(d.timelock.hasRole(d.timelock.DEFAULT_ADMIN_ROLE(), msg.sender));
    }
}
