// viem v2 against a running ol-node: `node viem.mjs http://127.0.0.1:PORT`.
//
// A custom chain (id 1612, OPEN, OP stack formatters), public and wallet clients over HTTP
// and WebSocket: fees, deployContract, writeContract(+Sync), waitForTransactionReceipt,
// getContractEvents / getLogs with an event ABI, watchContractEvent (HTTP filter polling and
// WebSocket subscription), watchBlocks, and revert decoding through simulateContract,
// readContract and estimateContractGas. Exits non-zero on the first failure.

import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  parseAbiItem,
  parseEther,
  parseUnits,
  toFunctionSelector,
  webSocket,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainConfig } from "viem/op-stack";
import {
  ADDR0,
  ADDR1,
  CHAIN_ID,
  KEY0,
  artifact,
  check,
  deferred,
  eq,
  fail,
  fmt,
  guard,
  run,
  step,
  urls,
} from "./common.mjs";

guard(60);
const URL = urls("viem.mjs");

const chain = defineChain({
  ...chainConfig, // OP stack formatters: deposit transactions, L1 fee receipt fields
  id: CHAIN_ID,
  name: "OpenLedger Dev",
  nativeCurrency: { name: "Open", symbol: "OPEN", decimals: 18 },
  rpcUrls: { default: { http: [URL.http], webSocket: [URL.ws] } },
});

/** Counts JSON-RPC methods sent and answered over viem's HTTP transport (fetch hooks). */
function httpTracker() {
  const sent = [];
  const idToMethod = new Map();
  const answered = new Map();
  const waiters = [];
  const settle = () => {
    for (const w of waiters.splice(0)) {
      if ((answered.get(w.method) ?? 0) >= w.count) w.resolve();
      else waiters.push(w);
    }
  };
  return {
    sent,
    transport: http(URL.http, {
      retryCount: 0,
      onFetchRequest: async (request) => {
        for (const b of [].concat(await request.clone().json())) {
          sent.push(b.method);
          idToMethod.set(b.id, b.method);
        }
      },
      onFetchResponse: async (response) => {
        try {
          for (const r of [].concat(await response.clone().json())) {
            const method = idToMethod.get(r?.id);
            if (method && r.result !== undefined) answered.set(method, (answered.get(method) ?? 0) + 1);
          }
          settle();
        } catch {
          // not JSON: viem itself reports that
        }
      },
    }),
    /** Resolves once `method` has been answered successfully `count` times. */
    answered(method, count = 1) {
      const d = deferred(`${count} answer(s) to ${method} over HTTP`, 10000);
      waiters.push({ method, count, resolve: d.fire });
      settle();
      return d.promise;
    },
  };
}

/** Hooks the WebSocket under a viem webSocket transport to see eth_subscribe acknowledged. */
async function wsTracker(client) {
  const rpcClient = await client.transport.getRpcClient();
  const socket = rpcClient.socket;
  const subscribeIds = new Set();
  let acks = 0;
  const waiters = [];
  const send = socket.send.bind(socket);
  socket.send = (data) => {
    try {
      for (const b of [].concat(JSON.parse(data))) {
        if (b.method === "eth_subscribe") subscribeIds.add(b.id);
      }
    } catch {}
    return send(data);
  };
  socket.addEventListener("message", (ev) => {
    try {
      const msg = JSON.parse(typeof ev.data === "string" ? ev.data : ev.data.toString());
      for (const m of [].concat(msg)) {
        if (subscribeIds.has(m.id)) {
          if (m.error) fail(`eth_subscribe over WebSocket failed: ${fmt(m.error)}`);
          // viem (utils/rpc/socket.ts) registers a subscription only when
          // `typeof response.result === 'string'`, then drops every eth_subscription
          // notification: the id must be a string, as geth and reth send ("0x" + hex).
          check(
            typeof m.result === "string",
            `eth_subscribe returned the subscription id ${fmt(m.result)} (a JSON ${typeof m.result}); ` +
              "clients expect a string (geth/reth: a 0x-prefixed hex string) and viem ignores " +
              "the notifications of a non-string id, so watchContractEvent/watchBlocks never fire",
          );
          acks++;
        }
      }
      for (const w of waiters.splice(0)) (acks >= w.count ? w.resolve() : waiters.push(w));
    } catch {}
  });
  return {
    subscribed(count) {
      const d = deferred(`${count} eth_subscribe acknowledgement(s)`, 10000);
      waiters.push({ count, resolve: d.fire });
      if (acks >= count) d.fire();
      return d.promise;
    },
  };
}

/** Finds viem's ContractFunctionRevertedError in `err`, failing if absent. */
function revertedError(err, what) {
  check(err instanceof BaseError, `${what}: expected a viem BaseError, got ${err?.stack ?? err}`);
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  check(
    reverted instanceof ContractFunctionRevertedError,
    `${what}: no ContractFunctionRevertedError in the cause chain:\n${err.message}`,
  );
  return reverted;
}

async function expectRevert(what, fn) {
  try {
    await fn();
  } catch (e) {
    return revertedError(e, what);
  }
  fail(`${what} did not throw`);
}

async function main() {
  const tracker = httpTracker();
  const publicClient = createPublicClient({ chain, transport: tracker.transport, pollingInterval: 200 });
  const account = privateKeyToAccount(KEY0);
  eq(account.address, ADDR0, "privateKeyToAccount(key0).address");
  const walletClient = createWalletClient({ account, chain, transport: http(URL.http, { retryCount: 0 }) });
  const wait = (hash) => publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100, timeout: 20000 });

  step("viem: chain id, block number, balance");
  eq(await publicClient.getChainId(), CHAIN_ID, "getChainId");
  eq(await walletClient.getChainId(), CHAIN_ID, "walletClient.getChainId");
  const startBlock = await publicClient.getBlockNumber();
  check(typeof startBlock === "bigint", "getBlockNumber returns a bigint");
  check((await publicClient.getBalance({ address: ADDR0 })) > 0n, "dev account 0 has no OPEN");

  step("viem: estimateFeesPerGas / estimateMaxPriorityFeePerGas / getFeeHistory / getGasPrice");
  const fees = await publicClient.estimateFeesPerGas();
  check(
    typeof fees.maxFeePerGas === "bigint" && typeof fees.maxPriorityFeePerGas === "bigint",
    `estimateFeesPerGas (eip1559): ${fmt(fees)}`,
  );
  check(fees.maxFeePerGas > 0n && fees.maxFeePerGas >= fees.maxPriorityFeePerGas, `estimateFeesPerGas: ${fmt(fees)}`);
  const latest = await publicClient.getBlock();
  check(typeof latest.baseFeePerGas === "bigint", "latest block has no baseFeePerGas");
  check(fees.maxFeePerGas >= latest.baseFeePerGas, `maxFeePerGas ${fees.maxFeePerGas} below the base fee`);
  const legacy = await publicClient.estimateFeesPerGas({ type: "legacy" });
  check(typeof legacy.gasPrice === "bigint" && legacy.gasPrice > 0n, `estimateFeesPerGas (legacy): ${fmt(legacy)}`);
  const tip = await publicClient.estimateMaxPriorityFeePerGas();
  check(typeof tip === "bigint", `estimateMaxPriorityFeePerGas: ${fmt(tip)}`);
  check((await publicClient.getGasPrice()) > 0n, "getGasPrice is zero");
  const fh = await publicClient.getFeeHistory({ blockCount: 4, rewardPercentiles: [25, 50, 75] });
  const n = Math.min(4, Number(latest.number) + 1);
  eq(fh.gasUsedRatio.length, n, "getFeeHistory gasUsedRatio.length");
  eq(fh.baseFeePerGas.length, n + 1, "getFeeHistory baseFeePerGas.length");
  eq(fh.reward?.length, n, "getFeeHistory reward.length");
  check(fh.reward.every((r) => r.length === 3 && r.every((x) => typeof x === "bigint")), "getFeeHistory rewards");

  step("viem: safe and finalized block tags");
  for (const blockTag of ["safe", "finalized"]) {
    const b = await publicClient.getBlock({ blockTag });
    check(typeof b.number === "bigint" && b.number <= latest.number + 1n, `getBlock(${blockTag}): ${fmt(b.number)}`);
  }

  step("viem: native transfer with sendTransaction + waitForTransactionReceipt");
  const before = await publicClient.getBalance({ address: ADDR1 });
  const sendHash = await walletClient.sendTransaction({ to: ADDR1, value: parseEther("0.5") });
  const sendReceipt = await wait(sendHash);
  eq(sendReceipt.status, "success", "native transfer status");
  eq(sendReceipt.type, "eip1559", "native transfer receipt type");
  check(typeof sendReceipt.l1Fee === "bigint", `OP receipt field l1Fee missing: ${fmt(sendReceipt)}`);
  eq((await publicClient.getBalance({ address: ADDR1 })) - before, parseEther("0.5"), "recipient balance delta");
  const sentTx = await publicClient.getTransaction({ hash: sendHash });
  eq(sentTx.from, ADDR0.toLowerCase(), "getTransaction.from");
  eq(sentTx.value, parseEther("0.5"), "getTransaction.value");

  step("viem: block with full transactions (OP stack deposit formatter)");
  const block = await publicClient.getBlock({ blockNumber: sendReceipt.blockNumber, includeTransactions: true });
  eq(block.hash, sendReceipt.blockHash, "getBlock hash");
  check(block.transactions.length >= 1, "block has no transactions");
  const deposit = block.transactions[0];
  eq(deposit.type, "deposit", "first transaction of an L2 block (L1 attributes deposit) type");
  check(typeof deposit.sourceHash === "string", `deposit has no sourceHash: ${fmt(deposit)}`);
  check(
    block.transactions.some((t) => t.hash === sendHash),
    "the block does not contain the sent transaction",
  );

  step("viem: deployContract TestToken");
  const TestToken = artifact("TestToken");
  const abi = TestToken.abi;
  const supply = parseUnits("1000000", 18);
  const deployHash = await walletClient.deployContract({ abi, bytecode: TestToken.bytecode, args: [supply] });
  const deployReceipt = await wait(deployHash);
  eq(deployReceipt.status, "success", "deploy status");
  const address = deployReceipt.contractAddress;
  check(typeof address === "string" && address.length === 42, `contractAddress: ${fmt(address)}`);
  const code = await publicClient.getCode({ address });
  check(code && code.length > 2, "no code at the deployed address");
  eq(await publicClient.readContract({ address, abi, functionName: "totalSupply" }), supply, "totalSupply");
  eq(await publicClient.readContract({ address, abi, functionName: "balanceOf", args: [ADDR0] }), supply, "balanceOf");
  eq(await publicClient.readContract({ address, abi, functionName: "decimals" }), 18, "decimals");

  step("viem: simulateContract + writeContract transfer");
  const amount = parseUnits("100", 18);
  const { request, result } = await publicClient.simulateContract({
    account,
    address,
    abi,
    functionName: "transfer",
    args: [ADDR1, amount],
  });
  eq(result, true, "simulated transfer() result");
  const transferHash = await walletClient.writeContract(request);
  const transferReceipt = await wait(transferHash);
  eq(transferReceipt.status, "success", "transfer status");
  eq(transferReceipt.logs.length, 1, "transfer receipt logs");
  eq(
    await publicClient.readContract({ address, abi, functionName: "balanceOf", args: [ADDR1] }),
    amount,
    "balanceOf(recipient)",
  );

  step("viem: writeContractSync (eth_sendRawTransactionSync, EIP-7966)");
  const syncReceipt = await walletClient.writeContractSync({
    address,
    abi,
    functionName: "transfer",
    args: [ADDR1, 1n],
    timeout: 10000, // EIP-7966's optional timeout parameter, in milliseconds (a JSON number)
  });
  eq(syncReceipt.status, "success", "writeContractSync receipt status");
  check(typeof syncReceipt.blockNumber === "bigint", `writeContractSync receipt: ${fmt(syncReceipt)}`);
  eq(syncReceipt.logs.length, 1, "writeContractSync receipt logs");

  step("viem: getContractEvents / getLogs with an event ABI");
  const fromBlock = deployReceipt.blockNumber;
  const events = await publicClient.getContractEvents({ address, abi, eventName: "Transfer", fromBlock });
  eq(events.length, 3, "Transfer events (mint, transfer, sync transfer)");
  eq(events[0].args.from, "0x0000000000000000000000000000000000000000", "mint from");
  eq(events[0].args.to, ADDR0, "mint to");
  eq(events[0].args.value, supply, "mint value");
  eq(events[1].args.to, ADDR1, "transfer to");
  eq(events[1].args.value, amount, "transfer value");
  eq(events[1].transactionHash, transferHash, "transfer event transactionHash");
  eq(events[1].blockNumber, transferReceipt.blockNumber, "transfer event blockNumber");
  const transferEvent = parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)");
  const toOne = await publicClient.getLogs({ address, event: transferEvent, args: { to: ADDR1 }, fromBlock });
  eq(toOne.length, 2, "getLogs filtered by indexed `to`");
  check(toOne.every((l) => l.args.to === ADDR1 && l.eventName === "Transfer"), "getLogs decoded args");
  const fromZero = await publicClient.getLogs({
    address,
    event: transferEvent,
    args: { from: "0x0000000000000000000000000000000000000000" },
    fromBlock: deployReceipt.blockNumber,
    toBlock: deployReceipt.blockNumber,
  });
  eq(fromZero.length, 1, "getLogs of the mint in its block range");
  const byHash = await publicClient.getLogs({ address, event: transferEvent, blockHash: transferReceipt.blockHash });
  eq(byHash.length, 1, "getLogs by blockHash");
  eq(byHash[0].logIndex, transferReceipt.logs[0].logIndex, "getLogs by blockHash logIndex");

  step("viem: watchContractEvent over HTTP (eth_newFilter + eth_getFilterChanges)");
  const httpSeen = deferred("watchContractEvent over HTTP");
  const amount2 = parseUnits("2", 18);
  const unwatchHttp = publicClient.watchContractEvent({
    address,
    abi,
    eventName: "Transfer",
    pollingInterval: 200,
    onLogs: (logs) => {
      for (const l of logs) if (l.args.value === amount2) httpSeen.fire(l);
    },
    onError: (e) => fail(`watchContractEvent (HTTP) onError: ${e?.stack ?? e}`),
  });
  await tracker.answered("eth_newFilter");
  const hash2 = await walletClient.writeContract({ address, abi, functionName: "transfer", args: [ADDR1, amount2] });
  await wait(hash2);
  const log2 = await httpSeen.promise;
  eq(log2.transactionHash, hash2, "HTTP watch transactionHash");
  eq(log2.args.from, ADDR0, "HTTP watch from");
  eq(log2.args.to, ADDR1, "HTTP watch to");
  check(tracker.sent.includes("eth_getFilterChanges"), "viem never called eth_getFilterChanges");
  unwatchHttp();

  step("viem: createBlockFilter / createPendingTransactionFilter + getFilterChanges");
  const blockFilter = await publicClient.createBlockFilter();
  const pendingFilter = await publicClient.createPendingTransactionFilter();
  const eventFilter = await publicClient.createContractEventFilter({ address, abi, eventName: "Transfer" });
  const hashF = await walletClient.writeContract({ address, abi, functionName: "transfer", args: [ADDR1, 11n] });
  const rF = await wait(hashF);
  const blockHashes = await publicClient.getFilterChanges({ filter: blockFilter });
  check(blockHashes.includes(rF.blockHash), `block filter changes ${fmt(blockHashes)} lack ${rF.blockHash}`);
  const pendingHashes = await publicClient.getFilterChanges({ filter: pendingFilter });
  check(pendingHashes.includes(hashF), `pending-transaction filter changes ${fmt(pendingHashes)} lack ${hashF}`);
  const eventChanges = await publicClient.getFilterChanges({ filter: eventFilter });
  eq(eventChanges.length, 1, "contract event filter changes");
  eq(eventChanges[0].args.value, 11n, "contract event filter change value");
  const eventAll = await publicClient.getFilterLogs({ filter: eventFilter });
  eq(eventAll.length, 1, "getFilterLogs of a filter created at the head");
  eq(await publicClient.getFilterChanges({ filter: eventFilter }).then((c) => c.length), 0, "second getFilterChanges");
  for (const f of [blockFilter, pendingFilter, eventFilter]) {
    eq(await publicClient.uninstallFilter({ filter: f }), true, "uninstallFilter");
  }

  step("viem: watchContractEvent + watchBlocks + watchPendingTransactions over WebSocket (eth_subscribe)");
  const wsClient = createPublicClient({ chain, transport: webSocket(URL.ws, { retryCount: 0 }) });
  eq(await wsClient.getChainId(), CHAIN_ID, "ws getChainId");
  const ws = await wsTracker(wsClient);
  const amount3 = parseUnits("3", 18);
  const wsSeen = deferred("watchContractEvent over WebSocket");
  const unwatchWs = wsClient.watchContractEvent({
    address,
    abi,
    eventName: "Transfer",
    args: { to: ADDR1 },
    onLogs: (logs) => {
      for (const l of logs) if (l.args.value === amount3) wsSeen.fire(l);
    },
    onError: (e) => fail(`watchContractEvent (WebSocket) onError: ${e?.stack ?? e}`),
  });
  const blocks = [];
  const blockSeen = deferred("watchBlocks over WebSocket");
  let wantBlock = null;
  const unwatchBlocks = wsClient.watchBlocks({
    onBlock: (b) => {
      blocks.push(b);
      if (wantBlock !== null && b.number >= wantBlock) blockSeen.fire(b);
    },
    onError: (e) => fail(`watchBlocks onError: ${e?.stack ?? e}`),
  });
  const pendingSeen = deferred("watchPendingTransactions over WebSocket");
  const pendingHashes3 = [];
  let hash3 = null;
  const unwatchPending = wsClient.watchPendingTransactions({
    onTransactions: (hashes) => {
      for (const h of hashes) pendingHashes3.push(h);
      if (hash3 && pendingHashes3.includes(hash3)) pendingSeen.fire(hash3);
    },
    onError: (e) => fail(`watchPendingTransactions onError: ${e?.stack ?? e}`),
  });
  await ws.subscribed(3);
  hash3 = await walletClient.writeContract({ address, abi, functionName: "transfer", args: [ADDR1, amount3] });
  const r3 = await wait(hash3);
  wantBlock = r3.blockNumber;
  if (blocks.some((b) => b.number >= wantBlock)) blockSeen.fire(blocks.at(-1));
  const log3 = await wsSeen.promise;
  eq(log3.transactionHash, hash3, "WebSocket watch transactionHash");
  eq(log3.blockHash, r3.blockHash, "WebSocket watch blockHash");
  eq(log3.blockNumber, r3.blockNumber, "WebSocket watch blockNumber");
  eq(log3.args.from, ADDR0, "WebSocket watch from");
  eq(log3.eventName, "Transfer", "WebSocket watch eventName");
  const b3 = await blockSeen.promise;
  check(typeof b3.hash === "string" && typeof b3.number === "bigint", `watchBlocks block: ${fmt(b3)}`);
  const mined = blocks.find((b) => b.number === r3.blockNumber);
  if (mined) eq(mined.hash, r3.blockHash, "watchBlocks hash of the receipt's block");
  if (pendingHashes3.includes(hash3)) pendingSeen.fire(hash3);
  eq(await pendingSeen.promise, hash3, "watchPendingTransactions hash");
  unwatchWs();
  unwatchBlocks();
  unwatchPending();

  step("viem: revert decoding with the Reverter fixture");
  const Reverter = artifact("Reverter");
  const rHash = await walletClient.deployContract({ abi: Reverter.abi, bytecode: Reverter.bytecode });
  const reverter = (await wait(rHash)).contractAddress;
  const rabi = Reverter.abi;

  const s1 = await expectRevert("simulateContract(revertString)", () =>
    publicClient.simulateContract({ account, address: reverter, abi: rabi, functionName: "revertString" }),
  );
  eq(s1.reason, "Reverter: nope", "simulateContract(revertString) reason");
  eq(s1.data?.errorName, "Error", "simulateContract(revertString) data.errorName");

  const s2 = await expectRevert("simulateContract(revertCustom)", () =>
    publicClient.simulateContract({
      account,
      address: reverter,
      abi: rabi,
      functionName: "revertCustom",
      args: [42n],
    }),
  );
  eq(s2.data?.errorName, "Nope", "simulateContract(revertCustom) data.errorName");
  eq(s2.data?.args?.[0], 42n, "simulateContract(revertCustom) args.code");
  eq(s2.data?.args?.[1], ADDR0, "simulateContract(revertCustom) args.who");
  eq(s2.raw?.slice(0, 10), toFunctionSelector("Nope(uint256,address)"), "simulateContract(revertCustom) raw selector");

  const s3 = await expectRevert("readContract(revertString)", () =>
    publicClient.readContract({ address: reverter, abi: rabi, functionName: "revertString" }),
  );
  eq(s3.reason, "Reverter: nope", "readContract(revertString) reason");

  const s4 = await expectRevert("estimateContractGas(revertCustom)", () =>
    publicClient.estimateContractGas({ account, address: reverter, abi: rabi, functionName: "revertCustom", args: [9n] }),
  );
  eq(s4.data?.errorName, "Nope", "estimateContractGas(revertCustom) errorName");
  eq(s4.data?.args?.[0], 9n, "estimateContractGas(revertCustom) args.code");

  const s5 = await expectRevert("writeContract(revertString)", () =>
    walletClient.writeContract({ address: reverter, abi: rabi, functionName: "revertString" }),
  );
  eq(s5.reason, "Reverter: nope", "writeContract(revertString) reason (from its gas estimate)");

  // The chain still works after the reverts.
  const pingHash = await walletClient.writeContract({
    address: reverter,
    abi: rabi,
    functionName: "ping",
    value: 5n,
  });
  const pingReceipt = await wait(pingHash);
  eq(pingReceipt.status, "success", "ping status");
  const pings = await publicClient.getContractEvents({
    address: reverter,
    abi: rabi,
    eventName: "Ping",
    blockHash: pingReceipt.blockHash,
  });
  eq(pings.length, 1, "Ping events in the ping block");
  eq(pings[0].args.value, 5n, "Ping value");

  await (await wsClient.transport.getRpcClient()).close();
}

run(main);
