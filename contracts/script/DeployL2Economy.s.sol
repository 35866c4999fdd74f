// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Script, console} from "forge-std/Script.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {WOPEN} from "../src/L2/economy/WOPEN.sol";
import {OpenGovernor} from "../src/L2/economy/OpenGovernor.sol";
import {DatanetRegistry} from "../src/L2/economy/DatanetRegistry.sol";
import {ModelRegistry} from "../src/L2/economy/ModelRegistry.sol";
import {OpenStaking} from "../src/L2/economy/OpenStaking.sol";
import {InferencePayments} from "../src/L2/economy/InferencePayments.sol";

/// @notice Deploys the $OPEN economy on the L2 (which must have the precompiles at
///         0x…0A01/0A02/0A03):
///
///   forge script script/DeployL2Economy.s.sol --rpc-url $L2_URL --broadcast --private-key $KEY
///
/// Seven creations, in this order (addresses follow from the deployer's nonce): WOPEN,
/// TimelockController, OpenGovernor, DatanetRegistry, OpenStaking, ModelRegistry,
/// InferencePayments; then four role changes on the timelock: the governor gets PROPOSER_ROLE
/// and CANCELLER_ROLE, anyone may execute (EXECUTOR_ROLE to address(0)), and the deployer gives
/// up its temporary admin role, so the timelock administers itself. The timelock owns the four
/// economy contracts and is the default treasury. Settings from the environment (defaults):
///   TIMELOCK_DELAY (s, 2 days), VOTING_DELAY (s, 1 day), VOTING_PERIOD (s, 7 days),
///   PROPOSAL_THRESHOLD (WOPEN wei, 0), QUORUM_PERCENT (4), TREASURY (the timelock),
///   DATANET_UNBONDING (s, 7 days), STAKING_UNBONDING (s, 7 days), SETTLEMENT_WINDOW (s, 1 day),
///   SPLIT_CONTRIBUTORS_BPS (5000), SPLIT_MODEL_OWNER_BPS (3000), SPLIT_STAKERS_BPS (1000),
///   SPLIT_TREASURY_BPS (1000)
contract DeployL2Economy is Script {
    struct Deployment {
        WOPEN wopen;
        TimelockController timelock;
        OpenGovernor governor;
        DatanetRegistry datanets;
        OpenStaking staking;
        ModelRegistry models;
        InferencePayments payments;
    }

    function run() external returns (Deployment memory d) {
        vm.startBroadcast();
        (, address deployer,) = vm.readCallers();

        d.wopen = new WOPEN();
        address[] memory none = new address[](0);
        d.timelock = new TimelockController(vm.envOr("TIMELOCK_DELAY", uint256(2 days)), none, none, deployer);
        d.governor = new OpenGovernor(
            d.wopen,
            d.timelock,
            uint48(vm.envOr("VOTING_DELAY", uint256(1 days))),
            uint32(vm.envOr("VOTING_PERIOD", uint256(7 days))),
            vm.envOr("PROPOSAL_THRESHOLD", uint256(0)),
            vm.envOr("QUORUM_PERCENT", uint256(4))
        );
        address gov = address(d.timelock);
        address treasury = vm.envOr("TREASURY", gov);
        d.datanets = new DatanetRegistry(gov, treasury, uint64(vm.envOr("DATANET_UNBONDING", uint256(7 days))));
        d.staking = new OpenStaking(gov, uint64(vm.envOr("STAKING_UNBONDING", uint256(7 days))));
        d.models = new ModelRegistry(gov, d.datanets);
        d.payments = new InferencePayments(
            gov,
            d.models,
            d.staking,
            treasury,
            InferencePayments.FeeSplit({
                contributors: uint16(vm.envOr("SPLIT_CONTRIBUTORS_BPS", uint256(5000))),
                modelOwner: uint16(vm.envOr("SPLIT_MODEL_OWNER_BPS", uint256(3000))),
                stakers: uint16(vm.envOr("SPLIT_STAKERS_BPS", uint256(1000))),
                treasury: uint16(vm.envOr("SPLIT_TREASURY_BPS", uint256(1000)))
            }),
            uint64(vm.envOr("SETTLEMENT_WINDOW", uint256(1 days)))
        );

        d.timelock.grantRole(d.timelock.PROPOSER_ROLE(), address(d.governor));
        d.timelock.grantRole(d.timelock.CANCELLER_ROLE(), address(d.governor));
        d.timelock.grantRole(d.timelock.EXECUTOR_ROLE(), address(0));
        d.timelock.renounceRole(d.timelock.DEFAULT_ADMIN_ROLE(), deployer);
        vm.stopBroadcast();

        console.log("WOPEN", address(d.wopen));
        console.log("TimelockController", address(d.timelock));
        console.log("OpenGovernor", address(d.governor));
        console.log("DatanetRegistry", address(d.datanets));
        console.log("OpenStaking", address(d.staking));
        console.log("ModelRegistry", address(d.models));
        console.log("InferencePayments", address(d.payments));
    }
}
