// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Test} from "forge-std/Test.sol";
import {IInfluenceAttribution} from "../../src/interfaces/IInfluenceAttribution.sol";
import {DatanetRegistry} from "../../src/L2/economy/DatanetRegistry.sol";
import {ModelRegistry} from "../../src/L2/economy/ModelRegistry.sol";
import {InferencePayments} from "../../src/L2/economy/InferencePayments.sol";
import {OpenStaking} from "../../src/L2/economy/OpenStaking.sol";
import {MockInfluenceAttribution} from "./mocks/MockInfluenceAttribution.sol";
import {MockTokenAttribution} from "./mocks/MockTokenAttribution.sol";
import {EconomySetup} from "./EconomySetup.sol";

/// @dev Drives the whole economy: contributions and their stake (curation, unbonding,
///      withdrawal, slashing, sweeping), staking (stake, unstake, withdraw, rewards), and
///      inference payments (pay, settle with natural or forced attributions, refund, claim),
///      with time passing. Keeps ghost totals of what was credited and claimed.
contract EconomyHandler is Test {
    DatanetRegistry internal registry;
    ModelRegistry internal models;
    InferencePayments internal payments;
    OpenStaking internal staking;
    MockInfluenceAttribution internal influence;
    MockTokenAttribution internal tokenAttr;
    address internal gov;
    address internal curator;
    uint64 internal infNet;
    uint64 internal tokNet;
    uint64[2] internal modelIds;

    address[] public actors; // contributors, stakers, payers
    address[] public accounts; // every account that can be credited (actors, model owner, treasury)

    uint256[] public contributions;
    /// The seed each contribution's data was made from (the data is needed again at accept).
    mapping(uint256 id => uint256 seed) internal dataSeed;
    uint256[] public inferences;

    mapping(address => uint256) public ghostCredited;
    mapping(address => uint256) public ghostClaimed;
    uint256 public ghostSplitMismatches; // settlements whose credits did not add up to the fee
    uint256 public ghostDoubleClaims; // second claims that succeeded
    uint256 public ghostStakingAccruals; // upper bound on the staking contract's rounding dust
    uint256 public ghostSettled;
    uint256 public ghostForcedSettlements;

    constructor(
        DatanetRegistry registry_,
        ModelRegistry models_,
        InferencePayments payments_,
        OpenStaking staking_,
        address gov_,
        address curator_,
        uint64 infNet_,
        uint64 tokNet_,
        uint64[2] memory modelIds_,
        address[] memory actors_,
        address[] memory accounts_
    ) {
        registry = registry_;
        models = models_;
        payments = payments_;
        staking = staking_;
        influence = MockInfluenceAttribution(address(0x0A01));
        tokenAttr = MockTokenAttribution(address(0x0A02));
        gov = gov_;
        curator = curator_;
        infNet = infNet_;
        tokNet = tokNet_;
        modelIds = modelIds_;
        actors = actors_;
        accounts = accounts_;
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function accountCount() external view returns (uint256) {
        return accounts.length;
    }

    function contributionCount() external view returns (uint256) {
        return contributions.length;
    }

    function inferenceCount() external view returns (uint256) {
        return inferences.length;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    // ------------------------------------------------------------ contributions

    function _sketchData(uint256 seed) internal pure returns (bytes memory s) {
        s = new bytes(64);
        // forge-lint: disable-next-line(unsafe-typecast)
        s[0] = bytes1(uint8(seed) | 1);
    }

    function _docData(uint256 seed) internal pure returns (uint32[] memory lengths, bytes memory tokens) {
        lengths = new uint32[](1);
        lengths[0] = 2;
        // forge-lint: disable-next-line(unsafe-typecast)
        tokens = abi.encodePacked(uint64(seed | 1));
    }

    function contribute(uint256 actorSeed, bool sketch) external {
        address a = _actor(actorSeed);
        uint128 stake = registry.getDatanet(sketch ? infNet : tokNet).stake;
        uint256 id;
        vm.startPrank(a);
        if (sketch) {
            id = registry.contributeSketch{value: stake}(infNet, _sketchData(actorSeed));
        } else {
            (uint32[] memory lengths, bytes memory tokens) = _docData(actorSeed);
            id = registry.contributeDocuments{value: stake}(tokNet, lengths, tokens);
        }
        vm.stopPrank();
        dataSeed[id] = actorSeed;
        contributions.push(id);
    }

    function curate(uint256 idSeed, bool accept) external {
        if (contributions.length == 0) return;
        uint256 id = contributions[idSeed % contributions.length];
        DatanetRegistry.Contribution memory c = registry.getContribution(id);
        if (c.status != DatanetRegistry.Status.Pending) return;
        vm.startPrank(curator);
        if (accept && !c.excluded) {
            if (c.datanetId == infNet) {
                registry.acceptSketch(id, _sketchData(dataSeed[id]));
            } else {
                (uint32[] memory lengths, bytes memory tokens) = _docData(dataSeed[id]);
                registry.acceptDocuments(id, lengths, tokens);
            }
        } else {
            registry.reject(id);
        }
        vm.stopPrank();
    }

    function freeze(uint256 idSeed, bool byGovernance) external {
        if (contributions.length == 0) return;
        uint256 id = contributions[idSeed % contributions.length];
        DatanetRegistry.Status status = registry.getContribution(id).status;
        if (status == DatanetRegistry.Status.Withdrawn || status == DatanetRegistry.Status.Slashed) return;
        vm.prank(byGovernance ? gov : curator);
        registry.freeze(id);
    }

    function unbond(uint256 idSeed) external {
        if (contributions.length == 0) return;
        uint256 id = contributions[idSeed % contributions.length];
        DatanetRegistry.Contribution memory c = registry.getContribution(id);
        if (c.status != DatanetRegistry.Status.Accepted) return;
        vm.prank(c.contributor);
        registry.requestUnbond(id);
    }

    function withdrawStake(uint256 idSeed) external {
        if (contributions.length == 0) return;
        uint256 id = contributions[idSeed % contributions.length];
        DatanetRegistry.Contribution memory c = registry.getContribution(id);
        bool ready = c.status == DatanetRegistry.Status.Rejected
            // forge-lint: disable-next-line(block-timestamp)
            || (c.status == DatanetRegistry.Status.Unbonding && block.timestamp >= c.unlockAt);
        // forge-lint: disable-next-line(block-timestamp)
        if (!ready || block.timestamp < c.frozenUntil) return;
        vm.prank(c.contributor);
        registry.withdrawStake(id);
    }

    function slash(uint256 idSeed, bool blockPayouts) external {
        if (contributions.length == 0) return;
        uint256 id = contributions[idSeed % contributions.length];
        DatanetRegistry.Contribution memory c = registry.getContribution(id);
        if (c.status == DatanetRegistry.Status.Withdrawn || c.status == DatanetRegistry.Status.Slashed) return;
        vm.startPrank(gov);
        registry.slash(id);
        registry.setPayoutBlocked(c.contributor, blockPayouts);
        vm.stopPrank();
    }

    function sweep() external {
        if (registry.slashedAccrued() == 0) return;
        registry.sweepSlashed();
    }

    function setDatanetStake(bool sketch, uint96 stake) external {
        vm.prank(curator);
        registry.setDatanetStake(sketch ? infNet : tokNet, uint128(bound(stake, 0, 5 ether)));
    }

    // ------------------------------------------------------------------ staking

    function stake(uint256 actorSeed, uint96 amount) external {
        amount = uint96(bound(amount, 1, 50 ether));
        vm.prank(_actor(actorSeed));
        staking.stake{value: amount}();
        ++ghostStakingAccruals;
    }

    function unstake(uint256 actorSeed, uint96 amount) external {
        address a = _actor(actorSeed);
        uint256 staked = staking.stakedOf(a);
        if (staked == 0) return;
        vm.prank(a);
        staking.unstake(bound(amount, 1, staked));
        ++ghostStakingAccruals;
    }

    function withdrawUnbonded(uint256 actorSeed) external {
        address a = _actor(actorSeed);
        OpenStaking.Staker memory s = staking.stakerInfo(a);
        // forge-lint: disable-next-line(block-timestamp)
        if (s.unbonding == 0 || block.timestamp < s.unlockAt) return;
        vm.prank(a);
        staking.withdraw();
    }

    function claimRewards(uint256 actorSeed) external {
        address a = _actor(actorSeed);
        if (staking.earned(a) == 0) return;
        vm.prank(a);
        staking.claimRewards();
        ++ghostStakingAccruals;
    }

    // ----------------------------------------------------------------- payments

    function setPrice(bool token, uint96 price) external {
        uint64 m = modelIds[token ? 1 : 0];
        vm.prank(models.getModel(m).owner);
        models.setPrice(m, uint128(bound(price, 0, 100 ether)));
    }

    function pay(uint256 actorSeed, bool token) public returns (uint256 id) {
        uint64 m = modelIds[token ? 1 : 0];
        (uint128 price,) = models.priceOf(m);
        vm.prank(_actor(actorSeed));
        id = payments.payInference{value: price}(m, bytes32(actorSeed));
        inferences.push(id);
    }

    /// Settles a pending inference (pays a new one first if the one picked is not pending).
    function settle(uint256 idSeed, uint256 forceSeed) external {
        uint256 id = inferences.length == 0 ? 0 : inferences[idSeed % inferences.length];
        if (id == 0 || payments.getInference(id).state != InferencePayments.State.Pending) {
            id = pay(idSeed, forceSeed % 2 == 0);
        }
        InferencePayments.Inference memory inf = payments.getInference(id);
        bool token = inf.modelId == modelIds[1];

        bool forced = forceSeed % 3 == 0;
        if (forced) _force(token, forceSeed);

        uint256[] memory before = new uint256[](accounts.length);
        for (uint256 i; i < accounts.length; ++i) {
            before[i] = payments.claimable(accounts[i]);
        }
        uint256 stakingBefore = address(staking).balance;

        bytes memory input;
        if (token) {
            // forge-lint: disable-next-line(unsafe-typecast)
            input = abi.encodePacked(uint32(forceSeed) | 1, uint32(7));
        } else {
            input = new bytes(64);
            // forge-lint: disable-next-line(unsafe-typecast)
            input[0] = bytes1(uint8(forceSeed % 4)); // 0 sometimes: empty attribution
        }
        vm.prank(models.getModel(inf.modelId).settler);
        payments.settle(id, input);

        uint256 credited = address(staking).balance - stakingBefore;
        if (credited != 0) ++ghostStakingAccruals;
        for (uint256 i; i < accounts.length; ++i) {
            uint256 delta = payments.claimable(accounts[i]) - before[i];
            ghostCredited[accounts[i]] += delta;
            credited += delta;
        }
        if (credited != inf.fee) ++ghostSplitMismatches;
        ++ghostSettled;

        if (forced) {
            ++ghostForcedSettlements;
            if (token) tokenAttr.clearShares();
            else influence.clearShares();
        }
    }

    /// Forces a valid attribution (distinct known accounts, bps summing to 10,000).
    function _force(bool token, uint256 seed) internal {
        uint256 n = 1 + seed % accounts.length;
        uint256 start = uint256(keccak256(abi.encode(seed))) % accounts.length;
        uint256 left = 10_000;
        IInfluenceAttribution.Share[] memory s = new IInfluenceAttribution.Share[](n);
        for (uint256 i; i < n; ++i) {
            uint256 b = i == n - 1 ? left : uint256(keccak256(abi.encode(seed, i))) % (left - (n - 1 - i)) + 1;
            if (i != n - 1 && b > left - (n - 1 - i)) b = left - (n - 1 - i);
            // forge-lint: disable-next-line(unsafe-typecast)
            s[i] = IInfluenceAttribution.Share(accounts[(start + i) % accounts.length], uint16(b));
            left -= b;
        }
        if (token) {
            // Same layout; the mock takes its own Share type.
            bytes memory data = abi.encodeCall(MockInfluenceAttribution.setShares, (s));
            (bool ok,) = address(tokenAttr).call(data);
            require(ok, "force token shares");
        } else {
            influence.setShares(s);
        }
    }

    function refund(uint256 idSeed) external {
        if (inferences.length == 0) return;
        uint256 id = inferences[idSeed % inferences.length];
        InferencePayments.Inference memory inf = payments.getInference(id);
        // forge-lint: disable-next-line(block-timestamp)
        if (inf.state != InferencePayments.State.Pending || block.timestamp <= inf.deadline) return;
        vm.prank(inf.payer);
        payments.refund(id);
    }

    function claim(uint256 accountSeed) external {
        address a = accounts[accountSeed % accounts.length];
        uint256 amount = payments.claimable(a);
        if (amount == 0) return;
        vm.prank(a);
        uint256 got = payments.claim();
        ghostClaimed[a] += got;
        vm.prank(a);
        try payments.claim() {
            ++ghostDoubleClaims;
        } catch {}
    }

    function warp(uint32 secs) external {
        vm.warp(block.timestamp + bound(secs, 1, 3 days));
    }
}

/// forge-config: default.invariant.fail-on-revert = true
/// forge-config: default.invariant.runs = 32
/// forge-config: default.invariant.depth = 64
contract EconomyInvariantTest is EconomySetup {
    EconomyHandler internal handler;
    address internal dave = makeAddr("dave");
    address[] internal everyone;
    uint256 internal totalOpen;

    function setUp() public override {
        super.setUp();
        vm.deal(dave, 1_000_000 ether);
        uint64 infNet = _influenceDatanet();
        uint64 tokNet = _tokenDatanet();
        uint64 infModel = _influenceModel(_ids(infNet));
        uint64 tokModel = _tokenModel(_ids(tokNet));

        address[] memory actors = new address[](5);
        (actors[0], actors[1], actors[2], actors[3], actors[4]) = (alice, bob, carol, dave, user);
        address[] memory accounts = new address[](7);
        for (uint256 i; i < 5; ++i) {
            accounts[i] = actors[i];
        }
        (accounts[5], accounts[6]) = (modelOwner, treasury);

        handler = new EconomyHandler(
            registry, models, payments, staking, gov, curator, infNet, tokNet, [infModel, tokModel], actors, accounts
        );

        everyone = accounts;
        everyone.push(curator);
        everyone.push(gov);
        for (uint256 i; i < everyone.length; ++i) {
            totalOpen += everyone[i].balance;
        }

        bytes4[] memory selectors = new bytes4[](19);
        selectors[0] = EconomyHandler.contribute.selector;
        selectors[1] = EconomyHandler.curate.selector;
        selectors[2] = EconomyHandler.unbond.selector;
        selectors[3] = EconomyHandler.withdrawStake.selector;
        selectors[4] = EconomyHandler.slash.selector;
        selectors[5] = EconomyHandler.sweep.selector;
        selectors[6] = EconomyHandler.setDatanetStake.selector;
        selectors[7] = EconomyHandler.stake.selector;
        selectors[8] = EconomyHandler.unstake.selector;
        selectors[9] = EconomyHandler.withdrawUnbonded.selector;
        selectors[10] = EconomyHandler.claimRewards.selector;
        selectors[11] = EconomyHandler.setPrice.selector;
        selectors[12] = EconomyHandler.pay.selector;
        selectors[13] = EconomyHandler.settle.selector;
        selectors[14] = EconomyHandler.refund.selector;
        selectors[15] = EconomyHandler.claim.selector;
        selectors[16] = EconomyHandler.warp.selector;
        selectors[17] = EconomyHandler.settle.selector; // settle twice as often
        selectors[18] = EconomyHandler.freeze.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// InferencePayments holds exactly the pending fees plus everything claimable.
    function invariant_paymentsConserved() public view {
        uint256 pending;
        for (uint256 i; i < handler.inferenceCount(); ++i) {
            InferencePayments.Inference memory inf = payments.getInference(handler.inferences(i));
            if (inf.state == InferencePayments.State.Pending) pending += inf.fee;
        }
        uint256 owed;
        for (uint256 i; i < handler.accountCount(); ++i) {
            owed += payments.claimable(handler.accounts(i));
        }
        assertEq(address(payments).balance, pending + owed);
    }

    /// Every settlement credited exactly its fee.
    function invariant_sharesSumToFee() public view {
        assertEq(handler.ghostSplitMismatches(), 0);
    }

    /// Claimable = credited - claimed for every account; nothing is claimed twice.
    function invariant_noClaimTwice() public view {
        assertEq(handler.ghostDoubleClaims(), 0);
        for (uint256 i; i < handler.accountCount(); ++i) {
            address a = handler.accounts(i);
            assertEq(payments.claimable(a), handler.ghostCredited(a) - handler.ghostClaimed(a));
        }
    }

    /// DatanetRegistry holds exactly the stakes still bonded (pending, accepted, rejected but
    /// not withdrawn, unbonding) plus slashed stake not yet swept.
    function invariant_registryConserved() public view {
        uint256 held;
        for (uint256 i; i < handler.contributionCount(); ++i) {
            DatanetRegistry.Contribution memory c = registry.getContribution(handler.contributions(i));
            if (
                c.status == DatanetRegistry.Status.Pending || c.status == DatanetRegistry.Status.Accepted
                    || c.status == DatanetRegistry.Status.Rejected || c.status == DatanetRegistry.Status.Unbonding
            ) held += c.stake;
        }
        assertEq(address(registry).balance, held + registry.slashedAccrued());
    }

    /// OpenStaking holds the stakes, the unbonding stakes and every staker's rewards, plus at
    /// most one wei of rounding dust per reward settlement.
    function invariant_stakingConserved() public view {
        uint256 staked;
        uint256 unbonding;
        uint256 rewards;
        for (uint256 i; i < handler.actorCount(); ++i) {
            address a = handler.actors(i);
            OpenStaking.Staker memory s = staking.stakerInfo(a);
            staked += s.staked;
            unbonding += s.unbonding;
            rewards += staking.earned(a);
        }
        assertEq(staking.totalStaked(), staked);
        assertEq(staking.totalUnbonding(), unbonding);
        uint256 liabilities = staked + unbonding + rewards;
        uint256 bal = address(staking).balance;
        assertGe(bal, liabilities);
        assertLe(bal - liabilities, handler.ghostStakingAccruals() * handler.actorCount() + 1);
    }

    /// No native OPEN appears or disappears: accounts plus the three contracts hold the
    /// same total as at the start.
    function invariant_nativeOpenConserved() public view {
        uint256 sum = address(registry).balance + address(staking).balance + address(payments).balance;
        for (uint256 i; i < everyone.length; ++i) {
            sum += everyone[i].balance;
        }
        assertEq(sum, totalOpen);
    }
}
