// ethers v6 against a running ol-node: `node ethers.mjs http://127.0.0.1:PORT`.
//
// MetaMask's call sequence on the wire, then with ethers: deploy the OpenZeppelin ERC-20
// fixture, transfer, read Transfer events (eth_getLogs), a contract listener over HTTP
// (eth_newFilter + eth_getFilterChanges), WebSocket subscriptions (newHeads, logs), and the
// decoding of a string revert and a custom error. Exits non-zero on the first failure.

import {
  Contract,
  ContractFactory,
  JsonRpcProvider,
  Wallet,
  WebSocketProvider,
  id,
  isError,
  parseEther,
  parseUnits,
} from "ethers";
import {
  ADDR0,
  ADDR1,
  ADDRESS,
  BLOOM,
  CHAIN_ID,
  DATA,
  HASH,
  KEY0,
  QUANTITY,
  artifact,
  check,
  deferred,
  eq,
  fail,
  fmt,
  guard,
  isQuantity,
  rawRpc,
  run,
  shape,
  sleep,
  step,
  urls,
} from "./common.mjs";

guard(60);
const URL = urls("ethers.mjs");

/** Records the JSON-RPC methods a provider sends (via its "debug" events) and their answers. */
function tracker(provider) {
  const sent = [];
  const answered = new Map(); // method -> count of successful answers
  const idToMethod = new Map();
  const waiters = [];
  const settle = () => {
    for (const w of waiters.splice(0)) {
      if ((answered.get(w.method) ?? 0) >= w.count) w.resolve();
      else waiters.push(w);
    }
  };
  provider.on("debug", (ev) => {
    if (ev.action === "sendRpcPayload") {
      for (const p of [].concat(ev.payload)) {
        sent.push(p.method);
        idToMethod.set(p.id, p.method);
      }
    } else if (ev.action === "receiveRpcResult") {
      for (const r of [].concat(ev.result)) {
        const method = idToMethod.get(r.id);
        if (method && r.result !== undefined) answered.set(method, (answered.get(method) ?? 0) + 1);
      }
      settle();
    }
  });
  return {
    sent,
    /** Resolves once `method` has been answered successfully `count` times. */
    answered(method, count = 1, ms = 10000) {
      const d = deferred(`${count} answer(s) to ${method}`, ms);
      waiters.push({ method, count, resolve: d.fire });
      settle();
      return d.promise;
    },
  };
}

// ethers' FilterIdSubscriber swallows polling errors into console.log("@TODO", error): make
// them fatal so a broken eth_getFilterChanges fails with the node's error, not a timeout.
const consoleLog = console.log;
console.log = (...args) => {
  if (args[0] === "@TODO") fail(`ethers event poller error: ${args[1]?.stack ?? fmt(args[1])}`);
  consoleLog(...args);
};

/** MetaMask's calls on a freshly started node, checked on the wire (raw JSON-RPC). */
async function metamask(wallet) {
  const rpc = rawRpc(URL.http);

  step("metamask: eth_chainId / net_version / eth_blockNumber");
  const chainId = await rpc("eth_chainId");
  eq(chainId, "0x64c", "eth_chainId");
  eq(await rpc("net_version"), String(CHAIN_ID), "net_version");
  const head = await rpc("eth_blockNumber");
  check(isQuantity(head), `eth_blockNumber: ${fmt(head)} is not a quantity`);
  const latest = Number(head);

  step("metamask: eth_getBlockByNumber(latest, false) before sending (EIP-1559 detection)");
  const block0 = await rpc("eth_getBlockByNumber", ["latest", false]);
  checkBlock(block0, "latest block");
  check(isQuantity(block0.baseFeePerGas), "latest block has no baseFeePerGas: MetaMask treats the network as legacy");

  step("metamask: eth_getBalance / eth_getTransactionCount / eth_getCode / eth_gasPrice");
  const balance = await rpc("eth_getBalance", [ADDR0.toLowerCase(), "latest"]);
  check(isQuantity(balance) && BigInt(balance) > 0n, `eth_getBalance: ${fmt(balance)}`);
  const nonce = await rpc("eth_getTransactionCount", [ADDR0.toLowerCase(), "pending"]);
  check(isQuantity(nonce), `eth_getTransactionCount: ${fmt(nonce)}`);
  eq(await rpc("eth_getCode", [ADDR1.toLowerCase(), "latest"]), "0x", "eth_getCode of an EOA");
  const gasPrice = await rpc("eth_gasPrice");
  check(isQuantity(gasPrice) && BigInt(gasPrice) > 0n, `eth_gasPrice: ${fmt(gasPrice)}`);
  const tip = await rpc("eth_maxPriorityFeePerGas");
  check(isQuantity(tip), `eth_maxPriorityFeePerGas: ${fmt(tip)}`);

  step("metamask: eth_feeHistory with reward percentiles [25, 50, 75]");
  // MetaMask's gas-fee controller asks with a block-number hex and with "latest".
  for (const newest of ["latest", head]) {
    const blockCount = 5;
    const fh = await rpc("eth_feeHistory", ["0x5", newest, [25, 50, 75]]);
    const n = Math.min(blockCount, latest + 1);
    check(isQuantity(fh.oldestBlock), `feeHistory.oldestBlock: ${fmt(fh.oldestBlock)}`);
    eq(Number(fh.oldestBlock), latest + 1 - n, `feeHistory(${newest}).oldestBlock`);
    check(Array.isArray(fh.baseFeePerGas), `feeHistory.baseFeePerGas not an array: ${fmt(fh)}`);
    eq(fh.baseFeePerGas.length, n + 1, "feeHistory.baseFeePerGas.length (blocks + the next block)");
    check(fh.baseFeePerGas.every(isQuantity), `feeHistory.baseFeePerGas entries: ${fmt(fh.baseFeePerGas)}`);
    check(Array.isArray(fh.gasUsedRatio), `feeHistory.gasUsedRatio not an array: ${fmt(fh)}`);
    eq(fh.gasUsedRatio.length, n, "feeHistory.gasUsedRatio.length");
    check(
      fh.gasUsedRatio.every((r) => typeof r === "number" && r >= 0 && r <= 1),
      `feeHistory.gasUsedRatio entries must be numbers in [0, 1]: ${fmt(fh.gasUsedRatio)}`,
    );
    check(Array.isArray(fh.reward), `feeHistory.reward missing although percentiles were asked: ${fmt(fh)}`);
    eq(fh.reward.length, n, "feeHistory.reward.length");
    for (const r of fh.reward) {
      check(Array.isArray(r) && r.length === 3 && r.every(isQuantity), `feeHistory.reward entry: ${fmt(r)}`);
    }
  }

  step("metamask: eth_estimateGas for a plain transfer");
  const value = "0x" + parseEther("1").toString(16);
  const est = await rpc("eth_estimateGas", [{ from: ADDR0.toLowerCase(), to: ADDR1.toLowerCase(), value }]);
  eq(est, "0x5208", "eth_estimateGas of a plain transfer");
  // MetaMask also estimates with a gas cap (a share of the block gas limit).
  const capped = await rpc("eth_estimateGas", [
    { from: ADDR0.toLowerCase(), to: ADDR1.toLowerCase(), value, gas: block0.gasLimit, data: "0x" },
  ]);
  eq(capped, "0x5208", "eth_estimateGas with a gas cap");

  step("metamask: eth_sendRawTransaction of a signed EIP-1559 transfer");
  const nextBase = BigInt((await rpc("eth_feeHistory", ["0x1", "latest", [50]])).baseFeePerGas.at(-1));
  const raw = await wallet.signTransaction({
    type: 2,
    chainId: CHAIN_ID,
    nonce: Number(nonce),
    to: ADDR1,
    value: BigInt(value),
    gasLimit: BigInt(est),
    maxPriorityFeePerGas: BigInt(tip),
    maxFeePerGas: nextBase * 2n + BigInt(tip),
  });
  const hash = await rpc("eth_sendRawTransaction", [raw]);
  check(typeof hash === "string" && HASH.test(hash), `eth_sendRawTransaction: ${fmt(hash)}`);

  step("metamask: polling eth_getTransactionReceipt");
  let receipt = null;
  for (let i = 0; i < 100 && receipt === null; i++) {
    receipt = await rpc("eth_getTransactionReceipt", [hash]);
    if (receipt === null) await sleep(100);
  }
  check(receipt !== null, "receipt still null after 10 s of polling");
  shape(
    receipt,
    {
      transactionHash: HASH,
      blockHash: HASH,
      blockNumber: QUANTITY,
      transactionIndex: QUANTITY,
      from: ADDRESS,
      to: ADDRESS,
      gasUsed: QUANTITY,
      cumulativeGasUsed: QUANTITY,
      effectiveGasPrice: QUANTITY,
      status: QUANTITY,
      type: QUANTITY,
      logsBloom: BLOOM,
    },
    "receipt",
  );
  eq(receipt.transactionHash, hash, "receipt.transactionHash");
  eq(receipt.status, "0x1", "receipt.status");
  eq(receipt.type, "0x2", "receipt.type");
  eq(receipt.gasUsed, "0x5208", "receipt.gasUsed");
  eq(receipt.from.toLowerCase(), ADDR0.toLowerCase(), "receipt.from");
  eq(receipt.to.toLowerCase(), ADDR1.toLowerCase(), "receipt.to");
  check(receipt.contractAddress === null, `receipt.contractAddress must be null: ${fmt(receipt.contractAddress)}`);
  check(Array.isArray(receipt.logs), "receipt.logs must be an array");

  step("metamask: eth_getBlockByNumber(latest, false) after the receipt");
  const block = await rpc("eth_getBlockByNumber", ["latest", false]);
  checkBlock(block, "latest block");
  check(BigInt(block.number) >= BigInt(receipt.blockNumber), "latest block is behind the receipt's block");
  const mined = await rpc("eth_getBlockByNumber", [receipt.blockNumber, false]);
  checkBlock(mined, "receipt's block");
  eq(mined.hash, receipt.blockHash, "block hash of the receipt's block");
  check(mined.transactions.includes(hash), `receipt's block does not list the tx hash: ${fmt(mined.transactions)}`);
  const tx = await rpc("eth_getTransactionByHash", [hash]);
  shape(tx, { hash: HASH, blockHash: HASH, blockNumber: QUANTITY, nonce: QUANTITY, value: QUANTITY, input: DATA }, "tx");
  eq(tx.value, value, "tx.value");
}

function checkBlock(block, what) {
  shape(
    block,
    {
      number: QUANTITY,
      hash: HASH,
      parentHash: HASH,
      timestamp: QUANTITY,
      gasLimit: QUANTITY,
      gasUsed: QUANTITY,
      miner: ADDRESS,
      logsBloom: BLOOM,
      stateRoot: HASH,
      transactionsRoot: HASH,
      receiptsRoot: HASH,
      sha3Uncles: HASH,
      extraData: DATA,
      difficulty: QUANTITY,
      size: QUANTITY,
    },
    what,
  );
  check(Array.isArray(block.transactions), `${what}.transactions is not an array`);
  check(
    block.transactions.every((t) => typeof t === "string" && HASH.test(t)),
    `${what}.transactions must be hashes when fullTransactions=false: ${fmt(block.transactions)}`,
  );
  check(Array.isArray(block.uncles), `${what}.uncles is not an array`);
}

async function main() {
  // cacheTimeout: -1 turns off ethers' 250 ms de-duplication of identical requests: with a
  // node that mines each transaction at once, a cached eth_getTransactionCount("pending")
  // would hand the next transaction a used nonce (ethers-io/ethers.js#4549; same with anvil).
  const options = { pollingInterval: 200, cacheTimeout: -1 };
  const provider = new JsonRpcProvider(URL.http, undefined, options);
  const rpcLog = tracker(provider);
  const wallet = new Wallet(KEY0, provider);

  // First, while the node is fresh: MetaMask.
  await metamask(wallet);

  step("ethers: network detection");
  const network = await provider.getNetwork();
  eq(network.chainId, BigInt(CHAIN_ID), "provider.getNetwork().chainId");
  const feeData = await provider.getFeeData();
  check(feeData.maxFeePerGas > 0n && feeData.maxPriorityFeePerGas !== null, `getFeeData: ${fmt(feeData)}`);

  step("ethers: deploy TestToken (OpenZeppelin ERC-20)");
  const TestToken = artifact("TestToken");
  const supply = parseUnits("1000000", 18);
  const factory = new ContractFactory(TestToken.abi, TestToken.bytecode, wallet);
  const token = await factory.deploy(supply);
  const deployReceipt = await token.deploymentTransaction().wait(1, 20000);
  eq(deployReceipt.status, 1, "deploy receipt status");
  await token.waitForDeployment();
  const tokenAddress = await token.getAddress();
  eq(deployReceipt.contractAddress, tokenAddress, "receipt.contractAddress");
  check((await provider.getCode(tokenAddress)).length > 2, "no code at the token address");
  eq(await token.totalSupply(), supply, "totalSupply");
  eq(await token.balanceOf(ADDR0), supply, "balanceOf(deployer)");
  eq(await token.decimals(), 18n, "decimals");

  step("ethers: transfer");
  const amount = parseUnits("250", 18);
  const tx1 = await token.transfer(ADDR1, amount);
  const r1 = await tx1.wait(1, 20000);
  eq(r1.status, 1, "transfer receipt status");
  eq(r1.logs.length, 1, "transfer receipt log count");
  const parsed = token.interface.parseLog(r1.logs[0]);
  eq(parsed?.name, "Transfer", "receipt log decodes as Transfer");
  eq(await token.balanceOf(ADDR1), amount, "balanceOf(recipient) after transfer");

  step("ethers: contract.queryFilter(Transfer) (eth_getLogs)");
  const all = await token.queryFilter(token.filters.Transfer(), deployReceipt.blockNumber, "latest");
  eq(all.length, 2, "Transfer events (mint + transfer)");
  eq(all[0].args.from, "0x0000000000000000000000000000000000000000", "mint event from");
  eq(all[0].args.to, ADDR0, "mint event to");
  eq(all[0].args.value, supply, "mint event value");
  eq(all[1].args.from, ADDR0, "transfer event from");
  eq(all[1].args.to, ADDR1, "transfer event to");
  eq(all[1].args.value, amount, "transfer event value");
  eq(all[1].transactionHash, tx1.hash, "transfer event transactionHash");
  eq(all[1].blockNumber, r1.blockNumber, "transfer event blockNumber");
  // Topic filtering: only events to ADDR1; and a block-hash query.
  const toOne = await token.queryFilter(token.filters.Transfer(null, ADDR1), deployReceipt.blockNumber);
  eq(toOne.length, 1, "Transfer events filtered by indexed `to`");
  const byHash = await provider.getLogs({
    address: tokenAddress,
    topics: [id("Transfer(address,address,uint256)")],
    blockHash: r1.blockHash,
  });
  eq(byHash.length, 1, "Transfer logs by blockHash");
  eq(byHash[0].transactionHash, tx1.hash, "log by blockHash transactionHash");
  eq(byHash[0].index, r1.logs[0].index, "log by blockHash logIndex");

  step("ethers: contract.on(Transfer) and on(pending) over HTTP (eth_newFilter, eth_newPendingTransactionFilter, eth_getFilterChanges)");
  const amount2 = parseUnits("7", 18);
  const httpEvent = deferred("contract.on(Transfer) over HTTP");
  await token.on("Transfer", (from, to, value, ev) => {
    if (value === amount2) httpEvent.fire({ from, to, value, hash: ev.log.transactionHash });
  });
  // Pending transactions over HTTP: eth_newPendingTransactionFilter + eth_getFilterChanges.
  const httpPending = new Set();
  const httpPendingSeen = deferred("provider.on(pending) over HTTP");
  let tx2 = null;
  await provider.on("pending", (hash) => {
    httpPending.add(hash);
    if (tx2 && httpPending.has(tx2.hash)) httpPendingSeen.fire(hash);
  });
  await rpcLog.answered("eth_newFilter");
  await rpcLog.answered("eth_newPendingTransactionFilter");
  tx2 = await token.transfer(ADDR1, amount2);
  await tx2.wait(1, 20000);
  if (httpPending.has(tx2.hash)) httpPendingSeen.fire(tx2.hash);
  eq(await httpPendingSeen.promise, tx2.hash, "provider.on(pending) hash");
  const got = await httpEvent.promise;
  eq(got.from, ADDR0, "HTTP listener from");
  eq(got.to, ADDR1, "HTTP listener to");
  eq(got.hash, tx2.hash, "HTTP listener transactionHash");
  check(rpcLog.sent.includes("eth_getFilterChanges"), "ethers never called eth_getFilterChanges");
  await token.removeAllListeners();
  await provider.removeAllListeners("pending");

  step("ethers: WebSocketProvider subscriptions (newHeads, logs, newPendingTransactions)");
  const ws = new WebSocketProvider(URL.ws, undefined, { cacheTimeout: -1 });
  const wsLog = tracker(ws);
  eq((await ws.getNetwork()).chainId, BigInt(CHAIN_ID), "ws getNetwork().chainId");
  eq(await ws.getBlockNumber(), await provider.getBlockNumber(), "ws and http agree on the head");
  const wsToken = new Contract(tokenAddress, TestToken.abi, ws);
  const amount3 = parseUnits("3", 18);
  const blockSeen = deferred("ws block event");
  const wsEvent = deferred("ws contract Transfer event");
  let target = Infinity;
  await ws.on("block", (n) => {
    if (n >= target) blockSeen.fire(n);
  });
  await wsToken.on("Transfer", (from, to, value, ev) => {
    if (value === amount3) wsEvent.fire({ from, to, value, log: ev.log });
  });
  const wsPending = new Set();
  const wsPendingSeen = deferred("ws pending event");
  let tx3 = null;
  await ws.on("pending", (hash) => {
    wsPending.add(hash);
    if (tx3 && wsPending.has(tx3.hash)) wsPendingSeen.fire(hash);
  });
  await wsLog.answered("eth_subscribe", 3);
  tx3 = await token.transfer(ADDR1, amount3);
  const r3 = await tx3.wait(1, 20000);
  target = r3.blockNumber;
  const ev3 = await wsEvent.promise;
  if (wsPending.has(tx3.hash)) wsPendingSeen.fire(tx3.hash);
  eq(await wsPendingSeen.promise, tx3.hash, "ws pending (newPendingTransactions) hash");
  eq(ev3.from, ADDR0, "ws event from");
  eq(ev3.to, ADDR1, "ws event to");
  eq(ev3.log.transactionHash, tx3.hash, "ws event transactionHash");
  eq(ev3.log.blockNumber, r3.blockNumber, "ws event blockNumber");
  eq(ev3.log.blockHash, r3.blockHash, "ws event blockHash");
  eq(ev3.log.topics[0], id("Transfer(address,address,uint256)"), "ws event topic0");
  // The block event for r3's block may have fired before `target` was set: check the head,
  // then wait for the block of one more transaction.
  const headNow = await ws.getBlockNumber();
  check(headNow >= r3.blockNumber, "ws head behind the receipt");
  // A second block proves newHeads is live.
  target = r3.blockNumber + 1;
  const tx4 = await wallet.sendTransaction({ to: ADDR1, value: 1n });
  const r4 = await tx4.wait(1, 20000);
  const seen = await blockSeen.promise;
  check(seen >= r4.blockNumber, `ws block event ${seen} behind ${r4.blockNumber}`);
  await ws.destroy();

  step("ethers: revert decoding (Reverter)");
  const Reverter = artifact("Reverter");
  const rf = new ContractFactory(Reverter.abi, Reverter.bytecode, wallet);
  const reverter = await rf.deploy();
  await reverter.waitForDeployment();

  // String revert through eth_call.
  try {
    await reverter.revertString();
    fail("revertString() did not throw");
  } catch (e) {
    check(isError(e, "CALL_EXCEPTION"), `revertString: expected CALL_EXCEPTION, got ${e.code}: ${e.message}`);
    eq(e.reason, "Reverter: nope", "revertString err.reason");
    eq(e.revert?.name, "Error", "revertString err.revert.name");
    eq(e.revert?.args?.[0], "Reverter: nope", "revertString err.revert.args[0]");
  }
  // Custom error through eth_call.
  try {
    await reverter.revertCustom(42n);
    fail("revertCustom() did not throw");
  } catch (e) {
    check(isError(e, "CALL_EXCEPTION"), `revertCustom: expected CALL_EXCEPTION, got ${e.code}: ${e.message}`);
    eq(e.revert?.name, "Nope", "revertCustom err.revert.name");
    eq(e.revert?.signature, "Nope(uint256,address)", "revertCustom err.revert.signature");
    eq(e.revert?.args?.[0], 42n, "revertCustom err.revert.args.code");
    eq(e.revert?.args?.[1], ADDR0, "revertCustom err.revert.args.who (msg.sender = from)");
    eq(e.data?.slice(0, 10), reverter.interface.getError("Nope").selector, "revertCustom err.data selector");
  }
  // The same two through eth_estimateGas (what ethers does before sending a transaction).
  try {
    await reverter.revertString.estimateGas();
    fail("estimateGas(revertString) did not throw");
  } catch (e) {
    check(isError(e, "CALL_EXCEPTION"), `estimateGas(revertString): got ${e.code}: ${e.message}`);
    eq(e.reason, "Reverter: nope", "estimateGas(revertString) err.reason");
  }
  try {
    await reverter.revertCustom.estimateGas(7n);
    fail("estimateGas(revertCustom) did not throw");
  } catch (e) {
    check(isError(e, "CALL_EXCEPTION"), `estimateGas(revertCustom): got ${e.code}: ${e.message}`);
    // ethers leaves custom errors of estimateGas undecoded (revert=null, "unknown custom
    // error"); the revert data it surfaces must decode with the contract's interface.
    const decoded = reverter.interface.parseError(e.data);
    eq(decoded?.name, "Nope", "estimateGas(revertCustom) interface.parseError(err.data).name");
    eq(decoded?.args?.[0], 7n, "estimateGas(revertCustom) decoded code");
    eq(decoded?.args?.[1], ADDR0, "estimateGas(revertCustom) decoded who");
  }
  // A successful call on the same contract still works afterwards.
  const tx5 = await reverter.setNumber(5n);
  await tx5.wait(1, 20000);
  eq(await reverter.number(), 5n, "Reverter.number after setNumber");

  provider.destroy();
}

run(main);
