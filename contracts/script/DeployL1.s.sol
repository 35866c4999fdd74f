// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Script, console} from "forge-std/Script.sol";
import {OpenToken} from "../src/L1/OpenToken.sol";
import {OpenPortal} from "../src/L1/OpenPortal.sol";
import {SettlementInbox} from "../src/L1/SettlementInbox.sol";
import {AttestationVerifier} from "../src/L1/AttestationVerifier.sol";

/// @notice Deploys the L1 side on any L1 (anvil for the devnet):
///
///   forge script script/DeployL1.s.sol --rpc-url $L1_URL --broadcast --private-key $KEY
///
/// Four creations, in this order (so the addresses follow from the deployer's nonce):
/// OpenToken, AttestationVerifier, SettlementInbox, OpenPortal. Settings come from the
/// environment; every one defaults to the deployer (roles) or a devnet value:
///   OPEN_HOLDER, L1_OWNER, BATCHER, PROPOSER, GUARDIAN, PROVER_SIGNER   (addresses)
///   CHALLENGE_WINDOW (s, default 0), PROOF_MATURITY_DELAY (s, default 0),
///   MAX_DEPOSIT_GAS (default 20000000), STARTING_BLOCK (L2, default 0)
/// MAX_DEPOSIT_GAS is OP's maxResourceLimit: the L2 gas the deposits of one L1 block may buy
/// together, and ten times the target of the deposit fee market (OpenPortal's EIP-1559-style
/// base fee rises when deposits buy more than a tenth of it per L1 block, and a deposit burns
/// its price in L1 gas). It must be a multiple of 10 and at least 21000; keep it plus the 1M of
/// the L1-attributes deposit within the L2 block gas limit.
contract DeployL1 is Script {
    struct Deployment {
        OpenToken token;
        AttestationVerifier verifier;
        SettlementInbox inbox;
        OpenPortal portal;
    }

    function run() external returns (Deployment memory d) {
        vm.startBroadcast();
        (, address deployer,) = vm.readCallers();

        d.token = new OpenToken(vm.envOr("OPEN_HOLDER", deployer));
        d.verifier = new AttestationVerifier(vm.envOr("PROVER_SIGNER", deployer));
        d.inbox = new SettlementInbox(
            vm.envOr("L1_OWNER", deployer),
            vm.envOr("BATCHER", deployer),
            vm.envOr("PROPOSER", deployer),
            vm.envOr("GUARDIAN", deployer),
            d.verifier,
            vm.envOr("CHALLENGE_WINDOW", uint256(0)),
            vm.envOr("STARTING_BLOCK", uint256(0))
        );
        d.portal = new OpenPortal(
            d.token,
            d.inbox,
            vm.envOr("PROOF_MATURITY_DELAY", uint256(0)),
            uint64(vm.envOr("MAX_DEPOSIT_GAS", uint256(20_000_000)))
        );
        vm.stopBroadcast();

        console.log("OpenToken", address(d.token));
        console.log("AttestationVerifier", address(d.verifier));
        console.log("SettlementInbox", address(d.inbox));
        console.log("OpenPortal", address(d.portal));
    }
}
