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
/// environment:
///   OPEN_HOLDER, L1_OWNER, BATCHER, PROPOSER, GUARDIAN, PROVER_SIGNER   (addresses)
///   CHALLENGE_WINDOW (s), PROOF_MATURITY_DELAY (s),
///   MAX_DEPOSIT_GAS (default 20000000), STARTING_BLOCK (L2, default 0)
///   GENESIS_SUPPLY (OPEN wei locked for the L2 genesis allocation; default 100,000 OPEN with
///   DEVNET=true, the ten dev accounts' 10,000 each, else 0; needs the deployer to hold the
///   OPEN and own the inbox)
/// With DEVNET=true the roles default to the deployer and both windows to 0 (withdrawals final
/// at once): right for a devnet only. Without it every role and both windows must be given, and
/// the windows must be positive, so devnet settings cannot be shipped by accident.
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

    error DevnetSettingsOutsideDevnet(string name);

    /// @dev An address setting: the deployer by default on a devnet, required elsewhere.
    function _role(string memory name, address deployer, bool devnet) internal view returns (address) {
        return devnet ? vm.envOr(name, deployer) : vm.envAddress(name);
    }

    /// @dev A window in seconds: 0 by default on a devnet, required and positive elsewhere.
    function _window(string memory name, bool devnet) internal view returns (uint256 w) {
        w = devnet ? vm.envOr(name, uint256(0)) : vm.envUint(name);
        if (!devnet && w == 0) revert DevnetSettingsOutsideDevnet(name);
    }

    function run() external returns (Deployment memory d) {
        bool devnet = vm.envOr("DEVNET", false);
        uint256 challengeWindow = _window("CHALLENGE_WINDOW", devnet);
        uint256 proofMaturity = _window("PROOF_MATURITY_DELAY", devnet);
        if (!devnet) {
            // Refuse a missing role before anything is broadcast.
            string[6] memory roles = ["OPEN_HOLDER", "PROVER_SIGNER", "L1_OWNER", "BATCHER", "PROPOSER", "GUARDIAN"];
            for (uint256 i; i < roles.length; ++i) {
                vm.envAddress(roles[i]);
            }
        }
        vm.startBroadcast();
        (, address deployer,) = vm.readCallers();

        d.token = new OpenToken(_role("OPEN_HOLDER", deployer, devnet));
        d.verifier = new AttestationVerifier(_role("PROVER_SIGNER", deployer, devnet));
        d.inbox = new SettlementInbox(
            _role("L1_OWNER", deployer, devnet),
            _role("BATCHER", deployer, devnet),
            _role("PROPOSER", deployer, devnet),
            _role("GUARDIAN", deployer, devnet),
            d.verifier,
            challengeWindow,
            vm.envOr("STARTING_BLOCK", uint256(0))
        );
        d.portal = new OpenPortal(
            d.token, d.inbox, proofMaturity, uint64(vm.envOr("MAX_DEPOSIT_GAS", uint256(20_000_000)))
        );
        uint256 genesisSupply = vm.envOr("GENESIS_SUPPLY", devnet ? uint256(100_000 ether) : uint256(0));
        if (genesisSupply != 0) {
            d.token.approve(address(d.portal), genesisSupply);
            d.portal.lockGenesisSupply(genesisSupply);
        }
        vm.stopBroadcast();

        console.log("OpenToken", address(d.token));
        console.log("AttestationVerifier", address(d.verifier));
        console.log("SettlementInbox", address(d.inbox));
        console.log("OpenPortal", address(d.portal));
        console.log("GenesisSupply", d.portal.genesisSupply());
    }
}
