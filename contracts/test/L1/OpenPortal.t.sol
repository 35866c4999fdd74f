// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Vm} from "forge-std/Vm.sol";
import {stdError} from "forge-std/StdError.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {OpenPortal} from "../../src/L1/OpenPortal.sol";
import {SettlementInbox} from "../../src/L1/SettlementInbox.sol";
import {Types, Hashing} from "../../src/L1/libraries/Types.sol";
import {MerkleTrie} from "../../src/L1/libraries/MerkleTrie.sol";
import {SafeCall} from "../../src/L1/libraries/SafeCall.sol";
import {AddressAliasHelper} from "../../src/L1/libraries/AddressAliasHelper.sol";
import {MptVectors} from "../vectors/MptVectors.sol";
import {L1Setup, L1TestLib} from "./L1Setup.sol";

/// @dev A contract that deposits: its L2 `from` is its alias.
contract Depositor {
    function deposit(OpenPortal _portal, IERC20 _token, address _to, uint256 _amount) external {
        _token.approve(address(_portal), _amount);
        _portal.depositOpen(_to, _amount, 100_000, "");
    }
}

/// @dev A withdrawal target that records what it saw.
contract Recorder {
    OpenPortal public portal;
    address public seenL2Sender;
    bytes public seenData;
    uint256 public seenBalance;
    uint256 public calls;

    function setPortal(OpenPortal _portal) external {
        portal = _portal;
    }

    fallback() external {
        calls += 1;
        seenL2Sender = portal.l2Sender();
        seenData = msg.data;
        seenBalance = IERC20(address(portal.openToken())).balanceOf(address(this));
    }
}

/// @dev A withdrawal target that tries to finalize another withdrawal from inside the call.
contract Reenterer {
    OpenPortal public portal;
    Types.WithdrawalTransaction internal inner;
    bool public innerReverted;

    function arm(OpenPortal _portal, Types.WithdrawalTransaction memory _inner) external {
        portal = _portal;
        inner = _inner;
    }

    fallback() external {
        try portal.finalizeWithdrawalTransaction(inner) {}
        catch (bytes memory err) {
            // forge-lint: disable-next-line(unsafe-typecast)
            innerReverted = bytes4(err) == OpenPortal.NonReentrant.selector;
        }
    }
}

contract Reverting {
    fallback() external {
        revert("no");
    }
}

contract OpenPortalTest is L1Setup {
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);

    address internal constant CAFE = address(0xcafe);

    function test_constructor() public view {
        assertEq(address(portal.openToken()), address(token));
        assertEq(address(portal.inbox()), address(inbox));
        assertEq(portal.proofMaturityDelay(), PROOF_MATURITY);
        assertEq(portal.maxDepositGasPerL1Block(), MAX_DEPOSIT_GAS);
        assertEq(portal.l2Sender(), 0x000000000000000000000000000000000000dEaD);
        assertEq(portal.guardian(), guardian);
        assertFalse(portal.paused());
        assertEq(portal.totalLocked(), 0);
        assertEq(portal.minimumGasLimit(0), 21_000);
        assertEq(portal.minimumGasLimit(10), 21_160);
    }

    function test_constructor_rejectsZero() public {
        vm.expectRevert(OpenPortal.ZeroAddress.selector);
        new OpenPortal(IERC20(address(0)), inbox, 0, 1);
        vm.expectRevert(OpenPortal.ZeroAddress.selector);
        new OpenPortal(token, SettlementInbox(address(0)), 0, 1);
    }

    // -------------------------------------------------------------------------------------
    // Deposits
    // -------------------------------------------------------------------------------------

    /// @dev The opaque data of OP's version-0 deposit event, spelled out byte by byte.
    function test_depositOpen_eventBytes() public {
        vm.startPrank(alice, alice);
        token.approve(address(portal), 5 ether);
        bytes memory expected = bytes.concat(
            hex"0000000000000000000000000000000000000000000000004563918244f40000", // mint = 5e18
            hex"0000000000000000000000000000000000000000000000004563918244f40000", // value = 5e18
            hex"00000000000186a0", // gasLimit = 100000, 8 bytes
            hex"00", // isCreation = false
            hex"c0ffee" // data
        );
        vm.expectEmit(true, true, true, true, address(portal));
        emit TransactionDeposited(alice, CAFE, 0, expected);
        portal.depositOpen(CAFE, 5 ether, 100_000, hex"c0ffee");
        vm.stopPrank();

        assertEq(token.balanceOf(address(portal)), 5 ether);
        assertEq(portal.totalLocked(), 5 ether);
        assertEq(token.balanceOf(alice), 1_000_000 ether - 5 ether);
    }

    struct Opaque {
        uint256 mint;
        uint256 value;
        uint64 gasLimit;
        bool isCreation;
        bytes data;
    }

    /// @dev Decodes abi.encodePacked(uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes data).
    function _decodeOpaque(bytes memory _opaque) internal pure returns (Opaque memory o) {
        require(_opaque.length >= 73, "short");
        uint256 mint;
        uint256 value;
        uint64 gasLimit;
        bool isCreation;
        assembly {
            mint := mload(add(_opaque, 32))
            value := mload(add(_opaque, 64))
            gasLimit := shr(192, mload(add(_opaque, 96)))
            isCreation := byte(0, mload(add(_opaque, 104)))
        }
        o.mint = mint;
        o.value = value;
        o.gasLimit = gasLimit;
        o.isCreation = isCreation;
        o.data = new bytes(_opaque.length - 73);
        for (uint256 i; i < o.data.length; ++i) {
            o.data[i] = _opaque[73 + i];
        }
    }

    function _lastDeposit() internal returns (address from, address to, uint256 version, bytes memory opaque) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = logs.length; i > 0; --i) {
            Vm.Log memory l = logs[i - 1];
            if (l.emitter == address(portal) && l.topics[0] == TransactionDeposited.selector) {
                from = address(uint160(uint256(l.topics[1])));
                to = address(uint160(uint256(l.topics[2])));
                version = uint256(l.topics[3]);
                opaque = abi.decode(l.data, (bytes));
                return (from, to, version, opaque);
            }
        }
        revert("no deposit event");
    }

    function testFuzz_depositERC20Transaction_roundTrip(
        address _to,
        uint256 _mint,
        uint256 _value,
        uint64 _gasLimit,
        bool _isCreation,
        bytes calldata _data
    ) public {
        if (_isCreation) _to = address(0);
        _mint = bound(_mint, 0, token.balanceOf(alice));
        _gasLimit = uint64(bound(_gasLimit, portal.minimumGasLimit(uint64(_data.length)), MAX_DEPOSIT_GAS));
        // A high L1 base fee keeps the price's burn small (the pricing has its own tests).
        vm.fee(100_000 gwei);

        vm.startPrank(alice, alice);
        token.approve(address(portal), _mint);
        vm.recordLogs();
        portal.depositERC20Transaction(_to, _mint, _value, _gasLimit, _isCreation, _data);
        vm.stopPrank();

        (address from, address to, uint256 version, bytes memory opaque) = _lastDeposit();
        assertEq(from, alice);
        assertEq(to, _to);
        assertEq(version, 0);
        assertEq(opaque.length, 73 + _data.length);
        Opaque memory o = _decodeOpaque(opaque);
        assertEq(o.mint, _mint);
        assertEq(o.value, _value);
        assertEq(o.gasLimit, _gasLimit);
        assertEq(o.isCreation, _isCreation);
        assertEq(o.data, _data);
        assertEq(portal.totalLocked(), _mint);
        assertEq(token.balanceOf(address(portal)), _mint);
    }

    function testFuzz_depositTransaction_mintsNothing(address _to, uint256 _value, bytes calldata _data) public {
        uint64 gasLimit = portal.minimumGasLimit(uint64(_data.length));
        vm.recordLogs();
        vm.prank(alice, alice);
        portal.depositTransaction(_to, _value, gasLimit, false, _data);
        (address from, address to,, bytes memory opaque) = _lastDeposit();
        Opaque memory o = _decodeOpaque(opaque);
        assertEq(from, alice);
        assertEq(to, _to);
        assertEq(o.mint, 0);
        assertEq(o.value, _value);
        assertEq(o.gasLimit, gasLimit);
        assertFalse(o.isCreation);
        assertEq(o.data, _data);
        assertEq(portal.totalLocked(), 0);
    }

    function testFuzz_depositTransaction_refusesEth(uint256 _eth) public {
        _eth = bound(_eth, 1, 100 ether);
        vm.deal(alice, _eth);
        vm.prank(alice, alice);
        vm.expectRevert(OpenPortal.NoValue.selector);
        portal.depositTransaction{value: _eth}(alice, 0, 21_000, false, "");
        // And plain ETH transfers bounce.
        vm.prank(alice);
        (bool ok,) = address(portal).call{value: _eth}("");
        assertFalse(ok);
        assertEq(address(portal).balance, 0);
    }

    function test_deposit_contractSenderIsAliased() public {
        Depositor d = new Depositor();
        vm.prank(holder);
        assertTrue(token.transfer(address(d), 1 ether));
        address alias_ = address(uint160(address(d)) + uint160(0x1111000000000000000000000000000000001111));
        assertEq(AddressAliasHelper.applyL1ToL2Alias(address(d)), alias_);
        assertEq(AddressAliasHelper.undoL1ToL2Alias(alias_), address(d));

        vm.recordLogs();
        vm.prank(alice, alice); // tx.origin = alice, msg.sender = d
        d.deposit(portal, token, CAFE, 1 ether);
        (address from,,,) = _lastDeposit();
        assertEq(from, alias_);
    }

    /// Review finding 5: an EIP-7702-delegated EOA whose deposit is relayed (another account's
    /// transaction runs its delegated code) keeps its address, as OP's `isSenderEOA` decides;
    /// 23 bytes of other code are a contract and are aliased.
    function test_deposit_7702DelegatedEOAIsNotAliased() public {
        address eoa = makeAddr("7702 eoa");
        address relayer = makeAddr("relayer");
        vm.etch(eoa, abi.encodePacked(hex"ef0100", address(0xde1e6a7e)));
        vm.prank(holder);
        assertTrue(token.transfer(eoa, 2 ether));
        vm.prank(eoa);
        token.approve(address(portal), 2 ether);
        vm.recordLogs();
        vm.prank(eoa, relayer);
        portal.depositOpen(CAFE, 1 ether, 100_000, "");
        (address from,,,) = _lastDeposit();
        assertEq(from, eoa);

        vm.etch(eoa, abi.encodePacked(hex"5f5f5f", address(0xde1e6a7e))); // 23 bytes, no designator
        vm.recordLogs();
        vm.prank(eoa, relayer);
        portal.depositOpen(CAFE, 1 ether, 100_000, "");
        (from,,,) = _lastDeposit();
        assertEq(from, AddressAliasHelper.applyL1ToL2Alias(eoa));
    }

    /// Review finding 5: every L2 OPEN is backed by OPEN locked here, the genesis allocation
    /// included. `lockGenesisSupply` locks it once, by the inbox's owner, without a deposit.
    function test_lockGenesisSupply() public {
        vm.prank(holder);
        assertTrue(token.transfer(owner, 100 ether));
        vm.startPrank(owner);
        token.approve(address(portal), 100 ether);
        vm.expectRevert(OpenPortal.NoValue.selector);
        portal.lockGenesisSupply(0);
        vm.recordLogs();
        portal.lockGenesisSupply(60 ether);
        assertEq(vm.getRecordedLogs().length, 2, "GenesisSupplyLocked + Transfer, no deposit");
        vm.expectRevert(OpenPortal.GenesisSupplyAlreadyLocked.selector);
        portal.lockGenesisSupply(1 ether);
        vm.stopPrank();
        assertEq(portal.genesisSupply(), 60 ether);
        assertEq(portal.totalLocked(), 60 ether);
        assertEq(token.balanceOf(address(portal)), 60 ether);
        vm.prank(holder);
        vm.expectRevert(OpenPortal.NotInboxOwner.selector);
        portal.lockGenesisSupply(1 ether);
    }

    function testFuzz_alias_wrapsAround(address _a) public pure {
        address aliased = AddressAliasHelper.applyL1ToL2Alias(_a);
        unchecked {
            assertEq(uint160(aliased), uint160(_a) + uint160(0x1111000000000000000000000000000000001111));
        }
        assertEq(AddressAliasHelper.undoL1ToL2Alias(aliased), _a);
    }

    function test_deposit_creationRules() public {
        vm.startPrank(alice, alice);
        vm.expectRevert(OpenPortal.CreationTargetNotZero.selector);
        portal.depositTransaction(CAFE, 0, 100_000, true, hex"6000");
        portal.depositTransaction(address(0), 0, 100_000, true, hex"6000");
        vm.stopPrank();
    }

    function testFuzz_deposit_gasLimitTooSmall(bytes calldata _data, uint64 _gasLimit) public {
        uint64 min = portal.minimumGasLimit(uint64(_data.length));
        _gasLimit = uint64(bound(_gasLimit, 0, min - 1));
        vm.prank(alice, alice);
        vm.expectRevert(OpenPortal.GasLimitTooSmall.selector);
        portal.depositTransaction(alice, 0, _gasLimit, false, _data);
    }

    function test_deposit_dataTooLarge() public {
        bytes memory data = new bytes(120_001);
        vm.prank(alice, alice);
        vm.expectRevert(OpenPortal.DataTooLarge.selector);
        portal.depositTransaction(alice, 0, 10_000_000, false, data);
        bytes memory max = new bytes(120_000);
        vm.prank(alice, alice);
        portal.depositTransaction(alice, 0, 10_000_000, false, max);
    }

    function test_deposit_gasCapPerL1Block() public {
        vm.roll(10);
        vm.startPrank(alice, alice);
        portal.depositTransaction(alice, 0, MAX_DEPOSIT_GAS - 21_000, false, "");
        portal.depositTransaction(alice, 0, 21_000, false, "");
        vm.expectRevert(OpenPortal.DepositGasLimitExceeded.selector);
        portal.depositTransaction(alice, 0, 21_000, false, "");
        (, uint64 used, uint64 blockNumber) = portal.params();
        assertEq(blockNumber, 10);
        assertEq(used, MAX_DEPOSIT_GAS);

        // The next L1 block starts afresh.
        vm.roll(11);
        portal.depositTransaction(alice, 0, MAX_DEPOSIT_GAS, false, "");
        vm.roll(12);
        vm.expectRevert(OpenPortal.DepositGasLimitExceeded.selector);
        portal.depositTransaction(alice, 0, MAX_DEPOSIT_GAS + 1, false, "");
        vm.stopPrank();
    }

    function test_deposit_needsAllowanceAndBalance() public {
        vm.startPrank(alice, alice);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(portal), 0, 1 ether)
        );
        portal.depositOpen(alice, 1 ether, 100_000, "");
        token.approve(address(portal), type(uint256).max);
        uint256 tooMuch = token.balanceOf(alice) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, alice, tooMuch - 1, tooMuch)
        );
        portal.depositOpen(alice, tooMuch, 100_000, "");
        vm.stopPrank();
        assertEq(portal.totalLocked(), 0);
    }

    // -------------------------------------------------------------------------------------
    // Pause
    // -------------------------------------------------------------------------------------

    function testFuzz_pause_onlyGuardian(address _caller) public {
        vm.assume(_caller != guardian);
        vm.prank(_caller);
        vm.expectRevert(OpenPortal.NotGuardian.selector);
        portal.pause();
        vm.prank(guardian);
        portal.pause();
        vm.prank(_caller);
        vm.expectRevert(OpenPortal.NotGuardian.selector);
        portal.unpause();
        assertTrue(portal.paused());
    }

    function test_pause_followsInboxGuardian() public {
        address next = makeAddr("next guardian");
        vm.prank(owner);
        inbox.setGuardian(next);
        vm.prank(guardian);
        vm.expectRevert(OpenPortal.NotGuardian.selector);
        portal.pause();
        vm.prank(next);
        portal.pause();
        assertTrue(portal.paused());
    }

    function test_paused_refusesDepositsAndWithdrawals() public {
        // A proven withdrawal, ready to finalize.
        (Types.WithdrawalTransaction memory w,) = _provenFixture(1 ether, "");
        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);

        vm.prank(guardian);
        portal.pause();

        vm.startPrank(alice, alice);
        token.approve(address(portal), 1 ether);
        vm.expectRevert(OpenPortal.PortalPaused.selector);
        portal.depositOpen(alice, 1 ether, 100_000, "");
        vm.expectRevert(OpenPortal.PortalPaused.selector);
        portal.depositERC20Transaction(alice, 1 ether, 1 ether, 100_000, false, "");
        vm.expectRevert(OpenPortal.PortalPaused.selector);
        portal.depositTransaction(alice, 0, 100_000, false, "");
        vm.expectRevert(OpenPortal.PortalPaused.selector);
        portal.finalizeWithdrawalTransaction(w);
        vm.stopPrank();

        (bytes32 root, bytes[] memory proof) = L1TestLib.singleLeafProof(Hashing.hashWithdrawal(w));
        vm.expectRevert(OpenPortal.PortalPaused.selector);
        portal.proveWithdrawalTransaction(w, 0, L1TestLib.outputRootProof(0, root, 0), proof);

        vm.prank(guardian);
        portal.unpause();
        portal.finalizeWithdrawalTransaction(w);
        assertTrue(portal.finalizedWithdrawals(Hashing.hashWithdrawal(w)));
    }

    // -------------------------------------------------------------------------------------
    // Withdrawals: the anvil storage trie
    // -------------------------------------------------------------------------------------

    function _anvilOutput() internal pure returns (Types.OutputRootProof memory) {
        return L1TestLib.outputRootProof(MptVectors.STATE_ROOT, MptVectors.STORAGE_ROOT, MptVectors.BLOCK_HASH);
    }

    /// @dev Locks enough OPEN and records the anvil block's output at L2 block 1.
    function _setUpAnvilOutput() internal returns (uint256 index) {
        _depositOpen(alice, alice, 100 ether);
        index = _propose(Hashing.hashOutputRootProof(_anvilOutput()), 1);
    }

    function test_withdrawal_anvilVectors_endToEnd() public {
        uint256 index = _setUpAnvilOutput();
        uint256 total;
        for (uint256 i; i < MptVectors.WITHDRAWALS; ++i) {
            MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(i);
            vm.expectEmit(true, true, true, true, address(portal));
            emit WithdrawalProven(v.withdrawalHash, v.withdrawal.sender, v.withdrawal.target);
            // Alternate the two proof forms.
            portal.proveWithdrawalTransaction(
                v.withdrawal, index, _anvilOutput(), i % 2 == 0 ? v.proof : v.proofCompact
            );
            (bytes32 root, uint128 ts, uint128 idx) = portal.provenWithdrawals(v.withdrawalHash);
            assertEq(root, inbox.getOutput(index).outputRoot);
            assertEq(ts, block.timestamp);
            assertEq(idx, index);
            total += v.withdrawal.value;
        }

        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);
        for (uint256 i; i < MptVectors.WITHDRAWALS; ++i) {
            MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(i);
            vm.expectEmit(true, true, true, true, address(portal));
            emit WithdrawalFinalized(v.withdrawalHash, true);
            portal.finalizeWithdrawalTransaction(v.withdrawal);
            assertTrue(portal.finalizedWithdrawals(v.withdrawalHash));
        }
        assertEq(token.balanceOf(CAFE), total);
        assertEq(portal.totalLocked(), 100 ether - total);
        assertEq(token.balanceOf(address(portal)), 100 ether - total);
    }

    function test_withdrawal_finalizesOnce() public {
        uint256 index = _setUpAnvilOutput();
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(0);
        portal.proveWithdrawalTransaction(v.withdrawal, index, _anvilOutput(), v.proof);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);
        portal.finalizeWithdrawalTransaction(v.withdrawal);

        vm.expectRevert(OpenPortal.AlreadyFinalized.selector);
        portal.finalizeWithdrawalTransaction(v.withdrawal);
        // Proving again does not reopen it.
        vm.expectRevert(OpenPortal.AlreadyProven.selector);
        portal.proveWithdrawalTransaction(v.withdrawal, index, _anvilOutput(), v.proof);
        assertEq(token.balanceOf(CAFE), v.withdrawal.value);
    }

    function test_withdrawal_tamperedProofRejected() public {
        uint256 index = _setUpAnvilOutput();
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(5);
        bytes[] memory proof = v.proof;
        bytes memory last = proof[proof.length - 1];
        last[last.length - 1] = bytes1(uint8(last[last.length - 1]) ^ 0x01); // the value byte
        vm.expectRevert();
        portal.proveWithdrawalTransaction(v.withdrawal, index, _anvilOutput(), proof);

        // The right proof of a different withdrawal (value changed) does not verify.
        v = MptVectors.withdrawal(5);
        v.withdrawal.value += 1;
        vm.expectRevert();
        portal.proveWithdrawalTransaction(v.withdrawal, index, _anvilOutput(), v.proof);
        assertEq(token.balanceOf(CAFE), 0);
    }

    function test_withdrawal_outputRootProofChecked() public {
        uint256 index = _setUpAnvilOutput();
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(2);

        Types.OutputRootProof memory bad = _anvilOutput();
        bad.stateRoot = keccak256("other state");
        vm.expectRevert(OpenPortal.InvalidOutputRootProof.selector);
        portal.proveWithdrawalTransaction(v.withdrawal, index, bad, v.proof);

        bad = _anvilOutput();
        bad.version = bytes32(uint256(1));
        vm.expectRevert(OpenPortal.InvalidOutputRootVersion.selector);
        portal.proveWithdrawalTransaction(v.withdrawal, index, bad, v.proof);

        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.OutputNotFound.selector, index + 1));
        portal.proveWithdrawalTransaction(v.withdrawal, index + 1, _anvilOutput(), v.proof);
    }

    function test_withdrawal_waitsForOutputAndMaturity() public {
        vm.warp(1_000_000);
        uint256 index = _setUpAnvilOutput();
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(3);

        vm.expectRevert(OpenPortal.NotProven.selector);
        portal.finalizeWithdrawalTransaction(v.withdrawal);

        // Proven a quarter into the output's challenge window; matures before the output does.
        uint256 provenAt = 1_000_000 + CHALLENGE_WINDOW / 4;
        assertLt(provenAt + PROOF_MATURITY, 1_000_000 + CHALLENGE_WINDOW);
        vm.warp(provenAt);
        portal.proveWithdrawalTransaction(v.withdrawal, index, _anvilOutput(), v.proof);

        vm.warp(provenAt + PROOF_MATURITY - 1);
        vm.expectRevert(OpenPortal.ProofNotMature.selector);
        portal.finalizeWithdrawalTransaction(v.withdrawal);

        vm.warp(provenAt + PROOF_MATURITY);
        vm.expectRevert(OpenPortal.OutputNotFinalized.selector);
        portal.finalizeWithdrawalTransaction(v.withdrawal);

        vm.warp(1_000_000 + CHALLENGE_WINDOW);
        portal.finalizeWithdrawalTransaction(v.withdrawal);
        assertEq(token.balanceOf(CAFE), v.withdrawal.value);
    }

    function test_withdrawal_deletedOutputInvalidatesProof() public {
        uint256 index = _setUpAnvilOutput();
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(4);
        portal.proveWithdrawalTransaction(v.withdrawal, index, _anvilOutput(), v.proof);

        // The guardian challenges the output; the proof dies with it.
        vm.prank(guardian);
        inbox.deleteOutputs(index);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);
        vm.expectRevert(OpenPortal.OutputChanged.selector);
        portal.finalizeWithdrawalTransaction(v.withdrawal);

        // A different output at the same index: still not the one proven against.
        uint256 again = _propose(keccak256("another output"), 1);
        assertEq(again, index);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        vm.expectRevert(OpenPortal.OutputChanged.selector);
        portal.finalizeWithdrawalTransaction(v.withdrawal);

        // A later output whose message passer holds the withdrawal (same storage root, a later
        // block): the withdrawal is proven again with a fresh clock and finalized.
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.OutputFinalized.selector, again));
        inbox.deleteOutputs(again);
        Types.OutputRootProof memory later =
            L1TestLib.outputRootProof(MptVectors.STATE_ROOT, MptVectors.STORAGE_ROOT, keccak256("block 2"));
        uint256 honest = _propose(Hashing.hashOutputRootProof(later), 2);
        portal.proveWithdrawalTransaction(v.withdrawal, honest, later, v.proof);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);
        portal.finalizeWithdrawalTransaction(v.withdrawal);
        assertEq(token.balanceOf(CAFE), v.withdrawal.value);
    }

    /// Review finding 3: after `deleteOutputs` the proposer resubmitted the same signed root at
    /// the same index, and a withdrawal proven against the deleted output finalized on its old
    /// maturity clock. A deleted root is refused at every index, with any attestation.
    function test_withdrawal_deletedRootNeverReturns() public {
        uint256 index = _setUpAnvilOutput();
        bytes32 root = Hashing.hashOutputRootProof(_anvilOutput());
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(5);
        portal.proveWithdrawalTransaction(v.withdrawal, index, _anvilOutput(), v.proof);
        bytes memory sameAttestation = _attest(proverKey, address(inbox), root, 1);

        vm.prank(guardian);
        inbox.deleteOutputs(index);
        assertTrue(inbox.deletedOutputRoots(root));
        vm.startPrank(proposer);
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.OutputRootDeleted.selector, root));
        inbox.proposeOutput(root, 1, bytes32(0), 0, sameAttestation);
        bytes memory laterAttestation = _attestAt(proverKey, address(inbox), index + 1, root, 2);
        vm.stopPrank();
        _propose(keccak256("another output"), 1);
        vm.prank(proposer);
        vm.expectRevert(abi.encodeWithSelector(SettlementInbox.OutputRootDeleted.selector, root));
        inbox.proposeOutput(root, 2, bytes32(0), 0, laterAttestation);

        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);
        vm.expectRevert(OpenPortal.OutputChanged.selector);
        portal.finalizeWithdrawalTransaction(v.withdrawal);
    }

    function test_withdrawal_cannotReproveAgainstLiveOutput() public {
        uint256 index = _setUpAnvilOutput();
        MptVectors.WithdrawalVector memory v = MptVectors.withdrawal(6);
        portal.proveWithdrawalTransaction(v.withdrawal, index, _anvilOutput(), v.proof);
        uint256 later = _propose(Hashing.hashOutputRootProof(_anvilOutput()), 2);
        vm.expectRevert(OpenPortal.AlreadyProven.selector);
        portal.proveWithdrawalTransaction(v.withdrawal, later, _anvilOutput(), v.proof);
    }

    // -------------------------------------------------------------------------------------
    // Withdrawals: one-leaf tries for arbitrary withdrawals
    // -------------------------------------------------------------------------------------

    /// @dev Locks `_value` OPEN, records an output whose message passer holds only `w`, proves it.
    function _provenFixture(uint256 _value, bytes memory _data)
        internal
        returns (Types.WithdrawalTransaction memory w, uint256 index)
    {
        w = Types.WithdrawalTransaction({
            nonce: 1 << 240, sender: alice, target: CAFE, value: _value, gasLimit: 100_000, data: _data
        });
        return _proveFixture(w);
    }

    function _proveFixture(Types.WithdrawalTransaction memory w)
        internal
        returns (Types.WithdrawalTransaction memory, uint256 index)
    {
        if (w.value > portal.totalLocked()) _depositOpen(holder, holder, w.value - portal.totalLocked());
        (bytes32 storageRoot, bytes[] memory proof) = L1TestLib.singleLeafProof(Hashing.hashWithdrawal(w));
        Types.OutputRootProof memory orp =
            L1TestLib.outputRootProof(keccak256("state"), storageRoot, keccak256("block"));
        index = _propose(Hashing.hashOutputRootProof(orp), inbox.latestBlockNumber() + 1);
        portal.proveWithdrawalTransaction(w, index, orp, proof);
        return (w, index);
    }

    function testFuzz_withdrawal_anyWithdrawalOnce(
        uint256 _nonce,
        address _sender,
        uint256 _value,
        uint256 _gasLimit,
        address _target
    ) public {
        vm.assume(_target != address(portal) && _target != address(token) && _target != address(0));
        vm.assume(_target.code.length == 0 && uint160(_target) > 0x100); // an EOA, no precompile
        _value = bound(_value, 0, 1_000_000 ether);
        Types.WithdrawalTransaction memory w = Types.WithdrawalTransaction({
            nonce: _nonce,
            sender: _sender,
            target: _target,
            value: _value,
            gasLimit: bound(_gasLimit, 0, 1_000_000),
            data: ""
        });
        _proveFixture(w);
        uint256 before = token.balanceOf(_target);
        uint256 locked = portal.totalLocked();
        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);
        portal.finalizeWithdrawalTransaction(w);
        assertEq(token.balanceOf(_target), before + _value);
        assertEq(portal.totalLocked(), locked - _value);
        vm.expectRevert(OpenPortal.AlreadyFinalized.selector);
        portal.finalizeWithdrawalTransaction(w);
    }

    function test_withdrawal_badTargets() public {
        Types.WithdrawalTransaction memory w = Types.WithdrawalTransaction({
            nonce: 1 << 240, sender: alice, target: address(portal), value: 0, gasLimit: 100_000, data: ""
        });
        (bytes32 root, bytes[] memory proof) = L1TestLib.singleLeafProof(Hashing.hashWithdrawal(w));
        vm.expectRevert(OpenPortal.BadTarget.selector);
        portal.proveWithdrawalTransaction(w, 0, L1TestLib.outputRootProof(0, root, 0), proof);
        w.target = address(token);
        vm.expectRevert(OpenPortal.BadTarget.selector);
        portal.proveWithdrawalTransaction(w, 0, L1TestLib.outputRootProof(0, root, 0), proof);
    }

    function test_withdrawal_neverReleasesMoreThanLocked() public {
        _depositOpen(alice, alice, 1 ether);
        Types.WithdrawalTransaction memory w = Types.WithdrawalTransaction({
            nonce: 1 << 240, sender: alice, target: CAFE, value: 2 ether, gasLimit: 100_000, data: ""
        });
        (bytes32 storageRoot, bytes[] memory proof) = L1TestLib.singleLeafProof(Hashing.hashWithdrawal(w));
        Types.OutputRootProof memory orp = L1TestLib.outputRootProof(0, storageRoot, 0);
        uint256 index = _propose(Hashing.hashOutputRootProof(orp), 1);
        portal.proveWithdrawalTransaction(w, index, orp, proof);
        // OPEN sent straight to the portal is not locked against L2 supply.
        vm.prank(holder);
        assertTrue(token.transfer(address(portal), 5 ether));
        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);
        vm.expectRevert(stdError.arithmeticError);
        portal.finalizeWithdrawalTransaction(w);
    }

    function test_withdrawal_callsTargetWithL2Sender() public {
        Recorder r = new Recorder();
        r.setPortal(portal);
        Types.WithdrawalTransaction memory w = Types.WithdrawalTransaction({
            nonce: 1 << 240,
            sender: makeAddr("l2 contract"),
            target: address(r),
            value: 3 ether,
            gasLimit: 200_000,
            data: hex"12345678"
        });
        _proveFixture(w);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);
        vm.expectEmit(true, true, true, true, address(portal));
        emit WithdrawalFinalized(Hashing.hashWithdrawal(w), true);
        portal.finalizeWithdrawalTransaction(w);
        assertEq(r.calls(), 1);
        assertEq(r.seenL2Sender(), w.sender);
        assertEq(r.seenData(), hex"12345678");
        assertEq(r.seenBalance(), 3 ether); // OPEN arrives before the call
        assertEq(portal.l2Sender(), 0x000000000000000000000000000000000000dEaD);
    }

    function test_withdrawal_failedCallStillFinalizes() public {
        Reverting t = new Reverting();
        Types.WithdrawalTransaction memory w = Types.WithdrawalTransaction({
            nonce: 1 << 240, sender: alice, target: address(t), value: 1 ether, gasLimit: 100_000, data: hex"01"
        });
        _proveFixture(w);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);

        // A gas estimation (tx.origin = address(1)) sees the failure as a revert.
        vm.prank(alice, address(1));
        vm.expectRevert(OpenPortal.GasEstimation.selector);
        portal.finalizeWithdrawalTransaction(w);

        vm.expectEmit(true, true, true, true, address(portal));
        emit WithdrawalFinalized(Hashing.hashWithdrawal(w), false);
        portal.finalizeWithdrawalTransaction(w);
        assertTrue(portal.finalizedWithdrawals(Hashing.hashWithdrawal(w)));
        assertEq(token.balanceOf(address(t)), 1 ether);
    }

    function test_withdrawal_notEnoughGasReverts() public {
        Recorder r = new Recorder();
        r.setPortal(portal);
        Types.WithdrawalTransaction memory w = Types.WithdrawalTransaction({
            nonce: 1 << 240, sender: alice, target: address(r), value: 0, gasLimit: 500_000, data: hex"01"
        });
        _proveFixture(w);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);
        vm.expectRevert(SafeCall.SafeCallNotEnoughGas.selector);
        portal.finalizeWithdrawalTransaction{gas: 400_000}(w);
        assertFalse(portal.finalizedWithdrawals(Hashing.hashWithdrawal(w)));
        portal.finalizeWithdrawalTransaction{gas: 700_000}(w);
        assertEq(r.calls(), 1);
    }

    function test_withdrawal_reentrancyRefused() public {
        Reenterer t = new Reenterer();
        Types.WithdrawalTransaction memory inner = Types.WithdrawalTransaction({
            nonce: (1 << 240) | 1, sender: alice, target: CAFE, value: 1 ether, gasLimit: 100_000, data: ""
        });
        Types.WithdrawalTransaction memory outer = Types.WithdrawalTransaction({
            nonce: 1 << 240, sender: alice, target: address(t), value: 0, gasLimit: 300_000, data: hex"01"
        });
        t.arm(portal, inner);
        _proveFixture(inner);
        _proveFixture(outer);
        vm.warp(block.timestamp + CHALLENGE_WINDOW + PROOF_MATURITY);

        vm.expectEmit(true, true, true, true, address(portal));
        emit WithdrawalFinalized(Hashing.hashWithdrawal(outer), true);
        portal.finalizeWithdrawalTransaction(outer);
        assertTrue(t.innerReverted());
        assertFalse(portal.finalizedWithdrawals(Hashing.hashWithdrawal(inner)));
        // Outside, the inner one finalizes normally.
        portal.finalizeWithdrawalTransaction(inner);
        assertEq(token.balanceOf(CAFE), 1 ether);
    }

    function test_withdrawal_proofForOtherSlotRejected() public {
        // A one-leaf trie for withdrawal A does not prove withdrawal B.
        (Types.WithdrawalTransaction memory a,) = _provenFixture(1 ether, "");
        Types.WithdrawalTransaction memory b = Types.WithdrawalTransaction({
            nonce: a.nonce + 1, sender: a.sender, target: a.target, value: a.value, gasLimit: a.gasLimit, data: a.data
        });
        (bytes32 storageRoot, bytes[] memory proof) = L1TestLib.singleLeafProof(Hashing.hashWithdrawal(a));
        Types.OutputRootProof memory orp =
            L1TestLib.outputRootProof(keccak256("state"), storageRoot, keccak256("block"));
        uint256 index = inbox.latestOutputIndex();
        assertEq(inbox.getOutput(index).outputRoot, Hashing.hashOutputRootProof(orp));
        vm.expectRevert(abi.encodeWithSelector(MerkleTrie.MerkleTrieKeyMismatch.selector, 1));
        portal.proveWithdrawalTransaction(b, index, orp, proof);
    }
}
