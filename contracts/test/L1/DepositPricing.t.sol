// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {OpenToken} from "../../src/L1/OpenToken.sol";
import {OpenPortal} from "../../src/L1/OpenPortal.sol";
import {SettlementInbox} from "../../src/L1/SettlementInbox.sol";
import {L1Setup} from "./L1Setup.sol";

/// @dev Buys deposit gas from a contract, as a censor topping up a block's budget would.
contract BudgetFiller {
    function fill(OpenPortal _portal, uint64 _gasLimit) external {
        _portal.depositTransaction(address(this), 0, _gasLimit, false, "");
    }
}

/// @dev Deposits through any entry point from a contract (`from` is then its alias); measures the
///      L1 gas of the portal call alone.
contract ContractDepositor {
    function deposit(OpenPortal _portal, IERC20 _token, uint8 _entry, uint64 _gasLimit, bytes calldata _data)
        external
        returns (uint256 gas_)
    {
        _token.approve(address(_portal), 1 ether);
        uint256 g = gasleft();
        if (_entry == 0) {
            _portal.depositTransaction(address(this), 0, _gasLimit, false, _data);
        } else if (_entry == 1) {
            _portal.depositOpen(address(this), 1 ether, _gasLimit, _data);
        } else {
            _portal.depositERC20Transaction(address(this), 1 ether, 0, _gasLimit, false, _data);
        }
        gas_ = g - gasleft();
    }
}

/// @notice An independent model of the deposit gas market, written from OP's ResourceMetering
///         spec one L1 block at a time: base fee `b`, target `t = cap / 10`, gas bought `g` in the
///         last block with deposits. Next block: `b + b * (g - t) / (8t)` (the change rounded
///         towards 0);
///         every further block without deposits: `b - b / 8`, rounded down once per block (the
///         portal instead raises 7/8 to a power in fixed point, so the two may differ by a few
///         wei). Clamped to [1 gwei, 2^128 - 1].
library MarketModel {
    uint256 internal constant MIN = 1 gwei;
    uint256 internal constant MAX = type(uint128).max;

    function clamp(uint256 _fee) internal pure returns (uint256) {
        return _fee < MIN ? MIN : (_fee > MAX ? MAX : _fee);
    }

    /// @dev Base fee `_blocks` (>= 1) L1 blocks after a block with fee `_fee` where `_bought` of
    ///      `_cap` was bought, no deposit in between.
    function next(uint256 _fee, uint256 _bought, uint256 _cap, uint256 _blocks) internal pure returns (uint256) {
        uint256 t = _cap / 10;
        uint256 fee = clamp(_bought > t ? _fee + _fee * (_bought - t) / (t * 8) : _fee - _fee * (t - _bought) / (t * 8));
        // After 600 empty blocks any fee is at the minimum: (7/8)^600 * 2^128 < 1.
        for (uint256 i = 1; i < _blocks && i < 600; ++i) {
            fee = fee - fee / 8;
        }
        return clamp(fee);
    }

    /// @dev L1 gas a deposit of `_gasLimit` must burn (in all) at deposit base fee `_fee`.
    function price(uint256 _gasLimit, uint256 _fee, uint256 _l1BaseFee) internal pure returns (uint256) {
        return _gasLimit * _fee / (_l1BaseFee > 1 gwei ? _l1BaseFee : 1 gwei);
    }

    /// @dev Whether `_a` and `_b` agree within 1e-12 relative plus 16 wei (per-block rounding).
    function close(uint256 _a, uint256 _b) internal pure returns (bool) {
        uint256 d = _a > _b ? _a - _b : _b - _a;
        return d <= 16 + (_a > _b ? _a : _b) / 1e12;
    }
}

/// @notice Issue 12, finding 1: the per-L1-block deposit budget must not be buyable for free.
contract DepositCensorshipTest is L1Setup {
    address internal attacker = makeAddr("attacker");

    /// @dev The attack: one deposit takes the whole L2 gas budget of its L1 block, so every later
    ///      deposit of that block reverts. The property: the attacker burnt at least the L2 gas it
    ///      bought at the deposit base fee, converted to L1 gas at max(L1 base fee, 1 gwei).
    ///      At the start the deposit base fee is its minimum (1 gwei) and the L1 base fee 1 gwei,
    ///      so filling the 20M budget must burn 20M L1 gas (0.02 ETH at 1 gwei). Before the fix
    ///      it cost 35,099 gas.
    function test_attack_fillingTheDepositBudgetCostsItsL2Gas() public {
        vm.fee(1 gwei);
        vm.roll(block.number + 1);

        vm.prank(attacker, attacker);
        uint256 g = gasleft();
        portal.depositTransaction(attacker, 0, MAX_DEPOSIT_GAS, false, "");
        uint256 attackerGas = g - gasleft();
        emit log_named_uint("attacker's L1 gas to fill the 20M budget", attackerGas);

        // The budget is gone for this L1 block: an honest deposit reverts (the cap is kept).
        vm.prank(alice, alice);
        vm.expectRevert(OpenPortal.DepositGasLimitExceeded.selector);
        portal.depositTransaction(alice, 0, 100_000, false, "");

        // ...but it was paid for: at least gasLimit * 1 gwei / 1 gwei of L1 gas.
        assertGe(attackerGas, uint256(MAX_DEPOSIT_GAS), "the budget was bought below its price");
    }

    /// @dev Sustained censorship: a contract fills the budget in consecutive L1 blocks. Each full
    ///      block multiplies the deposit base fee by 2.125 (OP's defaults: target = cap / 10,
    ///      change denominator 8), so the L1 gas burnt per block grows as 20M * 2.125^k at an L1
    ///      base fee of 1 gwei: 42.5M in the second block, 90.3M in the third, more than any L1
    ///      block holds (60M), so the censor cannot keep the budget full for long. Before the fix
    ///      every block cost the censor about 35.6k gas.
    function test_attack_sustainedCensorshipCostGrowsExponentially() public {
        BudgetFiller filler = new BudgetFiller();
        vm.fee(1 gwei);
        uint256 fee = 1 gwei; // independent model of the deposit base fee
        uint256 lastBlockGas;
        for (uint256 k; k < 3; ++k) {
            vm.roll(block.number + 1);
            vm.prank(attacker, attacker);
            uint256 g = gasleft();
            filler.fill(portal, MAX_DEPOSIT_GAS);
            lastBlockGas = g - gasleft();
            emit log_named_uint("censor's L1 gas, block", k);
            emit log_named_uint("  gas", lastBlockGas);
            assertGe(
                lastBlockGas, MarketModel.price(MAX_DEPOSIT_GAS, fee, 1 gwei), "a full block was bought below its price"
            );
            // A full block: fee += fee * (cap - target) / (target * 8) = fee * 9 / 8.
            fee += fee * 9 / 8;
        }
        assertGt(lastBlockGas, 60_000_000, "the third full block fits an L1 block");
    }
}

/// @notice The deposit gas market itself: OP's ResourceMetering parameters and update rule, the
///         price a deposit pays, and that honest deposits stay cheap at the minimum base fee.
contract DepositPricingTest is L1Setup {
    /// @dev An L1 base fee at which burns are small (keeps the tests fast); prices scale with it.
    uint256 internal constant HIGH_L1_BASE_FEE = 100_000 gwei;

    BudgetFiller internal filler;

    function setUp() public override {
        super.setUp();
        filler = new BudgetFiller();
        vm.startPrank(alice, alice);
        token.approve(address(portal), type(uint256).max);
        vm.stopPrank();
    }

    function _params() internal view returns (uint256 fee_, uint256 bought_, uint256 blockNum_) {
        (uint128 f, uint64 b, uint64 n) = portal.params();
        (fee_, bought_, blockNum_) = (f, b, n);
    }

    /// @dev Sets the market's state (slot 2, packed like OP's ResourceParams).
    function _setParams(uint256 _fee, uint256 _bought, uint256 _blockNum) internal {
        vm.store(address(portal), bytes32(uint256(2)), bytes32((_blockNum << 192) | (_bought << 128) | _fee));
        (uint256 f, uint256 b, uint256 n) = _params();
        assertEq(f, _fee);
        assertEq(b, _bought);
        assertEq(n, _blockNum);
    }

    function test_config() public {
        assertEq(portal.ELASTICITY_MULTIPLIER(), 10);
        assertEq(portal.BASE_FEE_MAX_CHANGE_DENOMINATOR(), 8);
        assertEq(portal.MINIMUM_BASE_FEE(), 1 gwei);
        assertEq(portal.MAXIMUM_BASE_FEE(), type(uint128).max);
        assertEq(portal.maxDepositGasPerL1Block(), 20_000_000);
        // OP's initial state: the minimum base fee, nothing bought, the deployment's block.
        OpenPortal p = new OpenPortal(token, inbox, 0, 20_000_000);
        (uint128 fee, uint64 bought, uint64 blockNum) = p.params();
        assertEq(fee, 1 gwei);
        assertEq(bought, 0);
        assertEq(blockNum, block.number);
        assertEq(p.depositBaseFee(), 1 gwei);
        // The cap must leave room for one deposit and be a multiple of the elasticity.
        vm.expectRevert(OpenPortal.InvalidResourceConfig.selector);
        new OpenPortal(token, inbox, 0, 20_000_001);
        vm.expectRevert(OpenPortal.InvalidResourceConfig.selector);
        new OpenPortal(token, inbox, 0, 20_990);
        vm.expectRevert(OpenPortal.InvalidResourceConfig.selector);
        new OpenPortal(token, inbox, 0, 0);
        new OpenPortal(token, inbox, 0, 21_000);
    }

    /// @dev OP's own vector (ResourceMetering.t.sol, test_meter_useMax_succeeds): after a block
    ///      that bought the whole 20M, the base fee is 2,125,000,000.
    function test_baseFee_opVectorAfterFullBlock() public {
        vm.fee(HIGH_L1_BASE_FEE);
        vm.roll(block.number + 1);
        filler.fill(portal, MAX_DEPOSIT_GAS);
        assertEq(portal.depositBaseFee(), 1 gwei);
        vm.roll(block.number + 1);
        assertEq(portal.depositBaseFee(), 2_125_000_000);
    }

    /// @dev Full blocks in a row: the base fee rises by 112.5% per block, exactly as the model
    ///      (the same EIP-1559 step, computed independently) and as stored in `params`.
    function test_baseFee_risesUnderFullBlocks() public {
        vm.fee(HIGH_L1_BASE_FEE);
        uint256 model = 1 gwei;
        for (uint256 k; k < 12; ++k) {
            vm.roll(block.number + 1);
            assertEq(portal.depositBaseFee(), model, "view");
            filler.fill(portal, MAX_DEPOSIT_GAS);
            (uint256 fee, uint256 bought, uint256 blockNum) = _params();
            assertEq(fee, model, "stored");
            assertEq(bought, MAX_DEPOSIT_GAS);
            assertEq(blockNum, block.number);
            model = MarketModel.next(model, MAX_DEPOSIT_GAS, MAX_DEPOSIT_GAS, 1);
        }
        // 2.125^12 = 8,419 (rounded down at each step).
        assertGt(model, 8_400 gwei);
        emit log_named_uint("deposit base fee after 12 full blocks (wei)", model);
    }

    /// @dev At the target (cap / 10) the fee stays; below it, it falls; the minimum holds.
    function test_baseFee_targetAndMinimum() public {
        vm.fee(HIGH_L1_BASE_FEE);
        _setParams(10 gwei, 0, block.number);
        filler.fill(portal, MAX_DEPOSIT_GAS / 10);
        vm.roll(block.number + 1);
        assertEq(portal.depositBaseFee(), 10 gwei, "target: unchanged");
        filler.fill(portal, MAX_DEPOSIT_GAS / 20);
        vm.roll(block.number + 1);
        assertEq(portal.depositBaseFee(), 10 gwei - 10 gwei / 16, "half the target: -6.25%");
        // From the minimum, under-target blocks keep it at the minimum.
        _setParams(1 gwei, 21_000, block.number);
        vm.roll(block.number + 1);
        assertEq(portal.depositBaseFee(), 1 gwei);
    }

    /// @dev After the demand stops, each empty L1 block takes 1/8 off: the view, then the stored
    ///      value after the next deposit, match the block-by-block model for gaps of 1 to 100,000
    ///      blocks (512 and more: always the minimum).
    function test_baseFee_decaysAfterEmptyBlocks() public {
        vm.fee(HIGH_L1_BASE_FEE);
        uint256[10] memory gaps = [uint256(1), 2, 3, 5, 10, 37, 100, 511, 512, 100_000];
        for (uint256 i; i < gaps.length; ++i) {
            // A full block at a high base fee, then `gaps[i] - 1` empty blocks.
            uint256 start = 1_000_000 gwei + i;
            _setParams(start, MAX_DEPOSIT_GAS, block.number);
            uint256 model = MarketModel.next(start, MAX_DEPOSIT_GAS, MAX_DEPOSIT_GAS, gaps[i]);
            vm.roll(block.number + gaps[i]);
            uint256 fee = portal.depositBaseFee();
            assertTrue(MarketModel.close(fee, model), "decay differs from the model");
            vm.prank(alice, alice);
            portal.depositTransaction(alice, 0, 21_000, false, "");
            (uint256 stored,,) = _params();
            assertEq(stored, fee);
            emit log_named_uint("empty-block gap", gaps[i]);
            emit log_named_uint("  fee", fee);
            emit log_named_uint("  model", model);
        }
        // A long idle period brings the highest fee back to the minimum.
        _setParams(type(uint128).max, 0, block.number);
        vm.roll(block.number + 512);
        assertEq(portal.depositBaseFee(), 1 gwei);
    }

    /// @dev Any sequence of blocks with any demand: the portal's base fee follows the model.
    function testFuzz_baseFee_followsModel(uint64[8] calldata _bought, uint8[8] calldata _gaps) public {
        vm.fee(HIGH_L1_BASE_FEE);
        uint256 model = 1 gwei;
        uint256 lastBought = 0;
        for (uint256 i; i < 8; ++i) {
            uint256 gap = bound(_gaps[i], 1, 40);
            model = MarketModel.next(model, lastBought, MAX_DEPOSIT_GAS, gap);
            vm.roll(block.number + gap);
            uint256 fee = portal.depositBaseFee();
            assertTrue(MarketModel.close(fee, model), "base fee differs from the model");
            model = fee; // continue from the portal's value (the model's rounding may differ by wei)
            uint64 bought = uint64(bound(_bought[i], 0, MAX_DEPOSIT_GAS));
            if (bought >= 21_000) filler.fill(portal, bought);
            else bought = 0;
            lastBought = bought;
        }
    }

    /// @dev Honest deposits at the minimum base fee: a deposit's own work counts towards its
    ///      price, so one whose gas limit is below its L1 work burns nothing, and a 100k deposit
    ///      costs about 100k L1 gas in all (at an L1 base fee up to 1 gwei). The fee stays at the
    ///      minimum while blocks stay under the target.
    function test_honestDeposits_atMinimumBaseFee() public {
        vm.fee(1 gwei);
        for (uint256 k; k < 5; ++k) {
            vm.roll(block.number + 1);
            assertEq(portal.depositBaseFee(), 1 gwei);
            vm.startPrank(alice, alice);
            uint256 g = gasleft();
            portal.depositTransaction(alice, 0, 21_000, false, "");
            uint256 small = g - gasleft();
            g = gasleft();
            portal.depositOpen(alice, 1 ether, 100_000, "");
            uint256 open = g - gasleft();
            vm.stopPrank();
            assertLt(small, 40_000, "a minimal deposit burns nothing beyond its work");
            assertGe(open, 100_000);
            // Only the call's overhead outside the metered body comes on top (cold portal, calldata).
            assertLt(open, 105_000, "a 100k deposit costs its price, not price + work");
        }
        vm.roll(block.number + 1);
        assertEq(portal.depositBaseFee(), 1 gwei);
    }

    /// @dev After a censor's full block, an honest deposit gets in in the next L1 block, at the
    ///      raised base fee, and pays it.
    function test_honestDeposit_nextBlockAfterAttack() public {
        vm.fee(1 gwei);
        vm.roll(block.number + 1);
        filler.fill(portal, MAX_DEPOSIT_GAS);
        vm.prank(alice, alice);
        vm.expectRevert(OpenPortal.DepositGasLimitExceeded.selector);
        portal.depositOpen(alice, 1 ether, 100_000, "");

        vm.roll(block.number + 1);
        vm.prank(alice, alice);
        uint256 g = gasleft();
        portal.depositOpen(alice, 1 ether, 100_000, "");
        uint256 used = g - gasleft();
        assertGe(used, MarketModel.price(100_000, 2_125_000_000, 1 gwei));
        assertLt(used, MarketModel.price(100_000, 2_125_000_000, 1 gwei) + 5_000);
    }

    /// @dev The property, for any deposit: the L1 gas its portal call uses is at least
    ///      `gasLimit * baseFee / max(L1 base fee, 1 gwei)`, whatever the entry point, the caller
    ///      (EOA or contract), the data, the market's state and the L1 base fee. And the L2 gas
    ///      it buys (what `params.prevBoughtGas` counts) is exactly the gas limit in its event,
    ///      which is the gas limit the node executes the deposit transaction with.
    function testFuzz_deposit_neverBelowPrice(
        uint8 _entry,
        bool _fromContract,
        uint64 _gasLimit,
        uint256 _fee,
        uint256 _l1BaseFee,
        uint256 _boughtBefore,
        bytes calldata _data
    ) public {
        vm.assume(_data.length <= 2_000);
        _entry = uint8(bound(_entry, 0, 2));
        _gasLimit = uint64(bound(_gasLimit, portal.minimumGasLimit(uint64(_data.length)), MAX_DEPOSIT_GAS));
        _fee = bound(_fee, 1 gwei, 10_000 gwei);
        _l1BaseFee = bound(_l1BaseFee, 0, 10_000 gwei);
        // Keep the burn under 3M gas so that the fuzz run stays fast.
        uint256 cost = MarketModel.price(_gasLimit, _fee, _l1BaseFee);
        if (cost > 3_000_000) _l1BaseFee = uint256(_gasLimit) * _fee / 3_000_000 + 1;
        uint256 price = MarketModel.price(_gasLimit, _fee, _l1BaseFee);
        _boughtBefore = bound(_boughtBefore, 0, MAX_DEPOSIT_GAS - _gasLimit);

        vm.fee(_l1BaseFee);
        vm.roll(block.number + 1);
        _setParams(_fee, _boughtBefore, block.number);

        uint256 used;
        if (_fromContract) {
            ContractDepositor d = new ContractDepositor();
            vm.prank(holder);
            assertTrue(token.transfer(address(d), 1 ether));
            vm.prank(alice, alice);
            used = d.deposit(portal, token, _entry, _gasLimit, _data);
        } else {
            vm.startPrank(alice, alice);
            uint256 g = gasleft();
            if (_entry == 0) {
                portal.depositTransaction(alice, 0, _gasLimit, false, _data);
            } else if (_entry == 1) {
                portal.depositOpen(alice, 1 ether, _gasLimit, _data);
            } else {
                portal.depositERC20Transaction(alice, 1 ether, 0, _gasLimit, false, _data);
            }
            used = g - gasleft();
            vm.stopPrank();
        }
        assertGe(used, price, "deposit bought below its price");
        (uint256 fee, uint256 bought,) = _params();
        assertEq(fee, _fee);
        assertEq(bought, _boughtBefore + _gasLimit);
    }

    /// @dev The cap is kept: whatever was bought, a deposit that would take the block over it
    ///      reverts, and one that fits succeeds.
    function testFuzz_deposit_capPerBlock(uint64 _boughtBefore, uint64 _gasLimit) public {
        vm.fee(HIGH_L1_BASE_FEE);
        _boughtBefore = uint64(bound(_boughtBefore, 0, MAX_DEPOSIT_GAS));
        _gasLimit = uint64(bound(_gasLimit, 21_000, 2 * uint256(MAX_DEPOSIT_GAS)));
        vm.roll(block.number + 1);
        _setParams(1 gwei, _boughtBefore, block.number);
        vm.prank(alice, alice);
        if (uint256(_boughtBefore) + _gasLimit > MAX_DEPOSIT_GAS) {
            vm.expectRevert(OpenPortal.DepositGasLimitExceeded.selector);
            portal.depositTransaction(alice, 0, _gasLimit, false, "");
        } else {
            portal.depositTransaction(alice, 0, _gasLimit, false, "");
            (, uint256 bought,) = _params();
            assertEq(bought, uint256(_boughtBefore) + _gasLimit);
        }
    }
}

/// @dev Random deposits (any entry point, any gas limit, several per L1 block or none for many
///      blocks) with ghost accounting of the L2 gas bought per L1 block, of the model's base fee
///      and of every deposit that paid less than its price.
contract MarketHandler is Test {
    OpenPortal internal portal;
    OpenToken internal token;
    address internal user;
    uint256 internal cap;

    uint256 public ghostMaxBoughtInABlock; // most L2 gas bought by one L1 block's deposits
    uint256 public ghostUnderpriced; // deposits whose L1 gas was below their price
    uint256 public ghostWrongReverts; // reverts that were not over the cap, or over-cap successes
    uint256 public ghostModelMismatches; // base fees away from the independent model
    uint256 public deposits;

    uint256 internal boughtBlock; // L1 block of `boughtInBlock`
    uint256 internal boughtInBlock;
    uint256 internal modelFee = 1 gwei; // model: base fee of block `boughtBlock`
    uint256 internal maxFee; // highest base fee seen

    constructor(OpenPortal _portal, OpenToken _token, address _user) {
        portal = _portal;
        token = _token;
        user = _user;
        cap = _portal.maxDepositGasPerL1Block();
        boughtBlock = block.number;
    }

    function deposit(uint256 _entry, uint64 _gasLimit, uint256 _blocks, uint256 _l1BaseFee) external {
        uint256 fee = _enterBlock(_blocks, _l1BaseFee);
        // Gas limits from 21000 to over the cap, keeping each burn under 1M gas (fast runs).
        uint256 affordable = _affordable(fee);
        if (affordable < 21_000) return;
        uint256 limit = bound(_gasLimit, 21_000, cap + cap / 4);
        if (limit > affordable) limit = affordable;
        _deposit(_entry, limit, fee);
    }

    /// @dev A censor topping up the rest of the budget of this or the next L1 block (or trying
    ///      one gas more).
    function censor(uint256 _entry, uint256 _l1BaseFee, bool _overfill, bool _nextBlock) external {
        uint256 fee = _enterBlock(_nextBlock ? 1 : 0, _l1BaseFee);
        uint256 limit = cap - boughtInBlock + (_overfill ? 1 : 0);
        if (limit < 21_000) return;
        // A censor pays whatever it takes: an L1 base fee at which the burn stays under 1M gas.
        uint256 l1BaseFee = fee * limit / 1_000_000 + 1;
        if (block.basefee < l1BaseFee) vm.fee(l1BaseFee);
        _deposit(_entry, limit, fee);
    }

    /// @dev Moves `_blocks` L1 blocks on (mostly 0 or 1, sometimes up to 300), sets the L1 base
    ///      fee and checks the portal's base fee against the model; returns it.
    function _enterBlock(uint256 _blocks, uint256 _l1BaseFee) internal returns (uint256 fee_) {
        _blocks = bound(_blocks, 0, 300);
        if (_blocks > 3 && _blocks < 280) _blocks = _blocks % 2;
        vm.roll(block.number + _blocks);
        vm.fee(bound(_l1BaseFee, 0, 100_000 gwei));

        fee_ = portal.depositBaseFee();
        if (block.number != boughtBlock) {
            uint256 model = MarketModel.next(modelFee, boughtInBlock, cap, block.number - boughtBlock);
            if (!MarketModel.close(fee_, model)) ghostModelMismatches += 1;
            (boughtBlock, boughtInBlock, modelFee) = (block.number, 0, fee_);
        } else if (fee_ != modelFee) {
            ghostModelMismatches += 1;
        }
        if (fee_ > maxFee) maxFee = fee_;
    }

    /// @dev Largest gas limit whose burn stays under 1M gas; if not even a minimal deposit is,
    ///      lets the fee decay for 64 blocks (the next call picks it up).
    function _affordable(uint256 _fee) internal returns (uint256 limit_) {
        limit_ = 1_000_000 * (block.basefee > 1 gwei ? block.basefee : 1 gwei) / _fee;
        if (limit_ < 21_000) vm.roll(block.number + 64);
    }

    function _deposit(uint256 _entry, uint256 _limit, uint256 _fee) internal {
        bool fits = boughtInBlock + _limit <= cap;
        vm.startPrank(user, user);
        uint256 g = gasleft();
        bool ok;
        uint256 entry = _entry % 3;
        // casting to uint64 is safe: _limit <= 1.25 * cap, a uint64.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 limit = uint64(_limit);
        if (entry == 0) {
            try portal.depositTransaction(user, 0, limit, false, "") {
                ok = true;
            } catch {}
        } else if (entry == 1) {
            try portal.depositOpen(user, 1, limit, "") {
                ok = true;
            } catch {}
        } else {
            try portal.depositERC20Transaction(user, 1, 1, limit, false, "") {
                ok = true;
            } catch {}
        }
        uint256 used = g - gasleft();
        vm.stopPrank();

        if (ok != fits) ghostWrongReverts += 1;
        if (!ok) return;
        deposits += 1;
        if (used < MarketModel.price(_limit, _fee, block.basefee)) ghostUnderpriced += 1;
        boughtInBlock += _limit;
        if (boughtInBlock > ghostMaxBoughtInABlock) ghostMaxBoughtInABlock = boughtInBlock;
    }

    function idle(uint256 _blocks) external {
        vm.roll(block.number + bound(_blocks, 1, 50));
    }

    function highestFee() external view returns (uint256) {
        return maxFee;
    }
}

/// @notice Invariants of the deposit gas market under random demand.
/// forge-config: default.invariant.fail-on-revert = true
/// forge-config: default.invariant.runs = 32
/// forge-config: default.invariant.depth = 64
contract DepositMarketInvariantTest is L1Setup {
    MarketHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new MarketHandler(portal, token, alice);
        vm.prank(alice);
        token.approve(address(portal), type(uint256).max);
        targetContract(address(handler));
    }

    function invariant_boughtPerBlockWithinCap() public view {
        assertLe(handler.ghostMaxBoughtInABlock(), MAX_DEPOSIT_GAS);
        (, uint64 bought,) = portal.params();
        assertLe(bought, MAX_DEPOSIT_GAS);
        assertEq(handler.ghostWrongReverts(), 0, "a deposit within the cap reverted, or one over it passed");
    }

    function invariant_noDepositBelowPrice() public view {
        assertEq(handler.ghostUnderpriced(), 0);
    }

    function invariant_baseFeeFollowsModelWithinBounds() public view {
        assertEq(handler.ghostModelMismatches(), 0);
        uint256 fee = portal.depositBaseFee();
        assertGe(fee, 1 gwei);
        assertLe(fee, type(uint128).max);
    }

    function afterInvariant() public {
        emit log_named_uint("deposits", handler.deposits());
        emit log_named_uint("highest base fee (wei)", handler.highestFee());
        emit log_named_uint("most L2 gas bought in one L1 block", handler.ghostMaxBoughtInABlock());
    }
}
