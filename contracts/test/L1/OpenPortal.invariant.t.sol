// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {OpenToken} from "../../src/L1/OpenToken.sol";
import {OpenPortal} from "../../src/L1/OpenPortal.sol";
import {SettlementInbox} from "../../src/L1/SettlementInbox.sol";
import {AttestationVerifier} from "../../src/L1/AttestationVerifier.sol";
import {Types, Hashing} from "../../src/L1/libraries/Types.sol";
import {L1TestLib} from "./L1Setup.sol";

/// @dev Drives the portal through deposits, withdrawals (proved against one-leaf storage tries
///      in freshly proposed outputs), replays of finalized withdrawals and pauses, while keeping
///      ghost totals of what L2 minted and what L1 released.
contract PortalHandler is Test {
    OpenToken internal token;
    OpenPortal internal portal;
    SettlementInbox internal inbox;
    address internal proposer;
    address internal guardian;
    uint256 internal proverKey;

    address[] public actors;

    uint256 public ghostMinted; // sum of L2 mints (OPEN locked by deposits)
    uint256 public ghostReleased; // sum of OPEN released by withdrawals
    uint256 public ghostL2Supply; // native OPEN on L2 (minted - withdrawn), as L2 would see it
    uint256 public ghostDoubleFinalizations; // finalizations of an already finalized withdrawal
    uint256 public ghostPausedSuccesses; // operations that succeeded while paused
    uint256 public withdrawalNonce;

    Types.WithdrawalTransaction[] internal finalized;

    constructor(
        OpenToken _token,
        OpenPortal _portal,
        SettlementInbox _inbox,
        address _proposer,
        address _guardian,
        uint256 _proverKey,
        address[] memory _actors
    ) {
        token = _token;
        portal = _portal;
        inbox = _inbox;
        proposer = _proposer;
        guardian = _guardian;
        proverKey = _proverKey;
        actors = _actors;
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function finalizedCount() external view returns (uint256) {
        return finalized.length;
    }

    function finalizedHash(uint256 _i) external view returns (bytes32) {
        return Hashing.hashWithdrawal(finalized[_i]);
    }

    function deposit(uint256 _actor, uint256 _amount, uint256 _value, bool _simple) external {
        if (portal.paused()) return;
        vm.roll(block.number + 1); // stay under the per-L1-block deposit gas cap
        address a = actors[_actor % actors.length];
        _amount = bound(_amount, 0, token.balanceOf(a));
        vm.startPrank(a, a);
        token.approve(address(portal), _amount);
        if (_simple) {
            portal.depositOpen(a, _amount, 100_000, "");
        } else {
            portal.depositERC20Transaction(a, _amount, bound(_value, 0, _amount), 100_000, false, "");
        }
        vm.stopPrank();
        ghostMinted += _amount;
        ghostL2Supply += _amount;
    }

    /// @dev An L2 transaction that moves no OPEN across (mint = 0).
    function message(uint256 _actor, uint256 _value) external {
        if (portal.paused()) return;
        vm.roll(block.number + 1);
        address a = actors[_actor % actors.length];
        vm.prank(a, a);
        portal.depositTransaction(a, _value, 50_000, false, hex"abcd");
    }

    function withdraw(uint256 _actor, uint256 _amount, uint256 _target) external {
        if (portal.paused()) return;
        _amount = bound(_amount, 0, ghostL2Supply);
        Types.WithdrawalTransaction memory w = Types.WithdrawalTransaction({
            nonce: (1 << 240) | withdrawalNonce++,
            sender: actors[_actor % actors.length],
            target: actors[_target % actors.length],
            value: _amount,
            gasLimit: 100_000,
            data: ""
        });
        ghostL2Supply -= _amount; // burnt on L2 by the message passer

        (bytes32 storageRoot, bytes[] memory proof) = L1TestLib.singleLeafProof(Hashing.hashWithdrawal(w));
        Types.OutputRootProof memory orp =
            L1TestLib.outputRootProof(keccak256(abi.encode("state", withdrawalNonce)), storageRoot, bytes32(0));
        bytes32 outputRoot = Hashing.hashOutputRootProof(orp);
        uint256 l2Block = inbox.latestBlockNumber() + 1;
        uint256 index = inbox.nextOutputIndex();
        bytes32 digest = MessageHashUtils.toEthSignedMessageHash(
            keccak256(abi.encode(block.chainid, address(inbox), index, outputRoot, l2Block))
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(proverKey, digest);
        vm.prank(proposer);
        inbox.proposeOutput(outputRoot, l2Block, bytes32(0), 0, abi.encodePacked(r, s, v));

        portal.proveWithdrawalTransaction(w, index, orp, proof);
        vm.warp(block.timestamp + inbox.challengeWindow() + portal.proofMaturityDelay());
        uint256 before = token.balanceOf(w.target);
        portal.finalizeWithdrawalTransaction(w);
        assertEq(token.balanceOf(w.target), before + _amount);
        ghostReleased += _amount;
        finalized.push(w);
    }

    function replay(uint256 _i) external {
        if (finalized.length == 0) return;
        Types.WithdrawalTransaction memory w = finalized[_i % finalized.length];
        try portal.finalizeWithdrawalTransaction(w) {
            ghostDoubleFinalizations += 1;
        } catch {}
    }

    function pauseAndTry(uint256 _actor) external {
        address a = actors[_actor % actors.length];
        vm.prank(guardian);
        portal.pause();
        vm.startPrank(a, a);
        token.approve(address(portal), 1);
        try portal.depositOpen(a, 1, 100_000, "") {
            ghostPausedSuccesses += 1;
        } catch {}
        try portal.depositTransaction(a, 0, 100_000, false, "") {
            ghostPausedSuccesses += 1;
        } catch {}
        vm.stopPrank();
        if (finalized.length > 0) {
            try portal.finalizeWithdrawalTransaction(finalized[0]) {
                ghostPausedSuccesses += 1;
            } catch {}
        }
        vm.prank(guardian);
        portal.unpause();
    }
}

/// forge-config: default.invariant.fail-on-revert = true
/// forge-config: default.invariant.runs = 32
/// forge-config: default.invariant.depth = 64
contract OpenPortalInvariantTest is Test {
    OpenToken internal token;
    OpenPortal internal portal;
    SettlementInbox internal inbox;
    PortalHandler internal handler;
    address internal holder = makeAddr("holder");

    function setUp() public {
        uint256 proverKey = 0xA11CE5;
        address proposer = makeAddr("proposer");
        address guardian = makeAddr("guardian");
        token = new OpenToken(holder);
        AttestationVerifier verifier = new AttestationVerifier(vm.addr(proverKey));
        inbox = new SettlementInbox(address(this), makeAddr("batcher"), proposer, guardian, verifier, 1 hours, 0);
        portal = new OpenPortal(token, inbox, 10 minutes, 20_000_000);

        address[] memory actors = new address[](4);
        for (uint256 i; i < actors.length; ++i) {
            actors[i] = makeAddr(string(abi.encodePacked("actor", vm.toString(i))));
            vm.prank(holder);
            assertTrue(token.transfer(actors[i], 1_000_000 ether));
        }
        handler = new PortalHandler(token, portal, inbox, proposer, guardian, proverKey, actors);
        targetContract(address(handler));
    }

    /// @notice OPEN locked in the portal == sum minted by deposits - sum released by withdrawals,
    ///         == the native OPEN that L2 holds.
    function invariant_openConserved() public view {
        uint256 locked = handler.ghostMinted() - handler.ghostReleased();
        assertEq(token.balanceOf(address(portal)), locked);
        assertEq(portal.totalLocked(), locked);
        assertEq(handler.ghostL2Supply(), locked);
    }

    /// @notice No OPEN is created or lost on L1.
    function invariant_l1SupplyFixed() public view {
        uint256 sum = token.balanceOf(holder) + token.balanceOf(address(portal));
        for (uint256 i; i < handler.actorCount(); ++i) {
            sum += token.balanceOf(handler.actors(i));
        }
        assertEq(sum, token.TOTAL_SUPPLY());
        assertEq(token.totalSupply(), token.TOTAL_SUPPLY());
    }

    /// @notice A withdrawal finalizes once.
    function invariant_withdrawalFinalizesOnce() public view {
        assertEq(handler.ghostDoubleFinalizations(), 0);
        for (uint256 i; i < handler.finalizedCount(); ++i) {
            assertTrue(portal.finalizedWithdrawals(handler.finalizedHash(i)));
        }
    }

    /// @notice A paused portal refuses deposits and withdrawals.
    function invariant_pausedRefuses() public view {
        assertEq(handler.ghostPausedSuccesses(), 0);
        assertFalse(portal.paused());
    }
}
