// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Script, console} from "forge-std/Script.sol";
import {TestToken} from "../src/fixtures/TestToken.sol";
import {Reverter} from "../src/fixtures/Reverter.sol";

/// @notice Deploys the test fixtures and makes one state change. Used by the node's integration
///         test: forge script script/Deploy.s.sol --rpc-url <URL> --broadcast --private-key <KEY>
///         (three transactions from the key's account: two creations and one call).
contract Deploy is Script {
    uint256 internal constant INITIAL_SUPPLY = 1_000_000 ether;

    function run() external returns (TestToken token, Reverter reverter) {
        vm.startBroadcast();
        token = new TestToken(INITIAL_SUPPLY);
        reverter = new Reverter();
        reverter.increment();
        vm.stopBroadcast();

        console.log("TestToken", address(token));
        console.log("Reverter", address(reverter));
    }
}
