// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IInfluenceAttribution} from "../../src/interfaces/IInfluenceAttribution.sol";
import {DatanetRegistry} from "../../src/L2/economy/DatanetRegistry.sol";
import {InferencePayments} from "../../src/L2/economy/InferencePayments.sol";
import {WOPEN} from "../../src/L2/economy/WOPEN.sol";
import {OpenGovernor} from "../../src/L2/economy/OpenGovernor.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {EconomySetup} from "./EconomySetup.sol";

/// @notice Gas of the economy's main entry points: each test makes exactly one call, prepared in
///         setUp (`bash scripts/gas.sh` records them); the logged `gas` is the
///         call's own execution gas (no intrinsic 21000, no calldata), measured with gasleft().
///         Calls into the precompiles run the Solidity mocks here, whose gas differs from the
///         real precompiles' (docs/PRECOMPILES.md); the `mock_*` tests measure the mock part
///         alone so it can be subtracted.
contract L2GasTest is EconomySetup {
    uint64 internal infNet;
    uint64 internal tokNet;
    uint64 internal infModel;
    uint256 internal pendingContribution;
    uint256 internal acceptedContribution;
    uint256 internal unbondedContribution;
    uint256 internal paidInference;
    uint256 internal paidInference256;
    uint64 internal model256;
    bytes internal query;
    bytes internal sketch;

    WOPEN internal wopen;
    TimelockController internal timelock;
    OpenGovernor internal governor;
    address[] internal pTargets;
    uint256[] internal pValues;
    bytes[] internal pCalldatas;
    bytes32 internal pHash;

    function setUp() public override {
        super.setUp();
        infNet = _influenceDatanet();
        tokNet = _tokenDatanet();
        // Four contributors already in (one twice), so later writes are steady-state.
        _contributeSketch(alice, infNet, 1);
        _contributeSketch(bob, infNet, 2);
        _contributeSketch(carol, infNet, 3);
        acceptedContribution = _contributeSketch(alice, infNet, 4);
        pendingContribution = _submitSketch(carol, infNet, 6);
        unbondedContribution = _contributeSketch(bob, infNet, 5);
        vm.prank(bob);
        registry.requestUnbond(unbondedContribution);
        _contributeDocs(alice, tokNet, 1);
        infModel = _influenceModel(_ids(infNet));
        sketch = _sketch(7);
        query = _sketch(8);

        // Stakers and a first settlement, so every claimable slot is already non-zero.
        _stake(alice, 10 ether);
        _stake(bob, 10 ether);
        _settleInfluence(_pay(infModel));
        paidInference = _pay(infModel);

        // A model whose attribution names the full 256 contributors.
        uint64 net2 = _influenceDatanet();
        vm.prank(modelOwner);
        model256 = models.registerModel(_spec(), _ids(net2), DatanetRegistry.Kind.Influence, PRICE, _influenceConfig());
        paidInference256 = _pay(model256);

        vm.warp(block.timestamp + UNBONDING);

        _governanceSetUp();
    }

    function _governanceSetUp() internal {
        wopen = new WOPEN();
        address[] memory none = new address[](0);
        timelock = new TimelockController(1 days, none, none, address(this));
        governor = new OpenGovernor(wopen, timelock, 1 days, 1 weeks, 0, 4);
        timelock.grantRole(timelock.PROPOSER_ROLE(), address(governor));
        timelock.grantRole(timelock.EXECUTOR_ROLE(), address(0));
        vm.prank(gov);
        payments.transferOwnership(address(timelock));
        vm.prank(address(timelock));
        payments.acceptOwnership();

        vm.startPrank(alice);
        wopen.deposit{value: 100 ether}();
        wopen.delegate(alice);
        vm.stopPrank();
        vm.warp(block.timestamp + 1);
        pTargets.push(address(payments));
        pValues.push(0);
        pCalldatas.push(
            abi.encodeCall(InferencePayments.setFeeSplit, (InferencePayments.FeeSplit(6000, 2000, 1500, 500)))
        );
        pHash = keccak256("split");
        vm.prank(alice);
        uint256 id = governor.propose(pTargets, pValues, pCalldatas, "split");
        vm.warp(block.timestamp + 1 days + 1);
        vm.prank(alice);
        governor.castVote(id, 1);
        vm.warp(block.timestamp + 1 weeks);
        governor.queue(pTargets, pValues, pCalldatas, pHash);
        vm.warp(block.timestamp + 1 days);
    }

    /// @dev Logged and recorded in snapshots/L2Gas.json, which CI checks (foundry.toml
    ///      `gas_snapshot_check`), so a change of any figure fails until the snapshot and the
    ///      tables in docs/PERFORMANCE.md and README.md are updated with it.
    function _report(string memory name, uint256 g) internal {
        emit log_named_uint(name, g);
        vm.snapshotValue("L2Gas", name, g);
    }

    // ----------------------------------------------------------------- datanets

    function test_gas_createDatanet() public {
        vm.prank(curator);
        uint256 g = gasleft();
        registry.createDatanet(DatanetRegistry.Kind.Influence, DIM, STAKE, "ipfs://datanet");
        _report("createDatanet (influence)", g - gasleft());
    }

    function test_gas_contributeSketch() public {
        bytes memory s = sketch;
        vm.prank(carol);
        uint256 g = gasleft();
        registry.contributeSketch{value: STAKE}(infNet, s);
        _report("contributeSketch (d=64)", g - gasleft());
    }

    function test_gas_contributeDocuments() public {
        uint32[] memory lengths = new uint32[](1);
        lengths[0] = 16;
        bytes memory t = _tokens(16, 3);
        vm.prank(bob);
        uint256 g = gasleft();
        registry.contributeDocuments{value: STAKE}(tokNet, lengths, t);
        _report("contributeDocuments (1 doc, 16 tokens)", g - gasleft());
    }

    function test_gas_accept() public {
        vm.prank(curator);
        uint256 g = gasleft();
        registry.acceptSketch(pendingContribution, _sketch(6));
        _report("acceptSketch (d=64, registers the point)", g - gasleft());
    }

    function test_gas_freeze() public {
        vm.prank(curator);
        uint256 g = gasleft();
        registry.freeze(acceptedContribution);
        _report("freeze (accepted: excludes the point)", g - gasleft());
    }

    function test_gas_requestUnbond() public {
        vm.prank(alice);
        uint256 g = gasleft();
        registry.requestUnbond(acceptedContribution);
        _report("requestUnbond", g - gasleft());
    }

    function test_gas_withdrawStake() public {
        vm.prank(bob);
        uint256 g = gasleft();
        registry.withdrawStake(unbondedContribution);
        _report("withdrawStake", g - gasleft());
    }

    // ------------------------------------------------------------------- models

    function test_gas_registerModel() public {
        vm.prank(modelOwner);
        uint256 g = gasleft();
        models.registerModel(_spec(), _ids(infNet), DatanetRegistry.Kind.Influence, PRICE, _influenceConfig());
        _report("registerModel (1 datanet)", g - gasleft());
    }

    // ----------------------------------------------------------------- payments

    function test_gas_payInference() public {
        vm.prank(user);
        uint256 g = gasleft();
        payments.payInference{value: PRICE}(infModel, bytes32(uint256(1)));
        _report("payInference", g - gasleft());
    }

    function test_gas_settle_3contributors() public {
        bytes memory q = query;
        vm.prank(modelOwner);
        uint256 g = gasleft();
        payments.settle(paidInference, q);
        _report("settle (influence, 3 contributors, stakers)", g - gasleft());
    }

    function test_gas_settle_256contributors() public {
        address[] memory who = new address[](256);
        uint16[] memory bps = new uint16[](256);
        for (uint256 i; i < 256; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast)
            who[i] = address(uint160(0x100000 + i));
            bps[i] = i < 16 ? 40 : 39; // 16*40 + 240*39 = 10,000
        }
        _forceInfluenceShares(who, bps);
        bytes memory q = query;
        vm.prank(modelOwner);
        uint256 g = gasleft();
        payments.settle(paidInference256, q);
        _report("settle (256 new contributors, worst case)", g - gasleft());
    }

    function test_gas_claim() public {
        vm.prank(alice);
        uint256 g = gasleft();
        payments.claim();
        _report("claim", g - gasleft());
    }

    function test_gas_refund() public {
        vm.prank(user);
        uint256 g = gasleft();
        payments.refund(paidInference);
        _report("refund", g - gasleft());
    }

    // ------------------------------------------------------------------ staking

    function test_gas_stake() public {
        vm.prank(alice);
        uint256 g = gasleft();
        staking.stake{value: 1 ether}();
        _report("stake", g - gasleft());
    }

    function test_gas_unstake() public {
        vm.prank(alice);
        uint256 g = gasleft();
        staking.unstake(1 ether);
        _report("unstake", g - gasleft());
    }

    function test_gas_claimRewards() public {
        vm.prank(bob);
        uint256 g = gasleft();
        staking.claimRewards();
        _report("claimRewards", g - gasleft());
    }

    // --------------------------------------------------------------- governance

    function test_gas_governorExecute() public {
        address[] memory t = pTargets;
        uint256[] memory v = pValues;
        bytes[] memory c = pCalldatas;
        uint256 g = gasleft();
        governor.execute(t, v, c, pHash);
        _report("governor execute (setFeeSplit via timelock)", g - gasleft());
    }

    function test_gas_wopenDeposit() public {
        vm.prank(bob);
        uint256 g = gasleft();
        wopen.deposit{value: 1 ether}();
        _report("WOPEN deposit", g - gasleft());
    }

    // ------------------------------------------------- the mocks' part, alone

    function test_gas_mock_recordScore() public {
        uint64[] memory ids = _ids(1);
        bytes memory q = query;
        uint256 g = gasleft();
        IInfluenceAttribution(address(influence)).recordScore(ids, q, 64, 0);
        _report("mock recordScore (5 points)", g - gasleft());
    }

    function test_gas_mock_addPoints() public {
        // As the registry calls it (it owns the datanet).
        address[] memory who = new address[](1);
        who[0] = carol;
        bytes memory s = sketch;
        vm.prank(address(registry));
        uint256 g = gasleft();
        influence.addPoints(1, who, s);
        _report("mock addPoints (1 point)", g - gasleft());
    }
}
